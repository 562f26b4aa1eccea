package tools_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stripe-mcp/stripe-mcp/internal/guard"
	"github.com/stripe-mcp/stripe-mcp/internal/sandbox"
	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

// The money guardrails on invoices and disputes (SPEC §5), against a
// stateful fake: stripe-mock's fixtures have one invoice of $10.00 and one
// price, too few amounts to put anything on either side of a cap.

// billingFake is a small stateful Stripe for prices, invoices, invoice items
// and disputes: an item adds to its draft invoice's amount due, finalizing
// opens the invoice (and, charged automatically, pays it), submitting
// evidence counts a submission.
type billingFake struct {
	mu       sync.Mutex
	seq      int
	objects  map[string]map[string]any
	failures map[string]bool // invoices whose finalization Stripe refuses
	declines map[string]bool // invoices whose payment the card declines
}

func newBillingFake() *billingFake {
	f := &billingFake{objects: map[string]map[string]any{}, failures: map[string]bool{}, declines: map[string]bool{}}
	f.objects["price_onetime"] = map[string]any{"id": "price_onetime", "object": "price", "currency": "usd", "unit_amount": 2500,
		"billing_scheme": "per_unit", "type": "one_time"}
	f.objects["price_tiered"] = map[string]any{"id": "price_tiered", "object": "price", "currency": "usd", "unit_amount": nil,
		"billing_scheme": "tiered", "type": "recurring", "recurring": map[string]any{"interval": "month", "interval_count": 1, "usage_type": "licensed"}}
	return f
}

func (f *billingFake) id(prefix string) string {
	f.seq++
	return fmt.Sprintf("%s_fake%04d", prefix, f.seq)
}

// invoice adds a draft invoice and returns its id.
func (f *billingFake) invoice(collection string, amountDue int64, currency string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.id("in")
	f.objects[id] = map[string]any{"id": id, "object": "invoice", "status": "draft", "customer": "cus_guard", "currency": currency,
		"collection_method": collection, "auto_advance": true, "amount_due": amountDue, "amount_paid": 0, "amount_remaining": amountDue}
	return id
}

// failFinalize makes Stripe refuse to finalize an invoice.
func (f *billingFake) failFinalize(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures[id] = true
}

// dispute adds a dispute awaiting a response and returns its id.
func (f *billingFake) dispute(amount int64, currency string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.id("dp")
	f.objects[id] = map[string]any{"id": id, "object": "dispute", "amount": amount, "currency": currency, "reason": "fraudulent",
		"status": "needs_response", "charge": "ch_disputed",
		"evidence_details": map[string]any{"due_by": 1767225600, "has_evidence": false, "past_due": false, "submission_count": 0}}
	return id
}

// status reads a field of a stored object.
func (f *billingFake) field(id, name string) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.objects[id][name]
}

func (f *billingFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	status, body := f.route(r)
	b, _ := json.Marshal(body)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Request-Id", "req_billing")
	w.WriteHeader(status)
	w.Write(b)
}

func stripeErrorBody(msg string) map[string]any {
	return map[string]any{"error": map[string]any{"type": "invalid_request_error", "message": msg}}
}

func (f *billingFake) route(r *http.Request) (int, any) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	get := func(id string) (int, any) {
		if o, ok := f.objects[id]; ok {
			return 200, o
		}
		return 404, stripeErrorBody("No such object: " + id)
	}
	switch {
	case r.Method == "GET" && len(parts) == 3:
		return get(parts[2])
	case r.Method == "POST" && r.URL.Path == "/v1/invoiceitems":
		return f.createItem(r)
	case r.Method == "POST" && len(parts) == 4 && parts[1] == "invoices" && parts[3] == "finalize":
		return f.finalize(parts[2])
	case r.Method == "POST" && len(parts) == 4 && parts[1] == "invoices" && parts[3] == "pay":
		return f.pay(parts[2])
	case r.Method == "POST" && len(parts) == 3 && parts[1] == "disputes":
		return f.updateDispute(parts[2], r)
	}
	return 404, stripeErrorBody("Unrecognized request URL (" + r.Method + " " + r.URL.Path + ") in the billing fake")
}

