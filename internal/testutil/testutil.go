// Package testutil starts what the tests need: stripe-mock in process behind
// a recording HTTP server, fake Stripe servers, and MCP clients connected to
// a real server.
package testutil

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stripe-mcp/stripe-mcp/internal/sandbox"
	"github.com/stripe-mcp/stripe-mcp/internal/server"
	"github.com/stripe-mcp/stripe-mcp/internal/store"
	"github.com/stripe-mcp/stripe-mcp/internal/store/sqlite"
	"github.com/stripe-mcp/stripe-mcp/internal/stripeapi"
)

// TestKey is a well-formed test key for fakes and stripe-mock.
const TestKey = "sk_test_0123456789abcdefghijklmnopqrstuv"

// Request is one request a Stripe server received.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Form   url.Values
	Header http.Header
}

// Recorder keeps the requests a server received.
type Recorder struct {
	mu   sync.Mutex
	reqs []Request
}

// Requests returns a copy of what was received so far.
func (r *Recorder) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.reqs...)
}

// Last returns the last request whose path has the prefix, or fails.
func (r *Recorder) Last(t testing.TB, method, pathPrefix string) Request {
	t.Helper()
	reqs := r.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Method == method && strings.HasPrefix(reqs[i].Path, pathPrefix) {
			return reqs[i]
		}
	}
	t.Fatalf("no %s %s request was sent; got %v", method, pathPrefix, paths(reqs))
	return Request{}
}

// Count is the number of requests received.
func (r *Recorder) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}

func paths(reqs []Request) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

// Record wraps h so that every request is recorded (its form body is read
// and handed on).
func Record(h http.Handler) (http.Handler, *Recorder) {
	rec := &Recorder{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		form, _ := url.ParseQuery(string(body))
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Form: form, Header: r.Header.Clone()})
		rec.mu.Unlock()
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		h.ServeHTTP(w, r)
	}), rec
}

// StripeMock serves stripe-mock (loaded once per test binary) on a loopback
// httptest server that records every request.
func StripeMock(t testing.TB) (baseURL string, rec *Recorder) {
	t.Helper()
	h, err := sandbox.Handler()
	if err != nil {
		t.Fatal(err)
	}
	return Serve(t, h)
}

// Serve starts h on a loopback server, recording requests.
func Serve(t testing.TB, h http.Handler) (baseURL string, rec *Recorder) {
	t.Helper()
	rh, rec := Record(h)
	srv := httptest.NewServer(rh)
	t.Cleanup(srv.Close)
	return srv.URL, rec
}

// Client builds a stripeapi client for baseURL with fast retries.
func Client(t testing.TB, baseURL string) *stripeapi.Client {
	t.Helper()
	c, err := stripeapi.New(stripeapi.Options{Key: TestKey, BaseURL: baseURL, NoRetrySleep: true, Logger: Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Logger writes to the test log.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Connect builds a server from o and connects an in-memory MCP client to it.
func Connect(t testing.TB, o server.Options) *mcp.ClientSession {
	t.Helper()
	if o.Logger == nil {
		o.Logger = Logger(t)
	}
	if o.Currency == "" {
		o.Currency = "usd"
	}
	srv, err := server.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return ConnectServer(t, srv.MCP, nil)
}

// ConnectServer connects an in-memory client to s.
func ConnectServer(t testing.TB, s *mcp.Server, copts *mcp.ClientOptions) *mcp.ClientSession {
	t.Helper()
	return ConnectServerAt(t, s, copts, "")
}

// ConnectServerAt connects an in-memory client to s that asks for protocol
// version protocol ("" is the SDK's latest).
func ConnectServerAt(t testing.TB, s *mcp.Server, copts *mcp.ClientOptions, protocol string) *mcp.ClientSession {
	t.Helper()
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := s.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	var sopts *mcp.ClientSessionOptions
	if protocol != "" {
		sopts = &mcp.ClientSessionOptions{ProtocolVersion: protocol}
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "1.0"}, copts)
	cs, err := client.Connect(ctx, ct, sopts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cs.Close()
		ss.Wait()
	})
	return cs
}

// Call calls a tool and fails the test on a protocol error.
func Call(t testing.TB, cs *mcp.ClientSession, name string, args any) *mcp.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

// Text is the text of a result's first content block.
func Text(res *mcp.CallToolResult) string {
	if len(res.Content) == 0 {
		return ""
	}
	if tc, ok := res.Content[0].(*mcp.TextContent); ok {
		return tc.Text
	}
	return ""
}

// Refused checks that res is an error result whose text names each of
// words.
func Refused(t testing.TB, res *mcp.CallToolResult, words ...string) {
	t.Helper()
	text := Text(res)
	if !res.IsError {
		t.Fatalf("not refused: %s", text)
	}
	for _, w := range words {
		if !strings.Contains(text, w) {
			t.Errorf("%q lacks %q", text, w)
		}
	}
}

// Structured decodes a result's structured content into a map, failing on
// an error result.
func Structured(t testing.TB, res *mcp.CallToolResult) map[string]any {
	t.Helper()
	if res.IsError {
		t.Fatalf("unexpected error result: %s", Text(res))
	}
	var m map[string]any
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("structured content %s: %v", b, err)
	}
	return m
}

// OpenStore opens a SQLite store in a fresh directory, closed at the end of
// the test.
func OpenStore(t testing.TB) store.Store {
	t.Helper()
	return OpenStoreAt(t, t.TempDir())
}

// OpenStoreAt opens the SQLite store in dir (a restarted server reopens the
// same dir).
func OpenStoreAt(t testing.TB, dir string) store.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
