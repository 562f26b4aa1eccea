package server_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stripe-mcp/stripe-mcp/internal/server"
	"github.com/stripe-mcp/stripe-mcp/internal/session"
	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

func newServer(t *testing.T, o server.Options) *server.Server {
	t.Helper()
	base, _ := testutil.StripeMock(t)
	o.Stripe = testutil.Client(t, base)
	o.Logger = testutil.Logger(t)
	o.Currency = "usd"
	s, err := server.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestPanicBecomesErrorResult: a handler panic is an isError result, and the
// server keeps serving the session.
func TestPanicBecomesErrorResult(t *testing.T) {
	s := newServer(t, server.Options{})
	mcp.AddTool(s.MCP, &mcp.Tool{Name: "boom"}, func(ctx context.Context, req *mcp.CallToolRequest, in struct{}) (*mcp.CallToolResult, any, error) {
		var m map[string]int
		m["x"]++ // nil map write
		return nil, nil, nil
	})
	cs := testutil.ConnectServer(t, s.MCP, nil)
	res := testutil.Call(t, cs, "boom", map[string]any{})
	if !res.IsError || !strings.Contains(testutil.Text(res), "internal error in boom") {
		t.Fatalf("got %+v", res)
	}
	// Still serving.
	res = testutil.Call(t, cs, "stripe_get_customer", map[string]any{"customerId": "cus_123"})
	if res.IsError {
		t.Fatalf("after a panic: %s", testutil.Text(res))
	}
}

// TestSetLogLevel: logging/setLevel takes the protocol's levels and refuses
// anything else as invalid params, naming the levels.
func TestSetLogLevel(t *testing.T) {
	s := newServer(t, server.Options{})
	cs := testutil.ConnectServer(t, s.MCP, nil)
	ctx := context.Background()
	for _, level := range []mcp.LoggingLevel{"debug", "warning", "emergency"} {
		if err := cs.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: level}); err != nil {
			t.Errorf("level %s: %v", level, err)
		}
	}
	for _, level := range []mcp.LoggingLevel{"loud", "", "WARNING", "warn"} {
		err := cs.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: level})
		var we *jsonrpc.Error
		if !errors.As(err, &we) || we.Code != jsonrpc.CodeInvalidParams {
			t.Errorf("level %q: got %v, want invalid params (-32602)", level, err)
			continue
		}
		for _, w := range []string{fmt.Sprintf("%q", level), "debug, info, notice, warning, error, critical, alert, emergency"} {
			if !strings.Contains(we.Message, w) {
				t.Errorf("level %q: message %q lacks %s", level, we.Message, w)
			}
		}
	}
}

// TestSessionIdentity: every session gets its own id, visible to handlers
// together with the transport, the principal and the client's name.
func TestSessionIdentity(t *testing.T) {
	s := newServer(t, server.Options{})
	type who struct{ ID, Transport, Principal, Client string }
	mcp.AddTool(s.MCP, &mcp.Tool{Name: "whoami"}, func(ctx context.Context, req *mcp.CallToolRequest, in struct{}) (*mcp.CallToolResult, who, error) {
		info := session.From(ctx)
		if info == nil {
			return nil, who{}, nil
		}
		return nil, who{info.ID, info.Transport, info.Principal, info.ClientName()}, nil
	})
	var mu sync.Mutex
	ids := map[string]bool{}
	for i := 0; i < 3; i++ {
		cs := testutil.ConnectServer(t, s.MCP, nil)
		for j := 0; j < 2; j++ {
			got := testutil.Structured(t, testutil.Call(t, cs, "whoami", map[string]any{}))
			id, _ := got["ID"].(string)
			if !strings.HasPrefix(id, "ses_") || len(id) < 20 {
				t.Fatalf("session id %q", id)
			}
			if got["Transport"] != session.Stdio || got["Principal"] != session.LocalOperator || got["Client"] != "test-client" {
				t.Fatalf("identity %v", got)
			}
			mu.Lock()
			if j == 0 && ids[id] {
				t.Fatalf("session id %s reused across sessions", id)
			}
			ids[id] = true
			mu.Unlock()
		}
	}
	if len(ids) != 3 {
		t.Fatalf("want one id per session, got %v", ids)
	}
}

// TestAllowListAndReadOnly: tools outside the allow-list are not listed and
// calling one is an unknown tool.
func TestAllowListAndReadOnly(t *testing.T) {
	s := newServer(t, server.Options{AllowedOperations: []string{"customers.read", "stripe_get_payment"}})
	cs := testutil.ConnectServer(t, s.MCP, nil)
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tl := range res.Tools {
		got = append(got, tl.Name)
	}
	if strings.Join(got, ",") != "stripe_get_customer,stripe_get_payment,stripe_list_customers" {
		t.Fatalf("tools: %v", got)
	}
	_, err = cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "stripe_create_payment", Arguments: map[string]any{"amount": 100}})
	if err == nil || !strings.Contains(err.Error(), "unknown tool") {
		t.Fatalf("calling an unregistered tool: %v", err)
	}

	ro := newServer(t, server.Options{ReadOnly: true})
	for _, tl := range ro.Tools {
		if !tl.ReadOnly() {
			t.Errorf("read-only server registers %s", tl.Tool.Name)
		}
	}
	if len(ro.Tools) == 0 {
		t.Fatal("read-only server has no tools")
	}

	if _, err := server.New(server.Options{Stripe: testutil.Client(t, "http://127.0.0.1:1"), AllowedOperations: []string{"paymentz"}}); err == nil || !strings.Contains(err.Error(), "paymentz") {
		t.Fatalf("unknown allow-list entry: %v", err)
	}
}
