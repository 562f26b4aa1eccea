package stripeapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// failCall makes a write request against a fake that answers with respond
// and returns what Describe makes of the error.
func failCall(t *testing.T, respond func(int, http.ResponseWriter, *http.Request)) *Failure {
	t.Helper()
	f := newFake(t, respond)
	c, _ := newTestClient(t, f.URL, nil)
	_, err := createPayment(t.Context(), c)
	if err == nil {
		t.Fatal("call succeeded, want an error")
	}
	fl := Describe(err)
	if fl == nil {
		t.Fatalf("Describe(%v) = nil", err)
	}
	checkClean(t, fl)
	return fl
}

// checkClean asserts what holds for every Failure: a message, no raw JSON,
// no key, no card number, and a Failure that marshals.
func checkClean(t *testing.T, fl *Failure) {
	t.Helper()
	if fl.Message == "" || fl.Error() != fl.Message {
		t.Errorf("Failure %+v has no usable message", fl)
	}
	if strings.Contains(fl.Message, `{"`) {
		t.Errorf("message holds raw JSON: %s", fl.Message)
	}
	if strings.Contains(fl.Message, testKey) {
		t.Errorf("message holds the API key: %s", fl.Message)
	}
	if strings.Contains(fl.Message, "4242424242424242") {
		t.Errorf("message holds a card number: %s", fl.Message)
	}
	if !utf8.ValidString(fl.Message) {
		t.Errorf("message is not valid UTF-8: %q", fl.Message)
	}
	if _, err := json.Marshal(fl); err != nil {
		t.Errorf("Failure does not marshal: %v", err)
	}
}

func TestDescribeCardDeclines(t *testing.T) {
	tests := []struct {
		declineCode, code string
		retryable         bool
		action            string
		reason            string // part of the reason
		lead              string
	}{
		{"insufficient_funds", "card_declined", false, actionOtherMethod, "insufficient funds", "the card was declined"},
		{"expired_card", "card_declined", false, actionCheckDetails, "expired", "the card was declined"},
		{"incorrect_cvc", "card_declined", false, actionCheckDetails, "CVC", "the card was declined"},
		{"processing_error", "card_declined", true, actionRetryLater, "error occurred while processing", "the card was declined"},
		{"lost_card", "card_declined", false, actionNoRetry, "lost", "the card was declined"},
		{"stolen_card", "card_declined", false, actionNoRetry, "stolen", "the card was declined"},
		{"incorrect_number", "card_declined", false, actionCheckDetails, "card number is incorrect", "the card was declined"},
		{"generic_decline", "card_declined", false, actionContactBank, "unknown reason", "the card was declined"},
		{"a_code_stripe_adds_later", "card_declined", false, "The card was declined. Try a different payment method.", "declined", "the card was declined"},
		// Stripe also reports some declines by code, with or without the
		// same decline code.
		{"expired_card", "expired_card", false, actionCheckDetails, "expired", "the card could not be charged"},
		{"", "expired_card", false, actionCheckDetails, "expired", "the card could not be charged"},
		{"", "incorrect_number", false, actionCheckDetails, "card number is incorrect", "the card could not be charged"},
		{"", "processing_error", true, actionRetryLater, "error occurred while processing", "the card could not be charged"},
	}
	for _, tt := range tests {
		t.Run(tt.code+"/"+tt.declineCode, func(t *testing.T) {
			stripeMsg := "Your card was declined (" + tt.declineCode + ")."
			body := fmt.Sprintf(`{"error":{"type":"card_error","code":%q,"decline_code":%q,"message":%q,"param":"payment_method","charge":"ch_123"}}`,
				tt.code, tt.declineCode, stripeMsg)
			fl := failCall(t, always(http.StatusPaymentRequired, body))

			if fl.Type != "card_error" || fl.Code != tt.code || fl.DeclineCode != tt.declineCode || fl.Param != "payment_method" {
				t.Errorf("fields %q %q %q %q", fl.Type, fl.Code, fl.DeclineCode, fl.Param)
			}
			if fl.Status != http.StatusPaymentRequired || fl.RequestID != "req_test123" {
				t.Errorf("status %d request %q", fl.Status, fl.RequestID)
			}
			a := fl.Analysis
			if a == nil {
				t.Fatal("no analysis for a card error")
			}
			if a.DeclineCode != tt.declineCode || a.Retryable != tt.retryable || a.RecommendedAction != tt.action || !strings.Contains(a.Reason, tt.reason) {
				t.Errorf("analysis %+v, want retryable %t action %q reason ~%q", a, tt.retryable, tt.action, tt.reason)
			}
			for _, want := range []string{
				tt.lead + ": " + stripeMsg,
				"type card_error", "code " + tt.code, "param payment_method", "request req_test123",
				a.Reason, fmt.Sprintf("Retry can help: %t", tt.retryable), tt.action,
			} {
				if !strings.Contains(fl.Message, want) {
					t.Errorf("message %q lacks %q", fl.Message, want)
				}
			}
			if tt.declineCode != "" && !strings.Contains(fl.Message, "decline_code "+tt.declineCode) {
				t.Errorf("message %q lacks the decline code", fl.Message)
			}
		})
	}
}

