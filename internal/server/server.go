// Package server assembles the MCP server: tools selected by the registry,
// middleware for sessions and recovery, and the instructions clients show
// the model. Every transport serves the same server.
package server

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stripe-mcp/stripe-mcp/internal/audit"
	"github.com/stripe-mcp/stripe-mcp/internal/guard"
	"github.com/stripe-mcp/stripe-mcp/internal/prompts"
	"github.com/stripe-mcp/stripe-mcp/internal/redact"
	"github.com/stripe-mcp/stripe-mcp/internal/registry"
	"github.com/stripe-mcp/stripe-mcp/internal/resources"
	"github.com/stripe-mcp/stripe-mcp/internal/session"
	"github.com/stripe-mcp/stripe-mcp/internal/store"
	"github.com/stripe-mcp/stripe-mcp/internal/stripeapi"
	"github.com/stripe-mcp/stripe-mcp/internal/tools"
)

//go:embed instructions.md
var instructions string

// Version is the stripe-mcp version.
var Version = "dev"

// Options configure a server.
type Options struct {
	Stripe            *stripeapi.Client
	Currency          string
	AutoCapture       bool
	AllowedOperations []string
	ReadOnly          bool
	KeyMode           string // "test", "live" or "sandbox"
	// Store keeps the audit log and idempotency generations. Without one
	// (some tests) calls are not audited and writes carry no derived keys.
	Store store.Store
	// Idempotency derives the keys of writes from the call (SPEC §5);
	// false leaves key-making to stripe-go (random, reused across retries).
	Idempotency bool
	// Policy holds the money guardrails (amount caps, the daily limit,
	// confirmations); nil checks nothing.
	Policy *guard.Policy
	// OnInitialized runs when a client has finished initializing.
	OnInitialized func()
	Logger        *slog.Logger
	// Identify names the transport and principal of new sessions.
	Identify session.Identify
	// NoSubscriptions, when set, is why resources/subscribe is refused (a
	// stateless HTTP server has no session to notify).
	NoSubscriptions string
}

// Server is the MCP server and what it keeps about its sessions.
type Server struct {
	MCP      *mcp.Server
	Sessions *session.Tracker
	Tools    []registry.Tool
	inFlight inFlight
}

// Drain waits until no request is being handled, or ctx ends.
func (s *Server) Drain(ctx context.Context) error { return s.inFlight.wait(ctx) }

// CloseSessions closes every session of the server. A session still being
// set up can make the SDK panic when closed; shutdown goes on regardless.
func (s *Server) CloseSessions() {
	for ss := range s.MCP.Sessions() {
		func() {
			defer func() { recover() }()
			ss.Close()
		}()
	}
}

// inFlight counts requests being handled.
type inFlight struct {
	mu   sync.Mutex
	n    int
	zero chan struct{} // closed when n drops to 0, while someone waits
}

func (f *inFlight) add(d int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n += d
	if f.n == 0 && f.zero != nil {
		close(f.zero)
		f.zero = nil
	}
}

func (f *inFlight) wait(ctx context.Context) error {
	f.mu.Lock()
	if f.n == 0 {
		f.mu.Unlock()
		return nil
	}
	if f.zero == nil {
		f.zero = make(chan struct{})
	}
	ch := f.zero
	f.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// countInFlight counts the requests a drain waits for (not the parked
// subscription listeners of newer protocols, which never end on their own).
func (f *inFlight) middleware(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		if method == "subscriptions/listen" {
			return next(ctx, method, req)
		}
		f.add(1)
		defer f.add(-1)
		return next(ctx, method, req)
	}
}

