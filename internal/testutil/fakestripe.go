package testutil

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FakeStripe is a small stateful Stripe: customers, payment methods and
// payment intents that remember what was done to them, idempotency-key
// replay, and Stripe's test payment methods (pm_card_visa succeeds,
// pm_card_chargeDeclined* decline with their codes). stripe-mock validates
// shapes but keeps no state; flows that read back what they wrote use this.
type FakeStripe struct {
	mu        sync.Mutex
	seq       int
	objects   map[string]map[string]any // id → object
	idem      map[string]fakeResponse
	Requests  int
	Keys      []string                  // Idempotency-Key of every POST, in order
	StatusFor func(r *http.Request) int // optional: force a status (e.g. 500) for a request

	lastProration string
	holdPrefix    string
	holdCh        chan struct{}
	dropPrefix    string
	dropN         int
}

type fakeResponse struct {
	status int
	body   []byte
}

// FakePriceID is a recurring price the fake knows from the start: $10.00 a
// month (the design article's example id).
const FakePriceID = "price_1234567890"

// NewFakeStripe returns a fake holding one recurring price, FakePriceID.
func NewFakeStripe() *FakeStripe {
	f := &FakeStripe{objects: map[string]map[string]any{}, idem: map[string]fakeResponse{}}
	f.objects[FakePriceID] = map[string]any{
		"id": FakePriceID, "object": "price", "active": true, "currency": "usd", "unit_amount": int64(1000),
		"type": "recurring", "product": "prod_fake000001",
		"recurring": map[string]any{"interval": "month", "interval_count": 1, "usage_type": "licensed"},
	}
	return f
}

// Object returns a copy of a stored object, or nil.
func (f *FakeStripe) Object(id string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.objects[id]
	if !ok {
		return nil
	}
	b, _ := json.Marshal(o)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// CountObjects counts stored objects of a type ("customer", "payment_intent").
func (f *FakeStripe) CountObjects(object string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, o := range f.objects {
		if o["object"] == object {
			n++
		}
	}
	return n
}

func (f *FakeStripe) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	status, body, header, drop := f.handle(r)
	if hold := f.hold(r); hold != nil {
		<-hold
	}
	if drop {
		// The request was processed, but the answer is lost on the way:
		// the client sees a broken connection.
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
	}
	for k, v := range header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// Hold makes POST requests whose path starts with prefix wait until the
// returned function is called (after they have been processed).
func (f *FakeStripe) Hold(prefix string) (release func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan struct{})
	f.holdPrefix, f.holdCh = prefix, ch
	var once sync.Once
	return func() { once.Do(func() { close(ch) }) }
}

// DropResponses makes the next n POST responses whose path starts with
// prefix be lost after the request was processed.
func (f *FakeStripe) DropResponses(prefix string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dropPrefix, f.dropN = prefix, n
}

func (f *FakeStripe) hold(r *http.Request) chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.holdCh != nil && r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, f.holdPrefix) {
		return f.holdCh
	}
	return nil
}

// handle processes a request under the lock and returns the answer.
func (f *FakeStripe) handle(r *http.Request) (status int, body []byte, header map[string]string, drop bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Requests++
	header = map[string]string{"Request-Id": fmt.Sprintf("req_fake%d", f.Requests)}
	if r.Method == http.MethodPost && f.dropN > 0 && strings.HasPrefix(r.URL.Path, f.dropPrefix) {
		f.dropN--
		drop = true
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer sk_test_") {
		b, _ := json.Marshal(stripeError("invalid_request_error", "", "", "Invalid API Key provided", ""))
		return 401, b, header, drop
	}
	if f.StatusFor != nil {
		if s := f.StatusFor(r); s != 0 {
			b, _ := json.Marshal(stripeError("api_error", "", "", "An unknown error occurred", ""))
			return s, b, header, drop
		}
	}
	key := r.Header.Get("Idempotency-Key")
	if r.Method == http.MethodPost {
		f.Keys = append(f.Keys, key)
		if prev, ok := f.idem[key]; ok && key != "" {
			header["Idempotent-Replayed"] = "true"
			return prev.status, prev.body, header, drop
		}
	}
	st, v := f.route(r)
	b, _ := json.Marshal(v)
	if r.Method == http.MethodPost && key != "" {
		f.idem[key] = fakeResponse{st, b}
	}
	return st, b, header, drop
}

// RequestCount is the number of requests received so far.
func (f *FakeStripe) RequestCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.Requests
}

