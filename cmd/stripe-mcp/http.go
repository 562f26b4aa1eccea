package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/stripe-mcp/stripe-mcp/internal/server"
	"github.com/stripe-mcp/stripe-mcp/internal/session"
	"github.com/stripe-mcp/stripe-mcp/internal/stripeapi"
	"github.com/stripe-mcp/stripe-mcp/internal/transport"
)

// drainGrace is how long SIGTERM waits for calls in progress.
const drainGrace = 30 * time.Second

func httpCommand(g *globalFlags, stderr io.Writer) *cobra.Command {
	var (
		listen    string
		stateless bool
		noAuth    bool
	)
	cmd := &cobra.Command{
		Use:   "http",
		Short: "Serve MCP over HTTP: /mcp (Streamable HTTP), /sse (HTTP+SSE), /ws (WebSocket)",
		Long: `Serve MCP over HTTP on one listener:
  /mcp               Streamable HTTP (stateful sessions; --stateless for load balancers)
  /sse               legacy HTTP+SSE
  /ws                WebSocket, subprotocol "mcp" (the token may also be passed as ?access_token=)
  /healthz           health check (no token)
  /webhooks/stripe   Stripe's events (signature-checked, no token)
Every MCP endpoint requires Authorization: Bearer <STRIPE_MCP_AUTH_TOKEN>.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runHTTP(cmd, g, stderr, listen, stateless, noAuth)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8787", "address to listen on")
	cmd.Flags().BoolVar(&stateless, "stateless", false, "no sessions on /mcp (for load balancers): no server-to-client requests (confirmations fall back), no GET stream")
	cmd.Flags().BoolVar(&noAuth, "no-auth", false, "no bearer token (allowed only on a loopback listen address)")
	return cmd
}

func runHTTP(cmd *cobra.Command, g *globalFlags, stderr io.Writer, listen string, stateless, noAuth bool) error {
	cfg, err := loadConfig(cmd, g)
	if err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("--listen %q is not host:port: %w", listen, err)
	}
	if noAuth && !stripeapi.IsLoopbackHost(host) {
		return fmt.Errorf("--no-auth is refused on %s: without a token only a loopback address (127.0.0.1, ::1, localhost) may be served", listen)
	}
	logger := newLogger(stderr, cfg.LogLevel)
	mode := keyMode(cfg, logger, stderr)
	if cfg.Sandbox {
		// stripe-mock prints every request on stdout.
		if _, err := reserveStdout(true); err != nil {
			return err
		}
	}
	token := cfg.AuthToken.Reveal()
	if !noAuth && token == "" {
		token = "smcp_" + rand.Text() + rand.Text()
		fmt.Fprintf(stderr, "stripe-mcp: no auth token is configured; this run's token (shown once) is:\n  %s\nSend it as Authorization: Bearer <token>. Set STRIPE_MCP_AUTH_TOKEN to choose your own.\n", token)
	}
	sc, err := stripeClient(cfg, logger, 0)
	if err != nil {
		return err
	}
	st, err := openStore(cmd.Context(), cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	principal := transport.PrincipalOf(token, noAuth)
	build := func(via string) (*server.Server, error) {
		o := server.Options{Identify: func(mcp.Request) (string, string) { return via, principal }}
		if stateless && via == session.HTTP {
			o.NoSubscriptions = "resources/subscribe needs a session, and this server runs --stateless: read the resource again instead, or connect to a stateful server"
		}
		return newServer(cfg, sc, st, mode, logger, o)
	}
	var servers [3]*server.Server
	for i, via := range []string{session.HTTP, session.SSE, session.WebSocket} {
		if servers[i], err = build(via); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	defer ln.Close()
	// With port 0 the Host check must allow the port actually bound.
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	handler, err := transport.NewHTTPHandler(transport.HTTPConfig{
		Addr:           net.JoinHostPort(host, port),
		Token:          token,
		NoAuth:         noAuth,
		AllowedOrigins: cfg.AllowedOrigins,
		AllowedHosts:   cfg.AllowedHosts,
		Stateless:      stateless,
		Servers:        transport.Servers{Streamable: servers[0].MCP, SSE: servers[1].MCP, WebSocket: servers[2].MCP},
		Webhook:        webhookReceiver(cfg, st, mode, logger, servers[:]...),
		Logger:         logger,
	})
	if err != nil {
		return err
	}
	// Many sessions allocate fast (the SDK decodes every message with a
	// fresh 32 KiB buffer); collecting at 4× the live heap instead of 2×
	// spends a little memory to save most of the collector's CPU. GOGC
	// overrides it.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	logger.Info("serving MCP over HTTP", "listen", ln.Addr().String(), "endpoints", "/mcp /sse /ws /healthz /webhooks/stripe", "stateless", stateless, "auth", !noAuth)
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	drain := func(ctx context.Context) error {
		for _, s := range servers {
			if err := s.Drain(ctx); err != nil {
				return err
			}
		}
		return nil
	}
	closeAll := func() {
		for _, s := range servers {
			s.CloseSessions()
		}
	}
	if err := transport.Serve(ctx, ln, handler, drain, closeAll, drainGrace, logger); err != nil {
		return err
	}
	logger.Info("stopped")
	return nil
}
