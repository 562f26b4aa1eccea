// Package session gives every MCP session an identity of our own: an id (the
// SDK's is empty on stdio, and on HTTP it is a bearer credential that must not
// be logged), the principal acting through it, the transport and the client.
package session

import (
	"context"
	"crypto/rand"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Transport names as they appear in logs and audit rows.
const (
	Stdio     = "stdio"
	HTTP      = "http"
	SSE       = "sse"
	WebSocket = "ws"
)

// LocalOperator is the principal of a stdio session: whoever started the
// process.
const LocalOperator = "local-operator"

// Info describes one MCP session.
type Info struct {
	ID        string
	Transport string
	Principal string
	ss        *mcp.ServerSession
}

// ClientName is the name the client gave in initialize ("" before it).
func (i *Info) ClientName() string {
	if i == nil || i.ss == nil {
		return ""
	}
	if p := i.ss.InitializeParams(); p != nil && p.ClientInfo != nil {
		return p.ClientInfo.Name
	}
	return ""
}

// Session is the SDK session, for server-to-client requests and notifications.
func (i *Info) Session() *mcp.ServerSession {
	if i == nil {
		return nil
	}
	return i.ss
}

type ctxKey struct{}

// With returns ctx carrying info.
func With(ctx context.Context, info *Info) context.Context {
	return context.WithValue(ctx, ctxKey{}, info)
}

// From returns the session info in ctx, or nil.
func From(ctx context.Context) *Info {
	info, _ := ctx.Value(ctxKey{}).(*Info)
	return info
}

// NewID returns a fresh session id: "ses_" and 20 random base32 characters.
func NewID() string { return "ses_" + rand.Text()[:20] }

// Identify says, for a request arriving on a new session, which transport it
// came over and who the principal is.
type Identify func(req mcp.Request) (transport, principal string)

// Tracker keeps the Info of every live session.
type Tracker struct {
	identify Identify
	mu       sync.Mutex
	sessions map[*mcp.ServerSession]*Info
}

// NewTracker returns a tracker that names new sessions with identify.
func NewTracker(identify Identify) *Tracker {
	return &Tracker{identify: identify, sessions: make(map[*mcp.ServerSession]*Info)}
}

// Len is the number of live sessions.
func (t *Tracker) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.sessions)
}

// Lookup returns the Info of ss, creating it on first sight.
func (t *Tracker) Lookup(req mcp.Request) *Info {
	ss, ok := req.GetSession().(*mcp.ServerSession)
	if !ok || ss == nil {
		return nil
	}
	t.mu.Lock()
	info, ok := t.sessions[ss]
	if !ok {
		transport, principal := t.identify(req)
		info = &Info{ID: NewID(), Transport: transport, Principal: principal, ss: ss}
		t.sessions[ss] = info
	}
	t.mu.Unlock()
	if !ok {
		go func() {
			_ = ss.Wait()
			t.mu.Lock()
			delete(t.sessions, ss)
			t.mu.Unlock()
		}()
	}
	return info
}

// Middleware puts the session's Info into the context of every request.
func (t *Tracker) Middleware(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		if info := t.Lookup(req); info != nil {
			ctx = With(ctx, info)
		}
		return next(ctx, method, req)
	}
}