// PostKeys returns the Idempotency-Key of every POST so far.
func (f *FakeStripe) PostKeys() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.Keys...)
}

func stripeError(typ, code, decline, msg, param string) map[string]any {
	e := map[string]any{"type": typ, "message": msg}
	if code != "" {
		e["code"] = code
	}
	if decline != "" {
		e["decline_code"] = decline
	}
	if param != "" {
		e["param"] = param
	}
	return map[string]any{"error": e}
}

func (f *FakeStripe) newID(prefix string) string {
	f.seq++
	return fmt.Sprintf("%s_fake%06d", prefix, f.seq)
}

func (f *FakeStripe) notFound(kind, id string) (int, any) {
	return 404, stripeError("invalid_request_error", "resource_missing", "", fmt.Sprintf("No such %s: '%s'", kind, id), "id")
}

func (f *FakeStripe) route(r *http.Request) (int, any) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 2 || parts[0] != "v1" {
		return 404, stripeError("invalid_request_error", "", "", "Unrecognized request URL", "")
	}
	form := r.PostForm
	switch {
	case parts[1] == "account" && len(parts) == 2 && r.Method == "GET":
		return 200, map[string]any{"id": "acct_fake000001", "object": "account", "country": "US", "charges_enabled": true, "business_profile": map[string]any{"name": "Fake Shop"}}
	case parts[1] == "customers" && len(parts) == 2 && r.Method == "POST":
		return f.createCustomer(form)
	case parts[1] == "customers" && len(parts) == 3 && r.Method == "GET":
		return f.get("customer", parts[2])
	case parts[1] == "customers" && len(parts) == 3 && r.Method == "POST":
		return f.updateCustomer(parts[2], form)
	case parts[1] == "customers" && len(parts) == 4 && parts[3] == "payment_methods" && r.Method == "GET":
		return f.listPaymentMethods(parts[2])
	case parts[1] == "payment_methods" && len(parts) == 4 && parts[3] == "attach":
		return f.attach(parts[2], form.Get("customer"))
	case parts[1] == "payment_methods" && len(parts) == 3 && r.Method == "GET":
		return f.get("payment_method", parts[2])
	case parts[1] == "subscriptions" && len(parts) == 2 && r.Method == "POST":
		return f.createSubscription(form)
	case parts[1] == "subscriptions" && len(parts) == 3 && r.Method == "GET":
		return f.get("subscription", parts[2])
	case parts[1] == "subscriptions" && len(parts) == 3 && r.Method == "POST":
		return f.updateSubscription(parts[2], form)
	case parts[1] == "subscriptions" && len(parts) == 3 && r.Method == "DELETE":
		return f.cancelSubscription(parts[2], r.URL.Query(), form)
	case parts[1] == "prices" && len(parts) == 3 && r.Method == "GET":
		return f.get("price", parts[2])
	case parts[1] == "payment_intents" && len(parts) == 2 && r.Method == "POST":
		return f.createPaymentIntent(form)
	case parts[1] == "payment_intents" && len(parts) == 3 && r.Method == "GET":
		status, body := f.get("payment_intent", parts[2])
		if pi, ok := body.(map[string]any); ok && status == 200 && expands(r, "latest_charge") {
			if ch, ok := f.objects[fmt.Sprint(pi["latest_charge"])]; ok {
				out := map[string]any{}
				for k, v := range pi {
					out[k] = v
				}
				out["latest_charge"] = ch
				return status, out
			}
		}
		return status, body
	case parts[1] == "charges" && len(parts) == 3 && r.Method == "GET":
		return f.get("charge", parts[2])
	case parts[1] == "refunds" && len(parts) == 2 && r.Method == "POST":
		return f.createRefund(form)
	case parts[1] == "payment_intents" && len(parts) == 4 && parts[3] == "confirm":
		return f.confirm(parts[2], form)
	case parts[1] == "payment_intents" && len(parts) == 4 && parts[3] == "capture":
		return f.capture(parts[2], form)
	case parts[1] == "payment_intents" && len(parts) == 4 && parts[3] == "cancel":
		return f.cancel(parts[2], form)
	}
	return 404, stripeError("invalid_request_error", "", "", "Unrecognized request URL ("+r.Method+" "+r.URL.Path+") in the fake", "")
}

func (f *FakeStripe) get(kind, id string) (int, any) {
	o, ok := f.objects[id]
	if !ok || o["object"] != kind {
		return f.notFound(kind, id)
	}
	return 200, o
}