// New builds the server. An allowedOperations entry that names nothing known
// is an error.
func New(o Options) (*Server, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Identify == nil {
		o.Identify = func(mcp.Request) (string, string) { return session.Stdio, session.LocalOperator }
	}
	deps := &tools.Deps{Stripe: o.Stripe, Currency: o.Currency, AutoCapture: o.AutoCapture, KeyMode: o.KeyMode, Logger: o.Logger}
	if o.Store != nil && o.Idempotency {
		deps.Idempotency = &guard.Idempotency{Store: o.Store, Account: o.Stripe.Account}
	}
	deps.Policy = o.Policy
	deps.Store = o.Store
	selected, err := registry.Select(tools.All(deps), o.AllowedOperations, o.ReadOnly)
	if err != nil {
		return nil, err
	}
	rd := resources.Deps{Tools: deps, Allowed: o.AllowedOperations, NoSubscriptions: o.NoSubscriptions}
	available := func(name string) bool {
		return slices.ContainsFunc(selected, func(t registry.Tool) bool { return t.Tool.Name == name })
	}
	completer := resources.NewCompleter(rd)
	s := mcp.NewServer(&mcp.Implementation{Name: "stripe-mcp", Title: "Stripe", Version: Version}, &mcp.ServerOptions{
		Instructions: instructions,
		Logger:       sdkLogger(o.Logger),
		InitializedHandler: func(context.Context, *mcp.InitializedRequest) {
			if o.OnInitialized != nil {
				o.OnInitialized()
			}
		},
		Capabilities: &mcp.ServerCapabilities{
			Tools:       &mcp.ToolCapabilities{},
			Logging:     &mcp.LoggingCapabilities{},
			Resources:   &mcp.ResourceCapabilities{Subscribe: true},
			Prompts:     &mcp.PromptCapabilities{},
			Completions: &mcp.CompletionCapabilities{},
		},
		SubscribeHandler:   resources.Subscribe(rd),
		UnsubscribeHandler: resources.Unsubscribe,
		CompletionHandler:  completer.Complete,
	})
	tracker := session.NewTracker(o.Identify)
	// Outermost first: every request gets its session; tool calls are
	// audited around everything else, so refusals and recovered panics are
	// in the log too.
	out := &Server{MCP: s, Sessions: tracker, Tools: selected}
	mw := []mcp.Middleware{out.inFlight.middleware, tracker.Middleware}
	if o.Store != nil {
		mw = append(mw, audit.New(o.Store, selected, o.Currency, o.Logger).Middleware)
	}
	mw = append(mw, invalidRequests, checkLogLevel, logCalls(o.Logger), recoverPanics(o.Logger), unasked)
	s.AddReceivingMiddleware(mw...)
	registry.Register(s, selected)
	resources.Register(s, rd)
	offered := prompts.Register(s, available)
	completer.Prompt = func(name string) bool { return slices.Contains(offered, name) }
	return out, nil
}

// NotifyEvent tells the server's clients about a received webhook event:
// notifications/resources/updated to the sessions subscribed to each
// resource it changes, and a log message (info) to every session that asked
// for logs.
func (s *Server) NotifyEvent(ctx context.Context, e *store.Event) {
	for _, uri := range resources.URIs(e) {
		_ = s.MCP.ResourceUpdated(ctx, &mcp.ResourceUpdatedNotificationParams{URI: uri})
	}
	data := map[string]any{"event": e.ID, "type": e.Type}
	if e.ObjectID != "" {
		data["object"] = e.ObjectID
	}
	for ss := range s.MCP.Sessions() {
		_ = ss.Log(ctx, &mcp.LoggingMessageParams{Logger: "stripe-mcp", Level: "info", Data: data})
	}
}

// logLevels are the protocol's log levels, least severe first.
var logLevels = []mcp.LoggingLevel{"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"}

// invalidRequests gives a protocol error the SDK returns without a code (a
// second initialize) the code of an invalid request: JSON-RPC has no code 0.
func invalidRequests(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		res, err := next(ctx, method, req)
		var coded *jsonrpc.Error
		if err != nil && method == "initialize" && !errors.As(err, &coded) {
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidRequest, Message: err.Error()}
		}
		return res, err
	}
}

// checkLogLevel refuses logging/setLevel with a level the protocol does not
// have: the SDK keeps any string and answers {}, after which the client
// gets no log messages and no reason why.
func checkLogLevel(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		if method == "logging/setLevel" {
			p, _ := req.GetParams().(*mcp.SetLoggingLevelParams)
			if p == nil || !slices.Contains(logLevels, p.Level) {
				var level mcp.LoggingLevel
				if p != nil {
					level = p.Level
				}
				names := make([]string, len(logLevels))
				for i, l := range logLevels {
					names[i] = string(l)
				}
				return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("unknown log level %.40q: use one of %s", level, strings.Join(names, ", "))}
			}
		}
		return next(ctx, method, req)
	}
}

// logCalls logs every tool call at debug level with its duration, and
// tells the client (at the level it set with logging/setLevel) how each
// write ended: info when it went through, warning when it was refused,
// error when Stripe failed it.
func logCalls(logger *slog.Logger) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			ct, ok := req.(*mcp.CallToolRequest)
			if !ok {
				return next(ctx, method, req)
			}
			start := time.Now()
			res, err := next(ctx, method, req)
			outcome, level := "ok", mcp.LoggingLevel("info")
			r, _ := res.(*mcp.CallToolResult)
			switch {
			case err != nil:
				outcome, level = "protocol error", "error"
			case r != nil && r.IsError:
				outcome, level = "error result", "error"
				if strings.HasPrefix(textOf(r), "refused by ") || strings.HasPrefix(textOf(r), "invalid arguments") {
					outcome, level = "refused", "warning"
				}
			}
			if logger.Enabled(ctx, slog.LevelDebug) {
				attrs := []any{"tool", ct.Params.Name, "outcome", outcome, "duration", time.Since(start)}
				if info := session.From(ctx); info != nil {
					attrs = append(attrs, "session", info.ID)
				}
				logger.Debug("tool call", attrs...)
			}
			if ct.Session != nil && (level != "info" || !isRead(ct.Params.Name)) {
				data := map[string]any{"tool": ct.Params.Name, "outcome": outcome, "durationMs": time.Since(start).Milliseconds()}
				if r != nil && r.IsError {
					data["message"] = textOf(r)
				}
				_ = ct.Session.Log(context.WithoutCancel(ctx), &mcp.LoggingMessageParams{Logger: "stripe-mcp", Level: level, Data: data})
			}
			return res, err
		}
	}
}

