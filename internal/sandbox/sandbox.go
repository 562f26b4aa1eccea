// Package sandbox serves the Stripe API in process with stripe-mock, Stripe's
// official mock: requests are validated against Stripe's OpenAPI spec and
// answered with realistic fixtures, but no state is kept and nothing leaves
// the process.
package sandbox

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/stripe/stripe-mock/embedded"
	"github.com/stripe/stripe-mock/server"
)

// BaseURL is the address the sandbox answers on; requests never leave the
// process, so it names no real host.
const BaseURL = "http://127.0.0.1:12111"

// Banner is the line printed on stderr when the sandbox starts.
const Banner = "stripe-mcp: SANDBOX mode: the Stripe API is an in-process stripe-mock (Stripe's official mock). No Stripe account and no network are used; responses have Stripe's real shapes but nothing is stored: a created object cannot be fetched back."

var (
	once    sync.Once
	handler http.Handler
	initErr error
)

// Handler returns the stripe-mock HTTP handler, loading Stripe's OpenAPI
// spec on first use (it is large; only sandbox mode and tests pay for it).
// stripe-mock prints a line per request on stdout: callers on stdio must keep
// stdout away from it.
func Handler() (http.Handler, error) {
	once.Do(func() {
		spec, err := server.LoadSpec(embedded.OpenAPISpec, "")
		if err != nil {
			initErr = fmt.Errorf("sandbox: loading the OpenAPI spec: %w", err)
			return
		}
		fixtures, err := server.LoadFixtures(embedded.OpenAPIFixtures, "")
		if err != nil {
			initErr = fmt.Errorf("sandbox: loading fixtures: %w", err)
			return
		}
		stub, err := server.NewStubServer(fixtures, spec, false, false)
		if err != nil {
			initErr = fmt.Errorf("sandbox: %w", err)
			return
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/", stub.HandleRequest)
		handler = &server.DoubleSlashFixHandler{Mux: mux}
	})
	return handler, initErr
}

// Transport returns an http.RoundTripper that answers every request with
// stripe-mock, in process.
func Transport() (http.RoundTripper, error) {
	h, err := Handler()
	if err != nil {
		return nil, err
	}
	return roundTripper{h}, nil
}

// Key returns a made-up test key of the accepted form.
func Key() string { return "sk_test_sandbox" + rand.Text() }

type roundTripper struct{ h http.Handler }

func (t roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	// Give the handler a server-side request: a body it owns, RequestURI set.
	in := req.Clone(req.Context())
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		in.Body = io.NopCloser(bytes.NewReader(b))
		in.ContentLength = int64(len(b))
	}
	in.RequestURI = req.URL.RequestURI()
	rec := &recorder{header: http.Header{}}
	t.h.ServeHTTP(rec, in)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", rec.status, http.StatusText(rec.status)),
		StatusCode:    rec.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        rec.header,
		Body:          io.NopCloser(&rec.body),
		ContentLength: int64(rec.body.Len()),
		Request:       req,
	}, nil
}

type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(p)
}

// LazyTransport returns a RoundTripper that starts loading stripe-mock at
// once, in the background, and waits for it only when the first request is
// made: the server answers initialize without waiting for the spec.
func LazyTransport() http.RoundTripper {
	go func() { _, _ = Handler() }()
	return lazy{}
}

type lazy struct{}

func (lazy) RoundTrip(req *http.Request) (*http.Response, error) {
	t, err := Transport()
	if err != nil {
		return nil, err
	}
	return t.RoundTrip(req)
}
