package transport_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/stripe-mcp/stripe-mcp/internal/session"
	"github.com/stripe-mcp/stripe-mcp/internal/store"
	"github.com/stripe-mcp/stripe-mcp/internal/transport"
)

// wsClient speaks MCP over /ws by hand: one JSON-RPC message per text
// frame, as the TypeScript SDK's WebSocketClientTransport does.
type wsClient struct {
	t *testing.T
	c *websocket.Conn
}

// dialWS connects to /ws with the token in the Authorization header and
// the "mcp" subprotocol, unless opts says otherwise.
func (ts *testServer) dialWS(t *testing.T, opts *websocket.DialOptions) *wsClient {
	t.Helper()
	if opts == nil {
		opts = &websocket.DialOptions{
			HTTPHeader:   http.Header{"Authorization": {"Bearer " + ts.Token}},
			Subprotocols: []string{transport.Subprotocol},
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, "ws://"+ts.Addr+"/ws", opts)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial /ws: %d %v", status, err)
	}
	c.SetReadLimit(16 << 20) // tools/list is larger than the default 32 KiB
	t.Cleanup(func() { c.CloseNow() })
	return &wsClient{t: t, c: c}
}

func (w *wsClient) write(typ websocket.MessageType, data string) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.c.Write(ctx, typ, []byte(data)); err != nil {
		w.t.Fatalf("write: %v", err)
	}
}

func (w *wsClient) send(text string) { w.t.Helper(); w.write(websocket.MessageText, text) }

// next returns the next reply (a message with no method), skipping the
// server's notifications and requests.
func (w *wsClient) next() (map[string]any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		typ, data, err := w.c.Read(ctx)
		if err != nil {
			return nil, err
		}
		if typ != websocket.MessageText {
			return nil, fmt.Errorf("a %v frame from the server", typ)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("frame %q is not JSON: %w", data, err)
		}
		if m["jsonrpc"] != "2.0" {
			return nil, fmt.Errorf("frame %q is not JSON-RPC 2.0", data)
		}
		if _, ok := m["method"]; !ok {
			return m, nil
		}
	}
}

func (w *wsClient) recv() map[string]any {
	w.t.Helper()
	m, err := w.next()
	if err != nil {
		w.t.Fatalf("read: %v", err)
	}
	return m
}

