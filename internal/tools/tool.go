// Package tools defines the Stripe tools, one file per toolset. Each tool is a
// typed input struct (its JSON Schema is generated from it and kept as a
// snapshot in toolsnaps/), explicit annotations, and a handler that validates
// before anything is sent to Stripe and answers with a compact projection.
package tools

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stripe/stripe-go/v85"

	"github.com/stripe-mcp/stripe-mcp/internal/guard"
	"github.com/stripe-mcp/stripe-mcp/internal/redact"
	"github.com/stripe-mcp/stripe-mcp/internal/registry"
	"github.com/stripe-mcp/stripe-mcp/internal/session"
	"github.com/stripe-mcp/stripe-mcp/internal/store"
	"github.com/stripe-mcp/stripe-mcp/internal/stripeapi"
)

// Deps is what the tool handlers use.
type Deps struct {
	Stripe      *stripeapi.Client
	Currency    string // default currency, lower case
	AutoCapture bool   // default of stripe_create_payment's capture
	KeyMode     string // "test", "live" or "sandbox", for diagnoses
	// Idempotency derives the keys of writes; nil sends none of our own
	// (stripe-go then makes a random key per request, reused across its
	// retries).
	Idempotency *guard.Idempotency
	// Policy holds the money guardrails; nil or inactive checks nothing.
	Policy *guard.Policy
	// Store holds received webhook events (stripe_list_events); nil means
	// none are kept.
	Store  store.Store
	Logger *slog.Logger
}

// Definition is a tool independent of its dependencies: enough to list it,
// document it and snapshot its schema.
type Definition interface {
	Info() Meta
	// GenerateSchema derives the input schema from the input type by
	// reflection. Servers use the snapshot instead (see InputSchema).
	GenerateSchema() (*jsonschema.Schema, error)
	build(d *Deps) registry.Tool
}

// Meta is what a tool says about itself.
type Meta struct {
	Name        string
	Toolset     string
	Title       string
	Description string
	ReadOnly    bool
	Destructive bool
	Idempotent  bool
}

// Annotations are the tool's explicit MCP annotations.
func (m Meta) Annotations() *mcp.ToolAnnotations {
	// The title is the tool's own (top-level) title; openWorldHint is left
	// to its default, true, which is right for every tool here. Both would
	// only add bytes to every tools/list.
	a := &mcp.ToolAnnotations{
		ReadOnlyHint:   m.ReadOnly,
		IdempotentHint: m.ReadOnly || m.Idempotent,
	}
	if !m.ReadOnly {
		a.DestructiveHint = ptr(m.Destructive)
	}
	return a
}

// Definitions are every tool of the product, in documentation order.
func Definitions() []Definition {
	var all []Definition
	all = append(all, paymentTools()...)
	all = append(all, customerTools()...)
	all = append(all, paymentMethodTools()...)
	all = append(all, subscriptionTools()...)
	all = append(all, refundTools()...)
	all = append(all, balanceTools()...)
	all = append(all, accountTools()...)
	all = append(all, catalogTools()...)
	all = append(all, couponTools()...)
	all = append(all, invoiceTools()...)
	all = append(all, disputeTools()...)
	all = append(all, analyticsTools()...)
	all = append(all, eventTools()...)
	return all
}

// All builds every tool on d, for the registry to filter.
func All(d *Deps) []registry.Tool {
	defs := Definitions()
	out := make([]registry.Tool, len(defs))
	for i, def := range defs {
		out[i] = def.build(d)
	}
	return out
}

// tool is a typed tool definition. In is the input struct: its fields carry
// `json` names (no omitempty = required) and `jsonschema` descriptions.
type tool[In any] struct {
	Meta
	// schema adjusts the generated schema: bounds, enums, formats.
	schema func(s *jsonschema.Schema)
	// run does the work; the input has passed the schema and validate.
	run func(c *call, in *In) (any, error)
	// money tells the amount the call names or implies (fetching what it
	// must from Stripe), for the guardrails; nil for calls without money.
	money func(c *call, in *In) (*guard.Movement, error)
}

