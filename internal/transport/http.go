package transport

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Servers are the MCP servers behind each HTTP endpoint: one per transport,
// so that every session knows how it arrived; they share tools, store and
// guardrails.
type Servers struct {
	Streamable *mcp.Server // /mcp
	SSE        *mcp.Server // /sse
	WebSocket  *mcp.Server // /ws
}

func (s Servers) all() []*mcp.Server { return []*mcp.Server{s.Streamable, s.SSE, s.WebSocket} }

// HTTPConfig configures the HTTP endpoints.
type HTTPConfig struct {
	// Addr is the listen address, for the default allowed hosts.
	Addr string
	// Token is the bearer token every MCP endpoint requires; "" only with
	// NoAuth.
	Token  string
	NoAuth bool
	// AllowedOrigins are the browser origins accepted (scheme://host:port);
	// requests without an Origin header are not from a browser page.
	AllowedOrigins []string
	// AllowedHosts are the Host header values accepted; empty means the
	// listen address and localhost.
	AllowedHosts []string
	Stateless    bool
	// MaxBodyBytes bounds a request body (413 beyond it).
	MaxBodyBytes int64
	// MaxSessions caps concurrent MCP sessions over all endpoints.
	MaxSessions int
	// SessionIdle closes a session that has been idle this long.
	SessionIdle time.Duration
	Servers     Servers
	// Webhook receives Stripe's events; nil answers 503.
	Webhook http.Handler
	Logger  *slog.Logger
}

// Defaults for HTTPConfig fields left zero.
const (
	DefaultMaxBodyBytes = 4 << 20
	DefaultMaxSessions  = 1000
	DefaultSessionIdle  = 30 * time.Minute
)

// PrincipalOf names who is behind a token, without revealing it.
func PrincipalOf(token string, noAuth bool) string {
	if noAuth {
		return "anonymous (no auth, loopback)"
	}
	sum := sha256.Sum256([]byte(token))
	return "token:" + hex.EncodeToString(sum[:4])
}

// NewHTTPHandler is the whole HTTP surface: /mcp, /sse, /ws, /healthz and
// /webhooks/stripe, behind Host and Origin checks (every endpoint), bearer
// authentication (every MCP endpoint), body limits and a session cap.
func NewHTTPHandler(c HTTPConfig) (http.Handler, error) {
	if c.Token == "" && !c.NoAuth {
		return nil, errors.New("http: a token is required unless auth is off")
	}
	h, err := newHTTPHandler(c, mcpMethods(c.Stateless))
	if err != nil {
		return nil, err
	}
	c = h.c

	streamOpts := &mcp.StreamableHTTPOptions{
		Stateless:                  c.Stateless,
		SessionTimeout:             c.SessionIdle,
		MaxRequestBodyBytes:        c.MaxBodyBytes,
		DisableLocalhostProtection: true, // Host and Origin are checked here, for every endpoint
		Logger:                     c.Logger,
	}
	if !c.Stateless {
		// Clients that lose a stream resume it with Last-Event-ID.
		streamOpts.EventStore = NewEventStore(0)
	}
	streamable := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return c.Servers.Streamable }, streamOpts)
	sse := mcp.NewSSEHandler(func(*http.Request) *mcp.Server { return c.Servers.SSE }, &mcp.SSEOptions{
		DisableLocalhostProtection: true,
		MaxRequestBodyBytes:        c.MaxBodyBytes,
	})
	ws := NewWebSocketHandler(c.Servers.WebSocket, WebSocketConfig{MaxMessageBytes: c.MaxBodyBytes, Idle: c.SessionIdle, Logger: c.Logger})

	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", h.healthz)
	mux.Handle("/mcp", h.mcpOnly(h.newSession(streamable)))
	mux.Handle("/sse", h.mcpOnly(h.newSession(newSSEIdle(sse, c.SessionIdle, c.Logger))))
	mux.Handle("/ws", h.mcpOnly(h.newSession(ws)))
	webhook := c.Webhook
	if webhook == nil {
		webhook = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			httpError(w, http.StatusServiceUnavailable, "no webhook signing secret is configured (STRIPE_WEBHOOK_SECRET); events cannot be verified, so none are accepted")
		})
	}
	mux.Handle("/webhooks/stripe", h.limitBody(webhook))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httpError(w, http.StatusNotFound, "no such endpoint: use /mcp (Streamable HTTP), /sse (HTTP+SSE), /ws (WebSocket), /healthz or /webhooks/stripe")
	})
	return h.checkHostAndOrigin(mux), nil
}

