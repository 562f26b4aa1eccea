package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

// httpProcess is `stripe-mcp http` running as a child.
type httpProcess struct {
	cmd    *exec.Cmd
	url    string
	stderr *testutil.SyncBuffer
	exited chan struct{} // closed when the process has exited
	err    error         // from Wait, once exited
}

// freeAddr is a loopback address with a port nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startHTTP starts the binary with args and waits until /healthz answers at
// the address it logs.
func startHTTP(t *testing.T, environ []string, args ...string) *httpProcess {
	t.Helper()
	p := &httpProcess{cmd: exec.Command(binary, args...), stderr: &testutil.SyncBuffer{}, exited: make(chan struct{})}
	p.cmd.Env = environ
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
	})
	listening := regexp.MustCompile(`serving MCP over HTTP" listen=(\S+)`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-p.exited:
			t.Fatalf("the server exited: %v\nstderr:\n%s", p.err, p.stderr)
		default:
		}
		if m := listening.FindStringSubmatch(p.stderr.String()); m != nil {
			p.url = "http://" + m[1]
			resp, err := http.Get(p.url + "/healthz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Fatalf("healthz: %d\nstderr:\n%s", resp.StatusCode, p.stderr)
				}
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not start\nstderr:\n%s", p.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM and returns the exit code and how long the exit took.
func (p *httpProcess) stop(t *testing.T) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	return p.wait(t), time.Since(start)
}

func (p *httpProcess) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		t.Fatalf("the server did not exit\nstderr:\n%s", p.stderr)
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	return 0
}