func (t *tool[In]) Info() Meta { return t.Meta }

func (t *tool[In]) GenerateSchema() (*jsonschema.Schema, error) {
	s, err := jsonschema.For[In](nil)
	if err != nil {
		return nil, fmt.Errorf("tool %s: %w", t.Name, err)
	}
	dropNull(s)
	dropClosed(s)
	if _, ok := s.Properties["idempotencyKey"]; ok {
		writeSchema(s) // every write tool's arguments
	}
	if t.schema != nil {
		t.schema(s)
	}
	return s, nil
}

func (t *tool[In]) build(d *Deps) registry.Tool {
	raw, err := InputSchema(t.Name)
	if err != nil {
		// The snapshots are compiled in, and the snapshot test fails for a
		// missing or stale one: this is a build that was never tested.
		// (Inferring the schema here would link the reflection into every
		// binary for a case that cannot ship.)
		panic(err)
	}
	h := &handler{Meta: t.Meta, d: d, raw: raw,
		decode: func(raw []byte) (any, error) {
			in := new(In)
			err := decodeStrict(raw, in)
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) && strings.HasPrefix(te.Value, "number") {
				// A whole number written with a fraction or an exponent
				// (2500.0, 2.5e3) passed the schema as an integer; decode
				// it in its plain form.
				if plain, nerr := guard.Normalized(raw); nerr == nil {
					in = new(In)
					err = decodeStrict(plain, in)
				}
			}
			if err != nil {
				return nil, err
			}
			if v, ok := any(in).(validator); ok {
				if err := v.validate(d); err != nil {
					return nil, err
				}
			}
			return in, nil
		},
		run: func(c *call, in any) (any, error) { return t.run(c, in.(*In)) },
	}
	if t.money != nil {
		h.money = func(c *call, in any) (*guard.Movement, error) { return t.money(c, in.(*In)) }
	}
	return registry.Tool{
		Toolset: t.Toolset,
		Tool: &mcp.Tool{
			Name:        t.Name,
			Title:       t.Title,
			Description: t.Description,
			Annotations: t.Annotations(),
			InputSchema: json.RawMessage(raw),
		},
		Handler: h.handle,
	}
}

// decodeStrict decodes JSON arguments into v, refusing unknown fields.
func decodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

//go:embed toolsnaps
var snapshots embed.FS

// SnapshotPath is where the snapshot of a tool lives in the source tree.
func SnapshotPath(name string) string { return path.Join("toolsnaps", name+".json") }

// InputSchema returns the compact input schema of a tool from its snapshot.
// Building schemas by reflection at startup for every tool would cost most of
// the start-up budget, and so would decoding the snapshots with
// encoding/json: the value is cut out of the file and its whitespace
// dropped in one pass. The snapshot test keeps the files exact and valid;
// the SDK parses each schema again when the tool is registered.
func InputSchema(name string) ([]byte, error) {
	b, err := snapshots.ReadFile(SnapshotPath(name))
	if err != nil {
		return nil, err
	}
	v, err := topLevelValue(b, "inputSchema")
	if err != nil {
		return nil, fmt.Errorf("snapshot of %s: %w", name, err)
	}
	return v, nil
}

// topLevelValue returns, without whitespace, the value of key in the JSON
// object doc (which must be valid JSON).
func topLevelValue(doc []byte, key string) ([]byte, error) {
	var (
		depth    int
		inString bool
		escaped  bool
		strStart int  // where the string being scanned began (its quote)
		afterKey bool // the last string at depth 1 was key, and ':' follows
		out      []byte
		capture  bool // inside key's value, which ends back at depth 1
	)
	for i, c := range doc {
		if inString {
			if capture {
				out = append(out, c)
			}
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
				if depth == 1 && !capture && string(doc[strStart+1:i]) == key {
					afterKey = true
				}
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case ':':
			if afterKey && depth == 1 {
				capture, afterKey = true, false
				continue
			}
		case ',', '}', ']':
			if capture && depth == 1 {
				return out, nil
			}
		}
		afterKey = false // key was followed by something other than ':'
		switch c {
		case '"':
			inString, strStart = true, i
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		}
		if capture {
			out = append(out, c)
		}
	}
	return nil, fmt.Errorf("no top-level %q value", key)
}

