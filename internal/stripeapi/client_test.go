package stripeapi

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
)

func TestNewSendsStripeHeaders(t *testing.T) {
	// The write cases pass through both retry layers: a 429 (this package)
	// and a proxy's 502 page (stripe-go) before the answer.
	rateLimitedThenBroken := func(n int, w http.ResponseWriter, _ *http.Request) {
		switch n {
		case 0:
			answer(w, http.StatusTooManyRequests, rateLimitJSON)
		case 1:
			proxyPage(w, http.StatusBadGateway)
		default:
			answer(w, http.StatusOK, paymentIntentJSON)
		}
	}
	tests := []struct {
		name     string
		account  string
		respond  func(int, http.ResponseWriter, *http.Request)
		call     func(context.Context, *Client) error
		requests int
	}{
		{
			name:     "read without account",
			respond:  always(http.StatusOK, customerJSON),
			call:     func(ctx context.Context, c *Client) error { _, err := getCustomer(ctx, c); return err },
			requests: 1,
		},
		{
			name:     "read with account",
			account:  "acct_1Connected",
			respond:  always(http.StatusOK, customerJSON),
			call:     func(ctx context.Context, c *Client) error { _, err := getCustomer(ctx, c); return err },
			requests: 1,
		},
		{
			name:     "write with account through retries",
			account:  "acct_1Connected",
			respond:  rateLimitedThenBroken,
			call:     func(ctx context.Context, c *Client) error { _, err := createPayment(ctx, c); return err },
			requests: 3,
		},
		{
			name:     "write without account through retries",
			respond:  rateLimitedThenBroken,
			call:     func(ctx context.Context, c *Client) error { _, err := createPayment(ctx, c); return err },
			requests: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.respond)
			c, _ := newTestClient(t, f.URL, func(o *Options) { o.Account = tt.account })
			if c.Account != tt.account || c.BaseURL != f.URL {
				t.Errorf("client reports account %q base %q, want %q %q", c.Account, c.BaseURL, tt.account, f.URL)
			}
			if err := tt.call(t.Context(), c); err != nil {
				t.Fatalf("call failed: %v", Describe(err))
			}
			reqs := f.requests()
			if len(reqs) != tt.requests {
				t.Fatalf("fake saw %d requests, want %d", len(reqs), tt.requests)
			}
			for i, r := range reqs {
				if got := r.Header.Values("Stripe-Account"); tt.account == "" && len(got) != 0 {
					t.Errorf("request %d: Stripe-Account %q sent without an account", i, got)
				} else if tt.account != "" && (len(got) != 1 || got[0] != tt.account) {
					t.Errorf("request %d: Stripe-Account %q, want exactly [%s]", i, got, tt.account)
				}
				if got := r.Header.Get("Authorization"); got != "Bearer "+testKey {
					t.Errorf("request %d: Authorization %q does not carry the key", i, got)
				}
				if got := r.Header.Get("Stripe-Version"); got != stripe.APIVersion {
					t.Errorf("request %d: Stripe-Version %q, want %q", i, got, stripe.APIVersion)
				}
				if got := r.Header.Get("User-Agent"); !strings.Contains(got, "stripe-mcp") {
					t.Errorf("request %d: User-Agent %q lacks the app info", i, got)
				}
				if got := r.Header.Get("X-Stripe-Client-User-Agent"); !strings.Contains(got, "stripe-mcp") {
					t.Errorf("request %d: X-Stripe-Client-User-Agent %q lacks the app info", i, got)
				}
			}
		})
	}
}

func TestPerRequestAccountIsKept(t *testing.T) {
	f := newFake(t, always(http.StatusOK, customerJSON))
	c, _ := newTestClient(t, f.URL, func(o *Options) { o.Account = "acct_default" })
	p := &stripe.CustomerRetrieveParams{}
	p.SetStripeAccount("acct_other")
	if _, err := c.V1Customers.Retrieve(t.Context(), "cus_123", p); err != nil {
		t.Fatal(Describe(err))
	}
	if got := f.requests()[0].Header.Values("Stripe-Account"); len(got) != 1 || got[0] != "acct_other" {
		t.Fatalf("Stripe-Account %q, want [acct_other]", got)
	}
}