// status is the status of a request to the server, with token as bearer
// unless it is "".
func (p *httpProcess) status(t *testing.T, method, path, token, body string) int {
	t.Helper()
	req, _ := http.NewRequest(method, p.url+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// connectHTTP connects a Go SDK client to /mcp, sending token unless it
// is "".
func connectHTTP(t *testing.T, url, token string) *mcp.ClientSession {
	t.Helper()
	return connectHTTPWith(t, url, token, nil)
}

// connectHTTPWith connects to /mcp with client options.
func connectHTTPWith(t *testing.T, url, token string, opts *mcp.ClientOptions) *mcp.ClientSession {
	t.Helper()
	hc := &http.Client{Transport: http.DefaultTransport}
	if token != "" {
		hc.Transport = bearerTransport{token: token, base: http.DefaultTransport}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	client := mcp.NewClient(&mcp.Implementation{Name: "http-e2e", Version: "1"}, opts)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: url + "/mcp", HTTPClient: hc}, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

type bearerTransport struct {
	token string
	base  http.RoundTripper
}

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.base.RoundTrip(r)
}

const mcpInit = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}`

// TestHTTPGeneratedToken: without STRIPE_MCP_AUTH_TOKEN a token is made
// up and printed once on stderr; it opens /mcp, and /healthz needs none.
func TestHTTPGeneratedToken(t *testing.T) {
	p := startHTTP(t, env(t), "http", "--sandbox", "--listen", freeAddr(t))
	tokens := regexp.MustCompile(`smcp_[A-Za-z0-9]+`).FindAllString(p.stderr.String(), -1)
	if len(tokens) != 1 || len(tokens[0]) < 40 {
		t.Fatalf("want one generated token on stderr, got %q\nstderr:\n%s", tokens, p.stderr)
	}
	token := tokens[0]

	if got := p.status(t, "GET", "/healthz", "", ""); got != 200 {
		t.Errorf("healthz without a token: %d", got)
	}
	if got := p.status(t, "POST", "/mcp", "", mcpInit); got != 401 {
		t.Errorf("/mcp without a token: %d", got)
	}
	if got := p.status(t, "POST", "/mcp", token+"x", mcpInit); got != 401 {
		t.Errorf("/mcp with a wrong token: %d", got)
	}
	cs := connectHTTP(t, p.url, token)
	tools, err := cs.ListTools(context.Background(), nil)
	if err != nil || len(tools.Tools) < 10 {
		t.Fatalf("tools/list: %v", err)
	}
	cus := call(t, cs, "stripe_create_customer", map[string]any{"email": "http@example.com"})
	if !strings.HasPrefix(cus["id"].(string), "cus_") {
		t.Fatalf("customer: %v", cus)
	}
	cs.Close()

	code, took := p.stop(t)
	out := p.stderr.String()
	if code != 0 || took > 10*time.Second {
		t.Errorf("SIGTERM: exit %d after %v\nstderr:\n%s", code, took, out)
	}
	if n := strings.Count(out, token); n != 1 {
		t.Errorf("the token appears %d times on stderr, want once:\n%s", n, out)
	}
	if !strings.Contains(out, "SANDBOX") {
		t.Errorf("no sandbox banner:\n%s", out)
	}
}

// TestHTTPConfiguredToken: a configured token is used and never printed;
// an ephemeral port (:0) serves at the port it got.
func TestHTTPConfiguredToken(t *testing.T) {
	const token = "configured-token-0123456789abcdef"
	p := startHTTP(t, env(t, "STRIPE_MCP_AUTH_TOKEN="+token), "http", "--sandbox", "--listen", "127.0.0.1:0")
	if strings.Contains(p.stderr.String(), token) || strings.Contains(p.stderr.String(), "smcp_") {
		t.Errorf("stderr shows a token:\n%s", p.stderr)
	}
	if got := p.status(t, "POST", "/mcp", token, mcpInit); got != 200 {
		t.Errorf("/mcp with the configured token: %d", got)
	}
	// The Host check allows the port that was actually bound.
	req, _ := http.NewRequest("GET", p.url+"/healthz", nil)
	req.Host = "localhost:" + p.url[strings.LastIndex(p.url, ":")+1:]
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("healthz as %s: %d", req.Host, resp.StatusCode)
	}
	if code, _ := p.stop(t); code != 0 {
		t.Errorf("exit %d\nstderr:\n%s", code, p.stderr)
	}
}

// TestHTTPNoAuthRefusedOffLoopback: --no-auth on an address others can
// reach is refused before anything listens.
func TestHTTPNoAuthRefusedOffLoopback(t *testing.T) {
	for _, listen := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.10:8787"} {
		t.Run(listen, func(t *testing.T) {
			cmd := exec.Command(binary, "http", "--sandbox", "--no-auth", "--listen", listen)
			cmd.Env = env(t)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("exit: %v, want 1\nstderr:\n%s", err, stderr.String())
			}
			if out := stderr.String(); !strings.Contains(out, "--no-auth") || !strings.Contains(out, "loopback") || strings.Contains(out, "serving MCP") {
				t.Errorf("stderr:\n%s", out)
			}
		})
	}
}

// TestHTTPNoAuthLoopback: --no-auth on loopback serves without a token, and
// the audit log names the anonymous principal.
func TestHTTPNoAuthLoopback(t *testing.T) {
	environ := env(t)
	p := startHTTP(t, environ, "http", "--sandbox", "--no-auth", "--listen", freeAddr(t))
	if strings.Contains(p.stderr.String(), "smcp_") {
		t.Errorf("a token was generated with --no-auth:\n%s", p.stderr)
	}
	cs := connectHTTP(t, p.url, "")
	call(t, cs, "stripe_create_customer", map[string]any{"email": "anon@example.com"})
	cs.Close()
	// Host and Origin are still checked.
	req, _ := http.NewRequest("GET", p.url+"/healthz", nil)
	req.Header.Set("Origin", "https://evil.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("foreign origin with --no-auth: %d", resp.StatusCode)
	}
	if code, _ := p.stop(t); code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", code, p.stderr)
	}

	cmd := exec.Command(binary, "audit", "--sandbox", "--json") // sandbox calls have a log of their own
	cmd.Env = environ
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	var row struct{ Tool, Transport, Principal, Outcome string }
	if err := json.Unmarshal(bytes.TrimSpace(out), &row); err != nil {
		t.Fatalf("audit --json: %v: %s", err, out)
	}
	if row.Tool != "stripe_create_customer" || row.Transport != "http" || !strings.HasPrefix(row.Principal, "anonymous") || row.Outcome != "ok" {
		t.Errorf("audit row: %+v", row)
	}
}

// TestHTTPSigtermDrains: SIGTERM while a capture is held at Stripe: the
// listener closes, the capture still gets its result, and the process
// exits 0 soon after.
func TestHTTPSigtermDrains(t *testing.T) {
	fake := testutil.NewFakeStripe()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	pi := fake.AuthorizedPayment(4200, "usd")
	release := fake.Hold("/v1/payment_intents/" + pi + "/capture")
	t.Cleanup(release)

	const token = "drain-token-0123456789abcdef"
	p := startHTTP(t, env(t, "STRIPE_API_KEY="+testutil.TestKey, "STRIPE_API_BASE="+srv.URL, "STRIPE_MCP_AUTH_TOKEN="+token),
		"http", "--listen", freeAddr(t))
	cs := connectHTTP(t, p.url, token)

	type outcome struct {
		res *mcp.CallToolResult
		err error
	}
	result := make(chan outcome, 1)
	go func() {
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "stripe_capture_payment", Arguments: map[string]any{"paymentIntentId": pi}})
		result <- outcome{res, err}
	}()
	waitUntil(t, func() bool { return fake.Object(pi)["status"] == "succeeded" }, "the capture to reach Stripe")

	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, func() bool { return strings.Contains(p.stderr.String(), "shutting down") }, "the drain to start")
	if c, err := net.DialTimeout("tcp", strings.TrimPrefix(p.url, "http://"), time.Second); err == nil {
		c.Close()
		t.Error("the listener still accepts connections while draining")
	}
	select {
	case <-p.exited:
		t.Fatalf("exited before the call in progress finished: %v\nstderr:\n%s", p.err, p.stderr)
	case <-time.After(100 * time.Millisecond):
	}
	release()

	select {
	case o := <-result:
		if o.err != nil {
			t.Fatalf("the call in progress failed: %v\nstderr:\n%s", o.err, p.stderr)
		}
		got := testutil.Structured(t, o.res)
		if got["status"] != "succeeded" || got["id"] != pi {
			t.Errorf("capture result: %v", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the call in progress got no result\nstderr:\n%s", p.stderr)
	}
	code := p.wait(t)
	took := time.Since(start)
	t.Logf("exit %d %v after SIGTERM", code, took.Round(time.Millisecond))
	if code != 0 || took > 5*time.Second {
		t.Errorf("exit %d after %v, want 0 within 5s\nstderr:\n%s", code, took, p.stderr)
	}
	if !strings.Contains(p.stderr.String(), "stopped") {
		t.Errorf("no clean stop on stderr:\n%s", p.stderr)
	}
}

func waitUntil(t *testing.T, ok func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
