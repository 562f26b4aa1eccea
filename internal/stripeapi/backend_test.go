package stripeapi

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
)

// stripeGoClient is a client stripe-go builds on its own, without backend:
// what this package's client is compared with.
func stripeGoClient(baseURL string) *stripe.Client {
	cfg := &stripe.BackendConfig{
		URL:               stripe.String(baseURL),
		MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger:     &leveledLogger{l: slog.New(slog.DiscardHandler)},
	}
	return stripe.NewClient(testKey, stripe.WithBackends(stripe.NewBackendsWithConfig(cfg)))
}

// errorBodies are Stripe errors as the API sends them, with the objects an
// error can carry taken from stripe-mock's fixtures.
func errorBodies(t testing.TB) []struct {
	name   string
	status int
	body   string
} {
	fx := fixtures(t)
	return []struct {
		name   string
		status int
		body   string
	}{
		{"decline with intent and method", 402, `{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","charge":"ch_1","doc_url":"https://stripe.com/docs/error-codes/card-declined","message":"Your card has insufficient funds.","request_log_url":"https://dashboard.stripe.com/logs/req_1","payment_method_type":"card","payment_intent":` + string(fx["payment_intent"]) + `,"payment_method":` + string(fx["payment_method"]) + `}}`},
		{"setup intent", 402, `{"error":{"type":"card_error","code":"authentication_required","message":"Authentication required.","setup_intent":` + string(fx["setup_intent"]) + `}}`},
		{"source", 402, `{"error":{"type":"card_error","code":"expired_card","message":"Your card has expired.","param":"exp_month","source":` + string(fx["card"]) + `}}`},
		{"invalid request", 400, `{"error":{"type":"invalid_request_error","code":"parameter_invalid_integer","param":"amount","message":"Invalid integer: abc"}}`},
		{"missing", 404, `{"error":{"type":"invalid_request_error","code":"resource_missing","param":"id","message":"No such customer: 'cus_nope'"}}`},
		{"bad key", 401, `{"error":{"message":"Invalid API Key provided: sk_test_****abcd"}}`},
		{"internal", 500, internalErrorJSON},
		{"idempotency", 400, `{"error":{"type":"idempotency_error","message":"Keys for idempotent requests can only be used with the same parameters they were first used with."}}`},
		{"unknown fields", 402, `{"error":{"type":"card_error","code":"card_declined","message":"Declined.","advice_code":"try_again_later","network_decline_code":"05","extra":{"a":[1,2]}}}`},
	}
}

// Stripe's JSON errors, decoded by backend, are the *stripe.Error stripe-go
// makes of them: the same fields, nested objects included, the same status
// and request id, and a response holding Stripe's status and body.
func TestStripeErrorsDecodedAsStripeGoDoes(t *testing.T) {
	for _, tt := range errorBodies(t) {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, always(tt.status, tt.body))
			c, logs := newTestClient(t, f.URL, nil)
			_, err := c.V1PaymentIntents.Create(t.Context(), &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(2000), Currency: stripe.String("usd")})
			_, wantErr := stripeGoClient(f.URL).V1PaymentIntents.Create(t.Context(), &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(2000), Currency: stripe.String("usd")})
			got, ok := err.(*stripe.Error)
			if !ok {
				t.Fatalf("error %T %v, want *stripe.Error", err, err)
			}
			want := wantErr.(*stripe.Error)
			if got.LastResponse == nil {
				t.Fatal("no LastResponse")
			}
			gr, wr := got.LastResponse, want.LastResponse
			if gr.StatusCode != tt.status || gr.Status != wr.Status || gr.RequestID != "req_test123" || string(gr.RawJSON) != tt.body {
				t.Errorf("response %d %q %q %.80q, want %d %q req_test123 and the body", gr.StatusCode, gr.Status, gr.RequestID, gr.RawJSON, tt.status, wr.Status)
			}
			if len(gr.Header.Values(errorStatusHeader)) != 0 {
				t.Errorf("the response keeps %s", errorStatusHeader)
			}
			g, w := *got, *want
			g.LastResponse, w.LastResponse = nil, nil
			g.Err, w.Err = nil, nil // stripe-go's typed errors cannot be made outside it
			if !reflect.DeepEqual(g, w) {
				t.Errorf("decoded differently\n got %+v\nwant %+v", g, w)
			}
			if fl := Describe(err); fl.Status != tt.status || fl.RequestID != "req_test123" || fl.Type != string(want.Type) {
				t.Errorf("Describe %+v", fl)
			}
			// The error's log line names it without repeating its objects,
			// and no client secret is logged (stripe-go's debug line repeats
			// the body).
			var line string
			for _, l := range strings.Split(logs.String(), "\n") {
				if strings.Contains(l, fmt.Sprintf("from Stripe (status %d)", tt.status)) {
					line = l
				}
			}
			if line == "" || !strings.Contains(line, want.Msg) {
				t.Errorf("log lacks the error:\n%s", logs)
			}
			if strings.Contains(line, `\"object\"`) {
				t.Errorf("the error's line repeats its objects:\n%s", line)
			}
			if strings.Contains(logs.String(), "secret_Dm43") || strings.Contains(logs.String(), "secret_QXg2") {
				t.Errorf("a client secret was logged:\n%s", logs)
			}
		})
	}
}

