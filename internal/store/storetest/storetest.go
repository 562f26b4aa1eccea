// Package storetest is the contract every store.Store implementation passes.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stripe-mcp/stripe-mcp/internal/store"
)

// Open opens the store called name; opening the same name again (after
// Close) opens the same data, as a restarted server would.
type Open func(t *testing.T, name string) store.Store

// Run runs the contract against the stores open makes.
func Run(t *testing.T, open Open) {
	t.Run("AuditRoundTrip", func(t *testing.T) { auditRoundTrip(t, open) })
	t.Run("AuditQuery", func(t *testing.T) { auditQuery(t, open) })
	t.Run("ConcurrentCalls", func(t *testing.T) { concurrentCalls(t, open) })
	t.Run("Generations", func(t *testing.T) { generations(t, open) })
	t.Run("SurvivesReopen", func(t *testing.T) { survivesReopen(t, open) })
	t.Run("Reservations", func(t *testing.T) { reservations(t, open) })
	t.Run("KeyedReservations", func(t *testing.T) { keyedReservations(t, open) })
	t.Run("ConcurrentReservations", func(t *testing.T) { concurrentReservations(t, open) })
	t.Run("ReservationsSurviveReopen", func(t *testing.T) { reservationsSurviveReopen(t, open) })
	t.Run("Tokens", func(t *testing.T) { tokens(t, open) })
	t.Run("Events", func(t *testing.T) { events(t, open) })
	t.Run("ConcurrentEvents", func(t *testing.T) { concurrentEvents(t, open) })
	t.Run("EventsSurviveReopen", func(t *testing.T) { eventsSurviveReopen(t, open) })
	t.Run("Views", func(t *testing.T) { views(t, open) })
	t.Run("RecentIDs", func(t *testing.T) { recentIDs(t, open) })
}

