// Package resources is what a client can read and subscribe to besides
// tools: the account, the balance, received events, and one customer,
// payment intent, subscription or event by id, each as the compact JSON the
// tools return; and completions of the ids those templates and the prompts
// take.
package resources

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stripe-mcp/stripe-mcp/internal/redact"
	"github.com/stripe-mcp/stripe-mcp/internal/registry"
	"github.com/stripe-mcp/stripe-mcp/internal/store"
	"github.com/stripe-mcp/stripe-mcp/internal/stripeapi"
	"github.com/stripe-mcp/stripe-mcp/internal/tools"
)

// Deps is what resources read with.
type Deps struct {
	Tools *tools.Deps // Stripe and the store
	// Allowed is allowedOperations: a resource is served when the read mode
	// of its toolset is allowed, as a tool would be.
	Allowed []string
	// NoSubscriptions, when set, is why resources/subscribe is refused (a
	// stateless server cannot send notifications).
	NoSubscriptions string
}

// resource is a fixed resource or a template, and the toolset it belongs to.
type resource struct {
	uri         string // a URI, or a template with one {id} variable
	name, title string
	description string
	toolset     string
	kind        string // for tools.Read
}

func (r resource) template() bool { return strings.Contains(r.uri, "{") }

// prefix is the URI before a template's variable.
func (r resource) prefix() string { return r.uri[:strings.IndexByte(r.uri, '{')] }

// variable is the name of a template's variable.
func (r resource) variable() string {
	return strings.TrimSuffix(r.uri[strings.IndexByte(r.uri, '{')+1:], "}")
}

// All are every resource and template, in documentation order.
var All = []resource{
	{"stripe://account", "account", "Stripe account", "The connected Stripe account: id, country, currency, capabilities.", "account", "account"},
	{"stripe://balance", "balance", "Balance", "Balance available for payout, per currency.", "balance", "balance"},
	{"stripe://events", "events", "Recent events", "The latest webhook events this server received, newest first.", "events", "events"},
	{"stripe://customers/{customerId}", "customer", "Customer", "One customer (cus_…).", "customers", "customer"},
	{"stripe://payment_intents/{paymentIntentId}", "payment_intent", "Payment", "One payment intent (pi_…), with its last error.", "payments", "payment_intent"},
	{"stripe://subscriptions/{subscriptionId}", "subscription", "Subscription", "One subscription (sub_…).", "subscriptions", "subscription"},
	{"stripe://events/{eventId}", "event", "Event", "One event (evt_…) with its object: received, else from the Events API.", "events", "event"},
}

// Register adds the resources allowedOperations permits to s, and returns
// them (URIs and templates).
func Register(s *mcp.Server, d Deps) []string {
	var out []string
	for _, r := range All {
		if !registry.ReadAllowed(r.toolset, d.Allowed) {
			continue
		}
		h := handler(d, r)
		if r.template() {
			s.AddResourceTemplate(&mcp.ResourceTemplate{URITemplate: r.uri, Name: r.name, Title: r.title, Description: r.description, MIMEType: "application/json"}, h)
		} else {
			s.AddResource(&mcp.Resource{URI: r.uri, Name: r.name, Title: r.title, Description: r.description, MIMEType: "application/json"}, h)
		}
		out = append(out, r.uri)
	}
	return out
}

// match finds the resource of a URI and the id it names ("" for a fixed
// resource).
func match(uri string, allowed []string) (resource, string, bool) {
	for _, r := range All {
		if !registry.ReadAllowed(r.toolset, allowed) {
			continue
		}
		if !r.template() && uri == r.uri {
			return r, "", true
		}
		if r.template() {
			if id, ok := strings.CutPrefix(uri, r.prefix()); ok && id != "" && !strings.ContainsAny(id, "/?#") {
				return r, id, true
			}
		}
	}
	return resource{}, "", false
}