func (w *wsClient) initialize() map[string]any {
	w.t.Helper()
	w.send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"ws-test","version":"1"}}}`)
	m := w.recv()
	res, _ := m["result"].(map[string]any)
	if m["id"] != float64(1) || res == nil {
		w.t.Fatalf("initialize: %v", m)
	}
	w.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	return res
}

// call sends tools/call and returns the reply with id.
func (w *wsClient) call(id int, tool string, args map[string]any) map[string]any {
	w.t.Helper()
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": map[string]any{"name": tool, "arguments": args}})
	w.send(string(b))
	m := w.recv()
	if m["id"] != float64(id) {
		w.t.Fatalf("reply to %d: %v", id, m)
	}
	return m
}

func (w *wsClient) close() { w.c.Close(websocket.StatusNormalClosure, "") }

func errorCode(m map[string]any) float64 {
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(float64)
	return c
}

func structured(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	res, _ := m["result"].(map[string]any)
	if res == nil || res["isError"] == true {
		t.Fatalf("tool call failed: %v", m)
	}
	sc, _ := res["structuredContent"].(map[string]any)
	if sc == nil {
		t.Fatalf("no structured content: %v", m)
	}
	return sc
}

// TestWebSocket: initialize, tools/list and a tool call over /ws; the audit
// row says "ws".
func TestWebSocket(t *testing.T) {
	ts := startServer(t, options{})
	ws := ts.dialWS(t, nil)
	if got := ws.c.Subprotocol(); got != transport.Subprotocol {
		t.Errorf("subprotocol %q", got)
	}
	res := ws.initialize()
	if info, _ := res["serverInfo"].(map[string]any); info["name"] != "stripe-mcp" || res["protocolVersion"] != "2025-06-18" {
		t.Errorf("initialize result: %v", res)
	}
	ws.send(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	list := ws.recv()
	tools, _ := list["result"].(map[string]any)["tools"].([]any)
	if len(tools) < 10 {
		t.Fatalf("tools/list: %v", list)
	}
	cus := structured(t, ws.call(3, "stripe_create_customer", map[string]any{"email": "ws@example.com"}))
	id, _ := cus["id"].(string)
	if !strings.HasPrefix(id, "cus_") || ts.Fake.Object(id)["email"] != "ws@example.com" {
		t.Fatalf("customer: %v", cus)
	}
	checkAudit(t, ts, "stripe_create_customer", session.WebSocket, "")
	ws.send(`{"jsonrpc":"2.0","id":4,"method":"ping"}`)
	if m := ws.recv(); m["id"] != float64(4) || m["result"] == nil {
		t.Errorf("ping: %v", m)
	}
	ws.close()
	ts.waitSessions(t, 0)
}

// TestWebSocketAccessToken: browsers cannot set headers on an upgrade, so
// /ws takes the token as ?access_token=.
func TestWebSocketAccessToken(t *testing.T) {
	ts := startServer(t, options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws://"+ts.Addr+"/ws?access_token="+ts.Token, &websocket.DialOptions{Subprotocols: []string{transport.Subprotocol}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	ws := &wsClient{t: t, c: c}
	ws.initialize()
	structured(t, ws.call(2, "stripe_create_customer", map[string]any{"email": "browser@example.com"}))
	checkAudit(t, ts, "stripe_create_customer", session.WebSocket, "")
}

// TestWebSocketSubprotocolRequired: a client that does not speak "mcp" is
// closed with a policy violation that says so.
func TestWebSocketSubprotocolRequired(t *testing.T) {
	ts := startServer(t, options{})
	for _, protos := range [][]string{nil, {"graphql-ws"}} {
		ws := ts.dialWS(t, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + ts.Token}}, Subprotocols: protos})
		_, err := ws.next()
		if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
			t.Errorf("subprotocols %v: %v, want close 1008", protos, err)
		}
		var ce websocket.CloseError
		if errors.As(err, &ce) && !strings.Contains(ce.Reason, "mcp") {
			t.Errorf("close reason %q", ce.Reason)
		}
	}
	ts.waitSessions(t, 0)
}

// TestWebSocketMalformedFrames: a frame that is not JSON gets -32700, one
// that is not a JSON-RPC message -32600, and the connection goes on.
func TestWebSocketMalformedFrames(t *testing.T) {
	ts := startServer(t, options{})
	ws := ts.dialWS(t, nil)

	// Before initialize, too.
	ws.send(`not json`)
	if m := ws.recv(); errorCode(m) != -32700 || m["id"] != nil {
		t.Errorf("before initialize: %v", m)
	}
	ws.initialize()
	cases := []struct {
		typ   websocket.MessageType
		frame string
		code  float64
		id    any
	}{
		{websocket.MessageText, `not json`, -32700, nil},
		{websocket.MessageText, `{"jsonrpc":"2.0","id":7,"method":`, -32700, nil},
		{websocket.MessageBinary, `{"jsonrpc":"2.0","id":8,"method":"tools/list"}`, -32600, nil},
		{websocket.MessageText, `[{"jsonrpc":"2.0","id":9,"method":"tools/list"}]`, -32600, nil},
		{websocket.MessageText, `[1,2,3]`, -32600, nil},
		{websocket.MessageText, `"just a string"`, -32600, nil},
		{websocket.MessageText, `{"id":10,"method":"tools/list"}`, -32600, float64(10)},
		{websocket.MessageText, `{"jsonrpc":"2.0","id":{"x":1},"method":"tools/list"}`, -32600, nil},
	}
	for i, c := range cases {
		ws.write(c.typ, c.frame)
		m := ws.recv()
		if errorCode(m) != c.code || m["id"] != c.id {
			t.Errorf("%q: %v, want error %v with id %v", c.frame, m, c.code, c.id)
		}
		if msg, _ := m["error"].(map[string]any)["message"].(string); msg == "" {
			t.Errorf("%q: error without a message: %v", c.frame, m)
		}
		// The same connection answers the next valid request.
		id := 100 + i
		ws.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/list"}`, id))
		if m := ws.recv(); m["id"] != float64(id) || m["result"] == nil {
			t.Fatalf("after %q: %v", c.frame, m)
		}
	}
	structured(t, ws.call(200, "stripe_create_customer", map[string]any{"email": "after-garbage@example.com"}))
}