func (f *billingFake) createItem(r *http.Request) (int, any) {
	amount, _ := strconv.ParseInt(r.PostForm.Get("amount"), 10, 64)
	currency := r.PostForm.Get("currency")
	if price := r.PostForm.Get("pricing[price]"); price != "" {
		pr, ok := f.objects[price]
		if !ok || pr["unit_amount"] == nil {
			return 400, stripeErrorBody("the fake prices only per-unit prices")
		}
		qty := int64(1)
		if q := r.PostForm.Get("quantity"); q != "" {
			qty, _ = strconv.ParseInt(q, 10, 64)
		}
		amount, currency = int64(pr["unit_amount"].(int))*qty, pr["currency"].(string)
	}
	id := f.id("ii")
	item := map[string]any{"id": id, "object": "invoiceitem", "customer": r.PostForm.Get("customer"), "amount": amount, "currency": currency}
	if inv := r.PostForm.Get("invoice"); inv != "" {
		o, ok := f.objects[inv]
		if !ok || o["status"] != "draft" {
			return 400, stripeErrorBody("invoice items can be added only to draft invoices")
		}
		o["amount_due"] = o["amount_due"].(int64) + amount
		o["amount_remaining"] = o["amount_due"]
		item["invoice"] = inv
	}
	f.objects[id] = item
	return 200, item
}

func (f *billingFake) finalize(id string) (int, any) {
	o, ok := f.objects[id]
	if !ok {
		return 404, stripeErrorBody("No such invoice: " + id)
	}
	if o["status"] != "draft" {
		return 400, stripeErrorBody("This invoice is already finalized")
	}
	if f.failures[id] {
		return 400, stripeErrorBody("The fake refuses to finalize this invoice")
	}
	// As Stripe does without auto-advance: finalized, nothing collected.
	o["status"] = "open"
	return 200, o
}

// pay charges an open invoice; a declined one stays open.
func (f *billingFake) pay(id string) (int, any) {
	o, ok := f.objects[id]
	if !ok {
		return 404, stripeErrorBody("No such invoice: " + id)
	}
	if o["status"] != "open" {
		return 400, stripeErrorBody("Invoice is already paid or not finalized")
	}
	if f.declines[id] {
		return 402, map[string]any{"error": map[string]any{"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds", "message": "Your card has insufficient funds."}}
	}
	o["status"], o["amount_paid"], o["amount_remaining"] = "paid", o["amount_due"], 0
	return 200, o
}

func (f *billingFake) updateDispute(id string, r *http.Request) (int, any) {
	o, ok := f.objects[id]
	if !ok {
		return 404, stripeErrorBody("No such dispute: " + id)
	}
	ev := o["evidence_details"].(map[string]any)
	if ev["submission_count"].(int) > 0 {
		return 400, stripeErrorBody("This dispute is already closed")
	}
	ev["has_evidence"] = true
	if r.PostForm.Get("submit") == "true" {
		ev["submission_count"] = 1
		o["status"] = "under_review"
	}
	return 200, o
}

// connectGuarded connects a client to a server whose Stripe is h, with the
// money guardrails pol (kept in a fresh store).
func connectGuarded(t *testing.T, h http.Handler, pol guard.Policy) (*mcp.ClientSession, *testutil.Recorder) {
	t.Helper()
	base, rec := testutil.Serve(t, h)
	st := testutil.OpenStore(t)
	pol.Store = st
	o := defaultOptions()
	o.Stripe = testutil.Client(t, base)
	o.Store = st
	o.Policy = &pol
	return testutil.Connect(t, o), rec
}

// succeeded checks that a call went through and returns its result.
func succeeded(t *testing.T, res *mcp.CallToolResult) map[string]any {
	t.Helper()
	if res.IsError {
		t.Fatalf("refused: %s", testutil.Text(res))
	}
	return testutil.Structured(t, res)
}