// dropNull removes the "null" alternatives reflection adds for pointers,
// slices and maps: arguments that are null are dropped before validation, so
// the schema can stay simple and short.
func dropNull(s *jsonschema.Schema) {
	if s == nil {
		return
	}
	if len(s.Types) == 2 && s.Types[0] == "null" {
		s.Type, s.Types = s.Types[1], nil
	}
	for _, p := range s.Properties {
		dropNull(p)
	}
	dropNull(s.Items)
	if s.AdditionalProperties != nil && len(s.AdditionalProperties.Properties) > 0 {
		dropNull(s.AdditionalProperties)
	}
}

// dropClosed removes "additionalProperties": false from objects with fixed
// properties: the handler refuses unknown arguments itself, with a message
// that names the right one, so the schema need not spend bytes on it.
func dropClosed(s *jsonschema.Schema) {
	if s == nil {
		return
	}
	if len(s.Properties) > 0 && s.AdditionalProperties != nil && s.AdditionalProperties.Not != nil {
		s.AdditionalProperties = nil
	}
	for _, p := range s.Properties {
		dropClosed(p)
	}
}

// handler runs one tool call: decode, refuse card numbers, validate, run,
// project. It is not generic: the tool's input type is bound in by build
// (decode, run and money), so its code exists once rather than once per
// input type.
type handler struct {
	Meta
	d   *Deps
	raw []byte
	// decode makes the tool's input (a *In) from arguments that passed the
	// schema, refusing unknown fields, and runs its validate.
	decode func(raw []byte) (any, error)
	run    func(c *call, in any) (any, error)
	money  func(c *call, in any) (*guard.Movement, error) // nil: no money

	once     sync.Once
	resolved *jsonschema.Resolved
	rerr     error
}

func (h *handler) schema() (*jsonschema.Resolved, error) {
	h.once.Do(func() {
		var s jsonschema.Schema
		if h.rerr = json.Unmarshal(h.raw, &s); h.rerr == nil {
			h.resolved, h.rerr = s.Resolve(nil)
		}
	})
	return h.resolved, h.rerr
}

func (h *handler) handle(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	raw, args, err := decodeArguments(req.Params.Arguments)
	if err != nil {
		return inputError(err), nil
	}
	if where := findCardNumber(args, ""); where != "" {
		return inputError(fmt.Errorf("%s looks like a card number: card numbers must never be sent through this server; create a PaymentMethod with Stripe.js/Elements (or use a test id such as pm_card_visa) and pass its pm_… id", where)), nil
	}
	resolved, err := h.schema()
	if err != nil {
		return nil, fmt.Errorf("tool %s: schema: %w", h.Name, err)
	}
	if err := precheck(resolved.Schema(), args, ""); err != nil {
		return inputError(err), nil
	}
	if err := resolved.Validate(args); err != nil {
		return inputError(schemaError(err)), nil
	}
	// The arguments passed the schema; decode the same bytes into the typed
	// input (a null leaves its field unset, as the map dropped it).
	in, err := h.decode(raw)
	if err != nil {
		return inputError(err), nil
	}
	full, _ := args["full"].(bool)
	c := &call{Context: ctx, d: h.d, req: req, full: full}
	info := stripeapi.CallInfoFrom(ctx)
	if info == nil {
		c.Context, info = stripeapi.WithCallInfo(ctx)
	}
	if h.ReadOnly {
		out, err := h.run(c, in)
		return h.finish(info, out, err)
	}
	// A write that reached Stripe finishes (or times out) even if the
	// client cancels: an abandoned charge is worse than a late answer.
	c.Context = context.WithoutCancel(c.Context)
	canonical, err := h.canonical(in)
	if err != nil {
		return nil, err
	}
	var scope string
	if c.keyBase, scope, err = h.key(c, args, canonical); err != nil {
		return nil, err
	}
	release := func(context.Context) error { return nil }
	if pol := h.d.Policy; pol.Active() {
		var mv *guard.Movement
		if h.money != nil {
			if mv, err = h.money(c, in); err != nil {
				return h.stopped(info, err)
			}
			if mv.Known {
				info.SetMoney(mv.Amount, mv.Currency)
			}
		}
		if err := pol.Check(mv); err != nil {
			return h.stopped(info, err)
		}
		if pol.NeedsConfirmation(mv, h.Destructive) {
			if res, err := h.confirm(c, info, args, mv, canonical); res != nil || err != nil {
				return res, err
			}
		}
		if release, err = pol.Reserve(c, mv, h.Name, h.reservationKey(c, c.keyBase)); err != nil {
			return h.stopped(info, err)
		}
	}
	out, runErr := h.run(c, in)
	if runErr != nil {
		h.settle(c, info, scope, release)
	}
	return h.finish(info, out, runErr)
}

