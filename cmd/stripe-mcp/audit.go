package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/stripe-mcp/stripe-mcp/internal/config"
	"github.com/stripe-mcp/stripe-mcp/internal/money"
	"github.com/stripe-mcp/stripe-mcp/internal/store"
	"github.com/stripe-mcp/stripe-mcp/internal/store/sqlite"
)

// openStore opens the store the configuration names. Sandbox sessions keep
// their own, so that calls against stripe-mock never mix with a real
// account's log.
func openStore(ctx context.Context, cfg *config.Config) (store.Store, error) {
	if cfg.DatabaseURL.IsSet() {
		return nil, errors.New("server.databaseUrl (STRIPE_MCP_DATABASE_URL) is set, but this build keeps its state in SQLite only; unset it to use the data dir (server.dataDir)")
	}
	dir := cfg.DataDir
	if cfg.Sandbox {
		dir = filepath.Join(dir, "sandbox")
	}
	db, err := sqlite.Open(ctx, dir)
	if err != nil {
		// Not a nil *DB in a non-nil Store: Close would call through it.
		return nil, err
	}
	return db, nil
}

func auditCommand(g *globalFlags, stdout io.Writer) *cobra.Command {
	var (
		asJSON bool
		limit  int
		tool   string
	)
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Print the audit log of tool calls, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 1 {
				return fmt.Errorf("--limit must be at least 1, got %d", limit)
			}
			cfg, err := loadConfigWith(cmd, g, true)
			if err != nil {
				return err
			}
			st, err := openStore(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			calls, err := st.Calls(cmd.Context(), store.Query{Limit: limit, Tool: tool})
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSONLines(stdout, calls)
			}
			writeTable(stdout, calls)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per line")
	cmd.Flags().IntVar(&limit, "limit", 50, "how many calls to print")
	cmd.Flags().StringVar(&tool, "tool", "", "only calls of this tool (e.g. stripe_create_refund)")
	return cmd
}

// auditLine is the JSON form of an audit row.
type auditLine struct {
	ID             int64           `json:"id"`
	Time           string          `json:"time"`
	Finished       string          `json:"finished,omitempty"`
	Outcome        string          `json:"outcome"`
	Tool           string          `json:"tool"`
	Arguments      json.RawMessage `json:"arguments"`
	Message        string          `json:"message,omitempty"`
	Amount         *int64          `json:"amount,omitempty"`
	Currency       string          `json:"currency,omitempty"`
	AmountDisplay  string          `json:"amountDisplay,omitempty"`
	SessionID      string          `json:"sessionId"`
	Principal      string          `json:"principal"`
	Client         string          `json:"client,omitempty"`
	Transport      string          `json:"transport"`
	RequestIDs     []string        `json:"stripeRequestIds,omitempty"`
	IdempotencyKey string          `json:"idempotencyKey,omitempty"`
	Replayed       bool            `json:"replayed,omitempty"`
	DurationMs     float64         `json:"durationMs"`
}

func writeJSONLines(w io.Writer, calls []store.Call) error {
	enc := json.NewEncoder(w)
	for _, c := range calls {
		l := auditLine{
			ID: c.ID, Time: c.Started.UTC().Format(time.RFC3339Nano), Outcome: c.Outcome, Tool: c.Tool,
			Message: c.Message, SessionID: c.SessionID, Principal: c.Principal, Client: c.Client,
			Transport: c.Transport, RequestIDs: c.RequestIDs, IdempotencyKey: c.IdempotencyKey,
			Replayed: c.Replayed, DurationMs: float64(c.Duration.Microseconds()) / 1000,
		}
		if !c.Finished.IsZero() {
			l.Finished = c.Finished.UTC().Format(time.RFC3339Nano)
		}
		if json.Valid([]byte(c.Arguments)) {
			l.Arguments = json.RawMessage(c.Arguments)
		} else {
			l.Arguments, _ = json.Marshal(c.Arguments)
		}
		if c.Currency != "" {
			amount := c.Amount
			l.Amount, l.Currency, l.AmountDisplay = &amount, c.Currency, money.Format(c.Amount, c.Currency)
		}
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	return nil
}

func writeTable(w io.Writer, calls []store.Call) {
	if len(calls) == 0 {
		fmt.Fprintln(w, "no calls recorded")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tOUTCOME\tTOOL\tAMOUNT\tSESSION\tPRINCIPAL\tCLIENT\tVIA\tTOOK\tSTRIPE REQUEST\tDETAIL")
	for _, c := range calls {
		outcome := c.Outcome
		if c.Replayed {
			outcome += " (replayed)"
		}
		amount := "-"
		if c.Currency != "" {
			amount = money.Format(c.Amount, c.Currency)
		}
		took := "-"
		if !c.Finished.IsZero() {
			took = c.Duration.Round(time.Millisecond / 10).String()
		}
		detail := c.Message
		if detail == "" {
			detail = c.Arguments
		}
		if len(detail) > 80 {
			detail = detail[:77] + "..."
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			c.Started.Local().Format("2006-01-02 15:04:05"), outcome, c.Tool, amount, c.SessionID, c.Principal,
			dash(c.Client), c.Transport, took, dash(strings.Join(c.RequestIDs, ",")), detail)
	}
	tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