// sentSince are the requests received after the first n.
func sentSince(rec *testutil.Recorder, n int) []testutil.Request { return rec.Requests()[n:] }

// TestInvoiceItemMaxAmount: an item's amount, named or implied by its
// price, is capped; an implied amount costs one price lookup and nothing
// else.
func TestInvoiceItemMaxAmount(t *testing.T) {
	f := newBillingFake()
	cs, rec := connectGuarded(t, f, guard.Policy{MaxAmount: usd(10000)})
	inv := f.invoice("charge_automatically", 0, "usd")
	item := func(args map[string]any) *mcp.CallToolResult {
		args["customerId"], args["invoiceId"] = "cus_guard", inv
		return testutil.Call(t, cs, "stripe_create_invoice_item", args)
	}

	// Named: refused before anything is sent.
	testutil.Refused(t, item(map[string]any{"amount": 10001, "currency": "usd"}), "security.maxAmount", "$100.01", "$100.00")
	testutil.Refused(t, item(map[string]any{"amount": 500, "currency": "eur"}), "security.maxAmount", "money in eur is refused")
	if n := rec.Count(); n != 0 {
		t.Fatalf("%d requests sent for refused named amounts", n)
	}
	n := rec.Count()
	succeeded(t, item(map[string]any{"amount": 10000, "currency": "usd"}))
	checkWire(t, sentSince(rec, n), wire{method: "POST", path: "/v1/invoiceitems", params: map[string]string{"amount": "10000", "currency": "usd"}})

	// Implied: 5 × $25.00 is over; only the price was read.
	n = rec.Count()
	testutil.Refused(t, item(map[string]any{"priceId": "price_onetime", "quantity": 5}), "security.maxAmount", "$125.00")
	checkWire(t, sentSince(rec, n), wire{method: "GET", path: "/v1/prices/price_onetime"})
	n = rec.Count()
	out := succeeded(t, item(map[string]any{"priceId": "price_onetime", "quantity": 4}))
	checkWire(t, sentSince(rec, n), wire{method: "GET", path: "/v1/prices/price_onetime"},
		wire{method: "POST", path: "/v1/invoiceitems", params: map[string]string{"pricing[price]": "price_onetime", "quantity": "4"}})
	if out["amountDisplay"] != "$100.00" {
		t.Errorf("item = %v", out)
	}

	// A tiered price has no amount to check while a cap is set.
	n = rec.Count()
	testutil.Refused(t, item(map[string]any{"priceId": "price_tiered"}), "security.maxAmount", "cannot be determined")
	checkWire(t, sentSince(rec, n), wire{method: "GET", path: "/v1/prices/price_tiered"})

	if got := f.field(inv, "amount_due"); got != int64(20000) {
		t.Errorf("invoice amount due = %v, want the two accepted items' 20000", got)
	}
}

// TestFinalizeInvoiceMaxAmount: finalizing an invoice that charges
// automatically is capped by its amount due, read first; a send_invoice
// invoice charges nothing and is not.
func TestFinalizeInvoiceMaxAmount(t *testing.T) {
	f := newBillingFake()
	cs, rec := connectGuarded(t, f, guard.Policy{MaxAmount: usd(10000)})
	finalize := func(id string) *mcp.CallToolResult {
		return testutil.Call(t, cs, "stripe_finalize_invoice", map[string]any{"invoiceId": id})
	}

	big := f.invoice("charge_automatically", 15000, "usd")
	n := rec.Count()
	testutil.Refused(t, finalize(big), "security.maxAmount", "$150.00", "$100.00")
	checkWire(t, sentSince(rec, n), wire{method: "GET", path: "/v1/invoices/" + big})
	if got := f.field(big, "status"); got != "draft" {
		t.Fatalf("refused invoice is %v", got)
	}

	sent := f.invoice("send_invoice", 15000, "usd")
	n = rec.Count()
	out := succeeded(t, finalize(sent))
	checkWire(t, sentSince(rec, n), wire{method: "GET", path: "/v1/invoices/" + sent}, wire{method: "POST", path: "/v1/invoices/" + sent + "/finalize"})
	if out["status"] != "open" || out["amountDueDisplay"] != "$150.00" {
		t.Errorf("send_invoice finalized: %v", out)
	}

	atCap := f.invoice("charge_automatically", 10000, "usd")
	if out := succeeded(t, finalize(atCap)); out["status"] != "paid" || out["amountPaidDisplay"] != "$100.00" {
		t.Errorf("at the cap: %v", out)
	}
	// A finalized invoice is refused after the read, before any change.
	n = rec.Count()
	testutil.Refused(t, finalize(atCap), "is paid", "only a draft")
	checkWire(t, sentSince(rec, n), wire{method: "GET", path: "/v1/invoices/" + atCap})

	// Items each under the cap add up on the invoice: the cap applies to
	// what finalizing charges.
	sum := f.invoice("charge_automatically", 0, "usd")
	for range 2 {
		succeeded(t, testutil.Call(t, cs, "stripe_create_invoice_item", map[string]any{"customerId": "cus_guard", "invoiceId": sum, "amount": 6000, "currency": "usd"}))
	}
	testutil.Refused(t, finalize(sum), "security.maxAmount", "$120.00")
	if got := f.field(sum, "status"); got != "draft" {
		t.Fatalf("refused invoice is %v", got)
	}
}