func TestDescribeStripeErrors(t *testing.T) {
	// A key as Stripe would echo it if it ever did: 30 characters after the
	// prefix.
	fullKey := "sk_test_" + strings.Repeat("x", 26) + "WXYZ"
	tests := []struct {
		name      string
		status    int
		body      string
		typ, code string
		param     string
		want      []string // parts of the message
		notWant   []string
		retryable *bool
	}{
		{
			name:   "401 bad key",
			status: http.StatusUnauthorized,
			body:   `{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: sk_test_****abcd"}}`,
			typ:    "invalid_request_error",
			want:   []string{"API key", "STRIPE_API_KEY", "stripe-mcp doctor", "(401)", "Invalid API Key provided: sk_test_****abcd"},
		},
		{
			name:    "401 echoing a full key",
			status:  http.StatusUnauthorized,
			body:    `{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: ` + fullKey + `"}}`,
			typ:     "invalid_request_error",
			want:    []string{"Invalid API Key provided: sk_test_…WXYZ", "API key"},
			notWant: []string{fullKey, strings.Repeat("x", 26)},
		},
		{
			name:   "403 restricted key",
			status: http.StatusForbidden,
			body:   `{"error":{"type":"invalid_request_error","message":"The provided key 'rk_test_******wxyz' does not have the required permissions for this endpoint."}}`,
			typ:    "invalid_request_error",
			want:   []string{"(403)", "restricted key", "does not have the required permissions"},
		},
		{
			name:   "404 resource missing",
			status: http.StatusNotFound,
			body:   `{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such customer: 'cus_missing'","param":"id","doc_url":"https://stripe.com/docs/error-codes/resource-missing"}}`,
			typ:    "invalid_request_error", code: "resource_missing", param: "id",
			want: []string{"not found: No such customer: 'cus_missing'", "code resource_missing", "param id", "request req_test123"},
		},
		{
			name:   "400 invalid parameter",
			status: http.StatusBadRequest,
			body:   `{"error":{"type":"invalid_request_error","code":"parameter_invalid_integer","message":"Invalid integer: abc","param":"amount"}}`,
			typ:    "invalid_request_error", code: "parameter_invalid_integer", param: "amount",
			want: []string{"Stripe refused the request: Invalid integer: abc", "param amount", "code parameter_invalid_integer"},
		},
		{
			name:   "400 missing parameter",
			status: http.StatusBadRequest,
			body:   `{"error":{"type":"invalid_request_error","code":"parameter_missing","message":"Missing required param: currency.","param":"currency"}}`,
			typ:    "invalid_request_error", code: "parameter_missing", param: "currency",
			want: []string{"Missing required param: currency.", "param currency"},
		},
		{
			name:   "idempotency error",
			status: http.StatusBadRequest,
			body:   `{"error":{"type":"idempotency_error","message":"Keys for idempotent requests can only be used with the same parameters they were first used with."}}`,
			typ:    "idempotency_error",
			want:   []string{"idempotency key", "idempotencyKey", "same parameters", "type idempotency_error"},
		},
		{
			name:   "card number in a message",
			status: http.StatusBadRequest,
			body:   `{"error":{"type":"invalid_request_error","message":"Sending card number 4242424242424242 directly is unsafe.","param":"card"}}`,
			typ:    "invalid_request_error", param: "card",
			want:    []string{"Sending card number [card number removed] directly"},
			notWant: []string{"4242424242424242"},
		},
		{
			name:    "grouped card number in a message",
			status:  http.StatusBadRequest,
			body:    `{"error":{"type":"invalid_request_error","message":"Bad card 4242 4242 4242 4242 given."}}`,
			typ:     "invalid_request_error",
			want:    []string{"Bad card [card number removed] given."},
			notWant: []string{"4242 4242 4242 4242"},
		},
		{
			name:   "empty message",
			status: http.StatusBadRequest,
			body:   `{"error":{"type":"invalid_request_error","message":""}}`,
			typ:    "invalid_request_error",
			want:   []string{"Stripe refused the request: no message"},
		},
		{
			name:   "unknown error type",
			status: http.StatusBadRequest,
			body:   `{"error":{"type":"brand_new_error","message":"Something new."}}`,
			typ:    "brand_new_error",
			want:   []string{"Stripe returned an error: Something new.", "type brand_new_error"},
		},
		{
			name:   "500 internal error",
			status: http.StatusInternalServerError,
			body:   internalErrorJSON,
			typ:    "api_error",
			want:   []string{"Stripe had an internal error: An unknown error occurred", "request req_test123"},
		},
		{
			name:      "429 rate limited",
			status:    http.StatusTooManyRequests,
			body:      rateLimitJSON,
			typ:       "rate_limit_error",
			code:      "rate_limit",
			want:      []string{"rate limit", "(429)"},
			retryable: new(true),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fl := failCall(t, always(tt.status, tt.body))
			if fl.Type != tt.typ || fl.Code != tt.code || fl.Param != tt.param {
				t.Errorf("type %q code %q param %q, want %q %q %q", fl.Type, fl.Code, fl.Param, tt.typ, tt.code, tt.param)
			}
			if fl.Status != tt.status || fl.RequestID != "req_test123" {
				t.Errorf("status %d request %q", fl.Status, fl.RequestID)
			}
			for _, want := range tt.want {
				if !strings.Contains(fl.Message, want) {
					t.Errorf("message %q lacks %q", fl.Message, want)
				}
			}
			for _, bad := range tt.notWant {
				if strings.Contains(fl.Message, bad) {
					t.Errorf("message %q holds %q", fl.Message, bad)
				}
			}
			if tt.retryable != nil && (fl.Analysis == nil || fl.Analysis.Retryable != *tt.retryable) {
				t.Errorf("analysis %+v, want retryable %t", fl.Analysis, *tt.retryable)
			}
		})
	}
}