func metadataOf(form url.Values) map[string]any {
	md := map[string]any{}
	for k, v := range form {
		if strings.HasPrefix(k, "metadata[") && strings.HasSuffix(k, "]") {
			md[k[len("metadata["):len(k)-1]] = v[0]
		}
	}
	return md
}

func (f *FakeStripe) createCustomer(form url.Values) (int, any) {
	id := f.newID("cus")
	c := map[string]any{
		"id": id, "object": "customer", "created": time.Now().Unix(), "livemode": false,
		"email": nullable(form.Get("email")), "name": nullable(form.Get("name")),
		"phone": nullable(form.Get("phone")), "description": nullable(form.Get("description")),
		"metadata": metadataOf(form), "balance": 0,
		"invoice_settings": map[string]any{"default_payment_method": nil},
	}
	f.objects[id] = c
	if pm := form.Get("payment_method"); pm != "" {
		if status, body := f.attach(pm, id); status != 200 {
			delete(f.objects, id)
			return status, body
		}
	}
	if def := form.Get("invoice_settings[default_payment_method]"); def != "" {
		c["invoice_settings"] = map[string]any{"default_payment_method": f.resolvePM(def, id)}
	}
	return 200, c
}

func (f *FakeStripe) updateCustomer(id string, form url.Values) (int, any) {
	c, ok := f.objects[id]
	if !ok || c["object"] != "customer" {
		return f.notFound("customer", id)
	}
	for _, k := range []string{"email", "name", "phone", "description"} {
		if v, ok := form[k]; ok {
			c[k] = nullable(v[0])
		}
	}
	md := c["metadata"].(map[string]any)
	for k, v := range metadataOf(form) {
		if v == "" {
			delete(md, k)
		} else {
			md[k] = v
		}
	}
	if def := form.Get("invoice_settings[default_payment_method]"); def != "" {
		pm, ok := f.objects[def]
		if !ok || pm["customer"] != id {
			return 400, stripeError("invalid_request_error", "resource_missing", "", fmt.Sprintf("No such PaymentMethod: '%s'; it must be attached to the customer", def), "invoice_settings[default_payment_method]")
		}
		c["invoice_settings"] = map[string]any{"default_payment_method": def}
	}
	return 200, c
}

// testCards maps Stripe's test payment method tokens to a card and the
// decline code a confirmation gets ("" = succeeds).
var testCards = map[string]struct{ brand, last4, decline string }{
	"pm_card_visa":                            {"visa", "4242", ""},
	"pm_card_mastercard":                      {"mastercard", "4444", ""},
	"pm_card_chargeDeclined":                  {"visa", "0002", "generic_decline"},
	"pm_card_chargeDeclinedInsufficientFunds": {"visa", "9995", "insufficient_funds"},
	"pm_card_chargeDeclinedExpiredCard":       {"visa", "0069", "expired_card"},
	"pm_card_chargeDeclinedProcessingError":   {"visa", "0119", "processing_error"},
}

// resolvePM returns the id of a payment method, turning a test token into a
// stored payment method the first time.
func (f *FakeStripe) resolvePM(token, customer string) string {
	if _, ok := f.objects[token]; ok {
		return token
	}
	card, ok := testCards[token]
	if !ok {
		return ""
	}
	id := f.newID("pm")
	f.objects[id] = map[string]any{
		"id": id, "object": "payment_method", "type": "card", "created": time.Now().Unix(),
		"customer": nullable(customer), "token": token,
		"card":            map[string]any{"brand": card.brand, "last4": card.last4, "exp_month": 12, "exp_year": 2034, "funding": "credit", "country": "US"},
		"billing_details": map[string]any{"name": nil, "email": nil},
	}
	return id
}

func (f *FakeStripe) attach(pmID, customer string) (int, any) {
	if _, ok := f.objects[customer]; !ok {
		return f.notFound("customer", customer)
	}
	id := f.resolvePM(pmID, customer)
	if id == "" {
		return f.notFound("payment_method", pmID)
	}
	pm := f.objects[id]
	if owner, _ := pm["customer"].(string); owner != "" && owner != customer {
		return 400, stripeError("invalid_request_error", "payment_method_already_attached", "", "The payment method is attached to another customer", "")
	}
	pm["customer"] = customer
	return 200, pm
}