// TestFinalizeInvoiceDailyLimit: a finalization that charges counts toward
// the daily limit; invoice items and send_invoice finalizations move
// nothing now; a finalization Stripe refuses gives its reservation back.
func TestFinalizeInvoiceDailyLimit(t *testing.T) {
	f := newBillingFake()
	cs, rec := connectGuarded(t, f, guard.Policy{DailyLimit: usd(10000)})
	finalize := func(id string) *mcp.CallToolResult {
		return testutil.Call(t, cs, "stripe_finalize_invoice", map[string]any{"invoiceId": id})
	}

	first := f.invoice("charge_automatically", 6000, "usd")
	n0 := rec.Count()
	if out := succeeded(t, finalize(first)); out["status"] != "paid" || out["amountPaidDisplay"] != "$60.00" {
		t.Fatalf("a charge_automatically invoice finalized: %v, want paid", out)
	}
	// Finalizing collects nothing by itself: the invoice is then paid.
	checkWire(t, sentSince(rec, n0), wire{method: "GET", path: "/v1/invoices/" + first},
		wire{method: "POST", path: "/v1/invoices/" + first + "/finalize"}, wire{method: "POST", path: "/v1/invoices/" + first + "/pay"})
	// Not counted: an item (billed when its invoice is finalized) and an
	// invoice the customer pays later.
	succeeded(t, testutil.Call(t, cs, "stripe_create_invoice_item", map[string]any{"customerId": "cus_guard", "amount": 9000, "currency": "usd"}))
	succeeded(t, finalize(f.invoice("send_invoice", 9000, "usd")))
	succeeded(t, finalize(f.invoice("charge_automatically", 0, "usd")))

	over := f.invoice("charge_automatically", 5000, "usd")
	n := rec.Count()
	testutil.Refused(t, finalize(over), "security.dailyLimit", "$40.00 is left")
	checkWire(t, sentSince(rec, n), wire{method: "GET", path: "/v1/invoices/" + over})

	failing := f.invoice("charge_automatically", 4000, "usd")
	f.failFinalize(failing)
	testutil.Refused(t, finalize(failing), "refuses to finalize")
	// A card that declines: the invoice is finalized but unpaid, the result
	// says so, and the reservation is released too.
	declined := f.invoice("charge_automatically", 4000, "usd")
	f.declines[declined] = true
	testutil.Refused(t, finalize(declined), "was finalized (open, $40.00 due) but charging it failed", "declined")
	if f.field(declined, "status") != "open" {
		t.Fatalf("declined invoice: %v", f.field(declined, "status"))
	}
	// Both reservations were released: $40.00 still fits.
	succeeded(t, finalize(f.invoice("charge_automatically", 4000, "usd")))
	testutil.Refused(t, finalize(f.invoice("charge_automatically", 1, "usd")), "security.dailyLimit", "$0.00 is left")
	testutil.Refused(t, finalize(f.invoice("charge_automatically", 100, "eur")), "money in eur is refused")
}

