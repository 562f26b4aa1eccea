package server_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stripe-mcp/stripe-mcp/internal/config"
	"github.com/stripe-mcp/stripe-mcp/internal/guard"
	"github.com/stripe-mcp/stripe-mcp/internal/server"
	"github.com/stripe-mcp/stripe-mcp/internal/store"
	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

// guardedEnv is a server with money guardrails on a fake Stripe whose
// requests are recorded.
type guardedEnv struct {
	fake  *testutil.FakeStripe
	rec   *testutil.Recorder
	store store.Store
	srv   *server.Server
	now   time.Time
}

func money(m map[string]int64) config.Money { return config.NewMoney(m) }

func newGuarded(t *testing.T, pol guard.Policy, dir string) *guardedEnv {
	t.Helper()
	e := &guardedEnv{fake: testutil.NewFakeStripe(), now: time.Now()}
	base, rec := testutil.Serve(t, e.fake)
	e.rec = rec
	if dir == "" {
		dir = t.TempDir()
	}
	e.store = testutil.OpenStoreAt(t, dir)
	pol.Store = e.store
	pol.Now = func() time.Time { return e.now }
	s, err := server.New(server.Options{
		Stripe: testutil.Client(t, base), Currency: "usd", Store: e.store, Idempotency: true,
		Policy: &pol, KeyMode: "test", Logger: testutil.Logger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = s
	return e
}

// client connects a client; elicit, when set, answers confirmations.
func (e *guardedEnv) client(t *testing.T, elicit func(*mcp.ElicitRequest) (*mcp.ElicitResult, error), protocol string) *mcp.ClientSession {
	t.Helper()
	var opts *mcp.ClientOptions
	if elicit != nil {
		opts = &mcp.ClientOptions{ElicitationHandler: func(_ context.Context, r *mcp.ElicitRequest) (*mcp.ElicitResult, error) { return elicit(r) }}
	}
	return testutil.ConnectServerAt(t, e.srv.MCP, opts, protocol)
}

// posts are the POSTs Stripe received to paths starting with prefix.
func (e *guardedEnv) posts(prefix string) int {
	n := 0
	for _, r := range e.rec.Requests() {
		if r.Method == "POST" && strings.HasPrefix(r.Path, prefix) {
			n++
		}
	}
	return n
}

// keys are the Idempotency-Key headers of the POSTs to path, in order.
func (e *guardedEnv) keys(path string) []string {
	var keys []string
	for _, r := range e.rec.Requests() {
		if r.Method == "POST" && r.Path == path {
			keys = append(keys, r.Header.Get("Idempotency-Key"))
		}
	}
	return keys
}

// TestMaxAmount: caps apply per currency to named and implied amounts, and
// a refused call sends nothing that moves money.
func TestMaxAmount(t *testing.T) {
	e := newGuarded(t, guard.Policy{MaxAmount: money(map[string]int64{"usd": 10000, "jpy": 20000})}, "")
	cs := e.client(t, nil, "")

	// Named: creating a payment.
	if res := testutil.Call(t, cs, "stripe_create_payment", map[string]any{"amount": 10000}); res.IsError {
		t.Fatalf("at the cap: %s", testutil.Text(res))
	}
	testutil.Refused(t, testutil.Call(t, cs, "stripe_create_payment", map[string]any{"amount": 10001}), "security.maxAmount", "$100.01", "$100.00")
	testutil.Refused(t, testutil.Call(t, cs, "stripe_create_payment", map[string]any{"amount": 20001, "currency": "jpy"}), "¥20,001")
	if res := testutil.Call(t, cs, "stripe_create_payment", map[string]any{"amount": 20000, "currency": "JPY"}); res.IsError {
		t.Fatalf("jpy at its cap: %s", testutil.Text(res))
	}
	testutil.Refused(t, testutil.Call(t, cs, "stripe_create_payment", map[string]any{"amount": 100, "currency": "eur"}), "money in eur is refused", "eur:AMOUNT")
	if n := e.posts("/v1/payment_intents"); n != 2 {
		t.Fatalf("%d payments created, want 2", n)
	}

	// Implied: capturing all of an authorization.
	big := e.fake.AuthorizedPayment(15000, "usd")
	testutil.Refused(t, testutil.Call(t, cs, "stripe_capture_payment", map[string]any{"paymentIntentId": big}), "$150.00")
	if n := e.posts("/v1/payment_intents/" + big + "/capture"); n != 0 {
		t.Fatal("a refused capture reached Stripe")
	}
	if res := testutil.Call(t, cs, "stripe_capture_payment", map[string]any{"paymentIntentId": big, "amountToCapture": 9000}); res.IsError {
		t.Fatalf("partial capture under the cap: %s", testutil.Text(res))
	}

	// Implied: a refund of what is left (captured minus refunded).
	paid := e.fake.CapturedPayment(30000, "usd")
	testutil.Refused(t, testutil.Call(t, cs, "stripe_create_refund", map[string]any{"paymentIntentId": paid}), "$300.00")
	for i := range 3 {
		if res := testutil.Call(t, cs, "stripe_create_refund", map[string]any{"paymentIntentId": paid, "amount": 9000, "idempotencyKey": fmt.Sprintf("refund-part-%d", i)}); res.IsError {
			t.Fatalf("refund part: %s", testutil.Text(res))
		}
	}
	// 3,000 left: refunding "the rest" is now within the cap.
	if res := testutil.Call(t, cs, "stripe_create_refund", map[string]any{"paymentIntentId": paid}); res.IsError {
		t.Fatalf("refund of the rest: %s", testutil.Text(res))
	}

	// Implied: price × quantity of a subscription ($10.00 a month).
	cus := testutil.Structured(t, testutil.Call(t, cs, "stripe_create_customer", map[string]any{"paymentMethodId": "pm_card_visa"}))
	testutil.Refused(t, testutil.Call(t, cs, "stripe_create_subscription", map[string]any{"customerId": cus["id"], "priceId": testutil.FakePriceID, "quantity": 11}), "$110.00")
	if res := testutil.Call(t, cs, "stripe_create_subscription", map[string]any{"customerId": cus["id"], "priceId": testutil.FakePriceID, "quantity": 10}); res.IsError {
		t.Fatalf("subscription at the cap: %s", testutil.Text(res))
	}
	if n := e.posts("/v1/subscriptions"); n != 1 {
		t.Fatalf("%d subscriptions created, want 1", n)
	}
}

// TestDailyLimit: money that moves counts against a rolling 24 hours per
// currency; failures give their reservation back; the count survives a
// restart.
func TestDailyLimit(t *testing.T) {
	dir := t.TempDir()
	pol := guard.Policy{DailyLimit: money(map[string]int64{"usd": 10000})}
	e := newGuarded(t, pol, dir)
	cs := e.client(t, nil, "")
	capture := func(amount int64) *mcp.CallToolResult {
		return testutil.Call(t, cs, "stripe_capture_payment", map[string]any{"paymentIntentId": e.fake.AuthorizedPayment(amount, "usd")})
	}
	if res := capture(6000); res.IsError {
		t.Fatal(testutil.Text(res))
	}
	// Creating a payment moves nothing: not counted.
	if res := testutil.Call(t, cs, "stripe_create_payment", map[string]any{"amount": 9999}); res.IsError {
		t.Fatal(testutil.Text(res))
	}
	testutil.Refused(t, capture(5000), "security.dailyLimit", "$40.00 is left", "frees up")
	// A call that fails releases its reservation: a decline on an
	// automatic-capture confirmation.
	pi := testutil.Structured(t, testutil.Call(t, cs, "stripe_create_payment", map[string]any{"amount": 4000, "capture": true}))
	testutil.Refused(t, testutil.Call(t, cs, "stripe_confirm_payment", map[string]any{"paymentIntentId": pi["id"], "paymentMethodId": "pm_card_chargeDeclined"}), "declined")
	if res := capture(4000); res.IsError {
		t.Fatalf("the declined confirmation kept its reservation: %s", testutil.Text(res))
	}
	// Another currency without a limit is refused while one is set.
	testutil.Refused(t, testutil.Call(t, cs, "stripe_capture_payment", map[string]any{"paymentIntentId": e.fake.AuthorizedPayment(100, "eur")}), "money in eur is refused")

	// A restarted server (same data dir) still counts the day's 10,000.
	e.store.Close()
	e2 := newGuarded(t, pol, dir)
	cs2 := e2.client(t, nil, "")
	testutil.Refused(t, testutil.Call(t, cs2, "stripe_capture_payment", map[string]any{"paymentIntentId": e2.fake.AuthorizedPayment(100, "usd")}), "$0.00 is left")
	// A day later it is free again.
	e2.now = e2.now.Add(24*time.Hour + time.Minute)
	if res := testutil.Call(t, cs2, "stripe_capture_payment", map[string]any{"paymentIntentId": e2.fake.AuthorizedPayment(9000, "usd")}); res.IsError {
		t.Fatalf("a day later: %s", testutil.Text(res))
	}
}

// TestDailyLimitConcurrent: calls that together would exceed the limit;
// exactly the ones that fit go through.
func TestDailyLimitConcurrent(t *testing.T) {
	e := newGuarded(t, guard.Policy{DailyLimit: money(map[string]int64{"usd": 10000})}, "")
	const n = 12 // 12 × 3,000 against 10,000: three fit
	ids := make([]string, n)
	for i := range ids {
		ids[i] = e.fake.AuthorizedPayment(3000, "usd")
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := range n {
		cs := e.client(t, nil, "")
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "stripe_capture_payment", Arguments: map[string]any{"paymentIntentId": ids[i]}})
			if err != nil {
				t.Error(err)
				return
			}
			if !res.IsError {
				mu.Lock()
				ok++
				mu.Unlock()
			} else if !strings.Contains(testutil.Text(res), "security.dailyLimit") {
				t.Errorf("unexpected failure: %s", testutil.Text(res))
			}
		}()
	}
	wg.Wait()
	captures := 0
	for _, id := range ids {
		captures += e.posts("/v1/payment_intents/" + id + "/capture")
	}
	if ok != 3 || captures != 3 {
		t.Fatalf("%d calls succeeded and %d captures reached Stripe, want 3 and 3", ok, captures)
	}
}