func (f *FakeStripe) listPaymentMethods(customer string) (int, any) {
	if _, ok := f.objects[customer]; !ok {
		return f.notFound("customer", customer)
	}
	data := []any{}
	for _, o := range f.objects {
		if o["object"] == "payment_method" && o["customer"] == customer {
			data = append(data, o)
		}
	}
	return 200, map[string]any{"object": "list", "data": data, "has_more": false, "url": "/v1/customers/" + customer + "/payment_methods"}
}

func (f *FakeStripe) createPaymentIntent(form url.Values) (int, any) {
	amount, err := strconv.ParseInt(form.Get("amount"), 10, 64)
	if err != nil || amount < 1 {
		return 400, stripeError("invalid_request_error", "parameter_invalid_integer", "", "Invalid integer: "+form.Get("amount"), "amount")
	}
	if form.Get("currency") == "" {
		return 400, stripeError("invalid_request_error", "parameter_missing", "", "Missing required param: currency.", "currency")
	}
	if form.Get("confirm") != "" {
		return 400, stripeError("invalid_request_error", "", "", "the fake does not confirm on create", "confirm")
	}
	id := f.newID("pi")
	capture := form.Get("capture_method")
	if capture == "" {
		capture = "automatic_async"
	}
	pi := map[string]any{
		"id": id, "object": "payment_intent", "created": time.Now().Unix(), "livemode": false,
		"amount": amount, "currency": form.Get("currency"), "status": "requires_payment_method",
		"capture_method": capture, "amount_received": 0, "amount_capturable": 0,
		"customer": nullable(form.Get("customer")), "description": nullable(form.Get("description")),
		"receipt_email": nullable(form.Get("receipt_email")), "metadata": metadataOf(form),
		"payment_method": nil, "latest_charge": nil, "last_payment_error": nil, "next_action": nil,
		"statement_descriptor_suffix": nullable(form.Get("statement_descriptor_suffix")),
	}
	if pm := form.Get("payment_method"); pm != "" {
		pi["payment_method"] = f.resolvePM(pm, "")
		pi["status"] = "requires_confirmation"
	}
	f.objects[id] = pi
	return 200, pi
}

func (f *FakeStripe) confirm(id string, form url.Values) (int, any) {
	pi, ok := f.objects[id]
	if !ok || pi["object"] != "payment_intent" {
		return f.notFound("payment_intent", id)
	}
	if s := pi["status"]; s != "requires_payment_method" && s != "requires_confirmation" {
		return 400, stripeError("invalid_request_error", "payment_intent_unexpected_state", "", fmt.Sprintf("This PaymentIntent's status is %s and cannot be confirmed", s), "")
	}
	if pm := form.Get("payment_method"); pm != "" {
		pi["payment_method"] = f.resolvePM(pm, "")
	}
	pmID, _ := pi["payment_method"].(string)
	pm, ok := f.objects[pmID]
	if !ok {
		return 400, stripeError("invalid_request_error", "payment_intent_unexpected_state", "", "You cannot confirm this PaymentIntent because it's missing a payment method.", "payment_method")
	}
	token, _ := pm["token"].(string)
	if decline := testCards[token].decline; decline != "" {
		perr := map[string]any{"type": "card_error", "code": "card_declined", "decline_code": decline, "message": "Your card was declined."}
		pi["status"] = "requires_payment_method"
		pi["last_payment_error"] = perr
		body := stripeError("card_error", "card_declined", decline, "Your card was declined.", "")
		body["error"].(map[string]any)["payment_intent"] = pi
		return 402, body
	}
	charge := f.newID("ch")
	pi["latest_charge"] = charge
	pi["last_payment_error"] = nil
	ch := map[string]any{
		"id": charge, "object": "charge", "amount": pi["amount"], "currency": pi["currency"],
		"customer": pi["customer"], "payment_intent": pi["id"], "amount_captured": int64(0),
		"amount_refunded": int64(0), "captured": false, "status": "succeeded", "created": time.Now().Unix(),
	}
	f.objects[charge] = ch
	if pi["capture_method"] == "manual" {
		pi["status"] = "requires_capture"
		pi["amount_capturable"] = pi["amount"]
	} else {
		pi["status"] = "succeeded"
		pi["amount_received"] = pi["amount"]
		ch["amount_captured"], ch["captured"] = pi["amount"], true
	}
	return 200, pi
}