// stopped is the result of a guardrail refusing the call before any write.
func (h *handler) stopped(info *stripeapi.CallInfo, err error) (*mcp.CallToolResult, error) {
	var refusal *guard.Refusal
	if errors.As(err, &refusal) {
		info.SetStopped()
	}
	return errorResult(err)
}

// reservationKey names a write's request for the daily limit: the tool, the
// principal and the idempotency key, so that a request repeated under its
// key holds one reservation. "" (nothing shared) without a key.
func (h *handler) reservationKey(ctx context.Context, keyBase string) string {
	if keyBase == "" {
		return ""
	}
	return h.Name + "\x00" + principalOf(ctx) + "\x00" + keyBase
}

// settle decides, for a write that failed, what becomes of its room under
// the daily limit and of its idempotency key, from what Stripe answered to
// the last write the call attempted.
func (h *handler) settle(c *call, info *stripeapi.CallInfo, scope string, release func(context.Context) error) {
	ctx := context.WithoutCancel(c)
	wrote, status := info.LastWrite()
	refused := status >= 400 && status < 500
	if !wrote || refused {
		// Nothing moved: no write reached Stripe, or Stripe answered that
		// it did nothing (a decline, an invalid request).
		if err := release(ctx); err != nil {
			h.d.logger().Error("daily-limit reservation not released", "tool", h.Name, "error", err)
		}
	}
	// Otherwise the money may have moved and stays counted: Stripe failed
	// while doing it (5xx), no answer came (a timeout, a broken
	// connection), or the write succeeded and a later step failed.
	if scope == "" || !(refused || status >= 500) {
		// Without an answer the key stays: repeating the call sends the
		// same key, and Stripe answers with what the first attempt did (or
		// does it now, once).
		return
	}
	// Stripe keeps a refusal or its own failure under the key and would
	// answer the same key with it again: the next attempt must be a new
	// request.
	if err := h.d.Idempotency.Failed(ctx, scope); err != nil {
		h.d.logger().Error("idempotency generation not advanced", "tool", h.Name, "error", err)
	}
}

// finish turns a run's outcome into the result.
func (h *handler) finish(info *stripeapi.CallInfo, out any, err error) (*mcp.CallToolResult, error) {
	if err != nil {
		return errorResult(err)
	}
	res, err := jsonResult(out)
	if err == nil && info.Replayed() {
		markReplayed(res)
	}
	return res, err
}

// canonical is the identity of a write: its validated input (defaults
// filled in, values normalised, so "USD" and an omitted default currency
// are the same call) in canonical form, without meta-arguments.
func (h *handler) canonical(in any) ([]byte, error) {
	b, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("tool %s: encoding the input: %w", h.Name, err)
	}
	canonical, err := guard.Canonical(b)
	if err != nil {
		return nil, fmt.Errorf("tool %s: %w", h.Name, err)
	}
	return canonical, nil
}

