package stripeapi

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
)

// testKey is a well-formed test key; only the fake server ever sees it.
const testKey = "sk_test_51FakeKeyForUnitTestsOnly0000000000abcd"

// seen is one request as the fake Stripe received it.
type seen struct {
	Method, Path string
	Header       http.Header
	Body         string
}

// fakeStripe is a loopback server that records every request and answers
// with respond, which gets the 0-based number of the request.
type fakeStripe struct {
	URL     string
	respond func(n int, w http.ResponseWriter, r *http.Request)

	mu   sync.Mutex
	reqs []seen
}

func newFake(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request)) *fakeStripe {
	t.Helper()
	f := &fakeStripe{respond: respond}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		n := len(f.reqs)
		f.reqs = append(f.reqs, seen{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: string(body)})
		f.mu.Unlock()
		f.respond(n, w, r)
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func (f *fakeStripe) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.reqs...)
}

// answer writes a JSON body with a Request-Id header, as Stripe does.
func answer(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Request-Id", "req_test123")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

const (
	customerJSON      = `{"id":"cus_123","object":"customer","email":"jenny@example.com"}`
	paymentIntentJSON = `{"id":"pi_123","object":"payment_intent","amount":2000,"currency":"usd","status":"requires_payment_method"}`
	rateLimitJSON     = `{"error":{"type":"rate_limit_error","code":"rate_limit","message":"Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits."}}`
	internalErrorJSON = `{"error":{"type":"api_error","message":"An unknown error occurred while processing your request."}}`
)

// succeedAfter answers with status and body for the first n requests and
// with ok afterwards.
func succeedAfter(n, status int, body, ok string) func(int, http.ResponseWriter, *http.Request) {
	return func(i int, w http.ResponseWriter, _ *http.Request) {
		if i < n {
			answer(w, status, body)
			return
		}
		answer(w, http.StatusOK, ok)
	}
}

// always answers every request the same way.
func always(status int, body string) func(int, http.ResponseWriter, *http.Request) {
	return func(_ int, w http.ResponseWriter, _ *http.Request) { answer(w, status, body) }
}

// syncBuffer is a log sink safe for the concurrent writes of a client.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newTestClient builds a client for baseURL with immediate retries; edit
// changes the options before New.
func newTestClient(t *testing.T, baseURL string, edit func(*Options)) (*Client, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	o := Options{
		Key:          testKey,
		BaseURL:      baseURL,
		Timeout:      5 * time.Second,
		Logger:       slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		NoRetrySleep: true,
	}
	if edit != nil {
		edit(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, logs
}

// createPayment makes a write request, which carries an idempotency key.
func createPayment(ctx context.Context, c *Client) (*stripe.PaymentIntent, error) {
	return c.V1PaymentIntents.Create(ctx, &stripe.PaymentIntentCreateParams{
		Amount:   stripe.Int64(2000),
		Currency: stripe.String(stripe.CurrencyUSD),
	})
}

func getCustomer(ctx context.Context, c *Client) (*stripe.Customer, error) {
	return c.V1Customers.Retrieve(ctx, "cus_123", nil)
}