func TestDescribeUnreadableAnswer(t *testing.T) {
	// A proxy's page: long, HTML, with multi-byte characters around the cut.
	page := "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>" +
		strings.Repeat("é", 400) + strings.Repeat("<div>filler</div>", 300) + "</p></body></html>"
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"502 html", http.StatusBadGateway, page},
		{"503 plain text", http.StatusServiceUnavailable, "upstream connect error or disconnect/reset before headers"},
		{"400 html", http.StatusBadRequest, page},
		{"200 html", http.StatusOK, page},
		{"invalid utf-8", http.StatusBadGateway, "\xff\xfe\xfd broken " + strings.Repeat("\xc3", 300)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fl := failCall(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			})
			if fl.Type != "api_error" {
				t.Errorf("type %q, want api_error", fl.Type)
			}
			if !strings.Contains(fl.Message, "unexpected answer from the Stripe API") {
				t.Errorf("message %q", fl.Message)
			}
			if utf8.RuneCountInString(fl.Message) > 260 {
				t.Errorf("message is %d characters long: %q", utf8.RuneCountInString(fl.Message), fl.Message)
			}
			if strings.Contains(fl.Message, "filler") {
				t.Errorf("message dumps the page: %q", fl.Message)
			}
		})
	}
}

// blockUntilGone answers only after the client went away (or 3s).
func blockUntilGone(_ int, w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(3 * time.Second):
		answer(w, http.StatusOK, paymentIntentJSON)
	}
}