// TestConfirmationByElicitation: a client that can ask its user gets the
// question (what, how much, to whom); accept proceeds, decline and cancel
// send nothing. Both the elicitation request (older protocols) and input
// requests (2026-07-28) are covered.
func TestConfirmationByElicitation(t *testing.T) {
	for _, protocol := range []string{"2025-06-18", "2026-07-28"} {
		t.Run(protocol, func(t *testing.T) {
			e := newGuarded(t, guard.Policy{VerificationRequired: true, Threshold: money(map[string]int64{"usd": 5000})}, "")
			var asked []string
			answer := &mcp.ElicitResult{Action: "accept", Content: map[string]any{"approve": true}}
			cs := e.client(t, func(r *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
				asked = append(asked, r.Params.Message)
				return answer, nil
			}, protocol)
			if got := cs.InitializeResult().ProtocolVersion; got != protocol {
				t.Fatalf("negotiated %s", got)
			}
			// Below the threshold: no question.
			if res := testutil.Call(t, cs, "stripe_capture_payment", map[string]any{"paymentIntentId": e.fake.AuthorizedPayment(4999, "usd")}); res.IsError || len(asked) != 0 {
				t.Fatalf("below the threshold: %s, asked %v", testutil.Text(res), asked)
			}
			pi := e.fake.AuthorizedPayment(7500, "usd")
			res := testutil.Call(t, cs, "stripe_capture_payment", map[string]any{"paymentIntentId": pi})
			if res.IsError || len(asked) != 1 {
				t.Fatalf("accepted: %s, asked %v", testutil.Text(res), asked)
			}
			if q := asked[0]; !strings.Contains(q, "$75.00") || !strings.Contains(q, pi) || !strings.Contains(q, "Capture") {
				t.Errorf("the question does not say what, how much, to whom: %q", q)
			}
			for _, a := range []struct{ action, word string }{{"decline", "declined"}, {"cancel", "cancelled"}} {
				answer = &mcp.ElicitResult{Action: a.action}
				pi := e.fake.AuthorizedPayment(8000, "usd")
				testutil.Refused(t, testutil.Call(t, cs, "stripe_capture_payment", map[string]any{"paymentIntentId": pi}), a.word, "Nothing was sent")
				if n := e.posts("/v1/payment_intents/" + pi + "/capture"); n != 0 {
					t.Fatalf("%s: the capture reached Stripe", a.action)
				}
			}
			// Accepting without approving is a no.
			answer = &mcp.ElicitResult{Action: "accept", Content: map[string]any{"approve": false}}
			testutil.Refused(t, testutil.Call(t, cs, "stripe_capture_payment", map[string]any{"paymentIntentId": e.fake.AuthorizedPayment(8000, "usd")}), "declined")
			// Destructive tools without an amount ask too.
			answer = &mcp.ElicitResult{Action: "accept", Content: map[string]any{"approve": true}}
			before := len(asked)
			cus := testutil.Structured(t, testutil.Call(t, cs, "stripe_create_customer", map[string]any{"email": "x@example.com"}))
			if res := testutil.Call(t, cs, "stripe_update_customer", map[string]any{"customerId": cus["id"], "name": "X"}); res.IsError || len(asked) != before+1 {
				t.Fatalf("destructive update: %s, asked %d", testutil.Text(res), len(asked)-before)
			}
		})
	}
}