// TestInvoiceAndDisputeConfirmation: with verification on and the token
// fallback, finalizing at or above the threshold needs a token bound to the
// call; a dispute submission always does, whatever its amount, and says
// what is at stake.
func TestInvoiceAndDisputeConfirmation(t *testing.T) {
	f := newBillingFake()
	cs, rec := connectGuarded(t, f, guard.Policy{VerificationRequired: true, Threshold: usd(5000), Fallback: "token"})
	posts := func(path string) int {
		n := 0
		for _, r := range rec.Requests() {
			if r.Method == "POST" && r.Path == path {
				n++
			}
		}
		return n
	}
	pending := func(res *mcp.CallToolResult, words ...string) map[string]any {
		t.Helper()
		out := succeeded(t, res)
		if out["status"] != "confirmation_required" || out["confirmationToken"] == "" {
			t.Fatalf("not a confirmation: %v", out)
		}
		for _, w := range words {
			if !strings.Contains(fmt.Sprint(out["operation"]), w) {
				t.Errorf("operation %q lacks %q", out["operation"], w)
			}
		}
		return out
	}

	// Below the threshold: no question.
	small := f.invoice("charge_automatically", 4999, "usd")
	if out := succeeded(t, testutil.Call(t, cs, "stripe_finalize_invoice", map[string]any{"invoiceId": small})); out["status"] != "paid" {
		t.Fatalf("below the threshold: %v", out)
	}

	big := f.invoice("charge_automatically", 7500, "usd")
	args := map[string]any{"invoiceId": big}
	out := pending(testutil.Call(t, cs, "stripe_finalize_invoice", args), big, "charge", "$75.00", "cus_guard")
	if out["amountDisplay"] != "$75.00" {
		t.Errorf("confirmation amount: %v", out)
	}
	if posts("/v1/invoices/"+big+"/finalize") != 0 {
		t.Fatal("finalized before approval")
	}
	// The token approves exactly this call: not another invoice.
	other := f.invoice("charge_automatically", 7500, "usd")
	testutil.Refused(t, testutil.Call(t, cs, "stripe_finalize_invoice", map[string]any{"invoiceId": other, "confirmationToken": out["confirmationToken"]}), "different arguments")
	// Nor the same call once the invoice has grown since the person was
	// asked: the approval was for $75.00.
	grown := f.invoice("charge_automatically", 7500, "usd")
	grownArgs := map[string]any{"invoiceId": grown}
	grownOut := pending(testutil.Call(t, cs, "stripe_finalize_invoice", grownArgs), "$75.00")
	succeeded(t, testutil.Call(t, cs, "stripe_create_invoice_item", map[string]any{"customerId": "cus_guard", "invoiceId": grown, "amount": 900000, "currency": "usd"}))
	grownArgs["confirmationToken"] = grownOut["confirmationToken"]
	testutil.Refused(t, testutil.Call(t, cs, "stripe_finalize_invoice", grownArgs), "an amount that has changed")
	if posts("/v1/invoices/"+grown+"/finalize") != 0 {
		t.Fatal("the grown invoice was finalized on the approval of a smaller one")
	}
	delete(grownArgs, "confirmationToken")
	pending(testutil.Call(t, cs, "stripe_finalize_invoice", grownArgs), "$9,075.00")
	args["confirmationToken"] = out["confirmationToken"]
	if res := succeeded(t, testutil.Call(t, cs, "stripe_finalize_invoice", args)); res["status"] != "paid" {
		t.Fatalf("approved: %v", res)
	}
	// Repeated, the call finds the invoice no longer a draft.
	testutil.Refused(t, testutil.Call(t, cs, "stripe_finalize_invoice", args), "only a draft")
	if n := posts("/v1/invoices/" + big + "/finalize"); n != 1 {
		t.Fatalf("%d finalizations sent, want 1", n)
	}

	// Finalizing is destructive even when nothing is charged: at or above
	// the threshold it is confirmed, saying so.
	pending(testutil.Call(t, cs, "stripe_finalize_invoice", map[string]any{"invoiceId": f.invoice("send_invoice", 7500, "usd")}), "nothing is charged now")
	// An invoice item moves nothing and destroys nothing: no question.
	succeeded(t, testutil.Call(t, cs, "stripe_create_invoice_item", map[string]any{"customerId": "cus_guard", "amount": 9000, "currency": "usd"}))

	// A submission of $10.00, far below the threshold, is still confirmed.
	dp := f.dispute(1000, "usd")
	submit := map[string]any{"disputeId": dp, "submit": true}
	out = pending(testutil.Call(t, cs, "stripe_update_dispute", submit), dp, "$10.00", "ch_disputed", "final")
	if _, ok := out["amountDisplay"]; ok {
		t.Errorf("a submission moves no money, yet the confirmation shows an amount: %v", out)
	}
	if posts("/v1/disputes/"+dp) != 0 {
		t.Fatal("submitted before approval")
	}
	// A draft replaces saved evidence: destructive, so confirmed too, and
	// without reading the dispute.
	n := rec.Count()
	pending(testutil.Call(t, cs, "stripe_update_dispute", map[string]any{"disputeId": dp, "evidence": map[string]any{"customerName": "Jenny"}}), "draft", "not submitted")
	if got := rec.Count() - n; got != 0 {
		t.Errorf("a draft's confirmation sent %d requests", got)
	}
	submit["confirmationToken"] = out["confirmationToken"]
	res := succeeded(t, testutil.Call(t, cs, "stripe_update_dispute", submit))
	if res["evidenceSubmitted"] != true || res["status"] != "under_review" {
		t.Errorf("submitted: %v", res)
	}
	checkWire(t, sentSince(rec, rec.Count()-1), wire{method: "POST", path: "/v1/disputes/" + dp, params: map[string]string{"submit": "true"}})
}

