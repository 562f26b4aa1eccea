package server_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stripe-mcp/stripe-mcp/internal/server"
	"github.com/stripe-mcp/stripe-mcp/internal/store"
	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

// rawCall sends arguments exactly as written, key order included.
func rawCall(t *testing.T, cs *mcp.ClientSession, tool, args string) *mcp.CallToolResult {
	t.Helper()
	return testutil.Call(t, cs, tool, json.RawMessage(args))
}

// TestRepeatIsReplayed: the same call twice carries the same key; Stripe
// answers the second from the first and the result says so; one customer
// exists. Key order and meta-arguments do not make a different call.
func TestRepeatIsReplayed(t *testing.T) {
	fake := testutil.NewFakeStripe()
	s, _ := auditedServer(t, fake, server.Options{})
	cs := testutil.ConnectServer(t, s.MCP, nil)

	first := testutil.Structured(t, rawCall(t, cs, "stripe_create_customer", `{"email":"jane@example.com","name":"Jane","metadata":{"a":"1","b":"2"}}`))
	if first["replayed"] != nil {
		t.Fatalf("first call marked replayed: %v", first)
	}
	for _, again := range []string{
		`{"email":"jane@example.com","name":"Jane","metadata":{"a":"1","b":"2"}}`,
		`{"metadata":{"b":"2","a":"1"},"name":"Jane","email":"jane@example.com"}`,
		`{"name":"Jane","email":"jane@example.com","metadata":{"a":"1","b":"2"},"full":false}`,
	} {
		res := testutil.Structured(t, rawCall(t, cs, "stripe_create_customer", again))
		if res["replayed"] != true || res["id"] != first["id"] {
			t.Fatalf("repeat %s: %v", again, res)
		}
	}
	full := testutil.Structured(t, rawCall(t, cs, "stripe_create_customer", `{"email":"jane@example.com","name":"Jane","metadata":{"a":"1","b":"2"},"full":true}`))
	if full["replayed"] != true || full["object"] != "customer" {
		t.Fatalf("full repeat: %v", full)
	}
	keys := fake.PostKeys()
	for _, k := range keys {
		if k != keys[0] || !strings.HasPrefix(k, "smcp-") {
			t.Fatalf("keys differ across repeats: %v", keys)
		}
	}
	if n := fake.CountObjects("customer"); n != 1 {
		t.Fatalf("%d customers, want 1", n)
	}
	// Another call is another key.
	testutil.Call(t, cs, "stripe_create_customer", map[string]any{"email": "john@example.com"})
	if keys := fake.PostKeys(); keys[len(keys)-1] == keys[0] {
		t.Fatal("a different call reused the key")
	}
}

// TestRetryAfterLostResponse: Stripe processed the request but the answer
// was lost; the client's retry carries the same key and one object exists.
func TestRetryAfterLostResponse(t *testing.T) {
	fake := testutil.NewFakeStripe()
	s, _ := auditedServer(t, fake, server.Options{})
	cs := testutil.ConnectServer(t, s.MCP, nil)
	fake.DropResponses("/v1/payment_intents", 1)
	res := testutil.Structured(t, testutil.Call(t, cs, "stripe_create_payment", map[string]any{"amount": 4200}))
	keys := fake.PostKeys()
	if len(keys) != 2 || keys[0] != keys[1] || keys[0] == "" {
		t.Fatalf("keys %v: the retry must repeat the first key", keys)
	}
	if n := fake.CountObjects("payment_intent"); n != 1 {
		t.Fatalf("%d payment intents, want 1", n)
	}
	if res["amount"] != float64(4200) {
		t.Fatalf("result %v", res)
	}
}

