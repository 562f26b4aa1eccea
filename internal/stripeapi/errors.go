package stripeapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/stripe/stripe-go/v85"

	"github.com/stripe-mcp/stripe-mcp/internal/redact"
)

// Failure is what a tool reports when Stripe refused or could not be reached:
// the fields of Stripe's error a caller can act on, never the raw JSON.
type Failure struct {
	Message     string           `json:"message"`
	Type        string           `json:"type,omitempty"`
	Code        string           `json:"code,omitempty"`
	DeclineCode string           `json:"declineCode,omitempty"`
	Param       string           `json:"param,omitempty"`
	Status      int              `json:"httpStatus,omitempty"`
	RequestID   string           `json:"requestId,omitempty"`
	Analysis    *FailureAnalysis `json:"analysis,omitempty"`
}

func (f *Failure) Error() string { return f.Message }

// Describe turns an error returned by a stripe-go call into a Failure. Every
// such error is something Stripe or the network said, so the result is only
// nil for a nil error.
func Describe(err error) *Failure {
	if err == nil {
		return nil
	}
	var se *stripe.Error
	if errors.As(err, &se) {
		return describeStripeError(se)
	}
	switch {
	case errors.Is(err, context.Canceled):
		return &Failure{Type: "api_connection_error", Message: "the request to Stripe was cancelled before Stripe answered"}
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return &Failure{
			Type:     "api_connection_error",
			Message:  "Stripe did not answer in time (STRIPE_REQUEST_TIMEOUT); the request may or may not have been processed: repeat the same call (it carries the same idempotency key) or check the object in Stripe before trying anything else",
			Analysis: &FailureAnalysis{Reason: "timeout", Retryable: true, RecommendedAction: "Retry the same call after a short delay."},
		}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		cause := ue.Err
		var oe *net.OpError
		if errors.As(cause, &oe) && oe.Err != nil {
			cause = oe.Err
		}
		return &Failure{
			Type:     "api_connection_error",
			Message:  fmt.Sprintf("could not reach the Stripe API: %s (check the network, or STRIPE_API_BASE if it is set; `stripe-mcp doctor` checks the connection)", redact.Secrets(cause.Error())),
			Analysis: &FailureAnalysis{Reason: "connection error", Retryable: true, RecommendedAction: "Retry after a brief delay; if it persists run `stripe-mcp doctor`."},
		}
	}
	// Anything else is an answer stripe-go could not read (a proxy's HTML
	// page, a truncated body): say so briefly, without echoing it whole.
	text := strings.ToValidUTF8(redact.Cards(redact.Secrets(err.Error())), "\uFFFD")
	if len(text) > 200 {
		// Cut on a character boundary: half a character is invalid UTF-8.
		cut := 200
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "…"
	}
	return &Failure{Type: "api_error", Message: "unexpected answer from the Stripe API: " + text}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func describeStripeError(se *stripe.Error) *Failure {
	f := &Failure{
		Type:        string(se.Type),
		Code:        string(se.Code),
		DeclineCode: string(se.DeclineCode),
		Param:       se.Param,
		Status:      se.HTTPStatusCode,
		RequestID:   se.RequestID,
	}
	msg := redact.Cards(redact.Secrets(strings.TrimSpace(se.Msg)))
	if msg == "" {
		msg = "no message"
	}
	var lead string
	switch {
	case se.Type == stripe.ErrorTypeCard:
		lead = "the card was declined"
		if se.Code != "" && se.Code != stripe.ErrorCodeCardDeclined {
			lead = "the card could not be charged"
		}
		a := AnalyzeFailure(f.DeclineCode, f.Code, f.Type)
		f.Analysis = &a
	case se.HTTPStatusCode == 401:
		lead = "Stripe rejected the API key (401): check STRIPE_API_KEY, or run `stripe-mcp doctor`"
	case se.HTTPStatusCode == 403:
		lead = "the API key is not allowed to do this (403): a restricted key needs this permission"
	case se.HTTPStatusCode == 404:
		lead = "not found"
	case se.HTTPStatusCode == 429 || se.Type == "rate_limit_error":
		lead = "Stripe is rate limiting requests (429) and retries did not help: wait a few seconds before trying again"
		f.Analysis = &FailureAnalysis{Reason: "rate limited", Retryable: true, RecommendedAction: "Retry the payment after a brief delay."}
	case se.Type == stripe.ErrorTypeIdempotency:
		lead = "an earlier request with the same idempotency key had different parameters: change the idempotencyKey, or repeat the earlier call exactly"
	case se.HTTPStatusCode >= 500 || se.Type == stripe.ErrorTypeAPI:
		lead = "Stripe had an internal error"
		f.Analysis = &FailureAnalysis{Reason: "Stripe API error", Retryable: true, RecommendedAction: "Retry after a brief delay; Stripe's status page tells whether there is an incident."}
	case se.Type == stripe.ErrorTypeInvalidRequest:
		lead = "Stripe refused the request"
	default:
		lead = "Stripe returned an error"
	}
	var b strings.Builder
	b.WriteString(lead)
	b.WriteString(": ")
	b.WriteString(msg)
	var details []string
	add := func(k, v string) {
		if v != "" {
			details = append(details, k+" "+v)
		}
	}
	add("type", f.Type)
	add("code", f.Code)
	add("decline_code", f.DeclineCode)
	add("param", f.Param)
	add("request", f.RequestID)
	if len(details) > 0 {
		b.WriteString(" (")
		b.WriteString(strings.Join(details, ", "))
		b.WriteString(")")
	}
	if f.Analysis != nil && se.Type == stripe.ErrorTypeCard {
		fmt.Fprintf(&b, ". %s Retry can help: %t. Recommended: %s", f.Analysis.Reason, f.Analysis.Retryable, f.Analysis.RecommendedAction)
	}
	f.Message = b.String()
	return f
}
