package tools_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

// TestRefusedBeforeStripe checks that bad arguments are refused with a
// message that says what is wrong, and that nothing reaches Stripe.
func TestRefusedBeforeStripe(t *testing.T) {
	fiftyOne := map[string]any{}
	for i := range 51 {
		fiftyOne[fmt.Sprintf("key%d", i)] = "v"
	}
	pay := argsFrom(map[string]any{"amount": 2500})
	tests := []struct {
		name string
		tool string
		args map[string]any
		want []string // the message contains each
		not  []string // the message contains none
	}{
		{name: "negative amount", tool: "stripe_create_payment", args: map[string]any{"amount": -100},
			want: []string{"amount", "at least 1", "smallest unit"}},
		{name: "zero amount", tool: "stripe_create_payment", args: map[string]any{"amount": 0},
			want: []string{"amount", "at least 1"}},
		{name: "fractional amount", tool: "stripe_create_payment", args: map[string]any{"amount": 2500.5},
			want: []string{"amount", "whole number", "2500.5"}},
		{name: "amount as a string", tool: "stripe_create_payment", args: map[string]any{"amount": "25"},
			want: []string{"amount", "integer"}},
		{name: "missing amount", tool: "stripe_create_payment", args: map[string]any{"currency": "usd"},
			want: []string{"amount"}},
		{name: "huge amount", tool: "stripe_create_payment", args: map[string]any{"amount": 1e15},
			want: []string{"amount", "maximum", "99999999"}},
		{name: "enormous amount", tool: "stripe_create_payment", args: map[string]any{"amount": 1e20},
			want: []string{"amount", "too large"}},
		{name: "capture amount zero", tool: "stripe_capture_payment", args: map[string]any{"paymentIntentId": "pi_123", "amountToCapture": 0},
			want: []string{"amountToCapture", "at least 1"}},
		{name: "statement descriptor too long", tool: "stripe_create_payment", args: pay(map[string]any{"statementDescriptor": strings.Repeat("A", 23)}),
			want: []string{"statementDescriptor is 23 characters; at most 22"}},
		{name: "statement descriptor with <", tool: "stripe_create_payment", args: pay(map[string]any{"statementDescriptor": "ORDER <1>"}),
			want: []string{"statementDescriptor", "<"}},
		{name: "customer id of a payment intent", tool: "stripe_create_payment", args: pay(map[string]any{"customerId": "pi_123"}),
			want: []string{"customerId", "cus_", "pi_123"}},
		{name: "payment intent id of a customer", tool: "stripe_get_payment", args: map[string]any{"paymentIntentId": "cus_1"},
			want: []string{"paymentIntentId", "pi_", "cus_1"}},
		{name: "bare prefix", tool: "stripe_get_customer", args: map[string]any{"customerId": "cus_"},
			want: []string{"customerId", "cus_"}},
		{name: "id with a slash", tool: "stripe_capture_payment", args: map[string]any{"paymentIntentId": "pi_1/../x"},
			want: []string{"paymentIntentId", "'/'"}},
		{name: "id with a space", tool: "stripe_get_payment", args: map[string]any{"paymentIntentId": "pi_1 x"},
			want: []string{"paymentIntentId", "' '"}},
		{name: "customer id with a slash", tool: "stripe_update_customer", args: map[string]any{"customerId": "cus_1/payment_methods"},
			want: []string{"customerId", "'/'"}},
		{name: "payment method id with a query", tool: "stripe_detach_payment_method", args: map[string]any{"paymentMethodId": "pm_1?x=y"},
			want: []string{"paymentMethodId", "'?'"}},
		{name: "unknown enum value", tool: "stripe_cancel_payment", args: map[string]any{"paymentIntentId": "pi_123", "cancellationReason": "because"},
			want: []string{"cancellationReason", "requested_by_customer", "because"}},
		{name: "unknown status", tool: "stripe_list_payments", args: map[string]any{"status": "paid"},
			want: []string{"status", "succeeded"}},
		{name: "snake_case argument", tool: "stripe_create_payment", args: pay(map[string]any{"customer_id": "cus_123"}),
			want: []string{"customer_id", "customerId"}},
		{name: "unknown argument", tool: "stripe_get_customer", args: map[string]any{"customerId": "cus_123", "expand": "sources"},
			want: []string{"expand", "customerId"}},
		{name: "unknown nested argument", tool: "stripe_list_payments", args: map[string]any{"created": map[string]any{"after": 1700000000}},
			want: []string{"created.after"}},
		{name: "missing required id", tool: "stripe_attach_payment_method", args: map[string]any{"paymentMethodId": "pm_123"},
			want: []string{"customerId"}},
		{name: "card number in metadata", tool: "stripe_create_payment", args: pay(map[string]any{"metadata": map[string]any{"note": "4242 4242 4242 4242"}}),
			want: []string{"metadata.note", "card number"}, not: []string{"4242 4242", "4242424242424242"}},
		{name: "card number in a description", tool: "stripe_create_payment", args: pay(map[string]any{"description": "pay with 4000056655665556 please"}),
			want: []string{"description", "card number"}, not: []string{"4000056655665556", "5556"}},
		{name: "card number as a number", tool: "stripe_create_payment", args: pay(map[string]any{"description": 4242424242424242}),
			want: []string{"description", "card number"}, not: []string{"4242424242424242", "4.242"}},
		{name: "card number with dashes on a customer", tool: "stripe_create_customer", args: map[string]any{"name": "Jenny", "description": "5555-5555-5555-4444"},
			want: []string{"description", "card number"}, not: []string{"5555-5555", "4444"}},
		{name: "card number in an address", tool: "stripe_update_customer", args: map[string]any{"customerId": "cus_123", "address": map[string]any{"line1": "4242424242424242"}},
			want: []string{"address.line1", "card number"}, not: []string{"4242424242424242"}},
		{name: "currency not a code", tool: "stripe_create_payment", args: pay(map[string]any{"currency": "dollars"}),
			want: []string{"currency", "three-letter", "dollars"}},
		{name: "isk amount not whole krónur", tool: "stripe_create_payment", args: map[string]any{"amount": 150, "currency": "isk"},
			want: []string{"amount", "isk", "multiple of 100"}},
		{name: "kwd amount not ending in 0", tool: "stripe_create_payment", args: map[string]any{"amount": 5125, "currency": "kwd"},
			want: []string{"amount", "kwd", "0"}},
		{name: "51 metadata keys", tool: "stripe_create_payment", args: pay(map[string]any{"metadata": fiftyOne}),
			want: []string{"metadata", "51", "50"}},
		{name: "51 metadata keys on a customer", tool: "stripe_update_customer", args: map[string]any{"customerId": "cus_123", "metadata": fiftyOne},
			want: []string{"metadata", "51", "50"}},
		{name: "metadata key with brackets", tool: "stripe_create_customer", args: map[string]any{"metadata": map[string]any{"a[b]": "v"}},
			want: []string{"metadata key", "a[b]"}},
		{name: "null metadata value", tool: "stripe_update_customer", args: map[string]any{"customerId": "cus_123", "metadata": map[string]any{"a": nil}},
			want: []string{"metadata.a is null", `pass ""`, "Stripe removes a metadata key"}, not: []string{"reflect", "<invalid"}},
		{name: "number metadata value", tool: "stripe_create_payment", args: pay(map[string]any{"metadata": map[string]any{"order": 42}}),
			want: []string{"metadata.order must be a string, got 42"}, not: []string{"additionalProperties"}},
		{name: "null inside an address", tool: "stripe_update_customer", args: map[string]any{"customerId": "cus_123", "address": map[string]any{"line1": nil}},
			want: []string{"address.line1 is null", "leave it out"}, not: []string{"reflect", "<invalid"}},
		{name: "null inside a recurring price", tool: "stripe_create_price", args: map[string]any{"productId": "prod_123", "unitAmount": 1000, "recurring": map[string]any{"interval": "month", "intervalCount": nil}},
			want: []string{"recurring.intervalCount is null", "leave it out"}, not: []string{"reflect", "<invalid"}},
		{name: "metadata value too long", tool: "stripe_create_payment", args: pay(map[string]any{"metadata": map[string]any{"note": strings.Repeat("x", 501)}}),
			want: []string{"metadata", "500"}},
		{name: "receipt email", tool: "stripe_create_payment", args: pay(map[string]any{"receiptEmail": "nope"}),
			want: []string{"receiptEmail", "nope", "email"}},
		{name: "customer email", tool: "stripe_create_customer", args: map[string]any{"email": "jenny at example.com"},
			want: []string{"email", "not an email"}},
		{name: "javascript return url", tool: "stripe_create_payment", args: pay(map[string]any{"returnUrl": "javascript:alert(1)"}),
			want: []string{"returnUrl", "http"}},
		{name: "javascript return url on confirm", tool: "stripe_confirm_payment", args: map[string]any{"paymentIntentId": "pi_123", "returnUrl": "javascript:alert(1)"},
			want: []string{"returnUrl", "http"}},
		{name: "country not a code", tool: "stripe_create_customer", args: map[string]any{"address": map[string]any{"country": "USA"}},
			want: []string{"address.country", "two-letter"}},
		{name: "limit 0", tool: "stripe_list_payments", args: map[string]any{"limit": 0},
			want: []string{"limit", "at least 1"}},
		{name: "limit 101", tool: "stripe_list_payments", args: map[string]any{"limit": 101},
			want: []string{"limit", "at most 100"}},
		{name: "customers limit 101", tool: "stripe_list_customers", args: map[string]any{"limit": 101},
			want: []string{"limit", "at most 100"}},
		{name: "payment methods limit 0", tool: "stripe_list_payment_methods", args: map[string]any{"customerId": "cus_123", "limit": 0},
			want: []string{"limit", "at least 1"}},
		{name: "cursor of another object", tool: "stripe_list_payments", args: map[string]any{"startingAfter": "cus_123"},
			want: []string{"startingAfter", "pi_"}},
		{name: "status with endingBefore", tool: "stripe_list_payments", args: map[string]any{"status": "succeeded", "endingBefore": "pi_123"},
			want: []string{"status", "endingBefore", "startingAfter"}},
		{name: "query with email", tool: "stripe_list_customers", args: map[string]any{"query": `name~"jen"`, "email": "jenny@example.com"},
			want: []string{"query", "email"}},
		{name: "query with endingBefore", tool: "stripe_list_customers", args: map[string]any{"query": `name~"jen"`, "endingBefore": "cus_123"},
			want: []string{"query", "endingBefore"}},
		{name: "idempotency key with a line break", tool: "stripe_create_customer", args: map[string]any{"email": "a@example.com", "idempotencyKey": "order-1\nX-Injected: 1"},
			want: []string{"idempotencyKey", "printable ASCII", "control characters", `order-1\nX`}},
		{name: "idempotency key with a tab", tool: "stripe_create_payment", args: pay(map[string]any{"idempotencyKey": "order\t1"}),
			want: []string{"idempotencyKey", "printable ASCII"}},
		{name: "idempotency key with a non-ASCII letter", tool: "stripe_create_refund", args: map[string]any{"paymentIntentId": "pi_123", "idempotencyKey": "rückzahlung-1"},
			want: []string{"idempotencyKey", "printable ASCII"}},
		{name: "empty idempotency key", tool: "stripe_create_payment", args: pay(map[string]any{"idempotencyKey": ""}),
			want: []string{"idempotencyKey", "1 to 255"}},
		{name: "idempotency key of 256 characters", tool: "stripe_create_payment", args: pay(map[string]any{"idempotencyKey": strings.Repeat("k", 256)}),
			want: []string{"idempotencyKey is 256 characters; at most 255"}},
		{name: "idempotency key too long for setAsDefault's second request", tool: "stripe_attach_payment_method",
			args: map[string]any{"paymentMethodId": "pm_card_visa", "customerId": "cus_123", "setAsDefault": true, "idempotencyKey": strings.Repeat("k", 254)},
			want: []string{"idempotencyKey is 254 characters", "setAsDefault", "253"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs, rec := connectStripeMock(t, defaultOptions())
			res := testutil.Call(t, cs, tt.tool, tt.args)
			msg := testutil.Text(res)
			if !res.IsError {
				t.Fatalf("accepted: %s", msg)
			}
			if n := rec.Count(); n != 0 {
				t.Errorf("%d requests reached Stripe, want none", n)
			}
			if !strings.Contains(msg, "nothing was sent to Stripe") {
				t.Errorf("message %q does not say nothing was sent", msg)
			}
			for _, s := range tt.want {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q does not contain %q", msg, s)
				}
			}
			for _, s := range tt.not {
				if strings.Contains(msg, s) {
					t.Errorf("message %q echoes %q", msg, s)
				}
			}
		})
	}
}

