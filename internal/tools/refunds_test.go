package tools_test

import (
	"strings"
	"testing"

	"github.com/stripe-mcp/stripe-mcp/internal/money"
	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

// checkRefund checks the compact projection of a refund.
func checkRefund(t *testing.T, out map[string]any) {
	t.Helper()
	if id := fieldOf[string](t, out, "id"); !strings.HasPrefix(id, "re_") && !strings.HasPrefix(id, "pyr_") {
		t.Errorf("id = %q, want re_…", id)
	}
	if fieldOf[string](t, out, "status") == "" {
		t.Error("status is empty")
	}
	amount, currency := int64(fieldOf[float64](t, out, "amount")), fieldOf[string](t, out, "currency")
	if got, want := fieldOf[string](t, out, "amountDisplay"), money.Format(amount, currency); got != want {
		t.Errorf("amountDisplay = %q, want %q for %d %s", got, want, amount, currency)
	}
	if _, ok := out["object"]; ok {
		t.Errorf("compact result carries Stripe's object field: %v", out)
	}
}

func TestCreateRefund(t *testing.T) {
	tests := []struct {
		name string
		args map[string]any
		sent wire
		// what the result must say
		paymentIntent, reason string
	}{
		{
			name: "whole payment intent",
			args: map[string]any{"paymentIntentId": "pi_123"},
			sent: wire{method: "POST", path: "/v1/refunds", params: map[string]string{"payment_intent": "pi_123"},
				absent: []string{"charge", "amount", "reason"}},
			paymentIntent: "pi_123",
		},
		{
			name: "part of a payment intent, with reason and metadata",
			args: map[string]any{"paymentIntentId": "pi_123", "amount": 500, "reason": "requested_by_customer", "metadata": map[string]any{"ticket": "T-42"}},
			sent: wire{method: "POST", path: "/v1/refunds",
				params: map[string]string{"payment_intent": "pi_123", "amount": "500", "reason": "requested_by_customer", "metadata[ticket]": "T-42"},
				absent: []string{"charge"}},
			paymentIntent: "pi_123", reason: "requested_by_customer",
		},
		{
			name: "charge",
			args: map[string]any{"chargeId": "ch_123", "amount": 1, "reason": "duplicate"},
			sent: wire{method: "POST", path: "/v1/refunds", params: map[string]string{"charge": "ch_123", "amount": "1", "reason": "duplicate"},
				absent: []string{"payment_intent"}},
			reason: "duplicate",
		},
		{
			name: "fraudulent, with idempotency key",
			args: map[string]any{"chargeId": "py_123", "reason": "fraudulent", "idempotencyKey": "refund-py_123"},
			sent: wire{method: "POST", path: "/v1/refunds", params: map[string]string{"charge": "py_123", "reason": "fraudulent"},
				header: map[string]string{"Idempotency-Key": "refund-py_123"}},
			reason: "fraudulent",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs, rec := connectStripeMock(t, defaultOptions())
			out := testutil.Structured(t, testutil.Call(t, cs, "stripe_create_refund", tt.args))
			checkWire(t, rec.Requests(), tt.sent)
			checkRefund(t, out)
			// stripe-mock echoes these; the projection must carry them.
			if tt.paymentIntent != "" && out["paymentIntentId"] != tt.paymentIntent {
				t.Errorf("paymentIntentId = %v, want %s", out["paymentIntentId"], tt.paymentIntent)
			}
			if tt.reason != "" && out["reason"] != tt.reason {
				t.Errorf("reason = %v, want %s", out["reason"], tt.reason)
			}
			if a, ok := tt.args["amount"]; ok && out["amount"] != float64(a.(int)) {
				t.Errorf("amount = %v, want %v", out["amount"], a)
			}
		})
	}
}