func TestRateLimitRetries(t *testing.T) {
	// Stripe answers a rate limit with either body, depending on the limiter.
	const invalidRequestRateLimit = `{"error":{"type":"invalid_request_error","code":"rate_limit","message":"Too many requests hit the API too quickly."}}`
	tests := []struct {
		name       string
		retries    int // Options.RateLimitRetries; 0 means the default, 3
		limited    int // 429s before the 200
		body       string
		write      bool
		wantErr    bool
		wantTotals int
	}{
		{name: "no 429", limited: 0, body: rateLimitJSON, write: true, wantTotals: 1},
		{name: "one 429", limited: 1, body: rateLimitJSON, write: true, wantTotals: 2},
		{name: "two 429s", limited: 2, body: rateLimitJSON, write: true, wantTotals: 3},
		{name: "as many 429s as retries", limited: 3, body: rateLimitJSON, write: true, wantTotals: 4},
		{name: "one 429 on a read", limited: 1, body: rateLimitJSON, wantTotals: 2},
		{name: "invalid_request_error body", limited: 2, body: invalidRequestRateLimit, write: true, wantTotals: 3},
		{name: "more 429s than retries", limited: 100, body: rateLimitJSON, write: true, wantErr: true, wantTotals: 4},
		{name: "more 429s than one retry", retries: 1, limited: 100, body: rateLimitJSON, write: true, wantErr: true, wantTotals: 2},
		{name: "more 429s than retries on a read", limited: 100, body: invalidRequestRateLimit, wantErr: true, wantTotals: 4},
		{name: "five retries", retries: 5, limited: 5, body: rateLimitJSON, write: true, wantTotals: 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok := customerJSON
			if tt.write {
				ok = paymentIntentJSON
			}
			f := newFake(t, succeedAfter(tt.limited, http.StatusTooManyRequests, tt.body, ok))
			c, logs := newTestClient(t, f.URL, func(o *Options) { o.RateLimitRetries = tt.retries })
			var err error
			if tt.write {
				_, err = createPayment(t.Context(), c)
			} else {
				_, err = getCustomer(t.Context(), c)
			}
			reqs := f.requests()
			if len(reqs) != tt.wantTotals {
				t.Fatalf("fake saw %d requests, want %d", len(reqs), tt.wantTotals)
			}
			for i, r := range reqs {
				key := r.Header.Get("Idempotency-Key")
				if tt.write && key == "" {
					t.Errorf("request %d: no Idempotency-Key on a write", i)
				}
				if key != reqs[0].Header.Get("Idempotency-Key") {
					t.Errorf("request %d: Idempotency-Key %q differs from the first %q", i, key, reqs[0].Header.Get("Idempotency-Key"))
				}
				if r.Body != reqs[0].Body {
					t.Errorf("request %d: body %q differs from the first %q", i, r.Body, reqs[0].Body)
				}
			}
			if tt.write && !strings.Contains(reqs[0].Body, "amount=2000") {
				t.Errorf("body %q lacks the amount", reqs[0].Body)
			}
			if tt.limited > 0 && !strings.Contains(logs.String(), "rate limited") {
				t.Errorf("retries were not logged: %s", logs)
			}
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("call failed: %v", Describe(err))
				}
				return
			}
			if err == nil {
				t.Fatal("call succeeded, want a rate limit failure")
			}
			fl := Describe(err)
			if !strings.Contains(fl.Message, "rate limit") || fl.Status != http.StatusTooManyRequests {
				t.Errorf("Failure %+v does not say rate limited", fl)
			}
			if fl.Analysis == nil || !fl.Analysis.Retryable || fl.Analysis.Reason != "rate limited" {
				t.Errorf("Analysis %+v, want retryable rate limited", fl.Analysis)
			}
			if fl.RequestID != "req_test123" {
				t.Errorf("RequestID %q, want req_test123", fl.RequestID)
			}
			if strings.Contains(fl.Message, `{"`) {
				t.Errorf("message holds raw JSON: %s", fl.Message)
			}
		})
	}
}

