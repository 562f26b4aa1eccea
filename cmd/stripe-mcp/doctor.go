package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/stripe/stripe-go/v85"

	"github.com/stripe-mcp/stripe-mcp/internal/config"
	"github.com/stripe-mcp/stripe-mcp/internal/registry"
	"github.com/stripe-mcp/stripe-mcp/internal/sandbox"
	"github.com/stripe-mcp/stripe-mcp/internal/stripeapi"
	"github.com/stripe-mcp/stripe-mcp/internal/tools"
)

// runDoctor prints a human report: the configuration (secrets masked), the
// key, and whether Stripe answers GET /v1/account with it. Any failure exits
// 1 with what to do about it.
func runDoctor(cmd *cobra.Command, g *globalFlags, out io.Writer) error {
	r := &report{w: out}
	fmt.Fprintln(out, "stripe-mcp doctor")
	cfg, err := loadConfig(cmd, g)
	if err != nil {
		r.fail("configuration", err.Error(), "fix the setting named above; `stripe-mcp --help` and the README list every setting and its accepted form")
		return r.finish()
	}
	fmt.Fprintln(out, "\nConfiguration")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, l := range cfg.Summary() {
		v := l.Value
		if v == "" {
			v = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t(%s)\n", l.Key, v, l.Source)
	}
	tw.Flush()
	fmt.Fprintln(out, "\nChecks")
	// The allow-list names toolsets and tools, which the server checks as it
	// registers them: check it the same way.
	if selected, err := registry.Select(tools.All(&tools.Deps{}), cfg.AllowedOperations, cfg.ReadOnly); err != nil {
		r.fail("configuration", err.Error(), "name toolsets, TOOLSET.read or TOOLSET.write, or tool names (stripe_…) in STRIPE_ALLOWED_OPERATIONS (security.allowedOperations)")
	} else {
		r.ok("configuration", fmt.Sprintf("valid; %d tools allowed", len(selected)))
	}
	r.ok("guardrails", guardrails(cfg))

	if st, err := openStore(cmd.Context(), cfg); err != nil {
		r.fail("store", err.Error(), "make server.dataDir (STRIPE_MCP_DATA_DIR) a directory this user can write")
	} else {
		st.Close()
		dir := cfg.DataDir
		if cfg.Sandbox {
			dir = filepath.Join(dir, "sandbox") // as openStore: sandbox calls have a log of their own
		}
		r.ok("store", "audit log and idempotency state in "+dir)
	}
	if cfg.Sandbox {
		r.ok("key", "none needed: sandbox mode uses a made-up test key")
	} else {
		info, err := config.ValidateKey(cfg.APIKey.Reveal(), cfg.AllowLive)
		if err != nil {
			r.fail("key", err.Error(), "set STRIPE_API_KEY to a secret (sk_…) or restricted (rk_…) key")
			return r.finish()
		}
		mode := "test mode"
		if info.Live {
			mode = "LIVE mode: calls move real money"
		}
		r.ok("key", fmt.Sprintf("%s, %s key, %s", cfg.APIKey, info.Kind, mode))
	}

	if cfg.Sandbox {
		// stripe-mock prints every request on stdout; keep the report clean.
		reserved, err := reserveStdout(true)
		if err != nil {
			return err
		}
		r.w, out = reserved, reserved
	}
	sc, err := stripeClient(cfg, slog.New(slog.DiscardHandler), 1)
	if err != nil {
		r.fail("api", err.Error(), "set STRIPE_API_BASE to an https URL (http only on loopback), or unset it")
		return r.finish()
	}
	base := sc.BaseURL
	if cfg.Sandbox {
		base = "in-process stripe-mock"
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), cfg.Timeout)
	defer cancel()
	acct, err := sc.V1Accounts.Retrieve(ctx, nil)
	if err != nil {
		f := stripeapi.Describe(err)
		var se *stripe.Error
		switch {
		case errors.As(err, &se) && se.HTTPStatusCode == 401:
			r.fail("api", fmt.Sprintf("%s answered 401: the key is not valid (revoked, rolled, or from another account)", base),
				"copy a current secret key from https://dashboard.stripe.com/apikeys into STRIPE_API_KEY")
		case errors.As(err, &se) && se.HTTPStatusCode == 403:
			r.warn("api", fmt.Sprintf("%s is reachable and accepts the key, but the key may not read the account (403)", base),
				"grant the restricted key read access to Account to see the account id here")
		case errors.As(err, &se):
			r.fail("api", fmt.Sprintf("%s: %s", base, f.Message), "check the key and STRIPE_ACCOUNT; the message above comes from Stripe")
		default:
			// The cause alone: the tool message's advice (check the network,
			// run doctor) is this report's fix line.
			cause, _, _ := strings.Cut(strings.TrimPrefix(f.Message, "could not reach the Stripe API: "), " (check the network")
			r.fail("api", fmt.Sprintf("%s is not reachable: %s", base, cause),
				"check the network and proxy settings, or STRIPE_API_BASE if it is set")
		}
		return r.finish()
	}
	detail := fmt.Sprintf("%s answered; account %s", base, acct.ID)
	if acct.Country != "" {
		detail += ", country " + acct.Country
	}
	if acct.BusinessProfile != nil && acct.BusinessProfile.Name != "" {
		detail += ", " + acct.BusinessProfile.Name
	}
	if cfg.Account != "" {
		detail += " (via Stripe-Account " + cfg.Account + ")"
	}
	r.ok("api", detail)
	if !acct.ChargesEnabled && !cfg.Sandbox {
		r.warn("account", "charges are not enabled on this account", "finish account activation in the Stripe Dashboard before taking live payments")
	}
	r.ok("api version", stripe.APIVersion+" (the version this build speaks)")
	if cfg.Sandbox {
		fmt.Fprintln(out, "\n"+sandbox.Banner)
	}
	return r.finish()
}

type report struct {
	w        io.Writer
	failures int
}

func (r *report) ok(what, detail string) { fmt.Fprintf(r.w, "  ok    %-13s %s\n", what, detail) }

func (r *report) warn(what, detail, fix string) {
	fmt.Fprintf(r.w, "  warn  %-13s %s\n        fix: %s\n", what, detail, fix)
}

func (r *report) fail(what, detail, fix string) {
	r.failures++
	fmt.Fprintf(r.w, "  FAIL  %-13s %s\n        fix: %s\n", what, detail, fix)
}

func (r *report) finish() error {
	if r.failures == 0 {
		fmt.Fprintln(r.w, "\nAll checks passed.")
		return nil
	}
	fmt.Fprintf(r.w, "\n%d check(s) failed.\n", r.failures)
	return quietError{fmt.Errorf("%d check(s) failed", r.failures)}
}

// guardrails summarises the money settings in force.
func guardrails(cfg *config.Config) string {
	var parts []string
	if cfg.MaxAmount.IsSet() {
		parts = append(parts, "per-operation cap "+cfg.MaxAmount.Display())
	}
	if cfg.DailyLimit.IsSet() {
		parts = append(parts, "daily limit "+cfg.DailyLimit.Display())
	}
	if cfg.VerificationRequired {
		at := "every money-moving or destructive call"
		if cfg.VerificationThreshold.IsSet() {
			at = "from " + cfg.VerificationThreshold.Display()
		}
		parts = append(parts, "human confirmation "+at+" (fallback: "+cfg.VerificationFallback+")")
	}
	if cfg.ReadOnly {
		parts = append(parts, "read-only")
	}
	if len(parts) == 0 {
		return "none set: no amount caps, no daily limit, no confirmation (see README, Configuration)"
	}
	return strings.Join(parts, "; ")
}