func TestListRefunds(t *testing.T) {
	tests := []wireCase{
		{
			name: "defaults",
			args: map[string]any{},
			sent: wire{method: "GET", path: "/v1/refunds", params: map[string]string{"limit": "10"},
				absent: []string{"payment_intent", "charge", "starting_after", "ending_before"}},
		},
		{
			name: "of a payment intent",
			args: map[string]any{"paymentIntentId": "pi_123", "limit": 5},
			sent: wire{method: "GET", path: "/v1/refunds", params: map[string]string{"payment_intent": "pi_123", "limit": "5"}, absent: []string{"charge"}},
		},
		{
			name: "of a charge",
			args: map[string]any{"chargeId": "ch_123"},
			sent: wire{method: "GET", path: "/v1/refunds", params: map[string]string{"charge": "ch_123", "limit": "10"}, absent: []string{"payment_intent"}},
		},
		{
			name: "cursors",
			args: map[string]any{"startingAfter": "re_prev"},
			sent: wire{method: "GET", path: "/v1/refunds", params: map[string]string{"starting_after": "re_prev"}},
		},
		{
			name: "backwards",
			args: map[string]any{"endingBefore": "re_next"},
			sent: wire{method: "GET", path: "/v1/refunds", params: map[string]string{"ending_before": "re_next"}},
		},
	}
	checkListCases(t, "stripe_list_refunds", tests, func(t *testing.T, r map[string]any) {
		checkRefund(t, r)
	})

	t.Run("full", func(t *testing.T) {
		t.Parallel()
		cs, rec := connectStripeMock(t, defaultOptions())
		raw := rawOf(t, testutil.Call(t, cs, "stripe_list_refunds", map[string]any{"chargeId": "ch_123", "full": true}), "list")
		checkWire(t, rec.Requests(), wire{method: "GET", path: "/v1/refunds", params: map[string]string{"charge": "ch_123"}, absent: []string{"full"}})
		data := objectsOf(t, raw, "data")
		if len(data) == 0 || data[0]["object"] != "refund" {
			t.Errorf("raw data = %v, want refunds", raw["data"])
		}
		if _, ok := raw["has_more"]; !ok {
			t.Errorf("raw list has no has_more: %v", raw)
		}
	})
}

func TestRefundInputRefused(t *testing.T) {
	tests := []struct {
		name string
		tool string
		args map[string]any
		want []string
	}{
		{"neither payment intent nor charge", "stripe_create_refund", map[string]any{"amount": 500}, []string{"exactly one", "paymentIntentId", "chargeId"}},
		{"both payment intent and charge", "stripe_create_refund", map[string]any{"paymentIntentId": "pi_123", "chargeId": "ch_123"}, []string{"exactly one"}},
		{"charge id of a payment intent", "stripe_create_refund", map[string]any{"chargeId": "pi_1"}, []string{"chargeId", "ch_", "pi_1"}},
		{"payment intent id of a charge", "stripe_create_refund", map[string]any{"paymentIntentId": "ch_1"}, []string{"paymentIntentId", "pi_", "ch_1"}},
		{"charge filter of a payment intent", "stripe_list_refunds", map[string]any{"chargeId": "pi_1"}, []string{"chargeId", "ch_"}},
		{"list cursor of a charge", "stripe_list_refunds", map[string]any{"startingAfter": "ch_1"}, []string{"startingAfter", "re_"}},
		{"unknown reason", "stripe_create_refund", map[string]any{"paymentIntentId": "pi_123", "reason": "changed_mind"}, []string{"reason", "requested_by_customer", "changed_mind"}},
		{"amount 0", "stripe_create_refund", map[string]any{"paymentIntentId": "pi_123", "amount": 0}, []string{"amount", "at least 1"}},
		{"negative amount", "stripe_create_refund", map[string]any{"paymentIntentId": "pi_123", "amount": -500}, []string{"amount", "at least 1"}},
		{"fractional amount", "stripe_create_refund", map[string]any{"paymentIntentId": "pi_123", "amount": 12.5}, []string{"amount", "whole number"}},
		{"metadata key with brackets", "stripe_create_refund", map[string]any{"paymentIntentId": "pi_123", "metadata": map[string]any{"a[b]": "c"}}, []string{"metadata key"}},
		{"limit 101", "stripe_list_refunds", map[string]any{"limit": 101}, []string{"limit", "at most 100"}},
		{"snake_case argument", "stripe_create_refund", map[string]any{"payment_intent": "pi_123"}, []string{"payment_intent", "paymentIntentId"}},
	}
	cs, rec := connectStripeMock(t, defaultOptions())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refusedUnsent(t, cs, rec, tt.tool, tt.args, tt.want...)
		})
	}
}
