package guard

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stripe-mcp/stripe-mcp/internal/config"
	"github.com/stripe-mcp/stripe-mcp/internal/store/sqlite"
)

func limits(m map[string]int64) Limits { return config.NewMoney(m) }

func refusedBy(t *testing.T, err error, rule string, words ...string) {
	t.Helper()
	var r *Refusal
	if !errors.As(err, &r) || r.Rule != rule {
		t.Fatalf("got %v, want a refusal by %s", err, rule)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q lacks %q", err.Error(), w)
		}
	}
}

func TestCheck(t *testing.T) {
	p := &Policy{MaxAmount: limits(map[string]int64{"usd": 10000, "jpy": 5000})}
	ok := []*Movement{
		nil,
		{Amount: 10000, Currency: "usd", Known: true, Capped: true},
		{Amount: 5000, Currency: "jpy", Known: true, Capped: true},
		{Amount: 1, Currency: "eur", Known: true},                    // not capped: a cancel, say
		{Amount: 99999, Currency: "usd", Known: true, Capped: false}, // not capped
	}
	for _, m := range ok {
		if err := p.Check(m); err != nil {
			t.Errorf("%+v: %v", m, err)
		}
	}
	refusedBy(t, p.Check(&Movement{Amount: 10001, Currency: "usd", Known: true, Capped: true}), "security.maxAmount", "$100.01", "$100.00", "STRIPE_MAX_AMOUNT")
	refusedBy(t, p.Check(&Movement{Amount: 5001, Currency: "jpy", Known: true, Capped: true}), "security.maxAmount", "¥5,001")
	refusedBy(t, p.Check(&Movement{Amount: 100, Currency: "eur", Known: true, Capped: true}), "security.maxAmount", "eur", "jpy, usd", "eur:AMOUNT")
	refusedBy(t, p.Check(&Movement{Currency: "usd", Capped: true}), "security.maxAmount", "cannot be determined")

	d := &Policy{DailyLimit: limits(map[string]int64{"usd": 10000})}
	if err := d.Check(&Movement{Amount: 50, Currency: "eur", Known: true, Capped: true}); err != nil {
		t.Errorf("a daily limit does not refuse money that does not move: %v", err)
	}
	if err := d.Check(&Movement{Amount: 50, Currency: "eur", Known: true, Capped: true, Deferred: true}); err != nil {
		t.Errorf("a daily limit does not refuse money that moves only later (a payment link): %v", err)
	}
	refusedBy(t, d.Check(&Movement{Amount: 50, Currency: "eur", Known: true, Moves: true}), "security.dailyLimit", "eur")

	v := &Policy{VerificationRequired: true, Threshold: limits(map[string]int64{"usd": 5000})}
	refusedBy(t, v.Check(&Movement{Amount: 50, Currency: "gbp", Known: true, Moves: true}), "security.verificationThreshold", "gbp")
}

func TestNeedsConfirmation(t *testing.T) {
	off := &Policy{}
	every := &Policy{VerificationRequired: true}
	from := &Policy{VerificationRequired: true, Threshold: limits(map[string]int64{"usd": 5000})}
	move := func(amount int64) *Movement {
		return &Movement{Amount: amount, Currency: "usd", Known: true, Moves: true, Capped: true}
	}
	cases := []struct {
		p           *Policy
		m           *Movement
		destructive bool
		want        bool
	}{
		{off, move(1_000_000), true, false},
		{every, move(1), false, true},
		{every, &Movement{Amount: 1, Currency: "usd", Known: true, Capped: true}, false, false}, // creating a payment moves nothing
		{every, nil, true, true},   // destructive, no amount
		{every, nil, false, false}, // neither
		{from, move(4999), false, false},
		{from, move(5000), false, true},
		{from, &Movement{Amount: 100, Currency: "usd", Known: true}, true, false}, // destructive below the threshold
		{from, &Movement{Currency: "usd", Moves: true}, false, true},              // unknown amount
		{from, nil, true, true},
		// A payment link: nothing moves now, but each payment later goes
		// through no other call, so it is asked about like money moving.
		{every, &Movement{Amount: 1, Currency: "usd", Known: true, Capped: true, Deferred: true}, false, true},
		{from, &Movement{Amount: 4999, Currency: "usd", Known: true, Capped: true, Deferred: true}, false, false},
		{from, &Movement{Amount: 5000, Currency: "usd", Known: true, Capped: true, Deferred: true}, false, true},
		{from, &Movement{Currency: "usd", Capped: true, Deferred: true}, false, true}, // unknown amount
	}
	for i, c := range cases {
		if got := c.p.NeedsConfirmation(c.m, c.destructive); got != c.want {
			t.Errorf("case %d: %v, want %v", i, got, c.want)
		}
	}
}

