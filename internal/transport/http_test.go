package transport_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stripe-mcp/stripe-mcp/internal/server"
	"github.com/stripe-mcp/stripe-mcp/internal/session"
	"github.com/stripe-mcp/stripe-mcp/internal/store"
	"github.com/stripe-mcp/stripe-mcp/internal/stripefake"
	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
	"github.com/stripe-mcp/stripe-mcp/internal/transport"
)

const testToken = "smcp_test_token_0123456789abcdefghij"

// initBody is a raw initialize request for POST /mcp.
const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}`

// options shape a test server.
type options struct {
	stripe string                      // Stripe API base; "" starts a FakeStripe
	config func(*transport.HTTPConfig) // adjusts the HTTP config
	quiet  bool                        // no logs (load test)
	// serve runs the handler with transport.Serve (graceful drain on
	// ts.stop) instead of an httptest server.
	serve bool
}

// testServer is the whole HTTP surface on a loopback listener, with one MCP
// server per transport sharing one store, as `stripe-mcp http` builds it.
type testServer struct {
	URL     string
	Addr    string
	Token   string
	Fake    *testutil.FakeStripe // when options.stripe was ""
	Store   store.Store
	Servers [3]*server.Server // /mcp, /sse, /ws
	plain   *http.Client      // sends what the test sets, no token
	bearer  *http.Client      // adds the token

	stop   context.CancelFunc // options.serve: starts the drain
	served chan error         // options.serve: what Serve returned
}

func startServer(t *testing.T, o options) *testServer {
	t.Helper()
	logger := testutil.Logger(t)
	if o.quiet {
		logger = slog.New(slog.DiscardHandler)
	}
	ts := &testServer{Token: testToken, Store: testutil.OpenStore(t)}
	base := o.stripe
	if base == "" {
		ts.Fake = testutil.NewFakeStripe()
		fake := httptest.NewServer(ts.Fake)
		t.Cleanup(fake.Close)
		base = fake.URL
	}
	sc := testutil.Client(t, base)
	principal := transport.PrincipalOf(ts.Token, false)
	for i, via := range []string{session.HTTP, session.SSE, session.WebSocket} {
		s, err := server.New(server.Options{
			Stripe: sc, Currency: "usd", Store: ts.Store, Idempotency: true, Logger: logger,
			Identify: func(mcp.Request) (string, string) { return via, principal },
		})
		if err != nil {
			t.Fatal(err)
		}
		ts.Servers[i] = s
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.Addr = ln.Addr().String()
	ts.URL = "http://" + ts.Addr
	cfg := transport.HTTPConfig{
		Addr:    ts.Addr,
		Token:   ts.Token,
		Servers: transport.Servers{Streamable: ts.Servers[0].MCP, SSE: ts.Servers[1].MCP, WebSocket: ts.Servers[2].MCP},
		Logger:  logger,
	}
	if o.config != nil {
		o.config(&cfg)
	}
	h, err := transport.NewHTTPHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts.plain = httpClient(t, nil)
	ts.bearer = httpClient(t, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+ts.Token) })
	closeSessions := func() {
		for _, s := range ts.Servers {
			s.CloseSessions()
		}
	}
	if o.serve {
		ctx, cancel := context.WithCancel(context.Background())
		ts.stop, ts.served = cancel, make(chan error, 1)
		drain := func(ctx context.Context) error {
			for _, s := range ts.Servers {
				if err := s.Drain(ctx); err != nil {
					return err
				}
			}
			return nil
		}
		go func() { ts.served <- transport.Serve(ctx, ln, h, drain, closeSessions, 10*time.Second, logger) }()
		t.Cleanup(func() {
			cancel()
			select {
			case <-ts.served:
			case <-time.After(15 * time.Second):
				t.Error("Serve did not return")
			}
		})
		return ts
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(func() {
		// /sse and /ws sessions end with their connections. They are not
		// closed from here: closing a session the SDK is still setting up
		// panics in go-sdk v1.8.0 (Server.disconnect of a nil session).
		srv.CloseClientConnections()
		deadline := time.Now().Add(10 * time.Second)
		for countSessions(ts.Servers[1], ts.Servers[2]) > 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if n := countSessions(ts.Servers[1], ts.Servers[2]); n > 0 {
			t.Errorf("%d /sse and /ws sessions outlived their connections", n)
		}
		ts.Servers[0].CloseSessions()
		srv.Close()
	})
	return ts
}

func countSessions(servers ...*server.Server) int {
	n := 0
	for _, s := range servers {
		for range s.MCP.Sessions() {
			n++
		}
	}
	return n
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// httpClient is a client of its own (so its connections close with the
// test) that applies set to every request.
func httpClient(t *testing.T, set func(*http.Request)) *http.Client {
	base := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(base.CloseIdleConnections)
	if set == nil {
		return &http.Client{Transport: base}
	}
	return &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		set(r)
		return base.RoundTrip(r)
	})}
}

// connect connects a Go SDK client over tr.
func connect(t *testing.T, tr mcp.Transport) *mcp.ClientSession {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	client := mcp.NewClient(&mcp.Implementation{Name: "transport-test", Version: "1"}, nil)
	cs, err := client.Connect(ctx, tr, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

func (ts *testServer) streamable(t *testing.T) *mcp.ClientSession {
	t.Helper()
	return connect(t, &mcp.StreamableClientTransport{Endpoint: ts.URL + "/mcp", HTTPClient: ts.bearer, MaxRetries: -1})
}

func (ts *testServer) sse(t *testing.T) *mcp.ClientSession {
	t.Helper()
	return connect(t, &mcp.SSEClientTransport{Endpoint: ts.URL + "/sse", HTTPClient: ts.bearer})
}

// sessions is the count /healthz reports.
func (ts *testServer) sessions(t *testing.T) int {
	t.Helper()
	resp, err := ts.plain.Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h struct {
		Status   string `json:"status"`
		Sessions int    `json:"sessions"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil || resp.StatusCode != 200 || h.Status != "ok" {
		t.Fatalf("healthz: %d %+v %v", resp.StatusCode, h, err)
	}
	return h.Sessions
}