// isRead tells read tools by name (their calls are not worth a log line to
// the client).
func isRead(tool string) bool {
	return strings.HasPrefix(tool, "stripe_get_") || strings.HasPrefix(tool, "stripe_list_") || strings.HasPrefix(tool, "stripe_diagnose_")
}

func textOf(r *mcp.CallToolResult) string {
	if len(r.Content) == 0 {
		return ""
	}
	t, _ := r.Content[0].(*mcp.TextContent)
	if t == nil {
		return ""
	}
	return t.Text
}

// unasked turns a confirmation the client failed to ask into a tool
// result. A tool that needs a person's approval returns a question, and the
// SDK asks it (an elicitation request to the client) before calling the
// tool again with the answer; when the client answers that request with an
// error, the SDK fails the whole tools/call with the client's error ("method
// not found: tools/call"), which tells a model nothing. The call stopped
// before any write. A person who never answers is not waited for longer
// than ConfirmationWait.
func unasked(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		ct, ok := req.(*mcp.CallToolRequest)
		if !ok {
			return next(ctx, method, req)
		}
		info := stripeapi.CallInfoFrom(ctx)
		if info == nil {
			ctx, info = stripeapi.WithCallInfo(ctx)
		}
		// The question waits on the call's context; writes run on their
		// own (they finish whatever the client does), so the bound only
		// ends the wait.
		ctx, cancel := context.WithTimeout(ctx, ConfirmationWait)
		defer cancel()
		res, err := next(ctx, method, req)
		if wrote, _ := info.LastWrite(); err == nil || wrote || !info.AwaitingConfirmation() {
			return res, err
		}
		info.ConfirmationAnswered()
		info.SetStopped()
		msg := fmt.Sprintf("%s needs a person's approval, and asking through the client failed (%s); nothing was sent to Stripe. Approve it from a client whose MCP elicitation works, or set security.verificationFallback (STRIPE_VERIFICATION_FALLBACK) to token.",
			ct.Params.Name, redact.Cards(redact.Secrets(err.Error())))
		b, _ := json.Marshal(map[string]string{"status": "not_confirmed", "message": msg})
		return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: msg}}, StructuredContent: json.RawMessage(b)}, nil
	}
}

// ConfirmationWait bounds how long a tool call waits for a person to
// answer its confirmation question: as long as a confirmation token lasts.
var ConfirmationWait = guard.TokenTTL

// recoverPanics turns a handler panic into an error result (tools) or an
// internal-error reply (other methods); the server keeps serving.
func recoverPanics(logger *slog.Logger) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (res mcp.Result, err error) {
			defer func() {
				r := recover()
				if r == nil {
					return
				}
				what := redact.Cards(redact.Secrets(fmt.Sprint(r)))
				attrs := []any{"method", method, "panic", what, "stack", string(debug.Stack())}
				if info := session.From(ctx); info != nil {
					attrs = append(attrs, "session", info.ID)
				}
				if ct, ok := req.(*mcp.CallToolRequest); ok {
					attrs = append(attrs, "tool", ct.Params.Name)
					logger.Error("tool handler panicked", attrs...)
					audit.MarkInternal(ctx)
					res = &mcp.CallToolResult{
						IsError: true,
						Content: []mcp.Content{&mcp.TextContent{Text: fmt.Sprintf(
							"internal error in %s (%s); the server recovered. If this call moves money, check the object in Stripe before repeating it.",
							ct.Params.Name, what)}},
					}
					err = nil
					return
				}
				logger.Error("handler panicked", attrs...)
				res, err = nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "internal error: " + what}
			}()
			return next(ctx, method, req)
		}
	}
}

// sdkLogger keeps the SDK's per-session info lines out of the operator's log
// unless debug logging is on.
func sdkLogger(l *slog.Logger) *slog.Logger {
	if l.Enabled(context.Background(), slog.LevelDebug) {
		return l
	}
	return slog.New(floor{l.Handler(), slog.LevelWarn})
}

type floor struct {
	slog.Handler
	min slog.Level
}

func (f floor) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}

func (f floor) WithAttrs(a []slog.Attr) slog.Handler { return floor{f.Handler.WithAttrs(a), f.min} }
func (f floor) WithGroup(n string) slog.Handler      { return floor{f.Handler.WithGroup(n), f.min} }
