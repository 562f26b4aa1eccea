// Package stripeapi builds the stripe-go client the tools use and turns what
// Stripe answers into messages a person or a model can act on.
package stripeapi

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stripe/stripe-go/v85"

	"github.com/stripe-mcp/stripe-mcp/internal/redact"
)

// Version is the stripe-mcp version reported in the User-Agent.
var Version = "dev"

// DefaultBaseURL is Stripe's API.
const DefaultBaseURL = "https://api.stripe.com"

// Options configure a Client.
type Options struct {
	Key     string
	BaseURL string        // "" means DefaultBaseURL
	Timeout time.Duration // per attempt; 0 means 30s
	Account string        // Connect account sent as Stripe-Account on every request
	// MaxNetworkRetries is how often stripe-go retries a request that failed
	// on the network or got an answer it could not read (a proxy's 5xx page);
	// it reuses the idempotency key. Default 2; negative means none. stripe-go
	// v85 does not retry Stripe's own JSON errors, 5xx and 409 included.
	MaxNetworkRetries int
	// RateLimitRetries is how often a request that Stripe did not process
	// (429, 409, 503, Stripe-Should-Retry: true) is retried with backoff and
	// the same idempotency key. Default 3.
	RateLimitRetries int
	// Transport replaces the HTTP transport (the sandbox serves the API in
	// process through one). nil means a clone of http.DefaultTransport.
	Transport http.RoundTripper
	Logger    *slog.Logger
	// NoRetrySleep makes retries immediate (tests).
	NoRetrySleep bool
}

// Client is the stripe-go client plus what the tools need to know about it.
type Client struct {
	*stripe.Client
	BaseURL string
	Account string
	Timeout time.Duration
}

// maxIdleConns is how many idle connections to Stripe are kept.
const maxIdleConns = 128

// New builds a client. It never writes to stdout: stripe-go's default logger
// does, which would corrupt the stdio transport, so its logs go to Logger.
func New(o Options) (*Client, error) {
	if o.BaseURL == "" {
		o.BaseURL = DefaultBaseURL
	}
	base, err := CheckBaseURL(o.BaseURL)
	if err != nil {
		return nil, err
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.MaxNetworkRetries == 0 {
		o.MaxNetworkRetries = 2
	}
	if o.RateLimitRetries == 0 {
		o.RateLimitRetries = 3
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	rt := o.Transport
	if rt == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// Keep a connection per concurrent call: the HTTP transport serves
		// up to hundreds of sessions, and a call that finds no idle
		// connection pays a new TCP and TLS handshake to Stripe (and leaves
		// the old one in TIME_WAIT). Stripe's own rate limit (100 requests
		// per second in live mode) keeps the useful number below this.
		t.MaxIdleConns = maxIdleConns
		t.MaxIdleConnsPerHost = maxIdleConns
		rt = t
	}
	rt = &rateLimitTransport{
		base:    rt,
		account: o.Account,
		retries: o.RateLimitRetries,
		sleep:   !o.NoRetrySleep,
		logger:  o.Logger,
	}
	setAppInfo()
	logger := &leveledLogger{l: o.Logger}
	cfg := &stripe.BackendConfig{
		HTTPClient:        &http.Client{Timeout: o.Timeout, Transport: errorAnswers{rt}},
		LeveledLogger:     logger,
		MaxNetworkRetries: stripe.Int64(int64(o.MaxNetworkRetries)),
		URL:               stripe.String(base),
	}
	backends := stripe.NewBackendsWithConfig(cfg)
	if o.NoRetrySleep {
		if b, ok := backends.API.(*stripe.BackendImplementation); ok {
			b.SetNetworkRetriesSleep(false)
		}
	}
	backends.API = backend{Backend: backends.API, log: logger}
	return &Client{
		Client:  stripe.NewClient(o.Key, stripe.WithBackends(backends)),
		BaseURL: base,
		Account: o.Account,
		Timeout: o.Timeout,
	}, nil
}

// setAppInfo names stripe-mcp in the User-Agent. stripe-go keeps app info in
// unguarded globals that every request reads, so it is set once, before any
// client of this package sends a request, and never again.
var setAppInfo = sync.OnceFunc(func() {
	stripe.SetAppInfo(&stripe.AppInfo{
		Name:    "stripe-mcp",
		Version: Version,
		URL:     "https://github.com/stripe-mcp/stripe-mcp",
	})
})

// CheckBaseURL accepts https URLs, and http only when the host is a loopback
// address (stripe-mock, a local proxy). It returns the URL without a trailing
// slash.
func CheckBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("api base %q is not a URL: use https://host[:port]", shownURL(raw))
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("api base %q must not carry credentials, a query or a fragment", shownURL(raw))
	}
	if u.Scheme == "http" && !IsLoopbackHost(u.Hostname()) {
		return "", fmt.Errorf("api base %q uses http on a non-loopback host: use https (http is allowed only on 127.0.0.1, ::1 or localhost)", shownURL(raw))
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// shownURL is raw as an error message may repeat it: user information (a
// proxy password, or a key pasted in its place) becomes "***", and keys
// elsewhere are masked. It works on the text because raw may not parse.
func shownURL(raw string) string {
	rest := raw
	scheme := ""
	if i := strings.Index(raw, "://"); i >= 0 {
		scheme, rest = raw[:i+3], raw[i+3:]
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		rest = "***" + rest[i:]
	}
	return redact.Secrets(scheme + rest)
}

// IsLoopbackHost reports whether host names this machine.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// rateLimitTransport adds the Stripe-Account header to every request and
// retries 429 answers with backoff. stripe-go retries network errors itself
// but treats a rate limit as final; a 429 means Stripe did not process the
// request, so repeating it (same idempotency key) is safe.
type rateLimitTransport struct {
	base    http.RoundTripper
	account string
	retries int
	sleep   bool
	logger  *slog.Logger
}

func (t *rateLimitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.account != "" && req.Header.Get("Stripe-Account") == "" {
		req = req.Clone(req.Context())
		req.Header.Set("Stripe-Account", t.account)
	}
	info := CallInfoFrom(req.Context())
	for attempt := 0; ; attempt++ {
		resp, err := t.base.RoundTrip(req)
		if info != nil {
			info.record(req, resp)
		}
		if err != nil || !retryable(resp) || attempt >= t.retries || req.GetBody == nil && req.Body != nil {
			return resp, err
		}
		delay := backoff(attempt, resp.Header.Get("Retry-After"))
		resp.Body.Close()
		why := "stripe asked to retry the request"
		if resp.StatusCode == http.StatusTooManyRequests {
			why = "stripe rate limited the request"
		}
		t.logger.Warn(why+"; retrying", "path", req.URL.Path, "status", resp.StatusCode, "attempt", attempt+1, "delay", delay)
		if req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req.Body = body
		}
		if !t.sleep {
			continue
		}
		timer := time.NewTimer(delay)
		select {
		case <-req.Context().Done():
			timer.Stop()
			return nil, req.Context().Err()
		case <-timer.C:
		}
	}
}

