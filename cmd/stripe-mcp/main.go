// Command stripe-mcp is an MCP server for Stripe. main only wires: flags
// into configuration, configuration into the server, the server onto a
// transport.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/stripe/stripe-go/v85"

	"github.com/stripe-mcp/stripe-mcp/internal/config"
	"github.com/stripe-mcp/stripe-mcp/internal/guard"
	"github.com/stripe-mcp/stripe-mcp/internal/sandbox"
	"github.com/stripe-mcp/stripe-mcp/internal/server"
	"github.com/stripe-mcp/stripe-mcp/internal/store"
	"github.com/stripe-mcp/stripe-mcp/internal/stripeapi"
	"github.com/stripe-mcp/stripe-mcp/internal/transport"
	"github.com/stripe-mcp/stripe-mcp/internal/webhook"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type globalFlags struct {
	config   string
	sandbox  bool
	logLevel string
	// webhookListen is stdio's --webhook-listen.
	webhookListen string
}

func run(args []string, stdout, stderr io.Writer) int {
	setVersion()
	var g globalFlags
	root := &cobra.Command{
		Use:           "stripe-mcp",
		Short:         "MCP server for Stripe: payments, customers, subscriptions, refunds and more, with guardrails",
		Long:          "stripe-mcp lets AI assistants operate a Stripe account through the Model Context Protocol.\nWithout a command it serves MCP on stdin/stdout (the same as `stripe-mcp stdio`).",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       server.Version,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runStdio(cmd, &g, stderr)
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.config, "config", "", "config file (JSON; default $STRIPE_MCP_CONFIG)")
	pf.BoolVar(&g.sandbox, "sandbox", false, "serve an in-process stripe-mock instead of a Stripe account: no key, no network")
	pf.StringVar(&g.logLevel, "log-level", "", "debug, info, warn or error (default info; env STRIPE_MCP_LOG_LEVEL)")
	stdio := &cobra.Command{
		Use:   "stdio",
		Short: "Serve MCP over stdin/stdout (for Claude Desktop, Claude Code, Cursor, VS Code)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runStdio(cmd, &g, stderr)
		},
	}
	for _, c := range []*cobra.Command{root, stdio} {
		c.Flags().StringVar(&g.webhookListen, "webhook-listen", "", "also receive Stripe webhooks at POST http://`ADDR`/webhooks/stripe (e.g. 127.0.0.1:8788, for stripe listen --forward-to)")
	}
	root.AddCommand(
		stdio,
		httpCommand(&g, stderr),
		auditCommand(&g, stdout),
		&cobra.Command{
			Use:   "doctor",
			Short: "Check the configuration, the API key and the connection to Stripe",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return runDoctor(cmd, &g, stdout)
			},
		},
	)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.Execute(); err != nil {
		var q quietError
		if !errors.As(err, &q) {
			fmt.Fprintf(stderr, "stripe-mcp: %v\n", err)
		}
		return 1
	}
	return 0
}

// quietError is a failure whose report was already printed.
type quietError struct{ error }

func setVersion() {
	v := version
	if v == "" {
		v = "dev"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
	}
	server.Version = v
	stripeapi.Version = v
}

// loadConfig merges the global flags that were set with the environment and
// the config file.
func loadConfig(cmd *cobra.Command, g *globalFlags) (*config.Config, error) {
	return loadConfigWith(cmd, g, false)
}