// key is the idempotency key base of a write: the caller's own key, or one
// derived from the principal, the tool and the canonical input.
func (h *handler) key(ctx context.Context, args map[string]any, canonical []byte) (base, scope string, err error) {
	if k, _ := args["idempotencyKey"].(string); k != "" {
		return k, "", nil
	}
	if h.d.Idempotency == nil {
		return "", "", nil
	}
	return h.d.Idempotency.Key(ctx, principalOf(ctx), h.Name, canonical)
}

func principalOf(ctx context.Context) string {
	if s := session.From(ctx); s != nil {
		return s.Principal
	}
	return "unknown"
}

// markReplayed adds "replayed": true to a result Stripe answered from an
// earlier request with the same key.
func markReplayed(res *mcp.CallToolResult) {
	b, ok := res.StructuredContent.(json.RawMessage)
	if !ok || len(b) < 2 || b[0] != '{' {
		return
	}
	marked := make([]byte, 0, len(b)+18)
	marked = append(marked, `{"replayed":true`...)
	if rest := bytes.TrimSpace(b[1:]); len(rest) > 0 && rest[0] != '}' {
		marked = append(marked, ',')
	}
	marked = append(marked, b[1:]...)
	res.StructuredContent = json.RawMessage(marked)
	res.Content = []mcp.Content{&mcp.TextContent{Text: string(marked)}}
}

// validator is implemented by inputs with rules a schema cannot say well:
// id prefixes, currency rules, lengths with a reason.
type validator interface {
	validate(d *Deps) error
}

// call is one tool invocation.
type call struct {
	context.Context
	d       *Deps
	req     *mcp.CallToolRequest
	full    bool
	keyBase string // the idempotency key of the first write; "" for none
	writes  int
}

// object returns the compact projection, or the raw Stripe object when the
// caller asked for `full`.
func (c *call) object(compact any, resp *stripe.APIResponse) any {
	if c.full && resp != nil && len(resp.RawJSON) > 0 {
		return json.RawMessage(resp.RawJSON)
	}
	return compact
}

// progress tells a client that asked for progress (a progressToken in the
// request) how far a long call has come.
func (c *call) progress(done, total float64, message string) {
	if c.req == nil || c.req.Session == nil || c.req.Params == nil {
		return
	}
	token := c.req.Params.GetProgressToken()
	if token == nil {
		return
	}
	_ = c.req.Session.NotifyProgress(c, &mcp.ProgressNotificationParams{ProgressToken: token, Progress: done, Total: total, Message: message})
}

// nextKey is the idempotency key of the call's next write: the base for the
// first, the base and the write's number for the ones after (a tool that
// makes two writes sends two keys, both stable across repeats). nil lets
// stripe-go make one.
func (c *call) nextKey() *string {
	c.writes++
	if c.keyBase == "" {
		return nil
	}
	if c.writes == 1 {
		return stripe.String(c.keyBase)
	}
	return stripe.String(c.keyBase + "-" + strconv.Itoa(c.writes))
}

// invalidInput is a refusal of the arguments; nothing was sent to Stripe.
type invalidInput struct{ err error }

func (e invalidInput) Error() string { return e.err.Error() }
func (e invalidInput) Unwrap() error { return e.err }

// inputErr unwraps an invalidInput so the message is not doubled.
func inputErr(err error) error {
	var in invalidInput
	if errors.As(err, &in) {
		return in.err
	}
	return err
}

// badInput formats an invalidInput.
func badInput(format string, args ...any) error {
	return invalidInput{fmt.Errorf(format, args...)}
}