// TestTrialSubscriptionConfirmation: a subscription with a trial moves no
// money now, but Stripe charges when the trial ends with no later call to
// ask about, so at or above the threshold it is confirmed first (saying so),
// while it counts toward no daily limit.
func TestTrialSubscriptionConfirmation(t *testing.T) {
	e := newGuarded(t, guard.Policy{VerificationRequired: true, Threshold: money(map[string]int64{"usd": 5000}), Fallback: "token",
		DailyLimit: money(map[string]int64{"usd": 1000})}, "")
	cs := e.client(t, nil, "")
	cus := testutil.Structured(t, testutil.Call(t, cs, "stripe_create_customer", map[string]any{"paymentMethodId": "pm_card_visa"}))
	sub := func(quantity int, extra ...any) *mcp.CallToolResult {
		args := map[string]any{"customerId": cus["id"], "priceId": testutil.FakePriceID, "quantity": quantity, "trialPeriodDays": 14}
		for i := 0; i+1 < len(extra); i += 2 {
			args[extra[i].(string)] = extra[i+1]
		}
		return testutil.Call(t, cs, "stripe_create_subscription", args)
	}
	// Below the threshold ($20.00 a month): created at once, and $20.00 is
	// over the daily limit ($10.00) without being refused by it.
	if res := sub(2); res.IsError {
		t.Fatalf("below the threshold: %s", testutil.Text(res))
	}
	if n := e.posts("/v1/subscriptions"); n != 1 {
		t.Fatalf("%d subscriptions created, want 1", n)
	}
	// At the threshold ($50.00 a month): nothing is created before approval.
	out := testutil.Structured(t, sub(5))
	token, _ := out["confirmationToken"].(string)
	if out["status"] != "confirmation_required" || token == "" || out["amountDisplay"] != "$50.00" {
		t.Fatalf("at the threshold: %v", out)
	}
	if op := fmt.Sprint(out["operation"]); !strings.Contains(op, "14-day trial") || !strings.Contains(op, "no further confirmation") {
		t.Errorf("operation %q does not say the charge comes later, unasked", op)
	}
	if n := e.posts("/v1/subscriptions"); n != 1 {
		t.Fatalf("a subscription was created before approval (%d)", n)
	}
	if res := sub(5, "confirmationToken", token); res.IsError {
		t.Fatalf("approved: %s", testutil.Text(res))
	}
	if n := e.posts("/v1/subscriptions"); n != 2 {
		t.Fatalf("%d subscriptions created, want 2", n)
	}
}