func (f *FakeStripe) capture(id string, form url.Values) (int, any) {
	pi, ok := f.objects[id]
	if !ok || pi["object"] != "payment_intent" {
		return f.notFound("payment_intent", id)
	}
	if pi["status"] != "requires_capture" {
		return 400, stripeError("invalid_request_error", "payment_intent_unexpected_state", "", fmt.Sprintf("This PaymentIntent could not be captured because it has a status of %s.", pi["status"]), "")
	}
	amount := pi["amount_capturable"].(int64)
	if s := form.Get("amount_to_capture"); s != "" {
		n, _ := strconv.ParseInt(s, 10, 64)
		if n > amount {
			return 400, stripeError("invalid_request_error", "amount_too_large", "", "amount_to_capture is greater than the amount capturable", "amount_to_capture")
		}
		amount = n
	}
	pi["status"] = "succeeded"
	pi["amount_received"] = amount
	pi["amount_capturable"] = int64(0)
	if ch, ok := f.objects[fmt.Sprint(pi["latest_charge"])]; ok {
		ch["amount_captured"], ch["captured"] = amount, true
	}
	return 200, pi
}

func (f *FakeStripe) cancel(id string, form url.Values) (int, any) {
	pi, ok := f.objects[id]
	if !ok || pi["object"] != "payment_intent" {
		return f.notFound("payment_intent", id)
	}
	if pi["status"] == "succeeded" || pi["status"] == "canceled" {
		return 400, stripeError("invalid_request_error", "payment_intent_unexpected_state", "", fmt.Sprintf("You cannot cancel this PaymentIntent because it has a status of %s.", pi["status"]), "")
	}
	pi["status"] = "canceled"
	pi["canceled_at"] = time.Now().Unix()
	pi["cancellation_reason"] = nullable(form.Get("cancellation_reason"))
	pi["amount_capturable"] = int64(0)
	return 200, pi
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (f *FakeStripe) createSubscription(form url.Values) (int, any) {
	cusID := form.Get("customer")
	cus, ok := f.objects[cusID]
	if !ok || cus["object"] != "customer" {
		return f.notFound("customer", cusID)
	}
	priceID := form.Get("items[0][price]")
	price, ok := f.objects[priceID]
	if !ok || price["object"] != "price" {
		return f.notFound("price", priceID)
	}
	qty := int64(1)
	if q := form.Get("items[0][quantity]"); q != "" {
		qty, _ = strconv.ParseInt(q, 10, 64)
	}
	now := time.Now().Unix()
	id := f.newID("sub")
	sub := map[string]any{
		"id": id, "object": "subscription", "created": now, "customer": cusID, "livemode": false,
		"metadata": metadataOf(form), "cancel_at_period_end": false, "cancel_at": nil, "canceled_at": nil,
		"collection_method": "charge_automatically", "currency": price["currency"], "start_date": now,
		"trial_start": nil, "trial_end": nil, "discounts": []any{}, "latest_invoice": f.newID("in"),
	}
	periodEnd := time.Unix(now, 0).AddDate(0, 1, 0).Unix()
	switch days := form.Get("trial_period_days"); {
	case days != "":
		n, _ := strconv.Atoi(days)
		sub["status"] = "trialing"
		sub["trial_start"] = now
		periodEnd = time.Unix(now, 0).AddDate(0, 0, n).Unix()
		sub["trial_end"] = periodEnd
	case cus["invoice_settings"].(map[string]any)["default_payment_method"] != nil:
		sub["status"] = "active"
	default:
		sub["status"] = "incomplete"
	}
	if c := form.Get("discounts[0][coupon]"); c != "" {
		sub["discounts"] = []any{map[string]any{"id": f.newID("di"), "object": "discount", "source": map[string]any{"type": "coupon", "coupon": map[string]any{"id": c, "object": "coupon"}}}}
	}
	item := map[string]any{
		"id": f.newID("si"), "object": "subscription_item", "quantity": qty, "price": price, "subscription": id,
		"current_period_start": now, "current_period_end": periodEnd, "created": now,
	}
	sub["items"] = map[string]any{"object": "list", "data": []any{item}, "has_more": false}
	f.objects[id] = sub
	return 200, sub
}

// LastProration is the proration_behavior of the last subscription update.
func (f *FakeStripe) LastProration() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastProration
}