// NewWebhookHandler serves c.Webhook alone at /webhooks/stripe, for a
// listener of its own (stdio's --webhook-listen), behind the same Host and
// Origin checks and body limit as NewHTTPHandler's endpoints. Of c it uses
// Addr, AllowedHosts, AllowedOrigins, MaxBodyBytes, Webhook and Logger.
func NewWebhookHandler(c HTTPConfig) (http.Handler, error) {
	if c.Webhook == nil {
		return nil, errors.New("http: no webhook receiver")
	}
	h, err := newHTTPHandler(c, map[string]string{"/webhooks/stripe": webhookMethods})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/webhooks/stripe", h.limitBody(c.Webhook))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httpError(w, http.StatusNotFound, "only POST /webhooks/stripe is served here")
	})
	return h.checkHostAndOrigin(mux), nil
}

// newHTTPHandler fills in the defaults of c and works out the hosts it
// answers to; methods are those of each endpoint it serves.
func newHTTPHandler(c HTTPConfig, methods map[string]string) (*httpHandler, error) {
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxSessions <= 0 {
		c.MaxSessions = DefaultMaxSessions
	}
	if c.SessionIdle <= 0 {
		c.SessionIdle = DefaultSessionIdle
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	hosts, err := allowedHosts(c.Addr, c.AllowedHosts)
	if err != nil {
		return nil, err
	}
	return &httpHandler{c: c, hosts: hosts, tokenSum: sha256.Sum256([]byte(c.Token)), methods: methods}, nil
}

type httpHandler struct {
	c        HTTPConfig
	hosts    []string
	tokenSum [32]byte
	// methods are the methods of each endpoint served, for preflights.
	methods map[string]string
}

// allowedHosts are the Host values accepted: the configured ones, or the
// listen address and its localhost names.
func allowedHosts(addr string, configured []string) ([]string, error) {
	if len(configured) > 0 {
		out := make([]string, len(configured))
		for i, h := range configured {
			out[i] = strings.ToLower(h)
		}
		return out, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("http: listen address %q: %w", addr, err)
	}
	out := []string{"localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port}
	if host != "" && host != "0.0.0.0" && host != "::" {
		out = append(out, strings.ToLower(net.JoinHostPort(host, port)))
	}
	return out, nil
}

// checkHostAndOrigin refuses, on every endpoint, requests addressed to a
// host name this server does not answer to (DNS rebinding) and browser
// requests from origins that are not allowed. Pages of allowed origins get
// the CORS headers that let them read the answers, and their preflights
// are answered here: a browser sends no credentials with a preflight, so
// the token is never asked of one.
func (h *httpHandler) checkHostAndOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !slices.Contains(h.hosts, strings.ToLower(r.Host)) {
			h.c.Logger.Warn("http: request for a host that is not allowed", "host", r.Host, "path", r.URL.Path, "remote", r.RemoteAddr)
			httpError(w, http.StatusForbidden, fmt.Sprintf("host %q is not allowed: add it to STRIPE_MCP_ALLOWED_HOSTS (server.allowedHosts) if this server is meant to answer to it", r.Host))
			return
		}
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		if !slices.Contains(h.c.AllowedOrigins, origin) && !sameOrigin(origin, r.Host) {
			h.c.Logger.Warn("http: request from an origin that is not allowed", "origin", origin, "path", r.URL.Path)
			httpError(w, http.StatusForbidden, fmt.Sprintf("origin %q is not allowed: add it to STRIPE_MCP_ALLOWED_ORIGINS (server.allowedOrigins) to let that page call this server", origin))
			return
		}
		hdr := w.Header()
		hdr.Set("Access-Control-Allow-Origin", origin)
		hdr.Add("Vary", "Origin")
		methods, known := h.methods[r.URL.Path]
		if known && r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			hdr.Set("Access-Control-Allow-Methods", methods)
			hdr.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			hdr.Set("Access-Control-Max-Age", corsMaxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		hdr.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		next.ServeHTTP(w, r)
	})
}

// The CORS answers to allowed origins: the request headers MCP clients
// send, the response headers they read (WWW-Authenticate only comes with a
// 401), and how long a browser may keep a preflight's answer.
const (
	corsAllowHeaders  = "Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID"
	corsExposeHeaders = "Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate"
	corsMaxAge        = "600"
)

// webhookMethods are the methods /webhooks/stripe accepts, for preflights.
const webhookMethods = "POST, OPTIONS"

// mcpMethods are the methods of each endpoint of NewHTTPHandler, for
// preflights.
func mcpMethods(stateless bool) map[string]string {
	mcp := "GET, POST, DELETE, OPTIONS"
	if stateless {
		mcp = "POST, OPTIONS" // no stream to GET, no session to DELETE
	}
	return map[string]string{
		"/mcp":             mcp,
		"/sse":             "GET, POST, OPTIONS",
		"/ws":              "GET, OPTIONS",
		"/healthz":         "GET, HEAD, OPTIONS",
		"/webhooks/stripe": webhookMethods,
	}
}