// A list's pages go through CallRaw: their errors are decoded likewise (the
// log line is backend's, not stripe-go's JSON of the error).
func TestListErrorDecoded(t *testing.T) {
	f := newFake(t, always(http.StatusBadRequest, `{"error":{"type":"invalid_request_error","param":"limit","message":"Invalid limit"}}`))
	c, logs := newTestClient(t, f.URL, nil)
	err := c.V1Customers.List(t.Context(), &stripe.CustomerListParams{}).Err()
	se, ok := err.(*stripe.Error)
	if !ok || se.Param != "limit" || se.HTTPStatusCode != 400 {
		t.Fatalf("error %T %+v, want the 400 on limit", err, err)
	}
	if !strings.Contains(logs.String(), "(status 400): Stripe refused the request: Invalid limit") {
		t.Errorf("the error was not decoded by backend:\n%s", logs)
	}
}

// errorAnswers hands over only marked requests' JSON errors; anything else
// is stripe-go's as Stripe sent it.
func TestErrorAnswersHandsOverOnlyWhatBackendDecodes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, _ := strconv.Atoi(r.URL.Query().Get("status"))
		switch r.URL.Query().Get("body") {
		case "json":
			answer(w, status, `{"error":{"type":"card_error","code":"card_declined","message":"Declined."}}`)
		case "lock":
			answer(w, status, `{"error":{"type":"invalid_request_error","code":"lock_timeout","message":"This object cannot be accessed right now."}}`)
		case "null":
			answer(w, status, `{"error":null}`)
		case "huge":
			answer(w, status, `{"error":{"type":"api_error","message":"`+strings.Repeat("x", maxErrorBody)+`"}}`)
		default:
			w.WriteHeader(status)
			io.WriteString(w, "<html>Bad Gateway</html>")
		}
	}))
	defer srv.Close()
	tests := []struct {
		name, query string
		marked      bool
		wantStatus  int
		wantMarker  string
	}{
		{"marked JSON error", "status=402&body=json", true, 200, "402 Payment Required"},
		{"unmarked JSON error", "status=402&body=json", false, 402, ""},
		{"marked proxy page", "status=502&body=html", true, 502, ""},
		{"marked lock timeout", "status=429&body=lock", true, 429, ""},
		{"marked other 429", "status=429&body=json", true, 200, "429 Too Many Requests"},
		{"marked null error", "status=500&body=null", true, 500, ""},
		{"marked error over the size read", "status=500&body=huge", true, 500, ""},
		{"marked success", "status=200&body=json", true, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			if tt.marked {
				ctx = contextWithOwnErrors(ctx)
			}
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1/x?"+tt.query, nil)
			resp, err := errorAnswers{http.DefaultTransport}.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus || resp.Header.Get(errorStatusHeader) != tt.wantMarker {
				t.Errorf("status %d, marker %q; want %d, %q", resp.StatusCode, resp.Header.Get(errorStatusHeader), tt.wantStatus, tt.wantMarker)
			}
			if len(body) == 0 || !strings.Contains(tt.query, "body=html") && !json.Valid(body) {
				t.Errorf("the body was lost or cut (%d bytes)", len(body))
			}
		})
	}
}

