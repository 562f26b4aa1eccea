package tools_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stripe-mcp/stripe-mcp/internal/money"
	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

func TestCreateCoupon(t *testing.T) {
	tests := []struct {
		name    string
		args    map[string]any
		sent    wire
		display string // the discountDisplay stripe-mock's echo leads to
	}{
		{
			name: "percent off, once by default",
			args: map[string]any{"percentOff": 25.5},
			sent: wire{method: "POST", path: "/v1/coupons",
				params: map[string]string{"percent_off": "25.5000", "duration": "once"},
				absent: []string{"amount_off", "currency", "duration_in_months", "redeem_by", "max_redemptions", "name"}},
			display: "25.5% off once",
		},
		{
			name: "amount off for 3 months, with everything",
			args: map[string]any{"amountOff": 500, "currency": "EUR", "duration": "repeating", "durationInMonths": 3,
				"name": "Spring", "maxRedemptions": 100, "redeemBy": "2030-01-01T01:00:00+01:00", "metadata": map[string]any{"campaign": "spring"}},
			sent: wire{method: "POST", path: "/v1/coupons",
				params: map[string]string{
					"amount_off": "500", "currency": "eur", "duration": "repeating", "duration_in_months": "3",
					"name": "Spring", "max_redemptions": "100", "redeem_by": "1893456000", "metadata[campaign]": "spring",
				},
				absent: []string{"percent_off", "amountOff", "durationInMonths"}},
			display: "€5.00 off for 3 months",
		},
		{
			name: "all of it, forever",
			args: map[string]any{"percentOff": 100, "duration": "forever"},
			sent: wire{method: "POST", path: "/v1/coupons",
				params: map[string]string{"percent_off": "100.0000", "duration": "forever"},
				absent: []string{"duration_in_months", "currency"}},
			display: "100% off forever",
		},
		{
			name: "zero-decimal currency",
			args: map[string]any{"amountOff": 500, "currency": "jpy", "duration": "once"},
			sent: wire{method: "POST", path: "/v1/coupons",
				params: map[string]string{"amount_off": "500", "currency": "jpy", "duration": "once"}},
			display: "¥500 off once",
		},
		{
			name: "idempotency key",
			args: map[string]any{"percentOff": 10, "idempotencyKey": "coupon-10"},
			sent: wire{method: "POST", path: "/v1/coupons", params: map[string]string{"percent_off": "10.0000"},
				absent: []string{"idempotencyKey", "idempotency_key"},
				header: map[string]string{"Idempotency-Key": "coupon-10"}},
			display: "10% off once",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs, rec := connectStripeMock(t, defaultOptions())
			out := testutil.Structured(t, testutil.Call(t, cs, "stripe_create_coupon", tt.args))
			checkWire(t, rec.Requests(), tt.sent)
			if _, ok := out["object"]; ok || fieldOf[string](t, out, "id") == "" {
				t.Errorf("not a compact coupon: %v", out)
			}
			if got := fieldOf[string](t, out, "discountDisplay"); got != tt.display {
				t.Errorf("discountDisplay = %q, want %q", got, tt.display)
			}
			// stripe-mock's coupon has a currency and a month count; they
			// are shown only where they apply.
			if _, ok := tt.args["percentOff"]; ok && out["currency"] != nil {
				t.Errorf("a percentage coupon shows currency %v", out["currency"])
			}
			if tt.args["duration"] != "repeating" && out["durationInMonths"] != nil {
				t.Errorf("a %v coupon shows durationInMonths %v", out["duration"], out["durationInMonths"])
			}
		})
	}
}