// TestConfirmationFallbacks: a client that cannot ask its user is refused
// by default; with the token fallback it gets a single-use token bound to
// the exact arguments, valid 10 minutes.
func TestConfirmationFallbacks(t *testing.T) {
	refuse := newGuarded(t, guard.Policy{VerificationRequired: true}, "")
	cs := refuse.client(t, nil, "")
	pi := refuse.fake.AuthorizedPayment(1000, "usd")
	testutil.Refused(t, testutil.Call(t, cs, "stripe_capture_payment", map[string]any{"paymentIntentId": pi}), "cannot ask", "verificationFallback")
	if refuse.posts("/v1/payment_intents/"+pi+"/capture") != 0 {
		t.Fatal("refused capture reached Stripe")
	}

	e := newGuarded(t, guard.Policy{VerificationRequired: true, Fallback: "token"}, "")
	cs = e.client(t, nil, "")
	paid := e.fake.CapturedPayment(5000, "usd")
	args := map[string]any{"paymentIntentId": paid, "amount": 2000, "reason": "requested_by_customer"}
	first := testutil.Call(t, cs, "stripe_create_refund", args)
	out := testutil.Structured(t, first)
	token, _ := out["confirmationToken"].(string)
	if out["status"] != "confirmation_required" || token == "" || out["amountDisplay"] != "$20.00" || !strings.Contains(fmt.Sprint(out["instructions"]), "explicitly approve") {
		t.Fatalf("first call: %v", out)
	}
	if e.posts("/v1/refunds") != 0 {
		t.Fatal("a refund was sent before approval")
	}
	// Tampering: the token for $20.00 does not approve $40.00.
	tampered := map[string]any{"paymentIntentId": paid, "amount": 4000, "reason": "requested_by_customer", "confirmationToken": token}
	testutil.Refused(t, testutil.Call(t, cs, "stripe_create_refund", tampered), "different arguments")
	// The approved call goes through once.
	args["confirmationToken"] = token
	if res := testutil.Call(t, cs, "stripe_create_refund", args); res.IsError {
		t.Fatalf("with the token: %s", testutil.Text(res))
	}
	if e.posts("/v1/refunds") != 1 {
		t.Fatal("the approved refund was not sent once")
	}
	testutil.Refused(t, testutil.Call(t, cs, "stripe_create_refund", args), "already used")
	// Expiry, with the server's clock moved on.
	again := testutil.Structured(t, testutil.Call(t, cs, "stripe_create_refund", map[string]any{"paymentIntentId": paid, "amount": 1000}))
	e.now = e.now.Add(10*time.Minute + time.Second)
	testutil.Refused(t, testutil.Call(t, cs, "stripe_create_refund", map[string]any{"paymentIntentId": paid, "amount": 1000, "confirmationToken": again["confirmationToken"]}), "expired")
	if e.posts("/v1/refunds") != 1 {
		t.Fatal("refused calls reached Stripe")
	}
	// The audit log shows the wait for approval.
	rows := calls(t, e.store)
	waiting := 0
	for _, r := range rows {
		if r.Outcome == store.OutcomeConfirm {
			waiting++
		}
	}
	if waiting != 2 {
		t.Fatalf("%d rows waiting for approval, want 2", waiting)
	}
}

