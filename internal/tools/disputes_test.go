package tools_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stripe-mcp/stripe-mcp/internal/money"
	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

// checkDispute checks the compact projection of a dispute.
func checkDispute(t *testing.T, out map[string]any) {
	t.Helper()
	if id := fieldOf[string](t, out, "id"); !strings.HasPrefix(id, "dp_") && !strings.HasPrefix(id, "du_") {
		t.Errorf("id = %q, want dp_…", id)
	}
	if fieldOf[string](t, out, "status") == "" {
		t.Error("status is empty")
	}
	amount, currency := int64(fieldOf[float64](t, out, "amount")), fieldOf[string](t, out, "currency")
	if got, want := fieldOf[string](t, out, "amountDisplay"), money.Format(amount, currency); got != want {
		t.Errorf("amountDisplay = %q, want %q", got, want)
	}
	if _, err := time.Parse(time.RFC3339, fieldOf[string](t, out, "evidenceDueBy")); err != nil {
		t.Errorf("evidenceDueBy: %v", err)
	}
	fieldOf[bool](t, out, "evidenceSubmitted")
	if _, ok := out["object"]; ok {
		t.Errorf("compact result carries Stripe's object field: %v", out)
	}
}

func TestListDisputes(t *testing.T) {
	tests := []wireCase{
		{
			name: "defaults",
			args: map[string]any{},
			sent: wire{method: "GET", path: "/v1/disputes", params: map[string]string{"limit": "10"},
				absent: []string{"charge", "payment_intent", "starting_after", "ending_before"}},
		},
		{
			name: "of a charge",
			args: map[string]any{"chargeId": "ch_123", "limit": 2},
			sent: wire{method: "GET", path: "/v1/disputes", params: map[string]string{"charge": "ch_123", "limit": "2"}, absent: []string{"payment_intent"}},
		},
		{
			name: "of a payment intent",
			args: map[string]any{"paymentIntentId": "pi_123"},
			sent: wire{method: "GET", path: "/v1/disputes", params: map[string]string{"payment_intent": "pi_123"}, absent: []string{"charge"}},
		},
		{
			name: "cursors",
			args: map[string]any{"startingAfter": "dp_prev"},
			sent: wire{method: "GET", path: "/v1/disputes", params: map[string]string{"starting_after": "dp_prev"}},
		},
		{
			name: "backwards",
			args: map[string]any{"endingBefore": "dp_next"},
			sent: wire{method: "GET", path: "/v1/disputes", params: map[string]string{"ending_before": "dp_next"}},
		},
	}
	checkListCases(t, "stripe_list_disputes", tests, func(t *testing.T, d map[string]any) {
		checkDispute(t, d)
	})

	t.Run("full", func(t *testing.T) {
		t.Parallel()
		cs, _ := connectStripeMock(t, defaultOptions())
		raw := rawOf(t, testutil.Call(t, cs, "stripe_list_disputes", map[string]any{"full": true}), "list")
		if data := objectsOf(t, raw, "data"); len(data) == 0 || data[0]["object"] != "dispute" {
			t.Errorf("raw data = %v, want disputes", raw["data"])
		}
	})
}