func (f *FakeStripe) updateSubscription(id string, form url.Values) (int, any) {
	sub, ok := f.objects[id]
	if !ok || sub["object"] != "subscription" {
		return f.notFound("subscription", id)
	}
	if sub["status"] == "canceled" {
		return 400, stripeError("invalid_request_error", "", "", "A canceled subscription can only update its cancellation_details and metadata.", "")
	}
	f.lastProration = form.Get("proration_behavior")
	items := sub["items"].(map[string]any)["data"].([]any)
	if itemID := form.Get("items[0][id]"); itemID != "" {
		var item map[string]any
		for _, it := range items {
			if it.(map[string]any)["id"] == itemID {
				item = it.(map[string]any)
			}
		}
		if item == nil {
			return 400, stripeError("invalid_request_error", "resource_missing", "", "No such subscription item: '"+itemID+"'", "items[0][id]")
		}
		if q := form.Get("items[0][quantity]"); q != "" {
			item["quantity"], _ = strconv.ParseInt(q, 10, 64)
		}
		if p := form.Get("items[0][price]"); p != "" {
			price, ok := f.objects[p]
			if !ok {
				return f.notFound("price", p)
			}
			item["price"] = price
		}
	} else if form.Get("items[0][quantity]") != "" {
		return 400, stripeError("invalid_request_error", "", "", "items[0][id] is required to change an existing item", "items[0][id]")
	}
	md := sub["metadata"].(map[string]any)
	for k, v := range metadataOf(form) {
		if v == "" {
			delete(md, k)
		} else {
			md[k] = v
		}
	}
	if v := form.Get("cancel_at_period_end"); v != "" {
		sub["cancel_at_period_end"] = v == "true"
		if v == "true" {
			sub["cancel_at"] = items[0].(map[string]any)["current_period_end"]
		} else {
			sub["cancel_at"] = nil
		}
	}
	return 200, sub
}

func (f *FakeStripe) cancelSubscription(id string, query, form url.Values) (int, any) {
	sub, ok := f.objects[id]
	if !ok || sub["object"] != "subscription" {
		return f.notFound("subscription", id)
	}
	if sub["status"] == "canceled" {
		return 400, stripeError("invalid_request_error", "", "", "This subscription is already canceled.", "")
	}
	now := time.Now().Unix()
	sub["status"] = "canceled"
	sub["canceled_at"] = now
	sub["ended_at"] = now
	return 200, sub
}

func expands(r *http.Request, field string) bool {
	for k, v := range r.URL.Query() {
		if strings.HasPrefix(k, "expand") {
			for _, x := range v {
				if x == field {
					return true
				}
			}
		}
	}
	return false
}

func (f *FakeStripe) createRefund(form url.Values) (int, any) {
	var ch map[string]any
	if id := form.Get("charge"); id != "" {
		ch = f.objects[id]
	} else if pi, ok := f.objects[form.Get("payment_intent")]; ok {
		ch = f.objects[fmt.Sprint(pi["latest_charge"])]
	}
	if ch == nil || ch["object"] != "charge" {
		return 400, stripeError("invalid_request_error", "resource_missing", "", "No such charge or payment intent with a charge", "charge")
	}
	refundable := ch["amount_captured"].(int64) - ch["amount_refunded"].(int64)
	amount := refundable
	if s := form.Get("amount"); s != "" {
		amount, _ = strconv.ParseInt(s, 10, 64)
	}
	if amount > refundable || amount <= 0 {
		return 400, stripeError("invalid_request_error", "amount_too_large", "", fmt.Sprintf("Refund amount (%d) is greater than unrefunded amount on charge (%d)", amount, refundable), "amount")
	}
	ch["amount_refunded"] = ch["amount_refunded"].(int64) + amount
	id := f.newID("re")
	re := map[string]any{
		"id": id, "object": "refund", "amount": amount, "currency": ch["currency"], "charge": ch["id"],
		"payment_intent": ch["payment_intent"], "status": "succeeded", "reason": nullable(form.Get("reason")),
		"created": time.Now().Unix(), "metadata": metadataOf(form),
	}
	f.objects[id] = re
	return 200, re
}

// AuthorizedPayment makes a payment intent of amount (in usd) that waits to
// be captured, as a confirmed manual-capture payment does.
func (f *FakeStripe) AuthorizedPayment(amount int64, currency string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	form := url.Values{"amount": {strconv.FormatInt(amount, 10)}, "currency": {currency}, "capture_method": {"manual"}, "payment_method": {"pm_card_visa"}}
	_, v := f.createPaymentIntent(form)
	pi := v.(map[string]any)
	f.confirm(pi["id"].(string), url.Values{})
	return pi["id"].(string)
}

// CapturedPayment makes a payment intent of amount that succeeded.
func (f *FakeStripe) CapturedPayment(amount int64, currency string) string {
	id := f.AuthorizedPayment(amount, currency)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.capture(id, url.Values{})
	return id
}
