package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stripe-mcp/stripe-mcp/internal/server"
	"github.com/stripe-mcp/stripe-mcp/internal/store"
	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

// auditedServer is a server with a store, on the fake Stripe.
func auditedServer(t *testing.T, fake *testutil.FakeStripe, o server.Options) (*server.Server, store.Store) {
	t.Helper()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	st := testutil.OpenStore(t)
	o.Stripe = testutil.Client(t, srv.URL)
	o.Store = st
	o.Idempotency = true
	if o.Currency == "" {
		o.Currency = "usd"
	}
	o.Logger = testutil.Logger(t)
	s, err := server.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

func calls(t *testing.T, st store.Store) []store.Call {
	t.Helper()
	c, err := st.Calls(context.Background(), store.Query{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAuditRecordsEveryCall: successes, Stripe errors, refusals, unknown
// tools and panics all leave one completed row with who, what and how.
func TestAuditRecordsEveryCall(t *testing.T) {
	fake := testutil.NewFakeStripe()
	s, st := auditedServer(t, fake, server.Options{})
	mcp.AddTool(s.MCP, &mcp.Tool{Name: "boom"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
		panic("kaboom")
	})
	cs := testutil.ConnectServer(t, s.MCP, nil)
	ctx := context.Background()

	pi := testutil.Structured(t, testutil.Call(t, cs, "stripe_create_payment", map[string]any{"amount": 2500, "currency": "eur", "metadata": map[string]any{"note": "key sk_live_abcdefghijklmnopqrstuvwx9876"}}))
	testutil.Call(t, cs, "stripe_confirm_payment", map[string]any{"paymentIntentId": pi["id"], "paymentMethodId": "pm_card_chargeDeclinedInsufficientFunds"})
	testutil.Call(t, cs, "stripe_create_customer", map[string]any{"description": "card 4242 4242 4242 4242"})
	if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "stripe_delete_everything", Arguments: map[string]any{}}); err == nil {
		t.Fatal("unknown tool answered")
	}
	testutil.Call(t, cs, "boom", map[string]any{})

	rows := calls(t, st)
	if len(rows) != 5 {
		t.Fatalf("%d rows, want 5: %+v", len(rows), rows)
	}
	byTool := map[string]store.Call{}
	for _, r := range rows {
		byTool[r.Tool] = r
		if r.SessionID == "" || !strings.HasPrefix(r.SessionID, "ses_") || r.Principal != "local-operator" || r.Client != "test-client" || r.Transport != "stdio" {
			t.Errorf("%s: identity %q %q %q %q", r.Tool, r.SessionID, r.Principal, r.Client, r.Transport)
		}
		if r.Finished.IsZero() || r.Outcome == store.OutcomePending || r.Duration <= 0 {
			t.Errorf("%s: not completed: %+v", r.Tool, r)
		}
	}
	create := byTool["stripe_create_payment"]
	if create.Outcome != store.OutcomeOK || create.Amount != 2500 || create.Currency != "eur" ||
		len(create.RequestIDs) != 1 || !strings.HasPrefix(create.IdempotencyKey, "smcp-") {
		t.Errorf("create: %+v", create)
	}
	if strings.Contains(create.Arguments, "abcdefghijklmnopqrstuvwx9876") || !strings.Contains(create.Arguments, "sk_live_…9876") {
		t.Errorf("secret not masked in arguments: %s", create.Arguments)
	}
	confirm := byTool["stripe_confirm_payment"]
	if confirm.Outcome != store.OutcomeError || !strings.Contains(confirm.Message, "insufficient_funds") || len(confirm.RequestIDs) != 1 {
		t.Errorf("decline: %+v", confirm)
	}
	refused := byTool["stripe_create_customer"]
	if refused.Outcome != store.OutcomeRefused || len(refused.RequestIDs) != 0 {
		t.Errorf("refusal: %+v", refused)
	}
	if strings.Contains(refused.Arguments, "4242") || strings.Contains(refused.Message, "4242") {
		t.Errorf("card number stored: %s / %s", refused.Arguments, refused.Message)
	}
	if u := byTool["stripe_delete_everything"]; u.Outcome != store.OutcomeRefused || !strings.Contains(u.Message, "unknown tool") {
		t.Errorf("unknown tool: %+v", u)
	}
	if b := byTool["boom"]; b.Outcome != store.OutcomeInternal || !strings.Contains(b.Message, "kaboom") {
		t.Errorf("panic: %+v", b)
	}
}

// TestAuditCompleteUnderConcurrentSessions: many sessions calling at once
// leave exactly one completed row per call.
func TestAuditCompleteUnderConcurrentSessions(t *testing.T) {
	fake := testutil.NewFakeStripe()
	s, st := auditedServer(t, fake, server.Options{})
	const sessions, each = 12, 15
	var wg sync.WaitGroup
	for i := range sessions {
		cs := testutil.ConnectServer(t, s.MCP, nil)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "stripe_create_customer",
					Arguments: map[string]any{"email": fmt.Sprintf("s%d-c%d@example.com", i, j)}})
				if err != nil || res.IsError {
					t.Errorf("call: %v %v", err, res)
				}
			}
		}()
	}
	wg.Wait()
	rows := calls(t, st)
	if len(rows) != sessions*each {
		t.Fatalf("%d rows, want %d", len(rows), sessions*each)
	}
	perSession := map[string]int{}
	emails := map[string]bool{}
	for _, r := range rows {
		if r.Outcome != store.OutcomeOK {
			t.Fatalf("row %+v", r)
		}
		perSession[r.SessionID]++
		var a struct{ Email string }
		json.Unmarshal([]byte(r.Arguments), &a)
		emails[a.Email] = true
	}
	if len(perSession) != sessions || len(emails) != sessions*each {
		t.Fatalf("%d sessions, %d distinct calls", len(perSession), len(emails))
	}
	for id, n := range perSession {
		if n != each {
			t.Errorf("session %s has %d rows, want %d", id, n, each)
		}
	}
	if got := fake.CountObjects("customer"); got != sessions*each {
		t.Errorf("%d customers created, want %d", got, sessions*each)
	}
}