func TestReserveAndTokens(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	p := &Policy{DailyLimit: limits(map[string]int64{"usd": 10000}), Store: st, Now: func() time.Time { return now }}
	ctx := context.Background()
	m := func(a int64) *Movement { return &Movement{Amount: a, Currency: "usd", Known: true, Moves: true} }
	if _, err := p.Reserve(ctx, m(7000), "t", ""); err != nil {
		t.Fatal(err)
	}
	release, err := p.Reserve(ctx, m(2000), "t", "")
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	_, err = p.Reserve(ctx, m(2000), "t", "")
	refusedBy(t, err, "security.dailyLimit", "$10.00 is left", "2026-11-27T09:00:00Z", "in 23h0m0s")
	if err := release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Reserve(ctx, m(3000), "t", ""); err != nil {
		t.Fatalf("after a release: %v", err)
	}
	_, err = p.Reserve(ctx, m(20000), "t", "")
	refusedBy(t, err, "security.dailyLimit", "above the daily limit itself")
	// Money that does not move is not counted.
	if _, err := p.Reserve(ctx, &Movement{Amount: 999999, Currency: "usd", Known: true}, "t", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Reserve(ctx, &Movement{Amount: 999999, Currency: "usd", Known: true, Capped: true, Deferred: true}, "t", ""); err != nil {
		t.Fatalf("a payment link moves nothing yet: %v", err)
	}

	tok, expires, err := p.IssueToken(ctx, "fp")
	if err != nil || !strings.HasPrefix(tok, "ctok_") || !expires.Equal(now.Add(TokenTTL)) {
		t.Fatalf("token %q %v %v", tok, expires, err)
	}
	refusedBy(t, p.UseToken(ctx, tok, "other"), "security.verificationRequired", "different arguments")
	now = now.Add(TokenTTL)
	refusedBy(t, p.UseToken(ctx, tok, "fp"), "security.verificationRequired", "expired")
	now = now.Add(-time.Minute)
	if err := p.UseToken(ctx, tok, "fp"); err != nil {
		t.Fatal(err)
	}
	refusedBy(t, p.UseToken(ctx, tok, "fp"), "security.verificationRequired", "already used")
	refusedBy(t, p.UseToken(ctx, "ctok_made_up", "fp"), "security.verificationRequired", "unknown")
}

func TestReserveUnderAKey(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p := &Policy{DailyLimit: limits(map[string]int64{"usd": 10000}), Store: st}
	ctx := context.Background()
	m := &Movement{Amount: 6000, Currency: "usd", Known: true, Moves: true}
	release, err := p.Reserve(ctx, m, "t", "k")
	if err != nil {
		t.Fatal(err)
	}
	// The same request again shares the room: 2 × 6000 would be refused.
	again, err := p.Reserve(ctx, m, "t", "k")
	if err != nil {
		t.Fatalf("the same request again: %v", err)
	}
	// Its release is not its own: the 6000 stay held.
	if err := again(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = p.Reserve(ctx, m, "t", "other")
	refusedBy(t, err, "security.dailyLimit", "$40.00 is left")
	if err := release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Reserve(ctx, m, "t", "other"); err != nil {
		t.Fatalf("after the first attempt released its room: %v", err)
	}
}