func TestDescribeTimeout(t *testing.T) {
	f := newFake(t, blockUntilGone)
	c, _ := newTestClient(t, f.URL, func(o *Options) { o.Timeout = 100 * time.Millisecond })
	start := time.Now()
	_, err := createPayment(t.Context(), c)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v with a 100ms timeout", d)
	}
	fl := Describe(err)
	if fl == nil {
		t.Fatal("call succeeded")
	}
	checkClean(t, fl)
	if fl.Type != "api_connection_error" || !strings.Contains(fl.Message, "Stripe did not answer in time") {
		t.Errorf("Failure %+v", fl)
	}
	if fl.Analysis == nil || !fl.Analysis.Retryable {
		t.Errorf("analysis %+v, want retryable", fl.Analysis)
	}
	// stripe-go repeats a timed-out request with the same key.
	reqs := f.requests()
	if len(reqs) != 3 {
		t.Errorf("fake saw %d requests, want 3 (one and two retries)", len(reqs))
	}
	for i, r := range reqs {
		if r.Header.Get("Idempotency-Key") != reqs[0].Header.Get("Idempotency-Key") {
			t.Errorf("request %d changed the Idempotency-Key", i)
		}
	}
}

func TestDescribeConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + l.Addr().String()
	l.Close()
	c, _ := newTestClient(t, base, nil)
	_, err = getCustomer(t.Context(), c)
	fl := Describe(err)
	if fl == nil {
		t.Fatal("call succeeded against a closed port")
	}
	checkClean(t, fl)
	if fl.Type != "api_connection_error" || !strings.Contains(fl.Message, "could not reach the Stripe API") {
		t.Errorf("Failure %+v", fl)
	}
	if !strings.Contains(fl.Message, "refused") || !strings.Contains(fl.Message, "doctor") {
		t.Errorf("message %q should name the cause and the doctor", fl.Message)
	}
	if fl.Analysis == nil || !fl.Analysis.Retryable {
		t.Errorf("analysis %+v, want retryable", fl.Analysis)
	}
}

func TestDescribeCancelled(t *testing.T) {
	t.Run("before the call", func(t *testing.T) {
		f := newFake(t, always(http.StatusOK, paymentIntentJSON))
		c, _ := newTestClient(t, f.URL, nil)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := createPayment(ctx, c)
		fl := Describe(err)
		if fl == nil {
			t.Fatal("call succeeded with a cancelled context")
		}
		checkClean(t, fl)
		if fl.Type != "api_connection_error" || !strings.Contains(fl.Message, "cancelled") {
			t.Errorf("Failure %+v", fl)
		}
		if n := len(f.requests()); n != 0 {
			t.Errorf("fake saw %d requests", n)
		}
	})
	t.Run("while waiting for the answer", func(t *testing.T) {
		f := newFake(t, blockUntilGone)
		c, _ := newTestClient(t, f.URL, nil)
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		_, err := createPayment(ctx, c)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %v after cancel", d)
		}
		fl := Describe(err)
		if fl == nil {
			t.Fatal("call succeeded")
		}
		checkClean(t, fl)
		if !strings.Contains(fl.Message, "cancelled") {
			t.Errorf("Failure %+v", fl)
		}
		if n := len(f.requests()); n != 1 {
			t.Errorf("fake saw %d requests, want 1 (no retry after cancel)", n)
		}
	})
}

func TestDescribeNilAndWrapped(t *testing.T) {
	if Describe(nil) != nil {
		t.Fatal("Describe(nil) != nil")
	}
	f := newFake(t, always(http.StatusNotFound, `{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such customer: 'cus_123'","param":"id"}}`))
	c, _ := newTestClient(t, f.URL, nil)
	_, err := getCustomer(t.Context(), c)
	fl := Describe(fmt.Errorf("get customer: %w", err))
	if fl.Code != "resource_missing" || fl.Status != http.StatusNotFound {
		t.Errorf("wrapped error lost its fields: %+v", fl)
	}
	if fl2 := Describe(errors.New("something odd " + testKey)); fl2.Type != "api_error" || strings.Contains(fl2.Message, testKey) {
		t.Errorf("Failure %+v", fl2)
	}
}
