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
}

type fakeResponse struct {
	status int
	body   []byte
}

// NewFakeStripe returns an empty fake.
func NewFakeStripe() *FakeStripe {
	return &FakeStripe{objects: map[string]map[string]any{}, idem: map[string]fakeResponse{}}
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
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Requests++
	w.Header().Set("Request-Id", fmt.Sprintf("req_fake%d", f.Requests))
	w.Header().Set("Content-Type", "application/json")
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer sk_test_") {
		f.write(w, 401, stripeError("invalid_request_error", "", "", "Invalid API Key provided", ""))
		return
	}
	if f.StatusFor != nil {
		if s := f.StatusFor(r); s != 0 {
			f.write(w, s, stripeError("api_error", "", "", "An unknown error occurred", ""))
			return
		}
	}
	key := r.Header.Get("Idempotency-Key")
	if r.Method == http.MethodPost {
		f.Keys = append(f.Keys, key)
		if prev, ok := f.idem[key]; ok && key != "" {
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(prev.status)
			w.Write(prev.body)
			return
		}
	}
	status, body := f.route(r)
	b, _ := json.Marshal(body)
	if r.Method == http.MethodPost && key != "" {
		f.idem[key] = fakeResponse{status, b}
	}
	w.WriteHeader(status)
	w.Write(b)
}

func (f *FakeStripe) write(w http.ResponseWriter, status int, body any) {
	b, _ := json.Marshal(body)
	w.WriteHeader(status)
	w.Write(b)
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
	case parts[1] == "payment_intents" && len(parts) == 2 && r.Method == "POST":
		return f.createPaymentIntent(form)
	case parts[1] == "payment_intents" && len(parts) == 3 && r.Method == "GET":
		return f.get("payment_intent", parts[2])
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
	if pi["capture_method"] == "manual" {
		pi["status"] = "requires_capture"
		pi["amount_capturable"] = pi["amount"]
	} else {
		pi["status"] = "succeeded"
		pi["amount_received"] = pi["amount"]
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