// TestWebSocketOversizedFrame: a frame beyond MaxBodyBytes closes that
// connection with 1009 (message too big); other clients go on.
func TestWebSocketOversizedFrame(t *testing.T) {
	ts := startServer(t, options{config: func(c *transport.HTTPConfig) { c.MaxBodyBytes = 1024 }})
	other := ts.dialWS(t, nil)
	other.initialize()
	big := ts.dialWS(t, nil)
	big.initialize()
	ts.waitSessions(t, 2)

	big.send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"stripe_create_customer","arguments":{"description":"` + strings.Repeat("x", 4096) + `"}}}`)
	_, err := big.next()
	if websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Fatalf("oversized frame: %v, want close 1009", err)
	}
	ts.waitSessions(t, 1)
	if n := ts.Fake.CountObjects("customer"); n != 0 {
		t.Errorf("the oversized call reached Stripe: %d customers", n)
	}

	structured(t, other.call(2, "stripe_create_customer", map[string]any{"email": "other@example.com"}))
	fresh := ts.dialWS(t, nil)
	fresh.initialize()
	structured(t, fresh.call(2, "stripe_create_customer", map[string]any{"email": "fresh@example.com"}))
	// A frame just under the limit is fine.
	m := fresh.call(3, "stripe_create_customer", map[string]any{"description": strings.Repeat("y", 700)})
	structured(t, m)
	for _, r := range auditRows(t, ts.Store) {
		if r.Transport != session.WebSocket || r.Outcome != store.OutcomeOK {
			t.Errorf("audit: %+v", r)
		}
	}
}

// rawReply is the next reply as the server wrote it.
func (w *wsClient) rawReply() string {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, data, err := w.c.Read(ctx)
		if err != nil {
			w.t.Fatalf("read: %v", err)
		}
		if !strings.Contains(string(data), `"method"`) {
			return string(data)
		}
	}
}

// TestWebSocketRequestIDs: over /ws too a request is answered with its id
// exactly as the client wrote it, integers beyond 2^53 included, and an id
// that is null, fractional, out of range or of another type gets -32600
// with a null id; the connection goes on.
func TestWebSocketRequestIDs(t *testing.T) {
	ts := startServer(t, options{})
	ws := ts.dialWS(t, nil)
	ws.initialize()
	for _, id := range []string{"9007199254740993", "9223372036854775807", "-9223372036854775808", `"abc"`} {
		ws.send(`{"jsonrpc":"2.0","id":` + id + `,"method":"ping"}`)
		reply := ws.rawReply()
		var m struct {
			ID     json.RawMessage `json:"id"`
			Result json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal([]byte(reply), &m); err != nil || string(m.ID) != id || m.Result == nil {
			t.Errorf("id %s: answered %s", id, reply)
		}
	}
	for _, id := range []string{"null", "1.5", "9223372036854775808", "false"} {
		ws.send(`{"jsonrpc":"2.0","id":` + id + `,"method":"ping"}`)
		m := ws.recv()
		if errorCode(m) != -32600 || m["id"] != nil {
			t.Errorf("id %s: %v, want -32600 with a null id", id, m)
		}
	}
	structured(t, ws.call(5, "stripe_create_customer", map[string]any{"email": "ids@example.com"}))
}

// TestWebSocketLeadingWhitespace: JSON may begin with whitespace; a frame
// that does is a message like any other.
func TestWebSocketLeadingWhitespace(t *testing.T) {
	ts := startServer(t, options{})
	ws := ts.dialWS(t, nil)
	ws.send(" \r\n\t" + `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"ws-test","version":"1"}}}`)
	if m := ws.recv(); m["id"] != float64(1) || m["result"] == nil {
		t.Fatalf("initialize after whitespace: %v", m)
	}
	ws.send("\n" + `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	ws.send("  " + `{"jsonrpc":"2.0","id":2,"method":"ping"}` + "\n")
	if m := ws.recv(); m["id"] != float64(2) || m["result"] == nil {
		t.Fatalf("ping after whitespace: %v", m)
	}
	// Whitespace before something else than an object is still refused.
	ws.send(" \n[1]")
	if m := ws.recv(); errorCode(m) != -32600 {
		t.Errorf("array after whitespace: %v", m)
	}
}
