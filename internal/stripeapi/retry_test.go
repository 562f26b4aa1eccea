package stripeapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stripe/stripe-go/v85"
)

// TestRetriesWhatStripeDidNotProcess: 409, 503 and Stripe-Should-Retry:
// true are repeated with the same idempotency key; Stripe-Should-Retry:
// false and a plain 500 are not.
func TestRetriesWhatStripeDidNotProcess(t *testing.T) {
	cases := []struct {
		name     string
		status   int
		header   string
		attempts int
	}{
		{"409 conflict", 409, "", 2},
		{"503 unavailable", 503, "", 2},
		{"500 marked retryable", 500, "true", 2},
		{"429 marked final", 429, "false", 1},
		{"500", 500, "", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var mu sync.Mutex
			var keys []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				keys = append(keys, r.Header.Get("Idempotency-Key"))
				n := len(keys)
				mu.Unlock()
				w.Header().Set("Content-Type", "application/json")
				if n == 1 {
					if c.header != "" {
						w.Header().Set("Stripe-Should-Retry", c.header)
					}
					w.WriteHeader(c.status)
					w.Write([]byte(`{"error":{"type":"api_error","message":"try again"}}`))
					return
				}
				w.Write([]byte(`{"id":"pi_1","object":"payment_intent","amount":100,"currency":"usd","status":"requires_payment_method"}`))
			}))
			defer srv.Close()
			cl, err := New(Options{Key: "sk_test_0123456789abcdefghijklmnop", BaseURL: srv.URL, NoRetrySleep: true})
			if err != nil {
				t.Fatal(err)
			}
			_, err = cl.V1PaymentIntents.Create(context.Background(), &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(100), Currency: stripe.String("usd")})
			mu.Lock()
			defer mu.Unlock()
			if len(keys) != c.attempts {
				t.Fatalf("%d attempts, want %d (err %v)", len(keys), c.attempts, err)
			}
			if c.attempts == 2 && (err != nil || keys[0] == "" || keys[0] != keys[1]) {
				t.Fatalf("retry: err %v, keys %q", err, keys)
			}
			if c.attempts == 1 && err == nil {
				t.Fatal("a final error succeeded")
			}
		})
	}
}