func TestRateLimitSleepsAndStopsWithTheContext(t *testing.T) {
	retryAfter := func(seconds string) func(int, http.ResponseWriter, *http.Request) {
		return func(n int, w http.ResponseWriter, _ *http.Request) {
			if n == 0 {
				w.Header().Set("Retry-After", seconds)
				answer(w, http.StatusTooManyRequests, rateLimitJSON)
				return
			}
			answer(w, http.StatusOK, paymentIntentJSON)
		}
	}
	sleeping := func(o *Options) { o.NoRetrySleep = false }

	t.Run("Retry-After 0 retries at once", func(t *testing.T) {
		f := newFake(t, retryAfter("0"))
		c, _ := newTestClient(t, f.URL, sleeping)
		start := time.Now()
		if _, err := createPayment(t.Context(), c); err != nil {
			t.Fatal(Describe(err))
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %v", d)
		}
		if n := len(f.requests()); n != 2 {
			t.Errorf("fake saw %d requests, want 2", n)
		}
	})
	t.Run("cancelled while waiting", func(t *testing.T) {
		f := newFake(t, retryAfter("5"))
		c, _ := newTestClient(t, f.URL, sleeping)
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := createPayment(ctx, c)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("waited %v despite the context", d)
		}
		if err == nil {
			t.Fatal("call succeeded, want the context's error")
		}
		if n := len(f.requests()); n != 1 {
			t.Errorf("fake saw %d requests, want 1", n)
		}
		if fl := Describe(err); fl.Type != "api_connection_error" || !strings.Contains(fl.Message, "did not answer in time") {
			t.Errorf("Failure %+v", fl)
		}
	})
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		name       string
		attempt    int
		retryAfter string
		min, max   time.Duration
	}{
		{"retry-after seconds", 0, "3", 3 * time.Second, 3 * time.Second},
		{"retry-after zero", 2, "0", 0, 0},
		{"retry-after with spaces", 0, " 2 ", 2 * time.Second, 2 * time.Second},
		{"retry-after capped", 0, "120", 10 * time.Second, 10 * time.Second},
		{"retry-after at the cap", 0, "10", 10 * time.Second, 10 * time.Second},
		{"retry-after wins over attempt", 4, "1", time.Second, time.Second},
		{"negative retry-after ignored", 0, "-1", 375 * time.Millisecond, 500 * time.Millisecond},
		{"http date ignored", 1, "Wed, 21 Oct 2015 07:28:00 GMT", 750 * time.Millisecond, time.Second},
		{"garbage ignored", 0, "soon", 375 * time.Millisecond, 500 * time.Millisecond},
		{"fraction ignored", 0, "1.5", 375 * time.Millisecond, 500 * time.Millisecond},
		{"first attempt", 0, "", 375 * time.Millisecond, 500 * time.Millisecond},
		{"second attempt", 1, "", 750 * time.Millisecond, time.Second},
		{"third attempt", 2, "", 1500 * time.Millisecond, 2 * time.Second},
		{"fourth attempt", 3, "", 3 * time.Second, 4 * time.Second},
		{"fifth attempt", 4, "", 6 * time.Second, 8 * time.Second},
		{"later attempts stay capped", 30, "", 6 * time.Second, 8 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 200 { // jitter: the bounds hold for every draw
				got := backoff(tt.attempt, tt.retryAfter)
				if got < tt.min || got > tt.max {
					t.Fatalf("backoff(%d, %q) = %v, want within [%v, %v]", tt.attempt, tt.retryAfter, got, tt.min, tt.max)
				}
			}
		})
	}
}

