// Package audit records every tool call in the store, in two phases: a
// pending row before anything can reach Stripe, completed before the result
// goes back to the client. A call that was answered is therefore never
// missing from the log, and a crash mid-call leaves its pending row.
package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stripe-mcp/stripe-mcp/internal/guard"
	"github.com/stripe-mcp/stripe-mcp/internal/redact"
	"github.com/stripe-mcp/stripe-mcp/internal/registry"
	"github.com/stripe-mcp/stripe-mcp/internal/session"
	"github.com/stripe-mcp/stripe-mcp/internal/store"
	"github.com/stripe-mcp/stripe-mcp/internal/stripeapi"
)

// maxArguments bounds the arguments kept per row.
const maxArguments = 8 << 10

// Recorder is the receiving middleware that writes the audit log.
type Recorder struct {
	store    store.Store
	tools    map[string]registry.Tool
	currency string
	logger   *slog.Logger
	now      func() time.Time
}

// New returns a recorder for the given registered tools; currency is the
// default currency, for amounts given without one.
func New(st store.Store, tools []registry.Tool, currency string, logger *slog.Logger) *Recorder {
	byName := make(map[string]registry.Tool, len(tools))
	for _, t := range tools {
		byName[t.Tool.Name] = t
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Recorder{store: st, tools: byName, currency: currency, logger: logger, now: time.Now}
}

// Middleware records tools/call requests and passes everything else on.
func (r *Recorder) Middleware(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		ct, ok := req.(*mcp.CallToolRequest)
		if !ok {
			return next(ctx, method, req)
		}
		return r.record(ctx, method, ct, next)
	}
}

func (r *Recorder) record(ctx context.Context, method string, req *mcp.CallToolRequest, next mcp.MethodHandler) (mcp.Result, error) {
	// The log is written whatever the client does with its request.
	keep := context.WithoutCancel(ctx)
	args := argumentsOf(req.Params.Arguments)
	call := &store.Call{
		Started:   r.now(),
		Tool:      req.Params.Name,
		Arguments: redactedArguments(req.Params.Arguments, args),
	}
	if info := session.From(ctx); info != nil {
		call.SessionID, call.Principal, call.Client, call.Transport = info.ID, info.Principal, info.ClientName(), info.Transport
	}
	tool, known := r.tools[call.Tool]
	call.Amount, call.Currency, _ = guard.NamedAmount(args, r.currency)
	id, err := r.store.StartCall(keep, call)
	if err != nil {
		// No row, no call: an unrecorded money movement is what the log
		// exists to prevent.
		r.logger.Error("audit log unavailable; call refused", "tool", call.Tool, "error", err)
		return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{
			Text: "the audit log could not be written, so the call was refused (nothing was sent to Stripe): " + err.Error(),
		}}}, nil
	}
	ctx, info := stripeapi.WithCallInfo(ctx)
	state := &callState{}
	ctx = context.WithValue(ctx, stateKey{}, state)
	res, callErr := next(ctx, method, req)

	result := store.Result{
		Outcome:    store.OutcomeOK,
		Amount:     call.Amount,
		Currency:   call.Currency,
		RequestIDs: info.RequestIDs(),
		Replayed:   info.Replayed(),
		Finished:   r.now(),
	}
	result.Duration = result.Finished.Sub(call.Started)
	if keys := info.IdempotencyKeys(); len(keys) > 0 {
		result.IdempotencyKey = keys[0]
	}
	ctr, _ := res.(*mcp.CallToolResult)
	switch {
	case callErr != nil:
		result.Outcome, result.Message = store.OutcomeRefused, shorten(callErr.Error())
		if known {
			result.Outcome = store.OutcomeInternal
		}
	case ctr == nil:
		result.Outcome, result.Message = store.OutcomeInternal, "no result"
	case state.internal.Load():
		result.Outcome, result.Message = store.OutcomeInternal, shorten(textOf(ctr))
	case info.AwaitingConfirmation() || ctr.InputRequests != nil:
		result.Outcome, result.Message = store.OutcomeConfirm, "waiting for a person to approve the call"
	case ctr.IsError && (!info.Sent() || info.Stopped()):
		// Nothing was sent, or only what the guardrails read (the payment a
		// refund is for) before they or a person stopped the call.
		result.Outcome, result.Message = store.OutcomeRefused, shorten(textOf(ctr))
	case ctr.IsError:
		result.Outcome, result.Message = store.OutcomeError, shorten(textOf(ctr))
	}
	if amount, currency := info.Money(); currency != "" {
		// The money as the guardrails saw it, fetched from Stripe where the
		// call names no amount or currency (a refund is in its payment's
		// currency, whatever the default).
		result.Amount, result.Currency = amount, currency
	} else if known && !tool.ReadOnly() && result.Outcome == store.OutcomeOK {
		// Without the guardrails' view, Stripe's answer tells the money: all
		// of it where the call named no amount, its currency where it named
		// an amount but no currency (a refund or a capture is in its
		// payment's currency, not the default).
		amount, currency := resultAmount(ctr)
		switch named, _ := args["currency"].(string); {
		case result.Currency == "":
			result.Amount, result.Currency = amount, currency
		case named == "" && currency != "":
			result.Currency = currency
		}
	}
	if err := r.store.FinishCall(keep, id, result); err != nil {
		// The pending row stays: the call is in the log, its end is not.
		r.logger.Error("audit row not completed", "id", id, "tool", call.Tool, "error", err)
	}
	return res, callErr
}

