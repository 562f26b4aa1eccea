package tools_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

// checkPaymentMethod checks the compact projection of a payment method.
func checkPaymentMethod(t *testing.T, out map[string]any) {
	t.Helper()
	if id := resultString(t, out, "id"); !strings.HasPrefix(id, "pm_") {
		t.Errorf("id = %q, want pm_…", id)
	}
	resultString(t, out, "type")
	if _, ok := out["object"]; ok {
		t.Errorf("compact result carries the raw object: %v", out)
	}
}

func TestPaymentMethodWrites(t *testing.T) {
	tests := []struct {
		name      string
		tool      string
		args      map[string]any
		sent      []wire
		isDefault bool
	}{
		{
			name: "attach",
			tool: "stripe_attach_payment_method",
			args: map[string]any{"paymentMethodId": "pm_card_visa", "customerId": "cus_123"},
			sent: []wire{{method: "POST", path: "/v1/payment_methods/pm_card_visa/attach", params: map[string]string{"customer": "cus_123"}}},
		},
		{
			name: "attach as default",
			tool: "stripe_attach_payment_method",
			args: map[string]any{"paymentMethodId": "pm_card_visa", "customerId": "cus_123", "setAsDefault": true},
			sent: []wire{
				{method: "POST", path: "/v1/payment_methods/pm_card_visa/attach", params: map[string]string{"customer": "cus_123"}},
				{method: "POST", path: "/v1/customers/cus_123", params: map[string]string{"invoice_settings[default_payment_method]": "pm_card_visa"}},
			},
			isDefault: true,
		},
		{
			name: "attach not as default",
			tool: "stripe_attach_payment_method",
			args: map[string]any{"paymentMethodId": "pm_card_visa", "customerId": "cus_123", "setAsDefault": false},
			sent: []wire{{method: "POST", path: "/v1/payment_methods/pm_card_visa/attach", params: map[string]string{"customer": "cus_123"}}},
		},
		{
			name: "detach",
			tool: "stripe_detach_payment_method",
			args: map[string]any{"paymentMethodId": "pm_123"},
			sent: []wire{{method: "POST", path: "/v1/payment_methods/pm_123/detach", absent: []string{"customer"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs, rec := connectStripeMock(t, defaultOptions())
			out := testutil.Structured(t, testutil.Call(t, cs, tt.tool, tt.args))
			checkWire(t, rec.Requests(), tt.sent...)
			checkPaymentMethod(t, out)
			if got := resultString(t, out, "id"); got != tt.args["paymentMethodId"] {
				t.Errorf("id = %q, want %v", got, tt.args["paymentMethodId"])
			}
			if got, _ := out["isDefault"].(bool); got != tt.isDefault {
				t.Errorf("isDefault = %v, want %v", got, tt.isDefault)
			}
		})
	}
}

// fakePaymentMethods answers like Stripe does for a test token: attaching
// pm_card_visa creates a new payment method with its own id. The customer
// cus_123 has pm_default as its default.
func fakePaymentMethods() http.Handler {
	pm := func(id string) map[string]any {
		return map[string]any{
			"id": id, "object": "payment_method", "type": "card", "customer": "cus_123",
			"card": map[string]any{"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030},
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body any
		switch {
		case r.Method == "POST" && r.URL.Path == "/v1/payment_methods/pm_card_visa/attach":
			body = pm("pm_1NewCard")
		case r.URL.Path == "/v1/customers/cus_123":
			body = map[string]any{"id": "cus_123", "object": "customer",
				"invoice_settings": map[string]any{"default_payment_method": "pm_default"}}
		case r.Method == "GET" && r.URL.Path == "/v1/customers/cus_123/payment_methods":
			body = map[string]any{"object": "list", "url": r.URL.Path, "has_more": true,
				"data": []any{pm("pm_default"), pm("pm_other")}}
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(body)
	})
}

func TestAttachPaymentMethodDefaultIsReturnedID(t *testing.T) {
	cs, rec := connectFake(t, fakePaymentMethods())
	out := testutil.Structured(t, testutil.Call(t, cs, "stripe_attach_payment_method",
		map[string]any{"paymentMethodId": "pm_card_visa", "customerId": "cus_123", "setAsDefault": true, "idempotencyKey": "attach-1"}))
	checkWire(t, rec.Requests(),
		wire{method: "POST", path: "/v1/payment_methods/pm_card_visa/attach", params: map[string]string{"customer": "cus_123"}},
		wire{method: "POST", path: "/v1/customers/cus_123", params: map[string]string{"invoice_settings[default_payment_method]": "pm_1NewCard"}},
	)
	reqs := rec.Requests()
	if got := reqs[0].Header.Get("Idempotency-Key"); got != "attach-1" {
		t.Errorf("attach Idempotency-Key = %q, want attach-1", got)
	}
	if got := reqs[1].Header.Get("Idempotency-Key"); got == "" || got == "attach-1" {
		t.Errorf("default update Idempotency-Key = %q, want its own key derived from attach-1", got)
	}
	if got := resultString(t, out, "id"); got != "pm_1NewCard" {
		t.Errorf("id = %q, want pm_1NewCard", got)
	}
	if got, _ := out["isDefault"].(bool); !got {
		t.Errorf("isDefault = %v, want true", out["isDefault"])
	}
	card, ok := out["card"].(map[string]any)
	if !ok || card["last4"] != "4242" || card["brand"] != "visa" {
		t.Errorf("card = %v", out["card"])
	}
}

func TestAttachPaymentMethodDefaultFails(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/v1/payment_methods/pm_123/attach" {
			json.NewEncoder(w).Encode(map[string]any{"id": "pm_123", "object": "payment_method", "type": "card"})
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such customer: 'cus_123'","param":"customer"}}`))
	})
	cs, rec := connectFake(t, h)
	res := testutil.Call(t, cs, "stripe_attach_payment_method", map[string]any{"paymentMethodId": "pm_123", "customerId": "cus_123", "setAsDefault": true})
	if !res.IsError {
		t.Fatalf("not an error result: %s", testutil.Text(res))
	}
	if msg := testutil.Text(res); !strings.Contains(msg, "attached") || !strings.Contains(msg, "No such customer") {
		t.Errorf("message %q does not say the attach succeeded and why the default failed", msg)
	}
	if n := rec.Count(); n != 2 {
		t.Errorf("sent %d requests, want 2", n)
	}
}

func TestListPaymentMethods(t *testing.T) {
	tests := []struct {
		name string
		args map[string]any
		sent []wire
		full bool
	}{
		{
			name: "all types",
			args: map[string]any{"customerId": "cus_123"},
			sent: []wire{
				{method: "GET", path: "/v1/customers/cus_123/payment_methods", params: map[string]string{"limit": "10"}, absent: []string{"type", "customer"}},
				{method: "GET", path: "/v1/customers/cus_123"},
			},
		},
		{
			name: "cards",
			args: map[string]any{"customerId": "cus_123", "type": "card", "limit": 3, "startingAfter": "pm_abc"},
			sent: []wire{
				{method: "GET", path: "/v1/customers/cus_123/payment_methods", params: map[string]string{"type": "card", "limit": "3", "starting_after": "pm_abc"}},
				{method: "GET", path: "/v1/customers/cus_123"},
			},
		},
		{
			name: "full needs no customer",
			args: map[string]any{"customerId": "cus_123", "full": true},
			sent: []wire{{method: "GET", path: "/v1/customers/cus_123/payment_methods"}},
			full: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs, rec := connectStripeMock(t, defaultOptions())
			out := testutil.Structured(t, testutil.Call(t, cs, "stripe_list_payment_methods", tt.args))
			checkWire(t, rec.Requests(), tt.sent...)
			if tt.full {
				if got := resultString(t, out, "object"); got != "list" {
					t.Errorf("object = %q, want list", got)
				}
				return
			}
			items := pageOf(t, out)
			if len(items) == 0 {
				t.Fatalf("no payment methods in %v", out)
			}
			for _, it := range items {
				checkPaymentMethod(t, it)
			}
		})
	}
}

func TestListPaymentMethodsMarksDefault(t *testing.T) {
	cs, _ := connectFake(t, fakePaymentMethods())
	out := testutil.Structured(t, testutil.Call(t, cs, "stripe_list_payment_methods", map[string]any{"customerId": "cus_123", "limit": 2}))
	items := pageOf(t, out)
	if len(items) != 2 {
		t.Fatalf("got %d payment methods, want 2", len(items))
	}
	want := map[string]bool{"pm_default": true, "pm_other": false}
	for _, it := range items {
		id := resultString(t, it, "id")
		if got, _ := it["isDefault"].(bool); got != want[id] {
			t.Errorf("%s: isDefault = %v, want %v", id, got, want[id])
		}
	}
	if !out["hasMore"].(bool) || resultString(t, out, "nextCursor") != "pm_other" {
		t.Errorf("hasMore %v nextCursor %v, want true pm_other", out["hasMore"], out["nextCursor"])
	}
}