func TestNetworkErrorRetriedWithSameIdempotencyKey(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 0 {
			// Drop the connection without answering.
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				panic(err)
			}
			conn.Close()
			return
		}
		answer(w, http.StatusOK, paymentIntentJSON)
	})
	c, logs := newTestClient(t, f.URL, nil)
	pi, err := createPayment(t.Context(), c)
	if err != nil {
		t.Fatalf("call failed: %v", Describe(err))
	}
	if pi.ID != "pi_123" {
		t.Errorf("got %q", pi.ID)
	}
	reqs := f.requests()
	if len(reqs) != 2 {
		t.Fatalf("fake saw %d requests, want 2", len(reqs))
	}
	k0, k1 := reqs[0].Header.Get("Idempotency-Key"), reqs[1].Header.Get("Idempotency-Key")
	if k0 == "" || k0 != k1 {
		t.Errorf("Idempotency-Key %q then %q, want the same non-empty key", k0, k1)
	}
	if reqs[0].Body != reqs[1].Body {
		t.Errorf("bodies differ: %q vs %q", reqs[0].Body, reqs[1].Body)
	}
	if !strings.Contains(logs.String(), "Initiating retry") {
		t.Errorf("stripe-go's retry was not logged: %s", logs)
	}
}

// proxyPage answers as a proxy in front of Stripe would: HTML, no JSON.
func proxyPage(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	io.WriteString(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
}

func TestServerErrors(t *testing.T) {
	stripe500 := func(n int) func(int, http.ResponseWriter, *http.Request) {
		return succeedAfter(n, http.StatusInternalServerError, internalErrorJSON, paymentIntentJSON)
	}
	proxy502 := func(n int) func(int, http.ResponseWriter, *http.Request) {
		return func(i int, w http.ResponseWriter, _ *http.Request) {
			if i < n {
				proxyPage(w, http.StatusBadGateway)
				return
			}
			answer(w, http.StatusOK, paymentIntentJSON)
		}
	}
	tests := []struct {
		name       string
		respond    func(int, http.ResponseWriter, *http.Request)
		retries    int // Options.MaxNetworkRetries; 0 means the default, 2
		wantErr    string
		wantTotals int
	}{
		// stripe-go retries answers it cannot read, with the same key.
		{name: "proxy 502 then 200", respond: proxy502(1), wantTotals: 2},
		{name: "two proxy 502s then 200", respond: proxy502(2), wantTotals: 3},
		{name: "proxy 502 always", respond: proxy502(100), wantErr: "unexpected answer", wantTotals: 3},
		{name: "proxy 502 always with one retry", respond: proxy502(100), retries: 1, wantErr: "unexpected answer", wantTotals: 2},
		{name: "proxy 502 always without retries", respond: proxy502(100), retries: -1, wantErr: "unexpected answer", wantTotals: 1},
		// stripe-go v85 treats every error Stripe itself sends, 500
		// included, as final: its retrier check comes before its 5xx rule.
		{name: "stripe 500 once", respond: stripe500(1), wantErr: "internal error", wantTotals: 1},
		{name: "stripe 500 always", respond: stripe500(100), wantErr: "internal error", wantTotals: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.respond)
			c, _ := newTestClient(t, f.URL, func(o *Options) { o.MaxNetworkRetries = tt.retries })
			_, err := createPayment(t.Context(), c)
			reqs := f.requests()
			if len(reqs) != tt.wantTotals {
				t.Fatalf("fake saw %d requests, want %d", len(reqs), tt.wantTotals)
			}
			for i, r := range reqs {
				if r.Header.Get("Idempotency-Key") != reqs[0].Header.Get("Idempotency-Key") || r.Body != reqs[0].Body {
					t.Errorf("request %d changed the Idempotency-Key or the body", i)
				}
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("call failed: %v", Describe(err))
				}
				return
			}
			fl := Describe(err)
			if fl == nil {
				t.Fatal("call succeeded, want a failure")
			}
			checkClean(t, fl)
			if fl.Type != "api_error" || !strings.Contains(fl.Message, tt.wantErr) {
				t.Errorf("Failure %+v, want api_error saying %q", fl, tt.wantErr)
			}
		})
	}
}