// loadConfigWith loads the configuration; keyOptional is for commands that
// never call Stripe.
func loadConfigWith(cmd *cobra.Command, g *globalFlags, keyOptional bool) (*config.Config, error) {
	flags := map[string]string{}
	if cmd.Flags().Changed("sandbox") {
		flags["sandbox"] = fmt.Sprint(g.sandbox)
	}
	if cmd.Flags().Changed("log-level") {
		flags["logLevel"] = g.logLevel
	}
	return config.Load(config.LoadOptions{
		ConfigFile:  g.config,
		Flags:       flags,
		APIVersion:  stripe.APIVersion,
		KeyOptional: keyOptional,
	})
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// stripeClient builds the client: the real API, or the in-process sandbox.
func stripeClient(cfg *config.Config, logger *slog.Logger, retries int) (*stripeapi.Client, error) {
	o := stripeapi.Options{
		Key:               cfg.APIKey.Reveal(),
		BaseURL:           cfg.APIBase,
		Timeout:           cfg.Timeout,
		Account:           cfg.Account,
		MaxNetworkRetries: retries,
		Logger:            logger,
	}
	if cfg.Sandbox {
		o.Key = sandbox.Key()
		o.BaseURL = sandbox.BaseURL
		o.Transport = sandbox.LazyTransport()
	} else if t := benchTransport(logger); t != nil {
		o.Transport = t
	}
	return stripeapi.New(o)
}

// keyMode says which money a key moves, and warns about live keys.
func keyMode(cfg *config.Config, logger *slog.Logger, stderr io.Writer) string {
	if cfg.Sandbox {
		fmt.Fprintln(stderr, sandbox.Banner)
		return "sandbox"
	}
	if info, _ := config.ValidateKey(cfg.APIKey.Reveal(), true); info.Live {
		logger.Warn("LIVE key: calls move real money", "key", cfg.APIKey)
		return "live"
	}
	return "test"
}

// newServer builds an MCP server on the configuration: tools, guardrails,
// audit and idempotency on the store.
// newServer builds a server from the configuration; o carries what the
// transport decides (Identify, OnInitialized, NoSubscriptions).
func newServer(cfg *config.Config, sc *stripeapi.Client, st store.Store, mode string, logger *slog.Logger, o server.Options) (*server.Server, error) {
	o.Store = st
	o.Policy = &guard.Policy{
		MaxAmount:            cfg.MaxAmount,
		DailyLimit:           cfg.DailyLimit,
		VerificationRequired: cfg.VerificationRequired,
		Threshold:            cfg.VerificationThreshold,
		Fallback:             cfg.VerificationFallback,
		Store:                st,
	}
	o.Idempotency = cfg.IdempotencyEnabled
	o.Stripe = sc
	o.Currency = cfg.Currency
	o.AutoCapture = cfg.AutoCapture
	o.AllowedOperations = cfg.AllowedOperations
	o.ReadOnly = cfg.ReadOnly
	o.KeyMode = mode
	o.Logger = logger
	return addFixtures(server.New(o))
}

// webhookReceiver receives Stripe's events into st (keeping those of the
// account and mode, keyMode's, this server acts in) and tells the clients of
// servers about them; with no signing secret it refuses every delivery
// (503).
func webhookReceiver(cfg *config.Config, st store.Store, mode string, logger *slog.Logger, servers ...*server.Server) *webhook.Receiver {
	secrets := make([]string, len(cfg.WebhookSecrets))
	for i, s := range cfg.WebhookSecrets {
		secrets[i] = s.Reveal()
	}
	return &webhook.Receiver{
		Secrets: secrets,
		Store:   st,
		Account: cfg.Account,
		Live:    mode == "live", // keyMode's
		Logger:  logger,
		Notify: func(ctx context.Context, e *store.Event) {
			for _, s := range servers {
				s.NotifyEvent(ctx, e)
			}
		},
	}
}

// serveWebhooks serves the receiver alone at addr (stdio's
// --webhook-listen) until ctx ends, behind the Host and Origin checks of
// the HTTP transports. Binding happens before it returns, so a taken port
// stops startup.
func serveWebhooks(ctx context.Context, addr string, cfg *config.Config, h http.Handler, logger *slog.Logger) (func(), error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--webhook-listen %q is not host:port: %w", addr, err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--webhook-listen %s: %w", addr, err)
	}
	// With port 0 the Host check must allow the port actually bound.
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	handler, err := transport.NewWebhookHandler(transport.HTTPConfig{
		Addr:           net.JoinHostPort(host, port),
		AllowedOrigins: cfg.AllowedOrigins,
		AllowedHosts:   cfg.AllowedHosts,
		Webhook:        h,
		Logger:         logger,
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	hs := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelDebug)}
	go hs.Serve(ln)
	logger.Info("receiving Stripe webhooks", "url", "http://"+ln.Addr().String()+"/webhooks/stripe")
	return func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	}, nil
}

func runStdio(cmd *cobra.Command, g *globalFlags, stderr io.Writer) error {
	stdioRuntime(os.Getenv)
	cfg, err := loadConfig(cmd, g)
	if err != nil {
		return err
	}
	logger := newLogger(stderr, cfg.LogLevel)
	mode := keyMode(cfg, logger, stderr)
	sc, err := stripeClient(cfg, logger, 0)
	if err != nil {
		return err
	}
	if cfg.DatabaseURL.IsSet() {
		_, err := openStore(cmd.Context(), cfg) // says why it cannot be used
		return err
	}
	// The database opens once the client has initialized (or at the first
	// call): initialize is answered without it. If it cannot be opened,
	// every call is refused (the audit log comes first) and the reason is
	// logged.
	st := store.OpenLater(func() (store.Store, error) {
		s, err := openStore(context.WithoutCancel(cmd.Context()), cfg)
		if err != nil {
			logger.Error("the store cannot be opened: every tool call will be refused", "error", err)
		}
		return s, err
	})
	defer st.Close()
	srv, err := newServer(cfg, sc, st, mode, logger, server.Options{OnInitialized: st.Start})
	if err != nil {
		return err
	}
	if g.webhookListen != "" {
		stopWebhooks, err := serveWebhooks(cmd.Context(), g.webhookListen, cfg, webhookReceiver(cfg, st, mode, logger, srv), logger)
		if err != nil {
			return err
		}
		defer stopWebhooks()
	}
	// From here on nothing but the protocol may reach stdout: the transport
	// gets its own handle on it, and anything else that writes to stdout (a
	// library's stray print, stripe-mock's request lines) goes to stderr.
	out, err := reserveStdout(cfg.Sandbox)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	in, release := transport.Pollable(os.Stdin)
	defer release()
	err = srv.MCP.Run(ctx, &transport.Stdio{In: in, Out: out, Logger: logger})
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// stdioRuntime tunes the runtime for a stdio server, which serves one
// assistant session, mostly waiting on Stripe, with a live heap of a few
// megabytes:
//   - the collector runs when the heap has grown by half (GOGC=50) rather
//     than doubled;
//   - one processor (GOMAXPROCS=1): a message passes through several
//     goroutines (reader, SDK, handler, writer) and on more processors each
//     hand-off wakes another thread and moves the work to another core,
//     which cost more than the second core gave back (MCP overhead 0.23 →
//     0.17 ms in the bench; the analytics tools, the most CPU a call uses,
//     are as fast on one).
//
// GOGC and GOMAXPROCS in the environment override them.
func stdioRuntime(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
	if getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
}