// sameOrigin reports whether a browser Origin is the server's own address
// (a page this server served, were it to serve any): the Host it names has
// already passed the host check, so no other site can be behind it.
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Path == "" && strings.EqualFold(u.Host, host)
}

// mcpOnly requires the bearer token (in the Authorization header; on /ws
// also as ?access_token=, since browsers cannot set headers on WebSocket
// upgrades) and bounds request bodies.
func (h *httpHandler) mcpOnly(next http.Handler) http.Handler {
	next = h.limitBody(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.c.NoAuth {
			token := bearerToken(r.Header.Get("Authorization"))
			if token == "" && r.URL.Path == "/ws" {
				token = r.URL.Query().Get("access_token")
			}
			if token == "" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="stripe-mcp"`)
				httpError(w, http.StatusUnauthorized, "missing bearer token: send Authorization: Bearer <STRIPE_MCP_AUTH_TOKEN>")
				return
			}
			sum := sha256.Sum256([]byte(token))
			if subtle.ConstantTimeCompare(sum[:], h.tokenSum[:]) != 1 {
				h.c.Logger.Warn("http: wrong bearer token", "path", r.URL.Path, "remote", r.RemoteAddr)
				w.Header().Set("WWW-Authenticate", `Bearer realm="stripe-mcp", error="invalid_token"`)
				httpError(w, http.StatusUnauthorized, "wrong bearer token")
				return
			}
		}
		if h.c.Stateless && r.URL.Path == "/mcp" && r.Method == http.MethodGet {
			w.Header().Set("Allow", http.MethodPost)
			httpError(w, http.StatusMethodNotAllowed, "this server runs stateless (--stateless): there is no server-to-client stream; use POST")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// bearerToken is the credential of an Authorization header of the Bearer
// scheme (whose name is case-insensitive, RFC 7235 §2.1), or "".
func bearerToken(header string) string {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// limitBody refuses bodies larger than MaxBodyBytes: at once when the
// length is declared, when reading past the limit when it is not.
func (h *httpHandler) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > h.c.MaxBodyBytes {
			httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", h.c.MaxBodyBytes))
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, h.c.MaxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

// newSession refuses requests that would open a session beyond the cap.
func (h *httpHandler) newSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		opens := (r.URL.Path == "/mcp" && r.Method == http.MethodPost && r.Header.Get("Mcp-Session-Id") == "" && !h.c.Stateless) ||
			(r.URL.Path == "/sse" && r.Method == http.MethodGet) ||
			(r.URL.Path == "/ws" && r.Method == http.MethodGet)
		if opens && h.sessions() >= h.c.MaxSessions {
			w.Header().Set("Retry-After", "30")
			httpError(w, http.StatusServiceUnavailable, fmt.Sprintf("too many sessions (%d); close idle ones or try again later", h.c.MaxSessions))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (h *httpHandler) sessions() int {
	n := 0
	for _, s := range h.c.Servers.all() {
		for range s.Sessions() {
			n++
		}
	}
	return n
}

func (h *httpHandler) healthz(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		httpError(w, http.StatusMethodNotAllowed, "use GET")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"status": "ok", "sessions": h.sessions()})
}

func httpError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// responseSettle is how long a drain waits, after the last call's handler
// returned, for its response to be written.
const responseSettle = 200 * time.Millisecond

// Serve runs handler on ln until ctx ends, then drains: no new
// connections, in-flight calls finish (drain waits for them, up to
// grace), sessions close, and Serve returns nil.
func Serve(ctx context.Context, ln net.Listener, handler http.Handler, drain func(context.Context) error, closeSessions func(), grace time.Duration, logger *slog.Logger) error {
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: no new connections; waiting for calls in progress", "grace", grace)
	dctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	// Stop accepting; requests in progress go on.
	shutdown := make(chan error, 1)
	go func() { shutdown <- srv.Shutdown(dctx) }()
	if err := drain(dctx); err != nil {
		logger.Warn("calls still in progress at the end of the grace period", "error", err)
	} else {
		// A call counts as done when its handler returns, a moment before
		// its response is written, and a closed session refuses to write:
		// let the last responses go out first.
		select {
		case <-time.After(responseSettle):
		case <-dctx.Done():
		}
	}
	closeSessions() // ends long-lived streams so that Shutdown can finish
	if err := <-shutdown; err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	srv.Close()
	return nil
}