// waitSessions polls /healthz until it counts n sessions.
func (ts *testServer) waitSessions(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for got := ts.sessions(t); got != n; got = ts.sessions(t) {
		if time.Now().After(deadline) {
			t.Fatalf("healthz counts %d sessions, want %d", got, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func eventually(t *testing.T, within time.Duration, ok func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for "+format, args...)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// probe is one raw request to an endpoint.
type probe struct {
	host   string // Host header; "" sends the listen address
	origin string
	auth   string // Authorization header
	query  string // appended to the path, with its "?"
}

type reply struct {
	status int
	header http.Header
	body   string
}

// hit sends p to endpoint ("GET /healthz", "POST /mcp", "GET /sse",
// "WS /ws", "POST /webhooks/stripe") as a well-formed request of that
// endpoint would be sent. A WebSocket upgrade that succeeds is 101; an event
// stream that opens is closed unread.
func (ts *testServer) hit(t *testing.T, endpoint string, p probe) reply {
	t.Helper()
	method, path, _ := strings.Cut(endpoint, " ")
	u := ts.URL + path + p.query
	hdr := http.Header{}
	if p.auth != "" {
		hdr.Set("Authorization", p.auth)
	}
	if p.origin != "" {
		hdr.Set("Origin", p.origin)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if method == "WS" {
		c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(u, "http"), &websocket.DialOptions{
			HTTPClient: ts.plain, HTTPHeader: hdr, Host: p.host, Subprotocols: []string{transport.Subprotocol},
		})
		if err == nil {
			c.CloseNow()
			return reply{status: resp.StatusCode, header: resp.Header}
		}
		if resp == nil {
			t.Fatalf("%s: %v", endpoint, err)
		}
		b, _ := io.ReadAll(resp.Body)
		return reply{resp.StatusCode, resp.Header, string(b)}
	}
	var body io.Reader
	switch endpoint {
	case "POST /mcp":
		body = strings.NewReader(initBody)
		hdr.Set("Content-Type", "application/json")
		hdr.Set("Accept", "application/json, text/event-stream")
	case "POST /webhooks/stripe":
		body = strings.NewReader(`{"id":"evt_1","object":"event"}`)
		hdr.Set("Content-Type", "application/json")
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = hdr
	if p.host != "" {
		req.Host = p.host
	}
	resp, err := ts.plain.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", endpoint, err)
	}
	defer resp.Body.Close()
	if path == "/sse" && resp.StatusCode == 200 {
		return reply{status: resp.StatusCode, header: resp.Header}
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return reply{resp.StatusCode, resp.Header, string(b)}
}

// post sends body to path with the token and Streamable HTTP's headers;
// chunked hides the length.
func (ts *testServer) post(t *testing.T, path, body, sessionID string, chunked bool) reply {
	t.Helper()
	var r io.Reader = strings.NewReader(body)
	if chunked {
		r = io.MultiReader(r)
	}
	req, err := http.NewRequest(http.MethodPost, ts.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if chunked {
		req.ContentLength = -1
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if sessionID != "" {
		req.Header.Set("Mcp-Session-Id", sessionID)
		req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	}
	resp, err := ts.bearer.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return reply{resp.StatusCode, resp.Header, string(b)}
}

// openSSE opens GET /sse with the token, initializes the session through
// the path its endpoint event names for POSTs, and returns the stream and
// that path.
func (ts *testServer) openSSE(t *testing.T) (*http.Response, string) {
	t.Helper()
	resp, err := ts.bearer.Get(ts.URL + "/sse")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /sse: %d %s", resp.StatusCode, b)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	event, endpoint := "", ""
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "event: "); ok {
			event = v
		}
		v, ok := strings.CutPrefix(line, "data: ")
		switch {
		case !ok:
		case event == "endpoint":
			endpoint = v
			if r := ts.post(t, endpoint, initBody, "", false); r.status != http.StatusAccepted {
				t.Fatalf("POST %s initialize: %d %s", endpoint, r.status, r.body)
			}
		case event == "message" && strings.Contains(v, `"id":1,`) && strings.Contains(v, `"result"`):
			return resp, endpoint
		}
	}
	t.Fatalf("no endpoint event or no reply to initialize: %v", sc.Err())
	return nil, ""
}

func auditRows(t *testing.T, st store.Store) []store.Call {
	t.Helper()
	rows, err := st.Calls(context.Background(), store.Query{Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// checkAudit: the one row of tool names the transport, our own session id
// (never the SDK's, which is a bearer credential on HTTP) and the token's
// principal (never the token).
func checkAudit(t *testing.T, ts *testServer, tool, via, sdkSessionID string) store.Call {
	t.Helper()
	var found []store.Call
	for _, r := range auditRows(t, ts.Store) {
		if r.Tool == tool {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d audit rows for %s, want 1: %+v", len(found), tool, found)
	}
	r := found[0]
	if r.Transport != via {
		t.Errorf("audit transport %q, want %q", r.Transport, via)
	}
	if !strings.HasPrefix(r.SessionID, "ses_") || (sdkSessionID != "" && strings.Contains(r.SessionID, sdkSessionID)) {
		t.Errorf("audit session id %q (the SDK's is %q)", r.SessionID, sdkSessionID)
	}
	if r.Principal != transport.PrincipalOf(ts.Token, false) || !strings.HasPrefix(r.Principal, "token:") || strings.Contains(r.Principal, ts.Token) {
		t.Errorf("audit principal %q", r.Principal)
	}
	if r.Client != "transport-test" && r.Client != "ws-test" {
		t.Errorf("audit client %q", r.Client)
	}
	if r.Outcome != store.OutcomeOK || r.Finished.IsZero() {
		t.Errorf("audit outcome %q finished %v", r.Outcome, r.Finished)
	}
	return r
}

func hasTool(tools []*mcp.Tool, name string) bool {
	for _, tl := range tools {
		if tl.Name == name {
			return true
		}
	}
	return false
}

// TestStreamableHTTP: a Go SDK client with the token lists tools and calls
// one over stateful Streamable HTTP; the audit row says "http".
func TestStreamableHTTP(t *testing.T) {
	ts := startServer(t, options{})
	cs := ts.streamable(t)
	if cs.ID() == "" {
		t.Fatal("stateful session without an Mcp-Session-Id")
	}
	tools, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !hasTool(tools.Tools, "stripe_create_customer") || len(tools.Tools) < 10 {
		t.Fatalf("tools/list: %d tools", len(tools.Tools))
	}
	cus := testutil.Structured(t, testutil.Call(t, cs, "stripe_create_customer", map[string]any{"email": "http@example.com"}))
	id, _ := cus["id"].(string)
	if !strings.HasPrefix(id, "cus_") || ts.Fake.Object(id)["email"] != "http@example.com" {
		t.Fatalf("customer: %v", cus)
	}
	r := checkAudit(t, ts, "stripe_create_customer", session.HTTP, cs.ID())
	for _, row := range auditRows(t, ts.Store) {
		if strings.Contains(row.Arguments+row.Message+row.SessionID, cs.ID()) {
			t.Errorf("the SDK session id is in the audit log: %+v", row)
		}
	}
	ts.waitSessions(t, 1)
	// The same session keeps its audit session id.
	testutil.Call(t, cs, "stripe_get_customer", map[string]any{"customerId": id})
	for _, row := range auditRows(t, ts.Store) {
		if row.SessionID != r.SessionID {
			t.Errorf("one session, two audit session ids: %q and %q", row.SessionID, r.SessionID)
		}
	}
	cs.Close()
	ts.waitSessions(t, 0)
}

// TestStreamableHTTPStateless: calls work without sessions; GET /mcp (the
// server-to-client stream) is 405 with a message that says why.
func TestStreamableHTTPStateless(t *testing.T) {
	ts := startServer(t, options{config: func(c *transport.HTTPConfig) { c.Stateless = true }})
	cs := ts.streamable(t)
	if _, err := cs.ListTools(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	cus := testutil.Structured(t, testutil.Call(t, cs, "stripe_create_customer", map[string]any{"email": "stateless@example.com"}))
	if !strings.HasPrefix(fmt.Sprint(cus["id"]), "cus_") {
		t.Fatalf("customer: %v", cus)
	}
	checkAudit(t, ts, "stripe_create_customer", session.HTTP, "")

	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/mcp", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := ts.bearer.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(string(body), "stateless") || !strings.Contains(string(body), "POST") {
		t.Errorf("GET /mcp: %d %s", resp.StatusCode, body)
	}
	if allow := resp.Header.Get("Allow"); allow != "POST" {
		t.Errorf("405 with Allow %q, want POST", allow)
	}
	// Without a token it is still 401 first: nothing about the server is
	// told to strangers.
	if r := ts.hit(t, "GET /mcp", probe{}); r.status != http.StatusUnauthorized {
		t.Errorf("GET /mcp without a token: %d", r.status)
	}
	// Every request's session ended with its request.
	ts.waitSessions(t, 0)
}

// TestSSE: the legacy HTTP+SSE client works with the token; the audit row
// says "sse"; the endpoint it POSTs to needs the token too.
func TestSSE(t *testing.T) {
	ts := startServer(t, options{})
	cs := ts.sse(t)
	tools, err := cs.ListTools(context.Background(), nil)
	if err != nil || !hasTool(tools.Tools, "stripe_create_customer") {
		t.Fatalf("tools/list: %v", err)
	}
	testutil.Structured(t, testutil.Call(t, cs, "stripe_create_customer", map[string]any{"email": "sse@example.com"}))
	checkAudit(t, ts, "stripe_create_customer", session.SSE, "")

	_, endpoint := ts.openSSE(t)
	if !strings.HasPrefix(endpoint, "/sse?sessionid=") {
		t.Fatalf("endpoint event %q", endpoint)
	}
	req, _ := http.NewRequest(http.MethodPost, ts.URL+endpoint, strings.NewReader(initBody))
	req.Header.Set("Content-Type", "application/json")
	resp, err := ts.plain.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST %s without a token: %d", endpoint, resp.StatusCode)
	}
	if r := ts.post(t, endpoint, `{"jsonrpc":"2.0","method":"notifications/initialized"}`, "", false); r.status != http.StatusAccepted {
		t.Errorf("POST %s with the token: %d %s", endpoint, r.status, r.body)
	}
}

// TestSSEIdleSessionCloses: an /sse session that no message is POSTed to
// for SessionIdle is closed, as /mcp and /ws sessions are: its stream ends
// and its place under the session cap is free again. Messages keep a
// session open.
func TestSSEIdleSessionCloses(t *testing.T) {
	const idle = 300 * time.Millisecond
	ts := startServer(t, options{config: func(c *transport.HTTPConfig) {
		c.SessionIdle = idle
		c.MaxSessions = 1
	}})
	resp, endpoint := ts.openSSE(t)
	ended := make(chan struct{})
	go func() {
		io.Copy(io.Discard, resp.Body)
		close(ended)
	}()
	ts.waitSessions(t, 1)
	// A session that is used outlives the idle time several times over.
	for i := range 10 {
		time.Sleep(idle / 3)
		if r := ts.post(t, endpoint, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"ping"}`, 100+i), "", false); r.status != http.StatusAccepted {
			t.Fatalf("ping %d: %d %s", i, r.status, r.body)
		}
	}
	select {
	case <-ended:
		t.Fatal("the stream of a session in use ended")
	default:
	}
	if r := ts.hit(t, "GET /sse", probe{auth: "Bearer " + testToken}); r.status != http.StatusServiceUnavailable {
		t.Fatalf("GET /sse at the cap: %d %s", r.status, r.body)
	}
	// Left alone, it is closed.
	select {
	case <-ended:
	case <-time.After(10 * idle):
		t.Fatalf("the stream of a session idle for %v is still open", 10*idle)
	}
	ts.waitSessions(t, 0)
	if r := ts.post(t, endpoint, `{"jsonrpc":"2.0","id":200,"method":"ping"}`, "", false); r.status != http.StatusNotFound {
		t.Errorf("POST to the closed session: %d %s, want 404", r.status, r.body)
	}
	ts.openSSE(t)
	ts.waitSessions(t, 1)
}

// TestAuth: every MCP endpoint wants the bearer token in the Authorization
// header (/ws also takes ?access_token=); /healthz and the webhook need none.
func TestAuth(t *testing.T) {
	ts := startServer(t, options{})
	ok := map[string]int{"POST /mcp": 200, "GET /sse": 200, "WS /ws": http.StatusSwitchingProtocols}
	for _, endpoint := range []string{"POST /mcp", "GET /sse", "WS /ws"} {
		ws := endpoint == "WS /ws"
		// Only /ws reads ?access_token=; elsewhere a token there is no token.
		queryStatus, queryErr := 401, ""
		if ws {
			queryStatus, queryErr = ok[endpoint], `error="invalid_token"`
		}
		cases := []struct {
			name   string
			p      probe
			status int
			wwwErr string // the error= in WWW-Authenticate
		}{
			{"no token", probe{}, 401, ""},
			{"wrong token", probe{auth: "Bearer " + testToken + "x"}, 401, `error="invalid_token"`},
			{"prefix of the token", probe{auth: "Bearer " + testToken[:10]}, 401, `error="invalid_token"`},
			{"basic auth", probe{auth: "Basic " + testToken}, 401, ""},
			{"token without a scheme", probe{auth: testToken}, 401, ""},
			{"empty bearer", probe{auth: "Bearer "}, 401, ""},
			{"right token", probe{auth: "Bearer " + testToken}, ok[endpoint], ""},
			{"scheme in lower case", probe{auth: "bearer " + testToken}, ok[endpoint], ""},
			{"token in the query", probe{query: "?access_token=" + testToken}, queryStatus, ""},
			{"wrong token in the query", probe{query: "?access_token=nope"}, 401, queryErr},
			{"wrong header, right query", probe{auth: "Bearer nope", query: "?access_token=" + testToken}, 401, `error="invalid_token"`},
		}
		for _, c := range cases {
			t.Run(endpoint+"/"+c.name, func(t *testing.T) {
				r := ts.hit(t, endpoint, c.p)
				if r.status != c.status {
					t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
				}
				if c.status != 401 {
					return
				}
				www := r.header.Get("WWW-Authenticate")
				if !strings.HasPrefix(www, "Bearer ") || !strings.Contains(www, c.wwwErr) {
					t.Errorf("WWW-Authenticate %q, want Bearer … %s", www, c.wwwErr)
				}
				if c.wwwErr == "" && strings.Contains(www, "invalid_token") {
					t.Errorf("WWW-Authenticate %q for a request without a token", www)
				}
				var msg struct{ Error string }
				if json.Unmarshal([]byte(r.body), &msg) != nil || !strings.Contains(msg.Error, "token") {
					t.Errorf("body %q does not say what is wrong", r.body)
				}
				if strings.Contains(r.body, testToken) {
					t.Errorf("the token is in the reply: %s", r.body)
				}
			})
		}
	}
	t.Run("healthz needs no token", func(t *testing.T) {
		if r := ts.hit(t, "GET /healthz", probe{}); r.status != 200 || !strings.Contains(r.body, `"status":"ok"`) {
			t.Errorf("healthz: %d %s", r.status, r.body)
		}
		if r := ts.hit(t, "POST /healthz", probe{}); r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "GET, HEAD" {
			t.Errorf("POST /healthz: %d, Allow %q", r.status, r.header.Get("Allow"))
		}
	})
	t.Run("webhook needs no token", func(t *testing.T) {
		r := ts.hit(t, "POST /webhooks/stripe", probe{})
		if r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "STRIPE_WEBHOOK_SECRET") {
			t.Errorf("webhook without a secret: %d %s", r.status, r.body)
		}
	})
	t.Run("unknown path", func(t *testing.T) {
		if r := ts.hit(t, "GET /admin", probe{auth: "Bearer " + testToken}); r.status != 404 || !strings.Contains(r.body, "/mcp") {
			t.Errorf("unknown path: %d %s", r.status, r.body)
		}
	})
}

// TestHostAndOrigin: DNS rebinding and cross-site pages are refused on
// every endpoint, GETs and the WebSocket upgrade included.
func TestHostAndOrigin(t *testing.T) {
	const app = "https://app.example.com"
	ts := startServer(t, options{config: func(c *transport.HTTPConfig) { c.AllowedOrigins = []string{app} }})
	port := ts.Addr[strings.LastIndex(ts.Addr, ":")+1:]
	pass := map[string]int{"GET /healthz": 200, "POST /mcp": 200, "GET /sse": 200, "WS /ws": 101, "POST /webhooks/stripe": 503}
	cases := []struct {
		name    string
		p       probe
		refused bool
	}{
		{"foreign host", probe{host: "evil.example:8787"}, true},
		{"rebound name", probe{host: "attacker.com"}, true},
		{"rebound name on our port", probe{host: "attacker.com:" + port}, true},
		{"loopback on another port", probe{host: "127.0.0.1:1"}, true},
		{"listen address", probe{}, false},
		{"localhost", probe{host: "localhost:" + port}, false},
		{"localhost in capitals", probe{host: "LOCALHOST:" + port}, false},
		{"foreign origin", probe{origin: "https://evil.example"}, true},
		{"null origin", probe{origin: "null"}, true},
		{"origin that extends an allowed one", probe{origin: app + ".evil.example"}, true},
		{"our own address as origin (same origin)", probe{origin: "http://" + ts.Addr}, false},
		{"our own host on another scheme path", probe{origin: "http://" + ts.Addr + "/page"}, true},
		{"allowed origin", probe{origin: app}, false},
		{"no origin", probe{}, false},
	}
	for endpoint, ok := range pass {
		for _, c := range cases {
			t.Run(endpoint+"/"+c.name, func(t *testing.T) {
				c.p.auth = "Bearer " + testToken
				r := ts.hit(t, endpoint, c.p)
				if c.refused {
					if r.status != http.StatusForbidden || !strings.Contains(r.body, "not allowed") {
						t.Errorf("status %d, want 403: %s", r.status, r.body)
					}
					return
				}
				if r.status != ok {
					t.Errorf("status %d, want %d: %s", r.status, ok, r.body)
				}
			})
		}
	}
	// A foreign host is refused before the token is looked at.
	if r := ts.hit(t, "POST /mcp", probe{host: "attacker.com"}); r.status != http.StatusForbidden {
		t.Errorf("foreign host without a token: %d", r.status)
	}

	t.Run("allowed hosts configured", func(t *testing.T) {
		ts := startServer(t, options{config: func(c *transport.HTTPConfig) {
			c.AllowedHosts = []string{"mcp.example.com", "mcp.example.com:443"}
		}})
		for endpoint, ok := range pass {
			for _, c := range []struct {
				host    string
				refused bool
			}{
				{"mcp.example.com", false},
				{"MCP.Example.com:443", false},
				{"mcp.example.com:8443", true},
				{"evil.example", true},
				{"", true}, // the listen address: only the configured hosts answer
			} {
				r := ts.hit(t, endpoint, probe{host: c.host, auth: "Bearer " + testToken})
				if c.refused && r.status != http.StatusForbidden {
					t.Errorf("%s, Host %q: %d, want 403", endpoint, c.host, r.status)
				}
				if !c.refused && r.status != ok {
					t.Errorf("%s, Host %q: %d, want %d: %s", endpoint, c.host, r.status, ok, r.body)
				}
			}
		}
	})
}

// TestCORS: a page of an allowed origin can use every endpoint: its
// preflights are answered 204 without the token (browsers send none with a
// preflight), naming the methods of that endpoint and the headers MCP
// clients send, and the answers to its requests carry the headers that let
// it read them. Other origins are refused, preflights included; no answer
// names a wildcard.
func TestCORS(t *testing.T) {
	const app = "https://app.example.com"
	preflight := func(t *testing.T, ts *testServer, path, origin string) reply {
		t.Helper()
		req, _ := http.NewRequest(http.MethodOptions, ts.URL+path, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type, mcp-session-id")
		resp, err := ts.plain.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return reply{resp.StatusCode, resp.Header, string(b)}
	}
	allowedFor := func(t *testing.T, what string, r reply) {
		t.Helper()
		if got := r.header.Values("Access-Control-Allow-Origin"); len(got) != 1 || got[0] != app {
			t.Errorf("%s: Access-Control-Allow-Origin %q, want %q", what, got, app)
		}
		if !slices.Contains(r.header.Values("Vary"), "Origin") {
			t.Errorf("%s: Vary %q, want Origin", what, r.header.Values("Vary"))
		}
	}
	headerList := func(r reply, name string) []string {
		var out []string
		for _, v := range r.header.Values(name) {
			for item := range strings.SplitSeq(v, ",") {
				out = append(out, strings.ToLower(strings.TrimSpace(item)))
			}
		}
		return out
	}
	ts := startServer(t, options{config: func(c *transport.HTTPConfig) { c.AllowedOrigins = []string{app} }})
	for path, methods := range map[string]string{
		"/mcp":             "GET, POST, DELETE, OPTIONS",
		"/sse":             "GET, POST, OPTIONS",
		"/ws":              "GET, OPTIONS",
		"/healthz":         "GET, HEAD, OPTIONS",
		"/webhooks/stripe": "POST, OPTIONS",
	} {
		t.Run("preflight "+path, func(t *testing.T) {
			r := preflight(t, ts, path, app)
			if r.status != http.StatusNoContent {
				t.Fatalf("status %d, want 204: %s", r.status, r.body)
			}
			allowedFor(t, "preflight", r)
			if got := r.header.Get("Access-Control-Allow-Methods"); got != methods {
				t.Errorf("Access-Control-Allow-Methods %q, want %q", got, methods)
			}
			allowed := headerList(r, "Access-Control-Allow-Headers")
			for _, h := range []string{"Authorization", "Content-Type", "Accept", "Mcp-Session-Id", "Mcp-Protocol-Version", "Last-Event-ID"} {
				if !slices.Contains(allowed, strings.ToLower(h)) {
					t.Errorf("Access-Control-Allow-Headers %q lacks %s", allowed, h)
				}
			}
			if age, err := strconv.Atoi(r.header.Get("Access-Control-Max-Age")); err != nil || age <= 0 {
				t.Errorf("Access-Control-Max-Age %q", r.header.Get("Access-Control-Max-Age"))
			}
			for _, origin := range []string{"https://evil.example", "null", app + ".evil.example"} {
				r := preflight(t, ts, path, origin)
				if r.status != http.StatusForbidden || r.header.Get("Access-Control-Allow-Origin") != "" {
					t.Errorf("preflight from %s: %d, Access-Control-Allow-Origin %q, want 403 without it", origin, r.status, r.header.Get("Access-Control-Allow-Origin"))
				}
			}
		})
	}

	t.Run("requests", func(t *testing.T) {
		// The session id of a new session can be read by the page.
		r := ts.hit(t, "POST /mcp", probe{origin: app, auth: "Bearer " + testToken})
		if r.status != 200 || r.header.Get("Mcp-Session-Id") == "" {
			t.Fatalf("POST /mcp: %d %s", r.status, r.body)
		}
		allowedFor(t, "POST /mcp", r)
		exposed := headerList(r, "Access-Control-Expose-Headers")
		for _, h := range []string{"Mcp-Session-Id", "Mcp-Protocol-Version"} {
			if !slices.Contains(exposed, strings.ToLower(h)) {
				t.Errorf("Access-Control-Expose-Headers %q lacks %s", exposed, h)
			}
		}
		// So can why a request without the token was refused.
		r = ts.hit(t, "POST /mcp", probe{origin: app})
		if r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") == "" {
			t.Fatalf("POST /mcp without a token: %d %s", r.status, r.body)
		}
		allowedFor(t, "401", r)
		if !slices.Contains(headerList(r, "Access-Control-Expose-Headers"), "www-authenticate") {
			t.Errorf("401: Access-Control-Expose-Headers %q lacks WWW-Authenticate", r.header.Values("Access-Control-Expose-Headers"))
		}
		if r := ts.hit(t, "GET /sse", probe{origin: app, auth: "Bearer " + testToken}); r.status != 200 {
			t.Errorf("GET /sse: %d %s", r.status, r.body)
		} else {
			allowedFor(t, "GET /sse", r)
		}
		if r := ts.hit(t, "GET /healthz", probe{origin: app}); r.status != 200 {
			t.Errorf("GET /healthz: %d %s", r.status, r.body)
		} else {
			allowedFor(t, "GET /healthz", r)
		}
		// An OPTIONS that is no preflight still needs the token.
		req, _ := http.NewRequest(http.MethodOptions, ts.URL+"/mcp", nil)
		req.Header.Set("Origin", app)
		resp, err := ts.plain.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("OPTIONS /mcp without Access-Control-Request-Method: %d, want 401", resp.StatusCode)
		}
		// Requests that are not from a page of an allowed origin get no
		// CORS headers.
		for _, p := range []probe{{auth: "Bearer " + testToken}, {origin: "https://evil.example", auth: "Bearer " + testToken}} {
			r := ts.hit(t, "POST /mcp", p)
			if got := r.header.Get("Access-Control-Allow-Origin"); got != "" {
				t.Errorf("origin %q: Access-Control-Allow-Origin %q", p.origin, got)
			}
		}
	})

	t.Run("stateless", func(t *testing.T) {
		ts := startServer(t, options{config: func(c *transport.HTTPConfig) {
			c.AllowedOrigins = []string{app}
			c.Stateless = true
		}})
		r := preflight(t, ts, "/mcp", app)
		if r.status != http.StatusNoContent || r.header.Get("Access-Control-Allow-Methods") != "POST, OPTIONS" {
			t.Errorf("preflight: %d, Access-Control-Allow-Methods %q, want 204 and POST, OPTIONS", r.status, r.header.Get("Access-Control-Allow-Methods"))
		}
	})
}

// TestBodyLimits: bodies beyond MaxBodyBytes are 413, whether or not they
// declare their length, and the server goes on.
func TestBodyLimits(t *testing.T) {
	var webhookErr error
	var mu sync.Mutex
	webhook := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		mu.Lock()
		webhookErr = err
		mu.Unlock()
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		}
		w.WriteHeader(200)
	})
	ts := startServer(t, options{config: func(c *transport.HTTPConfig) {
		c.MaxBodyBytes = 1024
		c.Webhook = webhook
	}})
	big := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"` + strings.Repeat("x", 2048) + `","version":"0"}}}`
	// A declared length is refused up front; an undeclared one when the
	// reading passes the limit (the SDK's message says "exceeds").
	tooLarge := func(what string, chunked bool, r reply) {
		t.Helper()
		want := "larger than 1024 bytes"
		if chunked {
			want = "exceeds 1024 bytes"
		}
		if r.status != http.StatusRequestEntityTooLarge || !strings.Contains(r.body, want) {
			t.Errorf("%s, chunked=%v: %d %s, want 413 %q", what, chunked, r.status, r.body, want)
		}
	}
	for _, chunked := range []bool{false, true} {
		tooLarge("new session", chunked, ts.post(t, "/mcp", big, "", chunked))
	}
	// A refused first request leaves no session behind.
	ts.waitSessions(t, 0)

	cs := ts.streamable(t)
	for _, chunked := range []bool{false, true} {
		tooLarge("in a session", chunked, ts.post(t, "/mcp", `{"jsonrpc":"2.0","id":9,"method":"tools/list","params":{"cursor":"`+strings.Repeat("c", 2048)+`"}}`, cs.ID(), chunked))
	}
	// The session goes on.
	testutil.Structured(t, testutil.Call(t, cs, "stripe_create_customer", map[string]any{"email": "after@example.com"}))

	_, endpoint := ts.openSSE(t)
	for _, chunked := range []bool{false, true} {
		tooLarge("POST "+endpoint, chunked, ts.post(t, endpoint, big, "", chunked))
	}

	// The webhook is bounded too: a declared length is refused before the
	// handler runs, an undeclared one fails the handler's read.
	event := `{"id":"evt_1","object":"event","data":{"object":{"description":"` + strings.Repeat("d", 2048) + `"}}}`
	for _, chunked := range []bool{false, true} {
		mu.Lock()
		webhookErr = nil
		mu.Unlock()
		r := ts.post(t, "/webhooks/stripe", event, "", chunked)
		mu.Lock()
		err := webhookErr
		mu.Unlock()
		var mbe *http.MaxBytesError
		if r.status != http.StatusRequestEntityTooLarge || (chunked && !errors.As(err, &mbe)) {
			t.Errorf("webhook, chunked=%v: %d %s (handler read: %v)", chunked, r.status, r.body, err)
		}
	}
	if r := ts.post(t, "/webhooks/stripe", `{"id":"evt_2"}`, "", true); r.status != 200 {
		t.Errorf("small webhook: %d %s", r.status, r.body)
	}
	// New sessions still open.
	cs2 := ts.streamable(t)
	testutil.Structured(t, testutil.Call(t, cs2, "stripe_create_customer", map[string]any{"email": "new@example.com"}))
}

// TestMalformedHTTP: a POST /mcp that is not JSON-RPC is refused (400 or a
// JSON-RPC parse error), and neither the server nor the session is harmed.
func TestMalformedHTTP(t *testing.T) {
	ts := startServer(t, options{})
	bad := []string{`not json`, `{"jsonrpc":"2.0","id":7,"method":`, `[1,2,3]`, `"just a string"`, `{}`}
	check := func(what string, r reply) {
		t.Helper()
		if r.status == 400 {
			return
		}
		var m struct {
			Error struct{ Code int } `json:"error"`
		}
		if r.status >= 500 || json.Unmarshal([]byte(dataOf(r.body)), &m) != nil || (m.Error.Code != -32700 && m.Error.Code != -32600) {
			t.Errorf("%s: %d %s, want 400 or a JSON-RPC parse error", what, r.status, r.body)
		}
	}
	for _, b := range bad {
		check("new session "+b, ts.post(t, "/mcp", b, "", false))
	}
	ts.waitSessions(t, 0)
	cs := ts.streamable(t)
	for _, b := range bad {
		check("in a session "+b, ts.post(t, "/mcp", b, cs.ID(), false))
	}
	testutil.Structured(t, testutil.Call(t, cs, "stripe_create_customer", map[string]any{"email": "still@example.com"}))
	testutil.Structured(t, testutil.Call(t, ts.streamable(t), "stripe_create_customer", map[string]any{"email": "new@example.com"}))
}

// dataOf is the data of the first server-sent event in body, or body.
func dataOf(body string) string {
	for line := range strings.Lines(body) {
		if v, ok := strings.CutPrefix(line, "data: "); ok {
			return strings.TrimSpace(v)
		}
	}
	return body
}

// TestSessionCap: beyond MaxSessions a new session is 503 with Retry-After
// on every endpoint; existing sessions go on; when one closes a new one
// opens.
func TestSessionCap(t *testing.T) {
	ts := startServer(t, options{config: func(c *transport.HTTPConfig) { c.MaxSessions = 2 }})
	cs := ts.streamable(t)
	// The Go SDK client probes with server/discover first, which holds a
	// session until its request ends.
	ts.waitSessions(t, 1)
	ws := ts.dialWS(t, nil)
	ws.initialize()
	ts.waitSessions(t, 2)

	full := func(what string, r reply) {
		t.Helper()
		if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" || !strings.Contains(r.body, "too many sessions") {
			t.Errorf("%s at the cap: %d Retry-After %q %s", what, r.status, r.header.Get("Retry-After"), r.body)
		}
	}
	bearer := probe{auth: "Bearer " + testToken}
	full("POST /mcp initialize", ts.hit(t, "POST /mcp", bearer))
	full("GET /sse", ts.hit(t, "GET /sse", bearer))
	full("WS /ws", ts.hit(t, "WS /ws", bearer))
	// Sessions that exist are served at the cap.
	testutil.Structured(t, testutil.Call(t, cs, "stripe_create_customer", map[string]any{"email": "cap@example.com"}))
	structured(t, ws.call(3, "stripe_create_customer", map[string]any{"email": "cap-ws@example.com"}))
	if r := ts.hit(t, "GET /healthz", probe{}); r.status != 200 {
		t.Errorf("healthz at the cap: %d", r.status)
	}

	// One closes: one new session may open, on any endpoint.
	ws.close()
	ts.waitSessions(t, 1)
	resp, _ := ts.openSSE(t)
	ts.waitSessions(t, 2)
	full("WS /ws", ts.hit(t, "WS /ws", bearer))
	resp.Body.Close()
	ts.waitSessions(t, 1)
	ws2 := ts.dialWS(t, nil)
	ws2.initialize()
	ts.waitSessions(t, 2)
	full("POST /mcp initialize", ts.hit(t, "POST /mcp", bearer))
	cs.Close()
	ts.waitSessions(t, 1)
	if r := ts.hit(t, "POST /mcp", bearer); r.status != 200 || r.header.Get("Mcp-Session-Id") == "" {
		t.Errorf("POST /mcp initialize below the cap: %d %s", r.status, r.body)
	}
	ts.waitSessions(t, 2)
	full("POST /mcp initialize", ts.hit(t, "POST /mcp", bearer))
}

// TestServeDrainsCallsInProgress: when Serve's context ends (SIGTERM), a
// call held at Stripe still gets its result, on every transport, and Serve
// returns nil once it has.
func TestServeDrainsCallsInProgress(t *testing.T) {
	for _, via := range []string{session.HTTP, session.SSE, session.WebSocket} {
		t.Run(via, func(t *testing.T) {
			ts := startServer(t, options{serve: true})
			pi := ts.Fake.AuthorizedPayment(4200, "usd")
			release := ts.Fake.Hold("/v1/payment_intents/" + pi + "/capture")
			t.Cleanup(release)

			args := map[string]any{"paymentIntentId": pi}
			result := make(chan map[string]any, 1)
			switch via {
			case session.HTTP, session.SSE:
				cs := ts.streamable
				if via == session.SSE {
					cs = ts.sse
				}
				s := cs(t)
				go func() {
					res, err := s.CallTool(context.Background(), &mcp.CallToolParams{Name: "stripe_capture_payment", Arguments: args})
					if err != nil {
						result <- map[string]any{"error": err.Error()}
						return
					}
					var m map[string]any
					b, _ := json.Marshal(res.StructuredContent)
					json.Unmarshal(b, &m)
					result <- m
				}()
			case session.WebSocket:
				ws := ts.dialWS(t, nil)
				ws.initialize()
				ws.send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"stripe_capture_payment","arguments":{"paymentIntentId":"` + pi + `"}}}`)
				go func() {
					m, err := ws.next()
					if err != nil {
						result <- map[string]any{"error": err.Error()}
						return
					}
					res, _ := m["result"].(map[string]any)
					sc, _ := res["structuredContent"].(map[string]any)
					if sc == nil {
						sc = map[string]any{"error": m}
					}
					result <- sc
				}()
			}
			// The capture reached Stripe and is held there.
			eventually(t, 10*time.Second, func() bool { return ts.Fake.Object(pi)["status"] == "succeeded" }, "the capture to reach Stripe")
			ts.stop()
			// Shutdown has begun: the listener is closed.
			eventually(t, 5*time.Second, func() bool {
				c, err := net.DialTimeout("tcp", ts.Addr, time.Second)
				if err == nil {
					c.Close()
				}
				return err != nil
			}, "the listener to close")
			select {
			case err := <-ts.served:
				t.Fatalf("Serve returned %v while a call was in progress", err)
			default:
			}
			release()
			select {
			case m := <-result:
				if m["status"] != "succeeded" || m["id"] != pi {
					t.Errorf("the call in progress got %v", m)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the call in progress got no result")
			}
			select {
			case err := <-ts.served:
				if err != nil {
					t.Errorf("Serve: %v", err)
				}
				ts.served <- err // for the cleanup
			case <-time.After(10 * time.Second):
				t.Fatal("Serve did not return after the drain")
			}
			rows := auditRows(t, ts.Store)
			if len(rows) != 1 || rows[0].Outcome != store.OutcomeOK || rows[0].Transport != via {
				t.Errorf("audit: %+v", rows)
			}
		})
	}
}

// TestLoad: 30 Streamable HTTP sessions × 20 calls against a fast fake,
// all at once: no errors, and the heap returns near its baseline once the
// sessions are gone.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	fast := httptest.NewServer(stripefake.Handler())
	t.Cleanup(fast.Close)
	ts := startServer(t, options{stripe: fast.URL, quiet: true})
	const sessions, calls = 30, 20

	run := func(n int) []error {
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			errs []error
		)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				fail := func(err error) {
					mu.Lock()
					errs = append(errs, fmt.Errorf("session %d: %w", i, err))
					mu.Unlock()
				}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				client := mcp.NewClient(&mcp.Implementation{Name: "load", Version: "1"}, nil)
				cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: ts.URL + "/mcp", HTTPClient: ts.bearer, MaxRetries: -1}, nil)
				if err != nil {
					fail(err)
					return
				}
				defer cs.Close()
				for range calls {
					res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "stripe_get_customer", Arguments: map[string]any{"customerId": "cus_load0001"}})
					if err != nil {
						fail(err)
						return
					}
					if res.IsError {
						fail(errors.New(testutil.Text(res)))
						return
					}
				}
			}()
		}
		wg.Wait()
		return errs
	}
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}

	// Warm up what is built once (schemas, statements, pools).
	if errs := run(2); len(errs) > 0 {
		t.Fatal(errs)
	}
	// Idle connections are kept on purpose (the Stripe client keeps one per
	// concurrent call, up to 128): close them on both sides, so that what
	// is counted is what the sessions left.
	closeIdle := func() {
		ts.bearer.CloseIdleConnections()
		fast.CloseClientConnections()
	}
	ts.waitSessions(t, 0)
	closeIdle()
	time.Sleep(50 * time.Millisecond)
	before, goroutines := heap(), runtime.NumGoroutine()

	start := time.Now()
	errs := run(sessions)
	elapsed := time.Since(start)
	for _, err := range errs {
		t.Error(err)
	}
	rows := auditRows(t, ts.Store)
	if want := 2*calls + sessions*calls; len(rows) != want {
		t.Errorf("%d audit rows, want %d", len(rows), want)
	}
	ts.waitSessions(t, 0)
	const slack = 8 << 20
	const goroutineSlack = 5
	var after uint64
	// Let finished connections' goroutines exit before measuring.
	deadline := time.Now().Add(5 * time.Second)
	for {
		closeIdle()
		after = heap()
		if (after <= before+slack && runtime.NumGoroutine() <= goroutines+goroutineSlack) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%d sessions × %d calls in %v (%.0f calls/s); HeapInuse %.1f MB before, %.1f MB after; goroutines %d before, %d after",
		sessions, calls, elapsed.Round(time.Millisecond), float64(sessions*calls)/elapsed.Seconds(),
		float64(before)/(1<<20), float64(after)/(1<<20), goroutines, runtime.NumGoroutine())
	if after > before+slack {
		t.Errorf("HeapInuse %d bytes after the sessions closed, baseline %d: more than %d MB retained", after, before, slack>>20)
	}
	if n := runtime.NumGoroutine(); n > goroutines+goroutineSlack {
		t.Errorf("%d goroutines after the sessions closed, %d before", n, goroutines)
		buf := make([]byte, 1<<20)
		t.Logf("%s", buf[:runtime.Stack(buf, true)])
	}
}