// TestNoAuditNoCall: when the log cannot be written the call is refused and
// nothing reaches Stripe.
func TestNoAuditNoCall(t *testing.T) {
	fake := testutil.NewFakeStripe()
	s, st := auditedServer(t, fake, server.Options{})
	cs := testutil.ConnectServer(t, s.MCP, nil)
	st.Close()
	res := testutil.Call(t, cs, "stripe_create_customer", map[string]any{"email": "a@example.com"})
	if !res.IsError || !strings.Contains(testutil.Text(res), "audit log") {
		t.Fatalf("got %s", testutil.Text(res))
	}
	if fake.RequestCount() != 0 {
		t.Fatalf("%d requests reached Stripe", fake.RequestCount())
	}
}

// TestAuditCurrencyWithoutGuardrails: with no money guardrails (nothing
// reads the payment first), a refund and a capture that name an amount but
// no currency are logged in their payment's currency, from Stripe's answer.
func TestAuditCurrencyWithoutGuardrails(t *testing.T) {
	fake := testutil.NewFakeStripe()
	s, st := auditedServer(t, fake, server.Options{})
	cs := testutil.ConnectServer(t, s.MCP, nil)
	if res := testutil.Call(t, cs, "stripe_create_refund", map[string]any{"paymentIntentId": fake.CapturedPayment(5000, "jpy"), "amount": 1000}); res.IsError {
		t.Fatal(testutil.Text(res))
	}
	if res := testutil.Call(t, cs, "stripe_capture_payment", map[string]any{"paymentIntentId": fake.AuthorizedPayment(3000, "eur"), "amountToCapture": 2000}); res.IsError {
		t.Fatal(testutil.Text(res))
	}
	rows := calls(t, st)
	if r := rows[1]; r.Amount != 1000 || r.Currency != "jpy" {
		t.Errorf("refund row: %d %s, want 1000 jpy", r.Amount, r.Currency)
	}
	if r := rows[0]; r.Amount != 2000 || r.Currency != "eur" {
		t.Errorf("capture row: %d %s, want 2000 eur", r.Amount, r.Currency)
	}
}