// TestAutoAdvanceUnderGuardrails: with money guardrails on, an invoice that
// Stripe would finalize and charge on its own (auto-advance) is refused,
// and a draft to be charged automatically is created without auto-advance,
// so that stripe_finalize_invoice, which the guardrails check, is the step
// that charges. Invoices sent for payment, and servers without money
// guardrails, are left as asked.
func TestAutoAdvanceUnderGuardrails(t *testing.T) {
	h, err := sandbox.Handler()
	if err != nil {
		t.Fatal(err)
	}
	cs, rec := connectGuarded(t, h, guard.Policy{MaxAmount: usd(100000)})
	testutil.Refused(t, testutil.Call(t, cs, "stripe_create_invoice", map[string]any{"customerId": "cus_123", "autoAdvance": true}),
		"autoAdvance", "stripe_finalize_invoice")
	if n := rec.Count(); n != 0 {
		t.Fatalf("%d requests sent for a refused invoice", n)
	}
	succeeded(t, testutil.Call(t, cs, "stripe_create_invoice", map[string]any{"customerId": "cus_123"}))
	checkWire(t, sentSince(rec, 0), wire{method: "POST", path: "/v1/invoices", params: map[string]string{"collection_method": "charge_automatically", "auto_advance": "false"}})
	succeeded(t, testutil.Call(t, cs, "stripe_create_invoice", map[string]any{"customerId": "cus_123", "collectionMethod": "send_invoice", "daysUntilDue": 30, "autoAdvance": true}))
	checkWire(t, sentSince(rec, 1), wire{method: "POST", path: "/v1/invoices", params: map[string]string{"collection_method": "send_invoice", "auto_advance": "true"}})

	open, rec2 := connectGuarded(t, h, guard.Policy{})
	succeeded(t, testutil.Call(t, open, "stripe_create_invoice", map[string]any{"customerId": "cus_123", "autoAdvance": true}))
	checkWire(t, sentSince(rec2, 0), wire{method: "POST", path: "/v1/invoices", params: map[string]string{"auto_advance": "true"}})
}