// TestAcceptedEdges checks inputs that look odd but are valid: they reach
// Stripe, shaped as Stripe expects.
func TestAcceptedEdges(t *testing.T) {
	tests := []struct {
		name string
		tool string
		args map[string]any
		sent wire
	}{
		{
			name: "null is absent",
			tool: "stripe_create_payment",
			args: map[string]any{"amount": 2500, "customerId": nil, "metadata": nil, "capture": nil},
			sent: wire{method: "POST", path: "/v1/payment_intents", params: map[string]string{"amount": "2500"},
				absent: []string{"customer", "capture_method"}},
		},
		{
			name: "null cursor on a list",
			tool: "stripe_list_customers",
			args: map[string]any{"email": nil, "startingAfter": nil, "limit": nil},
			sent: wire{method: "GET", path: "/v1/customers", params: map[string]string{"limit": "10"},
				absent: []string{"email", "starting_after"}},
		},
		{
			name: "jpy amount is whole yen",
			tool: "stripe_create_payment",
			args: map[string]any{"amount": 150, "currency": "jpy"},
			sent: wire{method: "POST", path: "/v1/payment_intents", params: map[string]string{"amount": "150", "currency": "jpy"}},
		},
		{
			name: "isk amount in whole krónur",
			tool: "stripe_create_payment",
			args: map[string]any{"amount": 4000, "currency": "isk"},
			sent: wire{method: "POST", path: "/v1/payment_intents", params: map[string]string{"amount": "4000", "currency": "isk"}},
		},
		{
			name: "largest amount",
			tool: "stripe_create_payment",
			args: map[string]any{"amount": 99999999},
			sent: wire{method: "POST", path: "/v1/payment_intents", params: map[string]string{"amount": "99999999"}},
		},
		{
			name: "22-character statement descriptor",
			tool: "stripe_create_payment",
			args: map[string]any{"amount": 2500, "statementDescriptor": strings.Repeat("A", 22)},
			sent: wire{method: "POST", path: "/v1/payment_intents", params: map[string]string{"statement_descriptor_suffix": strings.Repeat("A", 22)}},
		},
		{
			name: "50 metadata keys",
			tool: "stripe_create_payment",
			args: map[string]any{"amount": 2500, "metadata": func() map[string]any {
				m := map[string]any{}
				for i := range 50 {
					m[fmt.Sprintf("key%d", i)] = "v"
				}
				return m
			}()},
			sent: wire{method: "POST", path: "/v1/payment_intents", params: map[string]string{"metadata[key0]": "v", "metadata[key49]": "v"}},
		},
		{
			name: "short digit runs are not card numbers",
			tool: "stripe_create_payment",
			args: map[string]any{"amount": 2500, "description": "order 1042, phone 555 0100", "metadata": map[string]any{"orderId": "123456789012"}},
			sent: wire{method: "POST", path: "/v1/payment_intents", params: map[string]string{"description": "order 1042, phone 555 0100", "metadata[orderId]": "123456789012"}},
		},
		{
			name: "idempotency key of 255 printable characters",
			tool: "stripe_create_customer",
			args: map[string]any{"email": "a@example.com", "idempotencyKey": "order 42/~!" + strings.Repeat("k", 244)},
			sent: wire{method: "POST", path: "/v1/customers", header: map[string]string{"Idempotency-Key": "order 42/~!" + strings.Repeat("k", 244)}},
		},
		{
			name: "search page tokens are not ids",
			tool: "stripe_list_customers",
			args: map[string]any{"query": `email:"jenny@example.com"`, "startingAfter": "eyJwYWdlIjoyfQ"},
			sent: wire{method: "GET", path: "/v1/customers/search", params: map[string]string{"page": "eyJwYWdlIjoyfQ"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs, rec := connectStripeMock(t, defaultOptions())
			testutil.Structured(t, testutil.Call(t, cs, tt.tool, tt.args))
			checkWire(t, rec.Requests(), tt.sent)
		})
	}
}

// TestWholeNumbersWrittenOtherwise: 2500.0 and 2.5e3 are the integer 2500
// (the schema accepts them as integers), and are sent as 2500; 2500.5 is
// still refused by the schema.
func TestWholeNumbersWrittenOtherwise(t *testing.T) {
	for _, amount := range []string{"2500.0", "2.5e3", "250000e-2"} {
		t.Run(amount, func(t *testing.T) {
			cs, rec := connectStripeMock(t, defaultOptions())
			testutil.Structured(t, testutil.Call(t, cs, "stripe_create_payment", json.RawMessage(`{"amount":`+amount+`,"idempotencyKey":"k-`+amount+`"}`)))
			checkWire(t, rec.Requests(), wire{method: "POST", path: "/v1/payment_intents", params: map[string]string{"amount": "2500"},
				header: map[string]string{"Idempotency-Key": "k-" + amount}})
		})
	}
	cs, rec := connectStripeMock(t, defaultOptions())
	testutil.Refused(t, testutil.Call(t, cs, "stripe_create_payment", json.RawMessage(`{"amount":2500.5}`)), "amount")
	if n := rec.Count(); n != 0 {
		t.Fatalf("%d requests sent for 2500.5", n)
	}
}