// A 429 lock timeout is the JSON error stripe-go retries itself: it still
// does, while a rate limit (retried below it, by rateLimitTransport) is not
// retried again.
func TestLockTimeoutStillRetriedByStripeGo(t *testing.T) {
	lock := `{"error":{"type":"invalid_request_error","code":"lock_timeout","message":"This object cannot be accessed right now because another API request or Stripe process is currently accessing it."}}`
	for _, tt := range []struct {
		body string
		want int
	}{{lock, 3}, {rateLimitJSON, 1}} {
		f := newFake(t, always(http.StatusTooManyRequests, tt.body))
		c, _ := newTestClient(t, f.URL, func(o *Options) { o.RateLimitRetries = -1; o.MaxNetworkRetries = 2 })
		_, err := getCustomer(t.Context(), c)
		if se, ok := err.(*stripe.Error); !ok || se.HTTPStatusCode != 429 {
			t.Fatalf("error %T %v, want the 429", err, err)
		}
		if n := len(f.requests()); n != tt.want {
			t.Errorf("%.40s…: %d requests, want %d", tt.body, n, tt.want)
		}
	}
}

// A call's params keep the context they had: the mark is taken off again.
func TestParamsContextRestored(t *testing.T) {
	f := newFake(t, always(http.StatusPaymentRequired, `{"error":{"type":"card_error","message":"Declined."}}`))
	c, _ := newTestClient(t, f.URL, nil)
	p := &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(100), Currency: stripe.String("usd")}
	c.V1PaymentIntents.Create(t.Context(), p)
	if p.Context != t.Context() {
		t.Errorf("params context %v, want the call's", p.Context)
	}
}

// The first error of a process decoded by backend keeps a few kilobytes;
// stripe-go's own decoding of the same error keeps the encoding/json caches
// of most of Stripe's types. Measured in a fresh process (the caches are
// global), both in that one process: backend's first, then stripe-go's.
func TestFirstErrorKeepsLittleMemory(t *testing.T) {
	if os.Getenv("STRIPEAPI_HEAP_CHILD") == "1" {
		firstErrorHeap(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestFirstErrorKeepsLittleMemory$", "-test.count=1")
	cmd.Env = append(os.Environ(), "STRIPEAPI_HEAP_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var ours, theirs, oursUS, theirsUS int64
	for _, l := range strings.Split(string(out), "\n") {
		if i := strings.Index(l, "HEAP "); i >= 0 {
			fmt.Sscan(l[i+5:], &ours, &theirs, &oursUS, &theirsUS)
		}
	}
	t.Logf("heap kept by the first error: %d KB through backend, %d KB through stripe-go's decoding (%.1fx)", ours/1024, theirs/1024, float64(theirs)/float64(max(ours, 1)))
	t.Logf("time: the whole first failing call (HTTP included) %d µs through backend; stripe-go's decoding of its error alone %d µs", oursUS, theirsUS)
	if theirs < 512<<10 {
		t.Fatalf("stripe-go's decoding kept only %d bytes: the baseline no longer shows what backend avoids", theirs)
	}
	if ours*10 > theirs {
		t.Errorf("backend kept %d bytes, more than a tenth of stripe-go's %d", ours, theirs)
	}
}

func firstErrorHeap(t *testing.T) {
	body := errorBodies(t)[0].body
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/customers/cus_123" {
			answer(w, http.StatusOK, customerJSON)
			return
		}
		answer(w, http.StatusPaymentRequired, body)
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL, nil)
	// A first call opens the connection and fills the decoder's tables.
	if _, err := getCustomer(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	heap := func() int64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return int64(m.HeapAlloc)
	}
	h0 := heap()
	start := time.Now()
	_, err := createPayment(t.Context(), c)
	d1 := time.Since(start)
	h1 := heap()
	var raw struct {
		Error *stripe.Error `json:"error"`
	}
	start = time.Now()
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatal(err)
	}
	d2 := time.Since(start)
	h2 := heap()
	if _, ok := err.(*stripe.Error); !ok || raw.Error == nil {
		t.Fatalf("no decline: %v", err)
	}
	runtime.KeepAlive(err)
	runtime.KeepAlive(raw.Error)
	fmt.Printf("HEAP %d %d %d %d\n", h1-h0, h2-h1, d1.Microseconds(), d2.Microseconds())
}
