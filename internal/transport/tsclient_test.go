package transport_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stripe-mcp/stripe-mcp/internal/server"
	"github.com/stripe-mcp/stripe-mcp/internal/session"
	"github.com/stripe-mcp/stripe-mcp/internal/store"
	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
	"github.com/stripe-mcp/stripe-mcp/internal/transport"
)

// TestTypeScriptSDKClient drives /mcp and /ws with the TypeScript SDK's
// StreamableHTTPClientTransport and WebSocketClientTransport. It needs the
// npm packages of testdata/tsclient (.ci/run installs them with npm ci).
func TestTypeScriptSDKClient(t *testing.T) {
	dir, _ := filepath.Abs("testdata/tsclient")
	node := filepath.Join(dir, "node_modules", ".bin", "node")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@modelcontextprotocol", "sdk")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the TypeScript client is not installed: run npm ci in %s", dir)
		}
		t.Skipf("the TypeScript client is not installed (npm ci in %s); CI installs it", dir)
	}
	const token = "ts-client-token-0123456789"
	base, _ := testutil.StripeMock(t)
	st := testutil.OpenStore(t)
	build := func(via string) *mcp.Server {
		s, err := server.New(server.Options{Stripe: testutil.Client(t, base), Currency: "usd", Store: st, Idempotency: true,
			Identify: func(mcp.Request) (string, string) { return via, transport.PrincipalOf(token, false) }})
		if err != nil {
			t.Fatal(err)
		}
		return s.MCP
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h, err := transport.NewHTTPHandler(transport.HTTPConfig{
		Addr: ln.Addr().String(), Token: token,
		Servers: transport.Servers{Streamable: build(session.HTTP), SSE: build(session.SSE), WebSocket: build(session.WebSocket)},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	cmd := exec.Command(node, "client.mjs", "http://"+ln.Addr().String(), token)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("node client: %v\n%s", err, stderr.String())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("node client timed out\n%s", stderr.String())
	}
	seen := map[string]bool{}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		var r struct {
			Transport, Server, CustomerID, RefusedText string
			Tools                                      int
			CustomerError, RefusedIsError              bool
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("client output %q: %v", sc.Text(), err)
		}
		seen[r.Transport] = true
		if r.Server != "stripe-mcp" || r.Tools < 20 || !strings.HasPrefix(r.CustomerID, "cus_") || r.CustomerError {
			t.Errorf("%s: %+v", r.Transport, r)
		}
		if !r.RefusedIsError || !strings.Contains(r.RefusedText, "amount must be at least 1") {
			t.Errorf("%s: the refusal came back as %+v", r.Transport, r)
		}
	}
	if !seen["streamable-http"] || !seen["websocket"] {
		t.Fatalf("transports seen: %v\n%s", seen, stderr.String())
	}
	rows, err := st.Calls(t.Context(), store.Query{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	via := map[string]int{}
	for _, r := range rows {
		via[r.Transport]++
		if r.Principal != transport.PrincipalOf(token, false) || !strings.HasPrefix(r.Client, "ts-sdk-") {
			t.Errorf("audit row %+v", r)
		}
	}
	if via["http"] != 2 || via["ws"] != 2 {
		t.Fatalf("audit rows by transport: %v", via)
	}
}