// TestDailyLimitLostAnswer: a capture whose answers are all lost may have
// moved the money: its room stays counted and the repeated call sends the
// same key, so Stripe answers it with the first capture and nothing is
// counted or moved twice.
func TestDailyLimitLostAnswer(t *testing.T) {
	e := newGuarded(t, guard.Policy{DailyLimit: money(map[string]int64{"usd": 5000})}, "")
	cs := e.client(t, nil, "")
	id := e.fake.AuthorizedPayment(3000, "usd")
	e.fake.DropResponses("/v1/payment_intents/"+id+"/capture", 100) // every retry's too
	capture := map[string]any{"paymentIntentId": id}
	testutil.Refused(t, testutil.Call(t, cs, "stripe_capture_payment", capture), "could not reach the Stripe API")
	e.fake.DropResponses("", 0)
	if e.fake.Object(id)["status"] != "succeeded" {
		t.Fatal("the fake did not capture")
	}
	// The lost capture still counts: 3,000 of 5,000 are taken.
	testutil.Refused(t, testutil.Call(t, cs, "stripe_capture_payment", map[string]any{"paymentIntentId": e.fake.AuthorizedPayment(2500, "usd")}), "$20.00 is left")
	again := testutil.Structured(t, testutil.Call(t, cs, "stripe_capture_payment", capture))
	if again["replayed"] != true || again["status"] != "succeeded" {
		t.Fatalf("the repeat: %v", again)
	}
	keys := e.keys("/v1/payment_intents/" + id + "/capture")
	if distinct := slices.Compact(slices.Clone(keys)); len(keys) < 2 || len(distinct) != 1 || distinct[0] == "" {
		t.Fatalf("keys %v: the repeat must send the lost capture's key", keys)
	}
	// The repeat did not count the 3,000 again.
	if res := testutil.Call(t, cs, "stripe_capture_payment", map[string]any{"paymentIntentId": e.fake.AuthorizedPayment(2000, "usd")}); res.IsError {
		t.Fatalf("2,000 more fit: %s", testutil.Text(res))
	}
}