// retryable reports whether Stripe's answer means the request was not
// processed and may be repeated with the same idempotency key: a rate limit,
// a conflict with a concurrent request (409), an unavailable service (503),
// or an explicit Stripe-Should-Retry: true. stripe-go treats every JSON error
// as final, so these are retried here.
func retryable(resp *http.Response) bool {
	switch resp.Header.Get("Stripe-Should-Retry") {
	case "true":
		return true
	case "false":
		return false
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusConflict, http.StatusServiceUnavailable:
		return true
	}
	return false
}

// backoff honours Retry-After (seconds, capped at 10s) and otherwise grows
// 0.5s, 1s, 2s… up to 8s with jitter.
func backoff(attempt int, retryAfter string) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(retryAfter)); err == nil && s >= 0 {
		return min(time.Duration(s)*time.Second, 10*time.Second)
	}
	d := 500 * time.Millisecond << min(attempt, 4)
	return d - time.Duration(rand.Int64N(int64(d/4)+1))
}

// leveledLogger routes stripe-go's logs to slog; request lines are debug
// detail, not info for the operator.
type leveledLogger struct{ l *slog.Logger }

func (g *leveledLogger) Debugf(f string, v ...any) { g.log(slog.LevelDebug, f, v) }
func (g *leveledLogger) Infof(f string, v ...any)  { g.log(slog.LevelDebug, f, v) }
func (g *leveledLogger) Warnf(f string, v ...any)  { g.log(slog.LevelWarn, f, v) }
func (g *leveledLogger) Errorf(f string, v ...any) { g.log(slog.LevelWarn, f, v) }

func (g *leveledLogger) log(level slog.Level, f string, v []any) {
	ctx := context.Background()
	if !g.l.Enabled(ctx, level) {
		return
	}
	// Errors and debug lines repeat Stripe's messages and bodies, which may
	// hold what a caller pasted: keys and card numbers.
	g.l.Log(ctx, level, "stripe: "+redact.Cards(redact.Secrets(fmt.Sprintf(f, v...))))
}
