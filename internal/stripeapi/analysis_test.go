package stripeapi

import (
	"strings"
	"testing"
)

func TestAnalyzeFailure(t *testing.T) {
	tests := []struct {
		name                       string
		declineCode, code, errType string
		want                       FailureAnalysis
	}{
		// The article's decline codes.
		{
			name: "insufficient funds", declineCode: "insufficient_funds", code: "card_declined", errType: "card_error",
			want: FailureAnalysis{DeclineCode: "insufficient_funds", Reason: "The customer's card has insufficient funds to complete the purchase.", Retryable: false, RecommendedAction: actionOtherMethod},
		},
		{
			name: "lost card", declineCode: "lost_card", code: "card_declined", errType: "card_error",
			want: FailureAnalysis{DeclineCode: "lost_card", Reason: "The card has been reported lost.", RecommendedAction: actionNoRetry},
		},
		{
			name: "stolen card", declineCode: "stolen_card", code: "card_declined", errType: "card_error",
			want: FailureAnalysis{DeclineCode: "stolen_card", Reason: "The card has been reported stolen.", RecommendedAction: actionNoRetry},
		},
		{
			name: "expired card", declineCode: "expired_card", code: "expired_card", errType: "card_error",
			want: FailureAnalysis{DeclineCode: "expired_card", Reason: "The card has expired.", RecommendedAction: actionCheckDetails},
		},
		{
			name: "incorrect cvc", declineCode: "incorrect_cvc", code: "incorrect_cvc", errType: "card_error",
			want: FailureAnalysis{DeclineCode: "incorrect_cvc", Reason: "The CVC number is incorrect.", RecommendedAction: actionCheckDetails},
		},
		{
			name: "processing error", declineCode: "processing_error", code: "processing_error", errType: "card_error",
			want: FailureAnalysis{DeclineCode: "processing_error", Reason: "An error occurred while processing the card.", Retryable: true, RecommendedAction: actionRetryLater},
		},
		{
			name: "incorrect number", declineCode: "incorrect_number", code: "incorrect_number", errType: "card_error",
			want: FailureAnalysis{DeclineCode: "incorrect_number", Reason: "The card number is incorrect.", RecommendedAction: actionCheckDetails},
		},
		// The same codes given as the error code only (a payment's
		// last_payment_error often has no decline code).
		{
			name: "expired card by code", code: "expired_card", errType: "card_error",
			want: FailureAnalysis{Reason: "The card has expired.", RecommendedAction: actionCheckDetails},
		},
		{
			name: "processing error by code", code: "processing_error", errType: "card_error",
			want: FailureAnalysis{Reason: "An error occurred while processing the card.", Retryable: true, RecommendedAction: actionRetryLater},
		},
		{
			name: "card declined without a decline code", code: "card_declined", errType: "card_error",
			want: FailureAnalysis{Reason: "The card was declined.", RecommendedAction: actionOtherMethod},
		},
		{
			name: "generic decline", declineCode: "generic_decline", code: "card_declined", errType: "card_error",
			want: FailureAnalysis{DeclineCode: "generic_decline", Reason: "The card was declined for an unknown reason.", RecommendedAction: actionContactBank},
		},
		{
			name: "issuer asks to try later", declineCode: "try_again_later", errType: "card_error",
			want: FailureAnalysis{DeclineCode: "try_again_later", Reason: "The card issuer asked to try again later.", Retryable: true, RecommendedAction: actionRetryLater},
		},
		{
			name: "authentication required", declineCode: "authentication_required", code: "card_declined", errType: "card_error",
			want: FailureAnalysis{DeclineCode: "authentication_required", Reason: "The card requires authentication (3D Secure).", RecommendedAction: actionAuthenticate},
		},
		// Unknown codes fall back on the type.
		{
			name: "unknown decline code on a card error", declineCode: "brand_new_decline", code: "card_declined", errType: "card_error",
			want: FailureAnalysis{DeclineCode: "brand_new_decline", Reason: "The payment was declined.", RecommendedAction: "The card was declined. Try a different payment method."},
		},
		{
			name: "rate limit", errType: "rate_limit_error",
			want: FailureAnalysis{Reason: "The request could not be completed.", Retryable: true, RecommendedAction: actionRetryLater},
		},
		{
			name: "connection error", errType: "api_connection_error",
			want: FailureAnalysis{Reason: "The request could not be completed.", Retryable: true, RecommendedAction: actionRetryLater},
		},
		{
			name: "stripe api error", code: "unknown_thing", errType: "api_error",
			want: FailureAnalysis{Reason: "The request could not be completed.", Retryable: true, RecommendedAction: actionRetryLater},
		},
		{
			name: "invalid request", code: "parameter_missing", errType: "invalid_request_error",
			want: FailureAnalysis{Reason: "The payment failed.", RecommendedAction: "Check the payment's last error in Stripe; contact Stripe support if it is unclear."},
		},
		{
			name: "nothing known",
			want: FailureAnalysis{Reason: "The payment failed.", RecommendedAction: "Check the payment's last error in Stripe; contact Stripe support if it is unclear."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AnalyzeFailure(tt.declineCode, tt.code, tt.errType)
			if got != tt.want {
				t.Fatalf("AnalyzeFailure(%q, %q, %q)\n got %+v\nwant %+v", tt.declineCode, tt.code, tt.errType, got, tt.want)
			}
		})
	}
}

// TestDeclineTable keeps every entry usable: a sentence for a reason, an
// action, and retryable only together with an action that says to retry.
func TestDeclineTable(t *testing.T) {
	for code, d := range declines {
		if code == "" || strings.ToLower(code) != code || strings.ContainsAny(code, " -") {
			t.Errorf("decline code %q is not a Stripe code", code)
		}
		if d.reason == "" || !strings.HasSuffix(d.reason, ".") || d.action == "" || !strings.HasSuffix(d.action, ".") {
			t.Errorf("%s: reason %q action %q must be sentences", code, d.reason, d.action)
		}
		if d.retryable != (d.action == actionRetryLater) {
			t.Errorf("%s: retryable %t with action %q", code, d.retryable, d.action)
		}
		if got := AnalyzeFailure(code, "", "card_error"); got.Reason != d.reason || got.DeclineCode != code {
			t.Errorf("%s: AnalyzeFailure gives %+v", code, got)
		}
	}
}