// TestDailyLimitStripeFailure: Stripe failing (5xx) leaves it unknown
// whether the money moved: the room stays counted; Stripe would answer the
// same key with the same failure, so the next attempt is a new request,
// which needs room of its own.
func TestDailyLimitStripeFailure(t *testing.T) {
	e := newGuarded(t, guard.Policy{DailyLimit: money(map[string]int64{"usd": 10000})}, "")
	cs := e.client(t, nil, "")
	id := e.fake.AuthorizedPayment(3000, "usd")
	var failing atomic.Bool
	failing.Store(true)
	e.fake.StatusFor = func(r *http.Request) int {
		if failing.Load() && strings.HasSuffix(r.URL.Path, "/capture") {
			return 500
		}
		return 0
	}
	capture := map[string]any{"paymentIntentId": id}
	testutil.Refused(t, testutil.Call(t, cs, "stripe_capture_payment", capture), "internal error")
	failed := slices.Compact(e.keys("/v1/payment_intents/" + id + "/capture")) // stripe-go's retries repeat the key
	testutil.Refused(t, testutil.Call(t, cs, "stripe_capture_payment", map[string]any{"paymentIntentId": e.fake.AuthorizedPayment(7500, "usd")}), "$70.00 is left")
	failing.Store(false)
	if res := testutil.Call(t, cs, "stripe_capture_payment", capture); res.IsError {
		t.Fatalf("the next attempt: %s", testutil.Text(res))
	}
	if keys := e.keys("/v1/payment_intents/" + id + "/capture"); len(failed) != 1 || keys[len(keys)-1] == failed[0] {
		t.Fatalf("keys %v: the attempt after Stripe's failure must send a new key", keys)
	}
	testutil.Refused(t, testutil.Call(t, cs, "stripe_capture_payment", map[string]any{"paymentIntentId": e.fake.AuthorizedPayment(4100, "usd")}), "$40.00 is left")
}

// TestDailyLimitReplays: the same call again is answered from the first
// (replayed) and moves nothing: it is not counted again, one at a time or
// many at once.
func TestDailyLimitReplays(t *testing.T) {
	e := newGuarded(t, guard.Policy{DailyLimit: money(map[string]int64{"usd": 5000})}, "")
	cs := e.client(t, nil, "")
	refund := map[string]any{"paymentIntentId": e.fake.CapturedPayment(9000, "usd"), "amount": 2000}
	if res := testutil.Call(t, cs, "stripe_create_refund", refund); res.IsError {
		t.Fatal(testutil.Text(res))
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "stripe_create_refund", Arguments: refund})
			if err != nil {
				t.Error(err)
				return
			}
			if r := testutil.Structured(t, res); res.IsError || r["replayed"] != true {
				t.Errorf("a repeat: %s", testutil.Text(res))
			}
		}()
	}
	wg.Wait()
	if n := e.posts("/v1/refunds"); n != 11 {
		t.Fatalf("%d refund requests, want 11 (the first and ten replays)", n)
	}
	// 2,000 moved, once: 3,000 are left.
	if res := testutil.Call(t, cs, "stripe_create_refund", map[string]any{"paymentIntentId": e.fake.CapturedPayment(9000, "usd"), "amount": 3000}); res.IsError {
		t.Fatalf("3,000 more fit: %s", testutil.Text(res))
	}
}