func TestUpdateDispute(t *testing.T) {
	tests := []wireCase{
		{
			name: "evidence is a draft by default",
			args: map[string]any{"disputeId": "dp_123", "evidence": map[string]any{
				"customerName": "Jenny Rosen", "customerEmailAddress": "jenny@example.com", "customerPurchaseIp": "203.0.113.7",
				"billingAddress": "1 Main St, Springfield", "productDescription": "Annual plan", "shippingAddress": "1 Main St",
				"shippingCarrier": "UPS", "shippingTrackingNumber": "1Z999", "shippingDate": "2026-03-01", "serviceDate": "2026-03-02",
				"refundPolicyDisclosure": "Shown at checkout", "refundRefusalExplanation": "Used for a month",
				"cancellationPolicyDisclosure": "In the terms", "cancellationRebuttal": "Never asked to cancel",
				"duplicateChargeExplanation": "Two orders", "duplicateChargeId": "ch_other", "uncategorizedText": "Logs attached",
				"accessActivityLog": "Logged in 14 times", "receipt": "file_receipt", "customerCommunication": "file_emails",
			}},
			sent: wire{method: "POST", path: "/v1/disputes/dp_123",
				params: map[string]string{
					"submit":                                   "false",
					"evidence[customer_name]":                  "Jenny Rosen",
					"evidence[customer_email_address]":         "jenny@example.com",
					"evidence[customer_purchase_ip]":           "203.0.113.7",
					"evidence[billing_address]":                "1 Main St, Springfield",
					"evidence[product_description]":            "Annual plan",
					"evidence[shipping_address]":               "1 Main St",
					"evidence[shipping_carrier]":               "UPS",
					"evidence[shipping_tracking_number]":       "1Z999",
					"evidence[shipping_date]":                  "2026-03-01",
					"evidence[service_date]":                   "2026-03-02",
					"evidence[refund_policy_disclosure]":       "Shown at checkout",
					"evidence[refund_refusal_explanation]":     "Used for a month",
					"evidence[cancellation_policy_disclosure]": "In the terms",
					"evidence[cancellation_rebuttal]":          "Never asked to cancel",
					"evidence[duplicate_charge_explanation]":   "Two orders",
					"evidence[duplicate_charge_id]":            "ch_other",
					"evidence[uncategorized_text]":             "Logs attached",
					"evidence[access_activity_log]":            "Logged in 14 times",
					"evidence[receipt]":                        "file_receipt",
					"evidence[customer_communication]":         "file_emails",
				},
				absent: []string{"evidence[customerName]", "evidence[service_documentation]"}},
		},
		{
			name: "explicit submit false",
			args: map[string]any{"disputeId": "dp_123", "evidence": map[string]any{"uncategorizedText": "More"}, "submit": false},
			sent: wire{method: "POST", path: "/v1/disputes/dp_123", params: map[string]string{"submit": "false", "evidence[uncategorized_text]": "More"}},
		},
		{
			name: "submit with evidence",
			args: map[string]any{"disputeId": "dp_123", "evidence": map[string]any{"productDescription": "Annual plan"}, "submit": true},
			sent: wire{method: "POST", path: "/v1/disputes/dp_123", params: map[string]string{"submit": "true", "evidence[product_description]": "Annual plan"}},
		},
		{
			name: "submit the saved evidence",
			args: map[string]any{"disputeId": "dp_123", "submit": true, "idempotencyKey": "submit-dp_123"},
			sent: wire{method: "POST", path: "/v1/disputes/dp_123", params: map[string]string{"submit": "true"},
				absent: []string{"evidence[product_description]", "metadata"},
				header: map[string]string{"Idempotency-Key": "submit-dp_123"}},
		},
		{
			name: "metadata only stays a draft",
			args: map[string]any{"disputeId": "dp_123", "metadata": map[string]any{"case": "C-7"}},
			sent: wire{method: "POST", path: "/v1/disputes/dp_123", params: map[string]string{"submit": "false", "metadata[case]": "C-7"}},
		},
		{
			name: "empty values are not sent",
			args: map[string]any{"disputeId": "dp_123", "evidence": map[string]any{"customerName": "Jenny", "shippingCarrier": ""}},
			sent: wire{method: "POST", path: "/v1/disputes/dp_123", params: map[string]string{"submit": "false", "evidence[customer_name]": "Jenny"},
				absent: []string{"evidence[shipping_carrier]"}},
		},
	}
	checkCallCases(t, "stripe_update_dispute", tests, checkDispute)
}