func reservations(t *testing.T, open Open) {
	s := mustOpen(t, open, "reservations")
	ctx := context.Background()
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	res := func(cur string, amount int64, at time.Time) store.Reserved {
		t.Helper()
		r, err := s.Reserve(ctx, store.Reservation{Currency: cur, Amount: amount, Limit: 10000, Window: day, Now: at})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a := res("usd", 6000, t0)
	b := res("usd", 3000, t0.Add(time.Hour))
	if !a.OK || !b.OK || b.Used != 6000 {
		t.Fatalf("first two: %+v %+v", a, b)
	}
	c := res("usd", 2000, t0.Add(2*time.Hour))
	if c.OK || c.Used != 9000 || !c.FreesAt.Equal(t0.Add(day)) {
		t.Fatalf("over the limit: %+v, want refusal freeing at %v", c, t0.Add(day))
	}
	if e := res("eur", 9000, t0.Add(2*time.Hour)); !e.OK {
		t.Fatalf("currencies are separate: %+v", e)
	}
	if big := res("usd", 20000, t0); big.OK || !big.FreesAt.IsZero() {
		t.Fatalf("an amount above the limit itself: %+v", big)
	}
	// Released reservations give their room back.
	if err := s.Release(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if d := res("usd", 4000, t0.Add(3*time.Hour)); !d.OK || d.Used != 6000 {
		t.Fatalf("after release: %+v", d)
	}
	// The window rolls: a day after the first, its 6000 are free again.
	if f := res("usd", 6000, t0.Add(day+time.Minute)); !f.OK || f.Used != 4000 {
		t.Fatalf("after the window: %+v", f)
	}
	if err := s.Release(ctx, 1<<40); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("releasing an unknown reservation: %v", err)
	}
}

// keyedReservations: a request repeated under its key holds one
// reservation, which only its maker releases.
func keyedReservations(t *testing.T, open Open) {
	s := mustOpen(t, open, "keyed")
	ctx := context.Background()
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	res := func(key, cur string, amount int64, at time.Time) store.Reserved {
		t.Helper()
		r, err := s.Reserve(ctx, store.Reservation{Currency: cur, Amount: amount, Limit: 10000, Window: time.Hour, Now: at, Key: key})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a := res("k1", "usd", 6000, t0)
	if !a.OK || a.Shared {
		t.Fatalf("first: %+v", a)
	}
	// The same request again (a retry after a lost answer, a replay): the
	// 6000 are not counted twice, though twice 6000 is over the limit.
	again := res("k1", "usd", 6000, t0.Add(time.Minute))
	if !again.OK || !again.Shared || again.ID != a.ID {
		t.Fatalf("same key: %+v, want the first reservation (%d) shared", again, a.ID)
	}
	if b := res("k2", "usd", 5000, t0.Add(time.Minute)); b.OK || b.Used != 6000 {
		t.Fatalf("another key: %+v, want refused with 6000 used", b)
	}
	if e := res("k1", "eur", 6000, t0.Add(time.Minute)); !e.OK || e.Shared {
		t.Fatalf("same key, other currency: %+v, want a reservation of its own", e)
	}
	if o := res("k1", "usd", 100, t0.Add(time.Minute)); !o.OK || o.Shared || o.Used != 6000 {
		t.Fatalf("same key, other amount: %+v, want a reservation of its own", o)
	}
	// Released, the key holds nothing: the next request under it counts.
	if err := s.Release(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	c := res("k1", "usd", 6000, t0.Add(2*time.Minute))
	if !c.OK || c.Shared || c.ID == a.ID {
		t.Fatalf("after release: %+v, want a new reservation", c)
	}
	// Out of the window, the key holds nothing either.
	if d := res("k1", "usd", 6000, t0.Add(2*time.Hour)); !d.OK || d.Shared || d.ID == c.ID {
		t.Fatalf("after the window: %+v, want a new reservation", d)
	}
	// Without a key nothing is shared.
	if f := res("", "gbp", 100, t0); !f.OK || f.Shared {
		t.Fatalf("no key: %+v", f)
	}
	if g := res("", "gbp", 100, t0); !g.OK || g.Shared {
		t.Fatalf("no key, again: %+v", g)
	}
}

// concurrentReservations: many reservations at once; exactly as many as
// fit go through.
func concurrentReservations(t *testing.T, open Open) {
	s := mustOpen(t, open, "concurrent-reservations")
	ctx := context.Background()
	const n, amount, limit = 30, 700, 10000
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	now := time.Now()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := s.Reserve(ctx, store.Reservation{Currency: "gbp", Amount: amount, Limit: limit, Window: time.Hour, Now: now})
			if err != nil {
				t.Error(err)
				return
			}
			if r.OK {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ok != limit/amount {
		t.Fatalf("%d reservations went through, want %d", ok, limit/amount)
	}
}

func reservationsSurviveReopen(t *testing.T, open Open) {
	ctx := context.Background()
	now := time.Now()
	s := open(t, "reservations-reopen")
	if r, err := s.Reserve(ctx, store.Reservation{Currency: "usd", Amount: 8000, Limit: 10000, Window: time.Hour, Now: now}); err != nil || !r.OK {
		t.Fatalf("%+v %v", r, err)
	}
	s.Close()
	s2 := mustOpen(t, open, "reservations-reopen")
	r, err := s2.Reserve(ctx, store.Reservation{Currency: "usd", Amount: 3000, Limit: 10000, Window: time.Hour, Now: now.Add(time.Minute)})
	if err != nil || r.OK || r.Used != 8000 {
		t.Fatalf("after reopening: %+v %v", r, err)
	}
}

func tokens(t *testing.T, open Open) {
	s := mustOpen(t, open, "tokens")
	ctx := context.Background()
	now := time.Now()
	if err := s.IssueToken(ctx, store.Token{ID: "tok_1", Fingerprint: "fp-a", Expires: now.Add(10 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := s.IssueToken(ctx, store.Token{ID: "tok_2", Fingerprint: "fp-b", Expires: now.Add(10 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := s.UseToken(ctx, "tok_1", "fp-other", now); !errors.Is(err, store.ErrTokenMismatch) {
		t.Fatalf("other call: %v", err)
	}
	if err := s.UseToken(ctx, "tok_1", "fp-a", now); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if err := s.UseToken(ctx, "tok_1", "fp-a", now); !errors.Is(err, store.ErrTokenUsed) {
		t.Fatalf("second use: %v", err)
	}
	if err := s.UseToken(ctx, "tok_2", "fp-b", now.Add(10*time.Minute)); !errors.Is(err, store.ErrTokenExpired) {
		t.Fatalf("expired: %v", err)
	}
	if err := s.UseToken(ctx, "tok_nope", "fp-a", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown: %v", err)
	}
	if err := s.IssueToken(ctx, store.Token{ID: "tok_1", Fingerprint: "x", Expires: now}); err == nil {
		t.Fatal("a token id was issued twice")
	}
	// Concurrent uses of one token: exactly one wins.
	if err := s.IssueToken(ctx, store.Token{ID: "tok_race", Fingerprint: "fp", Expires: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s.UseToken(ctx, "tok_race", "fp", now) == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d concurrent uses succeeded", wins)
	}
}

func mustOpen(t *testing.T, open Open, name string) store.Store {
	t.Helper()
	s := open(t, name)
	t.Cleanup(func() { s.Close() })
	return s
}

func auditRoundTrip(t *testing.T, open Open) {
	s := mustOpen(t, open, "roundtrip")
	ctx := context.Background()
	started := time.Now().Add(-time.Second).UTC().Truncate(time.Microsecond)
	id, err := s.StartCall(ctx, &store.Call{
		Started: started, SessionID: "ses_1", Principal: "local-operator", Client: "claude",
		Transport: "stdio", Tool: "stripe_create_payment", Arguments: `{"amount":2500}`,
		Amount: 2500, Currency: "usd",
	})
	if err != nil {
		t.Fatal(err)
	}
	pending, err := s.Calls(ctx, store.Query{})
	if err != nil || len(pending) != 1 {
		t.Fatalf("calls: %v %v", pending, err)
	}
	if p := pending[0]; p.Outcome != store.OutcomePending || !p.Finished.IsZero() || p.ID != id || !p.Started.Equal(started) {
		t.Fatalf("pending row: %+v", p)
	}
	finished := started.Add(350 * time.Millisecond)
	err = s.FinishCall(ctx, id, store.Result{
		Outcome: store.OutcomeOK, Amount: 2500, Currency: "usd", RequestIDs: []string{"req_1", "req_2"},
		IdempotencyKey: "key-1", Replayed: true, Duration: 350 * time.Millisecond, Finished: finished,
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Calls(ctx, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	c := got[0]
	want := store.Call{
		ID: id, Started: started, Finished: finished, SessionID: "ses_1", Principal: "local-operator", Client: "claude",
		Transport: "stdio", Tool: "stripe_create_payment", Arguments: `{"amount":2500}`, Outcome: store.OutcomeOK,
		Amount: 2500, Currency: "usd", RequestIDs: []string{"req_1", "req_2"}, IdempotencyKey: "key-1",
		Replayed: true, Duration: 350 * time.Millisecond,
	}
	if fmt.Sprintf("%+v", c) != fmt.Sprintf("%+v", want) {
		t.Fatalf("row\n got %+v\nwant %+v", c, want)
	}
	if err := s.FinishCall(ctx, id+1000, store.Result{Outcome: store.OutcomeOK}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("finishing an unknown call: %v", err)
	}
}

func auditQuery(t *testing.T, open Open) {
	s := mustOpen(t, open, "query")
	ctx := context.Background()
	base := time.Now().Add(-time.Hour)
	for i := range 30 {
		tool := "stripe_get_customer"
		if i%3 == 0 {
			tool = "stripe_create_refund"
		}
		if _, err := s.StartCall(ctx, &store.Call{Started: base.Add(time.Duration(i) * time.Millisecond), Tool: tool, Arguments: fmt.Sprintf(`{"n":%d}`, i)}); err != nil {
			t.Fatal(err)
		}
	}
	all, _ := s.Calls(ctx, store.Query{Limit: 1000})
	if len(all) != 30 {
		t.Fatalf("%d rows", len(all))
	}
	for i := 1; i < len(all); i++ {
		if !all[i].Started.Before(all[i-1].Started) {
			t.Fatal("not newest first")
		}
	}
	if all[0].Arguments != `{"n":29}` {
		t.Fatalf("newest is %s", all[0].Arguments)
	}
	five, _ := s.Calls(ctx, store.Query{Limit: 5})
	if len(five) != 5 || five[0].ID != all[0].ID {
		t.Fatalf("limit: %d rows", len(five))
	}
	refunds, _ := s.Calls(ctx, store.Query{Tool: "stripe_create_refund", Limit: 1000})
	if len(refunds) != 10 {
		t.Fatalf("tool filter: %d rows", len(refunds))
	}
	def, _ := s.Calls(ctx, store.Query{})
	if len(def) != 30 {
		t.Fatalf("default limit returned %d", len(def))
	}
}

func concurrentCalls(t *testing.T, open Open) {
	s := mustOpen(t, open, "concurrent")
	ctx := context.Background()
	const workers, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id, err := s.StartCall(ctx, &store.Call{SessionID: fmt.Sprintf("ses_%d", w), Tool: "t", Arguments: fmt.Sprint(i)})
				if err == nil {
					err = s.FinishCall(ctx, id, store.Result{Outcome: store.OutcomeOK})
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	rows, err := s.Calls(ctx, store.Query{Limit: workers * each * 2})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int64]bool{}
	for _, r := range rows {
		if r.ID <= 0 {
			t.Fatalf("id %d", r.ID)
		}
		if r.Outcome != store.OutcomeOK || ids[r.ID] {
			t.Fatalf("row %+v", r)
		}
		ids[r.ID] = true
	}
	if len(rows) != workers*each {
		t.Fatalf("%d rows, want %d", len(rows), workers*each)
	}
}

func generations(t *testing.T, open Open) {
	s := mustOpen(t, open, "generations")
	ctx := context.Background()
	if g, err := s.Generation(ctx, "scope-a"); err != nil || g != 0 {
		t.Fatalf("new scope: %d %v", g, err)
	}
	for want := int64(1); want <= 3; want++ {
		if g, err := s.AdvanceGeneration(ctx, "scope-a"); err != nil || g != want {
			t.Fatalf("advance: %d %v, want %d", g, err, want)
		}
	}
	if g, _ := s.Generation(ctx, "scope-a"); g != 3 {
		t.Fatalf("generation %d", g)
	}
	if g, _ := s.Generation(ctx, "scope-b"); g != 0 {
		t.Fatalf("scopes are not separate: %d", g)
	}
	// Concurrent advances: each sees a distinct generation, none is lost.
	const n = 40
	var wg sync.WaitGroup
	seen := make(chan int64, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g, err := s.AdvanceGeneration(ctx, "scope-c")
			if err != nil {
				t.Error(err)
			}
			seen <- g
		}()
	}
	wg.Wait()
	close(seen)
	distinct := map[int64]bool{}
	for g := range seen {
		distinct[g] = true
	}
	if g, _ := s.Generation(ctx, "scope-c"); g != n || len(distinct) != n {
		t.Fatalf("after %d concurrent advances: generation %d, %d distinct", n, g, len(distinct))
	}
}

func survivesReopen(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, "reopen")
	id, err := s.StartCall(ctx, &store.Call{Tool: "stripe_capture_payment", Arguments: "{}"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartCall(ctx, &store.Call{Tool: "stripe_create_refund", Arguments: "{}"}); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishCall(ctx, id, store.Result{Outcome: store.OutcomeOK}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AdvanceGeneration(ctx, "scope"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := mustOpen(t, open, "reopen")
	rows, err := s2.Calls(ctx, store.Query{})
	if err != nil || len(rows) != 2 {
		t.Fatalf("after reopening: %v %v", rows, err)
	}
	if rows[0].Outcome != store.OutcomePending || rows[1].Outcome != store.OutcomeOK {
		t.Fatalf("outcomes after reopening: %s, %s", rows[0].Outcome, rows[1].Outcome)
	}
	if g, _ := s2.Generation(ctx, "scope"); g != 1 {
		t.Fatalf("generation after reopening: %d", g)
	}
}