func TestStripeInternalError(t *testing.T) {
	f := newFake(t, always(http.StatusInternalServerError, internalErrorJSON))
	c, _ := newTestClient(t, f.URL, nil)
	_, err := getCustomer(t.Context(), c)
	fl := Describe(err)
	if fl == nil {
		t.Fatal("call succeeded")
	}
	checkClean(t, fl)
	if fl.Type != "api_error" || fl.Status != 500 || fl.RequestID != "req_test123" {
		t.Errorf("Failure %+v, want api_error 500 req_test123", fl)
	}
	for _, want := range []string{"Stripe had an internal error", "An unknown error occurred", "request req_test123"} {
		if !strings.Contains(fl.Message, want) {
			t.Errorf("message %q lacks %q", fl.Message, want)
		}
	}
	if fl.Analysis == nil || !fl.Analysis.Retryable {
		t.Errorf("Analysis %+v, want retryable", fl.Analysis)
	}
}

// TestStripeLogsGoToSlog must not run in parallel: it swaps os.Stdout and
// stripe-go's default logger.
func TestStripeLogsGoToSlog(t *testing.T) {
	// If New forgot its own logger, stripe-go's default would be used; make
	// that default as loud as possible so the pipe would catch it.
	oldDefault := stripe.DefaultLeveledLogger
	stripe.DefaultLeveledLogger = &stripe.LeveledLogger{Level: stripe.LevelDebug}
	defer func() { stripe.DefaultLeveledLogger = oldDefault }()

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	oldStdout := os.Stdout
	os.Stdout = w
	restored := false
	restore := func() {
		if !restored {
			os.Stdout = oldStdout
			w.Close()
			restored = true
		}
	}
	defer restore()
	captured := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		r.Close()
		captured <- b
	}()

	f := newFake(t, always(http.StatusInternalServerError, internalErrorJSON))
	c, logs := newTestClient(t, f.URL, nil)
	_, callErr := getCustomer(t.Context(), c)
	restore()
	if out := <-captured; len(out) != 0 {
		t.Errorf("stdout received %q", out)
	}
	if callErr == nil {
		t.Fatal("call succeeded, want a 500")
	}
	got := logs.String()
	for _, want := range []string{"level=WARN", "stripe: Request error from Stripe (status 500)", "level=DEBUG", "stripe: Requesting GET"} {
		if !strings.Contains(got, want) {
			t.Errorf("slog output lacks %q:\n%s", want, got)
		}
	}
}

func TestLogsAreRedacted(t *testing.T) {
	const leaked = "sk_live_abcdefghijklmnopqrstuvwxyz9876"
	body := `{"error":{"type":"card_error","code":"incorrect_number","message":"Your card number 4242424242424242 is incorrect; key ` + leaked + `.","param":"number"}}`
	f := newFake(t, always(http.StatusPaymentRequired, body))
	c, logs := newTestClient(t, f.URL, nil)
	if _, err := createPayment(t.Context(), c); err == nil {
		t.Fatal("call succeeded")
	}
	got := logs.String()
	if !strings.Contains(got, "incorrect") {
		t.Fatalf("the error was not logged:\n%s", got)
	}
	for _, secret := range []string{leaked, "4242424242424242", testKey} {
		if strings.Contains(got, secret) {
			t.Errorf("log holds %q:\n%s", secret, got)
		}
	}
}