// TestDisputeProjection checks the projection against disputes whose values
// are known: a submitted one, and one with draft evidence not yet submitted.
func TestDisputeProjection(t *testing.T) {
	dispute := func(id string, submissions int, hasEvidence bool) string {
		return fmt.Sprintf(`{"id":%q,"object":"dispute","amount":4200,"currency":"eur","reason":"product_not_received","status":"under_review",
			"charge":"ch_known","payment_intent":"pi_known","created":1766620800,"metadata":{"case":"C-7"},
			"evidence_details":{"due_by":1767225600,"has_evidence":%v,"past_due":false,"submission_count":%d}}`, id, hasEvidence, submissions)
	}
	cs, _ := connectFake(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"object":"list","url":"/v1/disputes","has_more":false,"data":[%s,%s]}`, dispute("dp_sent", 1, true), dispute("dp_draft", 0, true))
	}))
	out := testutil.Structured(t, testutil.Call(t, cs, "stripe_list_disputes", map[string]any{}))
	data := pageOf(t, out)
	if len(data) != 2 || out["nextCursor"] != nil {
		t.Fatalf("page = %v", out)
	}
	for _, d := range data {
		checkDispute(t, d)
		for k, want := range map[string]any{
			"amount": 4200.0, "amountDisplay": "€42.00", "reason": "product_not_received", "status": "under_review",
			"chargeId": "ch_known", "paymentIntentId": "pi_known", "evidenceDueBy": "2026-01-01T00:00:00Z",
		} {
			if d[k] != want {
				t.Errorf("%s: %s = %v, want %v", d["id"], k, d[k], want)
			}
		}
	}
	if data[0]["evidenceSubmitted"] != true || data[0]["hasEvidence"] != true {
		t.Errorf("submitted dispute: %v", data[0])
	}
	if data[1]["evidenceSubmitted"] != false || data[1]["hasEvidence"] != true {
		t.Errorf("dispute with draft evidence: %v", data[1])
	}
}

func TestDisputeInputRefused(t *testing.T) {
	update := func(ev map[string]any) map[string]any {
		return map[string]any{"disputeId": "dp_123", "evidence": ev}
	}
	tests := []struct {
		name string
		tool string
		args map[string]any
		want []string
		not  []string
	}{
		{name: "dispute id of a charge", tool: "stripe_update_dispute", args: map[string]any{"disputeId": "ch_123", "submit": true},
			want: []string{"disputeId", "dp_", "ch_123"}},
		{name: "no dispute id", tool: "stripe_update_dispute", args: map[string]any{"submit": true}, want: []string{"disputeId"}},
		{name: "nothing to update", tool: "stripe_update_dispute", args: map[string]any{"disputeId": "dp_123"},
			want: []string{"nothing to update", "submit: true"}},
		{name: "only empty evidence", tool: "stripe_update_dispute", args: update(map[string]any{"customerName": ""}),
			want: []string{"nothing to update"}},
		{name: "snake_case evidence key", tool: "stripe_update_dispute", args: update(map[string]any{"customer_name": "Jenny"}),
			want: []string{"customer_name", "did you mean customerName"}},
		{name: "unknown evidence key", tool: "stripe_update_dispute", args: update(map[string]any{"mood": "angry"}),
			want: []string{"unknown evidence key mood", "customerName", "uncategorizedText", "shippingTrackingNumber"}},
		{name: "evidence value not text", tool: "stripe_update_dispute", args: update(map[string]any{"customerName": 42}),
			want: []string{"evidence", "string"}},
		{name: "short field over 5,000", tool: "stripe_update_dispute", args: update(map[string]any{"customerName": strings.Repeat("a", 5001)}),
			want: []string{"evidence.customerName is 5001 characters", "5000"}},
		{name: "explanation over 20,000", tool: "stripe_update_dispute", args: update(map[string]any{"uncategorizedText": strings.Repeat("é", 20001)}),
			want: []string{"evidence.uncategorizedText is 20001 characters", "20000"}},
		{name: "over 150,000 in all", tool: "stripe_update_dispute", args: update(map[string]any{
			"accessActivityLog": strings.Repeat("a", 19000), "cancellationPolicyDisclosure": strings.Repeat("b", 19000),
			"cancellationRebuttal": strings.Repeat("c", 19000), "duplicateChargeExplanation": strings.Repeat("d", 19000),
			"productDescription": strings.Repeat("e", 19000), "refundPolicyDisclosure": strings.Repeat("f", 19000),
			"refundRefusalExplanation": strings.Repeat("g", 19000), "uncategorizedText": strings.Repeat("h", 19000),
		}), want: []string{"152000 characters in all", "150000"}},
		{name: "file evidence that is not a file", tool: "stripe_update_dispute", args: update(map[string]any{"receipt": "https://example.com/r.pdf"}),
			want: []string{"evidence.receipt", "file_"}},
		{name: "purchase ip that is not an address", tool: "stripe_update_dispute", args: update(map[string]any{"customerPurchaseIp": "home"}),
			want: []string{"customerPurchaseIp", "not an IP address"}},
		{name: "email that is not an address", tool: "stripe_update_dispute", args: update(map[string]any{"customerEmailAddress": "jenny"}),
			want: []string{"customerEmailAddress", "not an email address"}},
		{name: "duplicate charge of a payment intent", tool: "stripe_update_dispute", args: update(map[string]any{"duplicateChargeId": "pi_123"}),
			want: []string{"duplicateChargeId", "ch_"}},
		{name: "card number in evidence", tool: "stripe_update_dispute", args: update(map[string]any{"uncategorizedText": "paid with 4242 4242 4242 4242"}),
			want: []string{"evidence.uncategorizedText", "card number"}, not: []string{"4242 4242"}},
		{name: "submit as a string", tool: "stripe_update_dispute", args: map[string]any{"disputeId": "dp_123", "submit": "yes"},
			want: []string{"submit", "boolean"}},

		{name: "charge filter of a payment intent", tool: "stripe_list_disputes", args: map[string]any{"chargeId": "pi_123"},
			want: []string{"chargeId", "ch_", "pi_123"}},
		{name: "payment intent filter of a charge", tool: "stripe_list_disputes", args: map[string]any{"paymentIntentId": "ch_123"},
			want: []string{"paymentIntentId", "pi_"}},
		{name: "dispute cursor of a charge", tool: "stripe_list_disputes", args: map[string]any{"startingAfter": "ch_123"},
			want: []string{"startingAfter", "dp_"}},
	}
	cs, rec := connectStripeMock(t, defaultOptions())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refusedUnsent(t, cs, rec, tt.tool, tt.args, tt.want...)
			if len(tt.not) > 0 {
				msg := testutil.Text(testutil.Call(t, cs, tt.tool, tt.args))
				for _, s := range tt.not {
					if strings.Contains(msg, s) {
						t.Errorf("message %q echoes %q", msg, s)
					}
				}
			}
		})
	}
}