func inputError(err error) *mcp.CallToolResult {
	msg := "invalid arguments: " + redact.Cards(redact.Secrets(inputErr(err).Error())) + " (nothing was sent to Stripe)"
	return &mcp.CallToolResult{
		IsError: true,
		Content: []mcp.Content{&mcp.TextContent{Text: msg}},
	}
}

// errorResult turns what a handler returned into an isError result when a
// user or model can act on it; anything else is a bug and stays a Go error.
func errorResult(err error) (*mcp.CallToolResult, error) {
	var in invalidInput
	if errors.As(err, &in) {
		return inputError(in.err), nil
	}
	var refusal *guard.Refusal
	if errors.As(err, &refusal) {
		b, _ := json.Marshal(map[string]any{"error": map[string]string{"type": "guardrail", "rule": refusal.Rule, "message": refusal.Message}})
		return &mcp.CallToolResult{
			IsError:           true,
			Content:           []mcp.Content{&mcp.TextContent{Text: refusal.Error()}},
			StructuredContent: json.RawMessage(b),
		}, nil
	}
	var f *stripeapi.Failure
	if !errors.As(err, &f) {
		return nil, err
	}
	b, _ := json.Marshal(struct {
		Error *stripeapi.Failure `json:"error"`
	}{f})
	return &mcp.CallToolResult{
		IsError:           true,
		Content:           []mcp.Content{&mcp.TextContent{Text: f.Message}},
		StructuredContent: json.RawMessage(b),
	}, nil
}

// stripeErr converts the error of a stripe-go call into a Failure.
func stripeErr(err error) error {
	if err == nil {
		return nil
	}
	return stripeapi.Describe(err)
}

func jsonResult(v any) (*mcp.CallToolResult, error) {
	var b []byte
	if raw, ok := v.(json.RawMessage); ok {
		b = raw
	} else {
		var err error
		if b, err = json.Marshal(v); err != nil {
			return nil, fmt.Errorf("encoding result: %w", err)
		}
	}
	return &mcp.CallToolResult{
		Content:           []mcp.Content{&mcp.TextContent{Text: string(b)}},
		StructuredContent: json.RawMessage(b),
	}, nil
}

// decodeArguments reads tools/call arguments: their bytes, and a map of them
// without nulls (models send null for "not given").
func decodeArguments(a any) ([]byte, map[string]any, error) {
	var raw []byte
	switch v := a.(type) {
	case nil:
	case json.RawMessage:
		raw = v
	case []byte:
		raw = v
	default:
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return nil, nil, err
		}
	}
	if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "null" {
		return []byte("{}"), map[string]any{}, nil
	}
	var args map[string]any
	if err := json.Unmarshal(raw, &args); err != nil {
		return nil, nil, errors.New("arguments must be a JSON object")
	}
	for k, v := range args {
		if v == nil {
			delete(args, k)
		}
	}
	return raw, args, nil
}

// findCardNumber returns the argument path of the first string that
// contains a card number, or "".
func findCardNumber(v any, at string) string {
	switch x := v.(type) {
	case string:
		if redact.CardNumber(x) {
			return at
		}
	case float64:
		if x >= 1e12 && x < 1e19 && x == float64(int64(x)) && redact.CardNumber(fmt.Sprintf("%d", int64(x))) {
			return at
		}
	case map[string]any:
		for k, e := range x {
			p := k
			if at != "" {
				p = at + "." + k
			}
			if redact.CardNumber(k) {
				return p
			}
			if w := findCardNumber(e, p); w != "" {
				return w
			}
		}
	case []any:
		for i, e := range x {
			if w := findCardNumber(e, fmt.Sprintf("%s[%d]", at, i)); w != "" {
				return w
			}
		}
	}
	return ""
}

// schemaError makes the validator's message shorter: the schema paths it
// names are noise to a model.
func schemaError(err error) error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "validating root: ")
	msg = strings.ReplaceAll(msg, "validating /properties/", "")
	return errors.New(msg)
}

func ptr[T any](v T) *T { return &v }

func (d *Deps) logger() *slog.Logger {
	if d.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Logger
}