func TestNewConcurrently(t *testing.T) {
	// Clients are built while others are in use (doctor, sandbox, tests):
	// New must not race with requests in flight.
	f := newFake(t, always(http.StatusOK, customerJSON))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			c, err := New(Options{Key: testKey, BaseURL: f.URL, NoRetrySleep: true})
			if err != nil {
				t.Error(err)
				return
			}
			for range 3 {
				if _, err := getCustomer(t.Context(), c); err != nil {
					t.Error(Describe(err))
				}
			}
		})
	}
	wg.Wait()
}

func TestNewRejectsBadBaseURL(t *testing.T) {
	if _, err := New(Options{Key: testKey, BaseURL: "http://example.com"}); err == nil {
		t.Fatal("New accepted http on a public host")
	}
	c, err := New(Options{Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL != DefaultBaseURL || c.Timeout != 30*time.Second {
		t.Errorf("defaults: base %q timeout %v", c.BaseURL, c.Timeout)
	}
}

func TestCheckBaseURL(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{in: "https://api.stripe.com", want: "https://api.stripe.com"},
		{in: "https://api.stripe.com/", want: "https://api.stripe.com"},
		{in: "https://proxy.example.com:8443//", want: "https://proxy.example.com:8443"},
		{in: "https://proxy.example.com/stripe/", want: "https://proxy.example.com/stripe"},
		{in: "http://127.0.0.1:12111", want: "http://127.0.0.1:12111"},
		{in: "http://127.0.0.1:12111/", want: "http://127.0.0.1:12111"},
		{in: "http://127.1.2.3:8080", want: "http://127.1.2.3:8080"},
		{in: "http://localhost", want: "http://localhost"},
		{in: "http://LOCALHOST:12111", want: "http://LOCALHOST:12111"},
		{in: "http://[::1]:1", want: "http://[::1]:1"},
		{in: "http://example.com", wantErr: "non-loopback"},
		{in: "http://api.stripe.com", wantErr: "non-loopback"},
		{in: "http://localhost.example.com", wantErr: "non-loopback"},
		{in: "http://0.0.0.0:12111", wantErr: "non-loopback"},
		{in: "http://10.0.0.1", wantErr: "non-loopback"},
		{in: "ftp://127.0.0.1", wantErr: "not a URL"},
		{in: "ws://127.0.0.1", wantErr: "not a URL"},
		{in: "garbage", wantErr: "not a URL"},
		{in: "api.stripe.com", wantErr: "not a URL"},
		{in: "https://", wantErr: "not a URL"},
		{in: "", wantErr: "not a URL"},
		{in: "://x", wantErr: "not a URL"},
		{in: "https://user:pass@api.stripe.com", wantErr: "credentials"},
		{in: "http://user@127.0.0.1", wantErr: "credentials"},
		{in: "https://api.stripe.com?x=1", wantErr: "query"},
		{in: "https://api.stripe.com#frag", wantErr: "fragment"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := CheckBaseURL(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("CheckBaseURL(%q) = %q, want an error", tt.in, got)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %q lacks %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("CheckBaseURL(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("CheckBaseURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCheckBaseURLHidesCredentials(t *testing.T) {
	for _, in := range []string{
		"https://user:" + testKey + "@proxy.example.com",
		"https://" + testKey + "@proxy.example.com",
		"http://user:" + testKey + "@example.com",
	} {
		_, err := CheckBaseURL(in)
		if err == nil {
			t.Fatalf("CheckBaseURL(%q) accepted credentials", in)
		}
		if strings.Contains(err.Error(), testKey) {
			t.Errorf("error repeats the key: %v", err)
		}
	}
}

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LocalHost": true, "127.0.0.1": true, "127.255.0.9": true, "::1": true,
		"::ffff:127.0.0.1": true, "": false, "0.0.0.0": false, "::": false, "example.com": false,
		"192.168.1.1": false,
	} {
		if got := IsLoopbackHost(host); got != want {
			t.Errorf("IsLoopbackHost(%q) = %t, want %t", host, got, want)
		}
	}
}