// TestConfirmationOutcomes: the audit log says how a confirmation ended: an
// approved call is ok, one the person declined or cancelled is refused, and
// a client that fails the question gets a tool result saying so (not a
// protocol error), refused in the log, with nothing sent.
func TestConfirmationOutcomes(t *testing.T) {
	e := newGuarded(t, guard.Policy{VerificationRequired: true, Threshold: money(map[string]int64{"usd": 5000})}, "")
	var answer func() (*mcp.ElicitResult, error)
	// A client of a protocol before input requests: the server asks it.
	cs := e.client(t, func(*mcp.ElicitRequest) (*mcp.ElicitResult, error) { return answer() }, "2025-06-18")
	capture := func() (string, *mcp.CallToolResult) {
		pi := e.fake.AuthorizedPayment(7500, "usd")
		return pi, testutil.Call(t, cs, "stripe_capture_payment", map[string]any{"paymentIntentId": pi})
	}
	answer = func() (*mcp.ElicitResult, error) {
		return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"approve": true}}, nil
	}
	if _, res := capture(); res.IsError {
		t.Fatal(testutil.Text(res))
	}
	answer = func() (*mcp.ElicitResult, error) { return &mcp.ElicitResult{Action: "decline"}, nil }
	_, res := capture()
	testutil.Refused(t, res, "declined")
	answer = func() (*mcp.ElicitResult, error) { return nil, &jsonrpc.Error{Code: -32601, Message: "nope"} }
	pi, res := capture()
	testutil.Refused(t, res, "stripe_capture_payment needs a person's approval", "asking through the client failed", "nothing was sent to Stripe")
	if n := e.posts("/v1/payment_intents/" + pi + "/capture"); n != 0 {
		t.Fatal("the capture reached Stripe")
	}
	var got []string
	for _, r := range calls(t, e.store) {
		got = append(got, r.Outcome)
	}
	slices.Reverse(got) // the log lists the newest first
	if want := []string{store.OutcomeOK, store.OutcomeRefused, store.OutcomeRefused}; !slices.Equal(got, want) {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
	// The session goes on.
	answer = func() (*mcp.ElicitResult, error) {
		return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"approve": true}}, nil
	}
	if _, res := capture(); res.IsError {
		t.Fatal(testutil.Text(res))
	}
	// A person who never answers is not waited for forever.
	defer func(w time.Duration) { server.ConfirmationWait = w }(server.ConfirmationWait)
	server.ConfirmationWait = 200 * time.Millisecond
	answer = func() (*mcp.ElicitResult, error) { time.Sleep(2 * time.Second); return nil, errors.New("too late") }
	start := time.Now()
	pi, res = capture()
	testutil.Refused(t, res, "asking through the client failed", "deadline exceeded", "nothing was sent to Stripe")
	if waited := time.Since(start); waited > 1500*time.Millisecond {
		t.Fatalf("waited %v for an answer", waited)
	}
	if n := e.posts("/v1/payment_intents/" + pi + "/capture"); n != 0 {
		t.Fatal("the capture reached Stripe")
	}
}