func handler(d Deps, r resource) mcp.ResourceHandler {
	return func(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		uri := req.Params.URI
		if redact.CardNumber(uri) {
			return nil, &jsonrpc.Error{Code: mcp.CodeResourceNotFound, Message: fmt.Sprintf("%s: %s (nothing was sent to Stripe)", masked(uri), cardRefusal)}
		}
		_, id, ok := match(uri, d.Allowed)
		if !ok {
			return nil, mcp.ResourceNotFoundError(redact.Secrets(uri))
		}
		v, err := tools.Read(ctx, d.Tools, r.kind, id)
		if err != nil {
			return nil, readError(uri, r, err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encoding %s: %w", uri, err)
		}
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "application/json", Text: string(b)}}}, nil
	}
}

// cardRefusal is why a URI with a card number in it is refused, as the
// tools refuse such an argument: it is neither sent to Stripe nor kept.
const cardRefusal = "the id looks like a card number: card numbers must never be sent through this server; use the object's Stripe id (cus_…, pi_…, sub_…, evt_…)"

// masked is a URI as an error may show it: without secrets or card numbers.
func masked(uri string) string { return redact.Cards(redact.Secrets(uri)) }

// readError is an error a client can act on: a bad or unknown id is "not
// found" (-32602, as the protocol has it), with the reason. The URI is
// masked as the reason is: a key pasted as an id is never echoed whole.
func readError(uri string, r resource, err error) error {
	uri = redact.Secrets(uri)
	if tools.IsInvalidInput(err) {
		return &jsonrpc.Error{Code: mcp.CodeResourceNotFound, Message: fmt.Sprintf("%s: %v (nothing was sent to Stripe)", uri, redact.Secrets(err.Error()))}
	}
	var f *stripeapi.Failure
	if errors.As(err, &f) {
		if f.Status == 404 {
			return &jsonrpc.Error{Code: mcp.CodeResourceNotFound, Message: fmt.Sprintf("%s: no such %s in this Stripe account (%s)", uri, r.name, f.Message)}
		}
		return &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: fmt.Sprintf("%s: Stripe failed the read: %s", uri, f.Message)}
	}
	return err
}

// URIs lists the resources an event changes: the event list, the event, the
// account (account.updated) or balance (balance.*), and the customers,
// payment intents and subscriptions it touches, each once.
func URIs(e *store.Event) []string {
	out := []string{"stripe://events", "stripe://events/" + e.ID}
	switch {
	case e.Type == "account.updated":
		out = append(out, "stripe://account")
	case strings.HasPrefix(e.Type, "balance."):
		out = append(out, "stripe://balance")
	}
	for _, id := range e.ObjectIDs {
		for _, r := range All {
			arg, ok := arguments[r.variable()]
			if !r.template() || r.kind == "event" || !ok || !strings.HasPrefix(id, arg.prefix) {
				continue
			}
			if uri := r.prefix() + id; !slices.Contains(out, uri) {
				out = append(out, uri)
			}
		}
	}
	return out
}

// Subscribe is the resources/subscribe handler: a URI this server serves,
// fixed or a template instance with a well-formed id.
func Subscribe(d Deps) func(context.Context, *mcp.SubscribeRequest) error {
	return func(_ context.Context, req *mcp.SubscribeRequest) error {
		if d.NoSubscriptions != "" {
			return &jsonrpc.Error{Code: jsonrpc.CodeInvalidRequest, Message: d.NoSubscriptions}
		}
		uri := req.Params.URI
		if redact.CardNumber(uri) {
			return &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("cannot subscribe to %q: %s", masked(uri), cardRefusal)}
		}
		r, id, ok := match(uri, d.Allowed)
		if !ok {
			return &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("cannot subscribe to %q: not a resource of this server (see resources/list and resources/templates/list)", redact.Secrets(uri))}
		}
		if id != "" && !validID(id, r) {
			return &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("cannot subscribe to %q: %s is not a %s id", redact.Secrets(uri), redact.Secrets(id), r.name)}
		}
		return nil
	}
}

// Unsubscribe is the resources/unsubscribe handler; unsubscribing from
// anything is fine.
func Unsubscribe(context.Context, *mcp.UnsubscribeRequest) error { return nil }

// validID reports whether id is a well-formed id of the template's
// variable, as the tools check ids.
func validID(id string, r resource) bool {
	arg, ok := arguments[r.variable()]
	return ok && tools.CheckID(r.variable(), id, arg.prefix) == nil
}