// TestCouponProjection checks the projection against coupons whose values
// are known.
func TestCouponProjection(t *testing.T) {
	coupons := []string{
		`{"id":"SUMMER25","object":"coupon","name":"Summer","percent_off":25,"amount_off":null,"currency":"usd","duration":"forever","duration_in_months":3,
			"max_redemptions":100,"times_redeemed":7,"redeem_by":1767225600,"valid":true,"created":1760000000,"metadata":{"campaign":"summer"}}`,
		`{"id":"YEN500","object":"coupon","name":null,"percent_off":null,"amount_off":500,"currency":"jpy","duration":"repeating","duration_in_months":1,
			"max_redemptions":null,"times_redeemed":0,"redeem_by":null,"valid":false,"created":1760000000,"metadata":{}}`,
		`{"id":"KWD5","object":"coupon","percent_off":null,"amount_off":5120,"currency":"kwd","duration":"once","duration_in_months":null,"times_redeemed":2,"valid":true}`,
	}
	body := `{"object":"list","url":"/v1/coupons","has_more":true,"data":[` + strings.Join(coupons, ",") + `]}`
	cs, rec := connectFake(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	}))
	out := testutil.Structured(t, testutil.Call(t, cs, "stripe_list_coupons", map[string]any{"limit": 3, "startingAfter": "WINTER10"}))
	checkWire(t, rec.Requests(), wire{method: "GET", path: "/v1/coupons", params: map[string]string{"limit": "3", "starting_after": "WINTER10"}})
	data := pageOf(t, out)
	if len(data) != 3 || out["nextCursor"] != "KWD5" {
		t.Fatalf("%d coupons, nextCursor %v", len(data), out["nextCursor"])
	}
	want := []map[string]any{
		{"id": "SUMMER25", "name": "Summer", "percentOff": 25.0, "amountOff": nil, "currency": nil, "discountDisplay": "25% off forever", "duration": "forever",
			"durationInMonths": nil, "maxRedemptions": 100.0, "timesRedeemed": 7.0, "redeemBy": "2026-01-01T00:00:00Z", "valid": true},
		{"id": "YEN500", "percentOff": nil, "amountOff": 500.0, "currency": "jpy", "discountDisplay": "¥500 off for 1 month", "duration": "repeating",
			"durationInMonths": 1.0, "maxRedemptions": nil, "timesRedeemed": 0.0, "redeemBy": nil, "valid": false},
		{"id": "KWD5", "amountOff": 5120.0, "currency": "kwd", "discountDisplay": money.Format(5120, "kwd") + " off once", "timesRedeemed": 2.0},
	}
	for i, w := range want {
		for k, v := range w {
			if got := data[i][k]; got != v {
				t.Errorf("%s: %s = %v, want %v", w["id"], k, got, v)
			}
		}
	}
	if fmt.Sprint(data[0]["metadata"]) != "map[campaign:summer]" {
		t.Errorf("metadata = %v", data[0]["metadata"])
	}
}

