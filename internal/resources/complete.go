package resources

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stripe/stripe-go/v85"

	"github.com/stripe-mcp/stripe-mcp/internal/registry"
)

// maxCompletions is the protocol's limit on values in one completion.
const maxCompletions = 100

// apiTTL is how long a list fetched from Stripe for completions is reused:
// a client asks at every keystroke. failTTL is how long a failed fetch is
// not tried again: while Stripe is down or rate-limiting, keystrokes must
// not each send it a request (and wait for its timeout).
const (
	apiTTL  = time.Minute
	failTTL = 10 * time.Second
)

// Completer suggests ids for the arguments of resource templates and
// prompts: ids recently seen in received events first, then the latest of
// Stripe's own lists.
type Completer struct {
	// Prompt reports whether the server has a prompt; nil accepts any.
	Prompt func(name string) bool

	d   Deps
	now func() time.Time

	mu       sync.Mutex
	lists    map[string]fetched       // by id prefix
	fetching map[string]chan struct{} // by id prefix: closed when the fetch ends
}

type fetched struct {
	ids    []string
	at     time.Time
	failed bool // the ids are what came before Stripe failed
}

// fresh reports whether f can be used at now instead of asking Stripe.
func (f fetched) fresh(now time.Time) bool {
	ttl := apiTTL
	if f.failed {
		ttl = failTTL
	}
	return !f.at.IsZero() && now.Sub(f.at) < ttl
}

// NewCompleter makes a completer on d.
func NewCompleter(d Deps) *Completer {
	return &Completer{d: d, now: time.Now, lists: map[string]fetched{}, fetching: map[string]chan struct{}{}}
}

// argument is what an argument name completes to.
type argument struct{ prefix, toolset string }

var arguments = map[string]argument{
	"customerId":      {"cus_", "customers"},
	"paymentIntentId": {"pi_", "payments"},
	"subscriptionId":  {"sub_", "subscriptions"},
	"eventId":         {"evt_", "events"},
	"priceId":         {"price_", "catalog"},
}

// Complete is the completion/complete handler. A reference to a prompt or
// template this server does not have is invalid (-32602); an argument with
// nothing to suggest gets no values.
func (c *Completer) Complete(ctx context.Context, req *mcp.CompleteRequest) (*mcp.CompleteResult, error) {
	empty := &mcp.CompleteResult{Completion: mcp.CompletionResultDetails{Values: []string{}}}
	p := req.Params
	if p == nil || p.Ref == nil {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "completion/complete needs a ref (ref/prompt or ref/resource)"}
	}
	switch p.Ref.Type {
	case "ref/resource":
		known := false
		for _, r := range All {
			if r.uri == p.Ref.URI && r.template() && registry.ReadAllowed(r.toolset, c.d.Allowed) {
				known = true
				if r.variable() != p.Argument.Name {
					return empty, nil
				}
			}
		}
		if !known {
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("no resource template %q on this server (see resources/templates/list)", p.Ref.URI)}
		}
	case "ref/prompt":
		if c.Prompt != nil && !c.Prompt(p.Ref.Name) {
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("no prompt %q on this server (see prompts/list)", p.Ref.Name)}
		}
	default:
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("unknown ref type %q: use ref/prompt or ref/resource", p.Ref.Type)}
	}
	arg, ok := arguments[p.Argument.Name]
	if !ok || !registry.ReadAllowed(arg.toolset, c.d.Allowed) {
		return empty, nil
	}
	value := p.Argument.Value
	switch {
	case strings.HasPrefix(value, arg.prefix):
	case strings.HasPrefix(arg.prefix, value):
		value = arg.prefix
	default:
		return empty, nil
	}
	var out []string
	seen := map[string]bool{}
	more := false // a matching id was left out at the limit
	add := func(ids []string) {
		for _, id := range ids {
			if !strings.HasPrefix(id, value) || seen[id] {
				continue
			}
			if len(out) == maxCompletions {
				more = true
				return
			}
			seen[id] = true
			out = append(out, id)
		}
	}
	if st := c.d.Tools.Store; st != nil {
		ids, err := st.RecentIDs(ctx, value, maxCompletions)
		if err == nil {
			add(ids)
		}
	}
	add(c.fromAPI(ctx, arg.prefix))
	if out == nil {
		out = []string{}
	}
	res := &mcp.CompleteResult{Completion: mcp.CompletionResultDetails{Values: out, HasMore: more}}
	if !more {
		res.Completion.Total = len(out)
	}
	return res, nil
}

// fromAPI is the latest page of Stripe's list of a kind, fetched at most
// once a minute, and once at a time: completions asked for while it is
// fetched wait for it (a completion the client cancels stops waiting; the
// fetch goes on for the others). Completion is a convenience: a failed list
// is the ids that came before it failed (often none), and is tried again
// 10 seconds on.
func (c *Completer) fromAPI(ctx context.Context, prefix string) []string {
	if c.d.Tools.Stripe == nil {
		return nil
	}
	c.mu.Lock()
	if f := c.lists[prefix]; f.fresh(c.now()) {
		c.mu.Unlock()
		return f.ids
	}
	done, busy := c.fetching[prefix]
	if !busy {
		done = make(chan struct{})
		c.fetching[prefix] = done
		go func() {
			c.fetch(context.WithoutCancel(ctx), prefix)
			c.mu.Lock()
			delete(c.fetching, prefix)
			c.mu.Unlock()
			close(done)
		}()
	}
	c.mu.Unlock()
	select {
	case <-done:
	case <-ctx.Done():
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lists[prefix].ids
}

// fetch asks Stripe for the latest page of a kind and keeps it, failed or
// not.
func (c *Completer) fetch(ctx context.Context, prefix string) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	sc := c.d.Tools.Stripe
	var ids []string
	var failed bool
	collect := func(seq iter.Seq2[string, error]) {
		for id, err := range seq {
			if err != nil {
				failed = true
				return
			}
			ids = append(ids, id)
			if len(ids) >= maxCompletions {
				return
			}
		}
	}
	limit := stripe.Int64(maxCompletions)
	switch prefix {
	case "cus_":
		p := &stripe.CustomerListParams{}
		p.Limit = limit
		collect(idsOf(sc.V1Customers.List(ctx, p).All(ctx), func(x *stripe.Customer) string { return x.ID }))
	case "pi_":
		p := &stripe.PaymentIntentListParams{}
		p.Limit = limit
		collect(idsOf(sc.V1PaymentIntents.List(ctx, p).All(ctx), func(x *stripe.PaymentIntent) string { return x.ID }))
	case "sub_":
		p := &stripe.SubscriptionListParams{Status: stripe.String("all")}
		p.Limit = limit
		collect(idsOf(sc.V1Subscriptions.List(ctx, p).All(ctx), func(x *stripe.Subscription) string { return x.ID }))
	case "evt_":
		p := &stripe.EventListParams{}
		p.Limit = limit
		collect(idsOf(sc.V1Events.List(ctx, p).All(ctx), func(x *stripe.Event) string { return x.ID }))
	case "price_":
		p := &stripe.PriceListParams{Active: stripe.Bool(true)}
		p.Limit = limit
		collect(idsOf(sc.V1Prices.List(ctx, p).All(ctx), func(x *stripe.Price) string { return x.ID }))
	}
	c.mu.Lock()
	c.lists[prefix] = fetched{ids: ids, at: c.now(), failed: failed}
	c.mu.Unlock()
}

func idsOf[T any](seq stripe.Seq2[T, error], id func(T) string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for x, err := range seq {
			if err != nil {
				yield("", err)
				return
			}
			if !yield(id(x), nil) {
				return
			}
		}
	}
}