// TestRetryAfterDeclineIsNew: a decline moves the generation on, so the
// retry the analysis recommends (with another card) is a new request, and
// even the very same call is not answered with the stored decline.
func TestRetryAfterDeclineIsNew(t *testing.T) {
	fake := testutil.NewFakeStripe()
	s, _ := auditedServer(t, fake, server.Options{})
	cs := testutil.ConnectServer(t, s.MCP, nil)
	pi := testutil.Structured(t, testutil.Call(t, cs, "stripe_create_payment", map[string]any{"amount": 1000}))
	confirm := map[string]any{"paymentIntentId": pi["id"], "paymentMethodId": "pm_card_chargeDeclinedProcessingError"}
	if res := testutil.Call(t, cs, "stripe_confirm_payment", confirm); !res.IsError {
		t.Fatal("decline expected")
	}
	declineKey := fake.PostKeys()[1]
	res := testutil.Call(t, cs, "stripe_confirm_payment", confirm)
	if !res.IsError || strings.Contains(testutil.Text(res), "replayed") {
		t.Fatalf("second attempt: %s", testutil.Text(res))
	}
	keys := fake.PostKeys()
	if keys[2] == declineKey {
		t.Fatal("the retry after a decline replayed the decline's key")
	}
	// With a good card the payment now goes through, once.
	ok := testutil.Structured(t, testutil.Call(t, cs, "stripe_confirm_payment", map[string]any{"paymentIntentId": pi["id"], "paymentMethodId": "pm_card_visa"}))
	if ok["status"] != "requires_capture" || ok["lastPaymentError"] != nil {
		t.Fatalf("confirm: %v", ok)
	}
}

// TestExplicitAndDisabledKeys: an explicit idempotencyKey is sent as given;
// with derivation off, identical calls are separate requests.
func TestExplicitAndDisabledKeys(t *testing.T) {
	fake := testutil.NewFakeStripe()
	s, _ := auditedServer(t, fake, server.Options{})
	cs := testutil.ConnectServer(t, s.MCP, nil)
	testutil.Call(t, cs, "stripe_create_customer", map[string]any{"email": "a@example.com", "idempotencyKey": "order-42"})
	again := testutil.Structured(t, testutil.Call(t, cs, "stripe_create_customer", map[string]any{"email": "a@example.com", "idempotencyKey": "order-42"}))
	if keys := fake.PostKeys(); keys[0] != "order-42" || keys[1] != "order-42" || again["replayed"] != true {
		t.Fatalf("explicit key: %v %v", keys, again)
	}

	off := testutil.NewFakeStripe()
	srv := httptest.NewServer(off)
	defer srv.Close()
	s2, err := server.New(server.Options{Stripe: testutil.Client(t, srv.URL), Currency: "usd", Store: testutil.OpenStore(t), Idempotency: false})
	if err != nil {
		t.Fatal(err)
	}
	cs2 := testutil.ConnectServer(t, s2.MCP, nil)
	testutil.Call(t, cs2, "stripe_create_customer", map[string]any{"email": "b@example.com"})
	testutil.Call(t, cs2, "stripe_create_customer", map[string]any{"email": "b@example.com"})
	if keys := off.PostKeys(); keys[0] == keys[1] || strings.HasPrefix(keys[0], "smcp-") {
		t.Fatalf("derivation off: keys %v", keys)
	}
	if n := off.CountObjects("customer"); n != 2 {
		t.Fatalf("%d customers", n)
	}
}

// TestCancelledMoneyCallFinishes: a client that cancels a capture does not
// abort it at Stripe; the capture completes and the audit row says so.
func TestCancelledMoneyCallFinishes(t *testing.T) {
	fake := testutil.NewFakeStripe()
	s, st := auditedServer(t, fake, server.Options{})
	cs := testutil.ConnectServer(t, s.MCP, nil)
	pi := testutil.Structured(t, testutil.Call(t, cs, "stripe_create_payment", map[string]any{"amount": 5000, "capture": false, "paymentMethodId": "pm_card_visa"}))
	testutil.Call(t, cs, "stripe_confirm_payment", map[string]any{"paymentIntentId": pi["id"]})
	release := fake.Hold("/v1/payment_intents/" + pi["id"].(string) + "/capture")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "stripe_capture_payment", Arguments: map[string]any{"paymentIntentId": pi["id"]}})
		done <- err
	}()
	// Wait until the capture is at Stripe, then cancel it from the client.
	deadline := time.Now().Add(5 * time.Second)
	for fake.Object(pi["id"].(string))["status"] != "succeeded" {
		if time.Now().After(deadline) {
			t.Fatal("capture never reached Stripe")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	time.Sleep(50 * time.Millisecond) // the cancellation reaches the server
	release()
	deadline = time.Now().Add(5 * time.Second)
	for {
		rows := calls(t, st)
		if rows[0].Tool == "stripe_capture_payment" && rows[0].Outcome == store.OutcomeOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("capture row: %+v", rows[0])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