// TestAuditMoneyAsMoved: a refund names no currency; the log records the
// payment's, not the default, and a guardrail refusal after the payment
// was read is a refusal.
func TestAuditMoneyAsMoved(t *testing.T) {
	e := newGuarded(t, guard.Policy{MaxAmount: money(map[string]int64{"usd": 100000, "jpy": 3000})}, "")
	cs := e.client(t, nil, "")
	paid := e.fake.CapturedPayment(5000, "jpy")
	if res := testutil.Call(t, cs, "stripe_create_refund", map[string]any{"paymentIntentId": paid, "amount": 1000}); res.IsError {
		t.Fatal(testutil.Text(res))
	}
	testutil.Refused(t, testutil.Call(t, cs, "stripe_create_refund", map[string]any{"paymentIntentId": paid, "amount": 4000}), "security.maxAmount")
	rows := calls(t, e.store)
	if r := rows[1]; r.Outcome != store.OutcomeOK || r.Amount != 1000 || r.Currency != "jpy" {
		t.Fatalf("the refund's row: %+v", r)
	}
	if r := rows[0]; r.Outcome != store.OutcomeRefused || r.Amount != 4000 || r.Currency != "jpy" {
		t.Fatalf("the refused refund's row: %+v", r)
	}
}

// TestProrationInvoicedNow: a subscription change whose proration is
// invoiced at once moves money now: it counts against the daily limit (as
// at most a whole period at the new price), while one billed later does not.
func TestProrationInvoicedNow(t *testing.T) {
	e := newGuarded(t, guard.Policy{DailyLimit: money(map[string]int64{"usd": 3000})}, "")
	cs := e.client(t, nil, "")
	cus := testutil.Structured(t, testutil.Call(t, cs, "stripe_create_customer", map[string]any{"paymentMethodId": "pm_card_visa"}))
	sub := testutil.Structured(t, testutil.Call(t, cs, "stripe_create_subscription", map[string]any{"customerId": cus["id"], "priceId": testutil.FakePriceID, "quantity": 1}))
	update := func(quantity int, behavior string) *mcp.CallToolResult {
		return testutil.Call(t, cs, "stripe_update_subscription", map[string]any{"subscriptionId": sub["id"], "quantity": quantity, "prorationBehavior": behavior})
	}
	// $10.00 of $30.00 moved; 3 × $10.00 invoiced now would pass the limit.
	testutil.Refused(t, update(3, "always_invoice"), "security.dailyLimit", "$20.00 is left")
	if n := e.posts("/v1/subscriptions/"); n != 0 {
		t.Fatalf("%d updates sent", n)
	}
	if res := update(3, "create_prorations"); res.IsError {
		t.Fatalf("prorations billed later: %s", testutil.Text(res))
	}
	if res := update(2, "always_invoice"); res.IsError {
		t.Fatalf("2 × $10.00 fits: %s", testutil.Text(res))
	}
	testutil.Refused(t, update(1, "always_invoice"), "security.dailyLimit", "$0.00 is left")
}

// TestDefaultPaymentMethodConfirmed: making a payment method the customer's
// default through attach is confirmed as the same change through
// stripe_update_customer is; attaching alone is not.
func TestDefaultPaymentMethodConfirmed(t *testing.T) {
	e := newGuarded(t, guard.Policy{VerificationRequired: true, Fallback: "token"}, "")
	cs := e.client(t, nil, "")
	c := testutil.Structured(t, testutil.Call(t, cs, "stripe_create_customer", map[string]any{"email": "pm@example.com"}))
	if res := testutil.Call(t, cs, "stripe_attach_payment_method", map[string]any{"customerId": c["id"], "paymentMethodId": "pm_card_visa"}); res.IsError {
		t.Fatalf("attach: %s", testutil.Text(res))
	}
	out := testutil.Structured(t, testutil.Call(t, cs, "stripe_attach_payment_method", map[string]any{"customerId": c["id"], "paymentMethodId": "pm_card_mastercard", "setAsDefault": true}))
	if out["status"] != "confirmation_required" || !strings.Contains(fmt.Sprint(out["operation"]), "make it the default") {
		t.Fatalf("attach as default: %v", out)
	}
	if n := e.posts("/v1/customers/"+c["id"].(string)) + e.posts("/v1/payment_methods/pm_card_mastercard"); n != 0 {
		t.Fatalf("%d requests sent before approval", n)
	}
}
