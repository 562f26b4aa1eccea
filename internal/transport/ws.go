package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Subprotocol is the WebSocket subprotocol of MCP over WebSocket, as the
// TypeScript SDK's WebSocketClientTransport speaks it: one JSON-RPC message
// per text frame.
const Subprotocol = "mcp"

// WebSocketConfig configures the /ws endpoint.
type WebSocketConfig struct {
	MaxMessageBytes int64
	// Idle closes a connection that sent nothing for this long.
	Idle   time.Duration
	Logger *slog.Logger
}

// NewWebSocketHandler serves MCP sessions over WebSocket. Host, Origin and
// the token are checked before a request gets here.
func NewWebSocketHandler(s *mcp.Server, c WebSocketConfig) http.Handler {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
			Subprotocols: []string{Subprotocol},
			// The Origin header was checked against allowedOrigins already.
			InsecureSkipVerify: true,
		})
		if err != nil {
			c.Logger.Warn("ws: upgrade failed", "error", err)
			return
		}
		if conn.Subprotocol() != Subprotocol {
			conn.Close(websocket.StatusPolicyViolation, `the "mcp" subprotocol is required`)
			return
		}
		if c.MaxMessageBytes > 0 {
			conn.SetReadLimit(c.MaxMessageBytes)
		}
		ctx := context.WithoutCancel(r.Context())
		wc := newWSConn(ctx, conn, c)
		ss, err := s.Connect(ctx, &wsTransport{wc}, nil)
		if err != nil {
			conn.Close(websocket.StatusInternalError, "could not start the session")
			return
		}
		ss.Wait()
	})
}

type wsTransport struct{ c *wsConn }

func (t *wsTransport) Connect(context.Context) (mcp.Connection, error) { return t.c, nil }

// wsConn is an mcp.Connection over one WebSocket.
type wsConn struct {
	conn   *websocket.Conn
	cfg    WebSocketConfig
	ctx    context.Context
	cancel context.CancelFunc

	writeMu sync.Mutex
	once    sync.Once
}

func newWSConn(ctx context.Context, conn *websocket.Conn, cfg WebSocketConfig) *wsConn {
	ctx, cancel := context.WithCancel(ctx)
	return &wsConn{conn: conn, cfg: cfg, ctx: ctx, cancel: cancel}
}

func (c *wsConn) SessionID() string { return "" }

// Read returns the next message, answering frames that hold none.
func (c *wsConn) Read(ctx context.Context) (jsonrpc.Message, error) {
	for {
		rctx, cancel := c.readContext(ctx)
		typ, data, err := c.conn.Read(rctx)
		idle := rctx.Err() != nil && ctx.Err() == nil && c.ctx.Err() == nil
		cancel()
		if err != nil {
			if idle {
				c.conn.Close(websocket.StatusNormalClosure, "idle for too long")
			}
			if websocket.CloseStatus(err) != -1 || errors.Is(err, io.EOF) || idle {
				return nil, io.EOF
			}
			var tooBig bool
			if errors.Is(err, websocket.ErrMessageTooBig) {
				tooBig = true
			}
			if tooBig {
				c.conn.Close(websocket.StatusMessageTooBig, fmt.Sprintf("message larger than %d bytes", c.cfg.MaxMessageBytes))
			}
			return nil, err
		}
		if typ != websocket.MessageText {
			c.reply(nil, jsonrpc.CodeInvalidRequest, "Invalid Request: send JSON-RPC messages as text frames")
			continue
		}
		if !json.Valid(data) {
			c.reply(nil, jsonrpc.CodeParseError, "Parse error: the frame is not valid JSON")
			continue
		}
		// Valid JSON, so something follows its leading whitespace.
		if bytes.TrimLeft(data, " \t\r\n")[0] != '{' {
			c.reply(nil, jsonrpc.CodeInvalidRequest, "Invalid Request: one JSON-RPC message object per frame")
			continue
		}
		msg, err := decodeMessage(data)
		if err != nil {
			c.reply(idOf(data), jsonrpc.CodeInvalidRequest, "Invalid Request: "+err.Error())
			continue
		}
		return msg, nil
	}
}

// readContext ends a read when the connection closes, or after the idle
// time.
func (c *wsConn) readContext(ctx context.Context) (context.Context, context.CancelFunc) {
	rctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(c.ctx, cancel)
	if c.cfg.Idle > 0 {
		var tcancel context.CancelFunc
		rctx, tcancel = context.WithTimeout(rctx, c.cfg.Idle)
		return rctx, func() { tcancel(); stop(); cancel() }
	}
	return rctx, func() { stop(); cancel() }
}

func (c *wsConn) Write(ctx context.Context, msg jsonrpc.Message) error {
	data, err := encodeMessage(msg)
	if err != nil {
		return fmt.Errorf("encoding a message: %w", err)
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.conn.Write(ctx, websocket.MessageText, data)
}

func (c *wsConn) reply(id any, code int64, message string) {
	b, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "error": map[string]any{"code": code, "message": message}})
	if err != nil {
		return
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	_ = c.conn.Write(ctx, websocket.MessageText, b)
}

func (c *wsConn) Close() error {
	c.once.Do(func() {
		c.cancel()
		c.conn.Close(websocket.StatusNormalClosure, "")
	})
	return nil
}