type stateKey struct{}

type callState struct{ internal atomic.Bool }

// MarkInternal records that the call in ctx failed on a bug in the server
// (a recovered panic) rather than on Stripe or its arguments.
func MarkInternal(ctx context.Context) {
	if s, ok := ctx.Value(stateKey{}).(*callState); ok {
		s.internal.Store(true)
	}
}

// resultAmount reads amount and currency from a compact result.
func resultAmount(res *mcp.CallToolResult) (int64, string) {
	if res == nil {
		return 0, ""
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		return 0, ""
	}
	var v struct {
		Amount   *int64 `json:"amount"`
		Currency string `json:"currency"`
	}
	if json.Unmarshal(b, &v) != nil || v.Amount == nil || v.Currency == "" {
		return 0, ""
	}
	return *v.Amount, v.Currency
}

// argumentsOf decodes a call's arguments; none at all (the field left out,
// empty or null) are no arguments, {}.
func argumentsOf(raw any) map[string]any {
	var b []byte
	switch v := raw.(type) {
	case json.RawMessage:
		b = v
	case nil:
		return map[string]any{}
	default:
		b, _ = json.Marshal(v)
	}
	if t := bytes.TrimSpace(b); len(t) == 0 || string(t) == "null" {
		return map[string]any{}
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return map[string]any{"_unparseable": shorten(string(b))}
	}
	return m
}

// redactedArguments is Redact(args), taking the arguments as sent when they
// hold nothing to mask (the common case) instead of encoding them again.
func redactedArguments(raw any, args map[string]any) string {
	if b, ok := raw.(json.RawMessage); ok && len(b) <= maxArguments && !needsRedaction(b) {
		var buf bytes.Buffer
		if json.Compact(&buf, b) == nil && buf.Len() > 0 && buf.Bytes()[0] == '{' {
			return buf.String()
		}
	}
	return Redact(args)
}

// needsRedaction reports whether raw arguments may hold a secret or a card
// number: a key prefix, or a run of 13 or more digits (with or without
// separators) anywhere in the text.
func needsRedaction(b []byte) bool {
	s := string(b)
	if strings.Contains(s, "k_test_") || strings.Contains(s, "k_live_") || strings.Contains(s, "whsec_") || strings.Contains(s, "_secret_") {
		return true
	}
	return redact.CardNumber(s) || strings.Contains(s, `\u00`)
}

// Redact renders arguments as JSON with card numbers and secrets masked,
// keys included, bounded in size.
func Redact(args map[string]any) string {
	b, err := json.Marshal(redactValue(args))
	if err != nil {
		return "{}"
	}
	if len(b) > maxArguments {
		return string(b[:maxArguments]) + "…"
	}
	return string(b)
}

func redactValue(v any) any {
	switch x := v.(type) {
	case string:
		return redact.Cards(redact.Secrets(x))
	case float64:
		if x >= 1e12 && x < 1e19 && x == float64(int64(x)) {
			if s := redact.Cards(strconvInt(int64(x))); s != strconvInt(int64(x)) {
				return s
			}
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[redact.Cards(redact.Secrets(k))] = redactValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = redactValue(e)
		}
		return out
	}
	return v
}

func strconvInt(i int64) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func textOf(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, t.Text)
		}
	}
	return strings.Join(parts, " ")
}

// shorten keeps messages in the log to a readable length, masked.
func shorten(s string) string {
	s = redact.Cards(redact.Secrets(s))
	if len(s) <= 500 {
		return s
	}
	cut := 500
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