func TestListCoupons(t *testing.T) {
	tests := []wireCase{
		{"default", map[string]any{}, wire{method: "GET", path: "/v1/coupons", params: map[string]string{"limit": "10"}, absent: []string{"starting_after", "ending_before"}}},
		{"back from a chosen id", map[string]any{"limit": 1, "endingBefore": "SUMMER25"},
			wire{method: "GET", path: "/v1/coupons", params: map[string]string{"limit": "1", "ending_before": "SUMMER25"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs, rec := connectStripeMock(t, defaultOptions())
			out := testutil.Structured(t, testutil.Call(t, cs, "stripe_list_coupons", tt.args))
			checkWire(t, rec.Requests(), tt.sent)
			data := pageOf(t, out)
			if len(data) == 0 || fieldOf[string](t, data[0], "discountDisplay") == "" {
				t.Fatalf("coupons = %v", data)
			}
		})
	}
	t.Run("full", func(t *testing.T) {
		cs, _ := connectStripeMock(t, defaultOptions())
		raw := rawOf(t, testutil.Call(t, cs, "stripe_list_coupons", map[string]any{"full": true}), "list")
		if objectsOf(t, raw, "data")[0]["object"] != "coupon" {
			t.Errorf("full list holds no raw coupons: %v", raw)
		}
	})
}

func TestCouponRefused(t *testing.T) {
	const tool = "stripe_create_coupon"
	tests := []struct {
		name string
		args map[string]any
		want []string
	}{
		{"both percent and amount off", map[string]any{"percentOff": 10, "amountOff": 500, "currency": "usd"}, []string{"exactly one", "percentOff", "amountOff"}},
		{"neither", map[string]any{"duration": "forever", "name": "Nothing"}, []string{"exactly one", "percentOff", "amountOff"}},
		{"amount off without currency", map[string]any{"amountOff": 500}, []string{"amountOff needs currency"}},
		{"currency with percent off", map[string]any{"percentOff": 10, "currency": "usd"}, []string{"currency", "amountOff only"}},
		{"not a currency", map[string]any{"amountOff": 500, "currency": "dollars"}, []string{"currency", "dollars"}},
		{"three-decimal currency", map[string]any{"amountOff": 5125, "currency": "kwd"}, []string{"amountOff", "kwd"}},
		{"repeating without months", map[string]any{"percentOff": 10, "duration": "repeating"}, []string{"durationInMonths", "repeating"}},
		{"months without a duration", map[string]any{"percentOff": 10, "durationInMonths": 3}, []string{"durationInMonths", "once"}},
		{"months with forever", map[string]any{"percentOff": 10, "duration": "forever", "durationInMonths": 3}, []string{"durationInMonths", "forever"}},
		{"zero months", map[string]any{"percentOff": 10, "duration": "repeating", "durationInMonths": 0}, []string{"durationInMonths", "at least 1"}},
		{"unknown duration", map[string]any{"percentOff": 10, "duration": "weekly"}, []string{"duration", "repeating", "weekly"}},
		{"zero percent", map[string]any{"percentOff": 0}, []string{"percentOff", "more than 0"}},
		{"negative percent", map[string]any{"percentOff": -5}, []string{"percentOff", "more than 0"}},
		{"over 100 percent", map[string]any{"percentOff": 100.5}, []string{"percentOff", "at most 100"}},
		{"percent as a string", map[string]any{"percentOff": "25%"}, []string{"percentOff", "number"}},
		{"zero amount off", map[string]any{"amountOff": 0, "currency": "usd"}, []string{"amountOff", "at least 1"}},
		{"negative amount off", map[string]any{"amountOff": -500, "currency": "usd"}, []string{"amountOff", "at least 1"}},
		{"fractional amount off", map[string]any{"amountOff": 4.99, "currency": "usd"}, []string{"amountOff", "whole number"}},
		{"huge amount off", map[string]any{"amountOff": 1e9, "currency": "usd"}, []string{"amountOff", "99999999"}},
		{"zero redemptions", map[string]any{"percentOff": 10, "maxRedemptions": 0}, []string{"maxRedemptions", "at least 1"}},
		{"long name", map[string]any{"percentOff": 10, "name": strings.Repeat("x", 41)}, []string{"name", "at most 40"}},
		{"redeem by in words", map[string]any{"percentOff": 10, "redeemBy": "next friday"}, []string{"redeemBy", "RFC 3339"}},
		{"redeem by a date only", map[string]any{"percentOff": 10, "redeemBy": "2030-01-01"}, []string{"redeemBy", "RFC 3339"}},
		{"redeem by in the past", map[string]any{"percentOff": 10, "redeemBy": "2020-01-01T00:00:00Z"}, []string{"redeemBy", "past"}},
		{"snake_case argument", map[string]any{"percent_off": 10}, []string{"percent_off", "percentOff"}},
		{"card number in metadata", map[string]any{"percentOff": 10, "metadata": map[string]any{"note": "4242 4242 4242 4242"}}, []string{"metadata.note", "card number"}},
		{"card number in the name", map[string]any{"percentOff": 10, "name": "4000056655665556"}, []string{"name", "card number"}},
	}
	cs, rec := connectStripeMock(t, defaultOptions())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refusedUnsent(t, cs, rec, tool, tt.args, tt.want...)
		})
	}
	t.Run("list cursor with a slash", func(t *testing.T) {
		refusedUnsent(t, cs, rec, "stripe_list_coupons", map[string]any{"startingAfter": "SUMMER/25"}, "startingAfter", "'/'")
	})
}
