// Package prompts defines the server's MCP prompts: templated Stripe
// workflows that walk a model through the right tools in the right order,
// with the safety steps a person expects. Each prompt's text is an embedded
// markdown file (text/template) of the same name; rules.md holds the rules
// they share.
//
// A prompt names the tools it cannot do without and the ones it uses when
// they are there: a server registers only the prompts its tools can carry
// out (allow-lists and read-only mode remove tools), and a step appears in
// the text only when its tool is available.
package prompts

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/template"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stripe-mcp/stripe-mcp/internal/money"
)

//go:embed *.md
var files embed.FS

// templates are every .md file parsed once; a call clones them to bind the
// functions that depend on it (has, step).
var templates = template.Must(template.New("").
	Option("missingkey=error").
	Funcs(template.FuncMap{
		"has":  func(string) (bool, error) { return false, nil },
		"step": func() int { return 0 },
		"q":    strconv.Quote,
		// display shows an amount argument the way a person reads it.
		"display": func(amount, currency string) (string, error) {
			n, err := strconv.ParseInt(amount, 10, 64)
			if err != nil {
				return "", fmt.Errorf("display: amount %q: %w", amount, err)
			}
			return money.Format(n, currency), nil
		},
	}).
	ParseFS(files, "*.md"))

// Prompt is one workflow: its MCP definition and the tools it needs.
type Prompt struct {
	// Prompt is what prompts/list shows: name, title, description and the
	// described arguments.
	Prompt *mcp.Prompt
	// Required are the tools the workflow cannot do without; the prompt is
	// registered only when all of them are available.
	Required []string
	// OneOf, when not empty, are alternatives of which at least one must be
	// available (revenue_report: a revenue summary or the transactions to
	// add up).
	OneOf []string
	// Optional are tools whose steps appear only when they are available.
	Optional []string

	args []arg
	// prepare checks what depends on several arguments or on the tools
	// available, and may add values for the template; nil checks nothing.
	prepare func(v values, has func(string) bool) error
}

// Tools are all tools the prompt may name: Required, OneOf, then Optional.
func (p Prompt) Tools() []string {
	return slices.Concat(p.Required, p.OneOf, p.Optional)
}

// Available reports whether a server whose tools available reports can
// carry out the workflow. A nil available means every tool is there.
func (p Prompt) Available(available func(tool string) bool) bool {
	available = orAll(available)
	for _, t := range p.Required {
		if !available(t) {
			return false
		}
	}
	return len(p.OneOf) == 0 || slices.ContainsFunc(p.OneOf, available)
}

// Handler answers prompts/get for p on a server whose tools available
// reports. Invalid arguments are JSON-RPC invalid-params errors whose
// message says what to pass instead.
func (p Prompt) Handler(available func(tool string) bool) mcp.PromptHandler {
	available = orAll(available)
	return func(_ context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		var in map[string]string
		if req != nil && req.Params != nil {
			in = req.Params.Arguments
		}
		text, err := p.render(in, available)
		if err != nil {
			return nil, err
		}
		return &mcp.GetPromptResult{
			Description: p.Prompt.Description,
			Messages: []*mcp.PromptMessage{{
				Role:    "user",
				Content: &mcp.TextContent{Text: text},
			}},
		}, nil
	}
}

// render validates the arguments and executes the prompt's template.
func (p Prompt) render(in map[string]string, available func(string) bool) (string, error) {
	v, err := p.parse(in)
	if err != nil {
		return "", err
	}
	declared := p.Tools()
	has := func(tool string) bool { return slices.Contains(declared, tool) && available(tool) }
	if p.prepare != nil {
		if err := p.prepare(v, has); err != nil {
			return "", invalid(p.Prompt.Name, "%v", err)
		}
	}
	t, err := templates.Clone()
	if err != nil {
		return "", fmt.Errorf("prompt %s: %w", p.Prompt.Name, err)
	}
	n := 0
	t.Funcs(template.FuncMap{
		"has": func(tool string) (bool, error) {
			// A tool missing from the declared lists would escape the
			// registration check and the docs: a bug, not an input error.
			if !slices.Contains(declared, tool) {
				return false, fmt.Errorf("tool %s is not declared by the prompt", tool)
			}
			return available(tool), nil
		},
		"step": func() int { n++; return n },
	})
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, p.Prompt.Name+".md", v); err != nil {
		return "", fmt.Errorf("prompt %s: %w", p.Prompt.Name, err)
	}
	return tidy(b.String()), nil
}

// tidy drops the blank lines and trailing spaces that template actions
// leave, so the files can stay readable.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := true // no blank line at the start
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n")) + "\n"
}

func orAll(available func(string) bool) func(string) bool {
	if available == nil {
		return func(string) bool { return true }
	}
	return available
}

// Register adds to s the prompts whose tools are available. available(name)
// reports whether a tool (e.g. "stripe_create_payment") is registered on
// this server (allow-lists and read-only mode remove tools); nil means all.
func Register(s *mcp.Server, available func(tool string) bool) {
	for _, p := range All() {
		if p.Available(available) {
			s.AddPrompt(p.Prompt, p.Handler(available))
		}
	}
}

// All returns every prompt definition, in documentation order, each with
// the tools it needs. The values are fresh: callers may change them.
func All() []Prompt {
	return []Prompt{
		completePaymentFlow(),
		subscriptionOnboarding(),
		refundPayment(),
		investigateFailedPayment(),
		revenueReport(),
	}
}

// definition builds the MCP prompt from its arguments.
func definition(name, title, description string, args []arg) *mcp.Prompt {
	p := &mcp.Prompt{Name: name, Title: title, Description: description}
	for _, a := range args {
		p.Arguments = append(p.Arguments, &mcp.PromptArgument{
			Name: a.name, Title: a.title, Description: a.desc, Required: a.required,
		})
	}
	return p
}

func completePaymentFlow() Prompt {
	args := []arg{
		{name: "amount", title: "Amount", kind: kindAmount, required: true,
			desc: "amount in the smallest currency unit, a whole number: 2500 for $25.00 in usd, 500 for ¥500 in jpy"},
		{name: "currency", title: "Currency", kind: kindCurrency, required: true,
			desc: "three-letter currency code, e.g. usd, eur, jpy"},
		{name: "customerId", title: "Customer", kind: kindID, prefix: "cus_",
			desc: "cus_… id of the customer who pays; or give customerEmail"},
		{name: "customerEmail", title: "Customer email", kind: kindEmail,
			desc: "email of the customer who pays, to find (or create) the customer when the cus_… id is not known"},
		{name: "paymentMethodId", title: "Payment method", kind: kindID, prefix: "pm_",
			desc: "pm_… payment method to charge (test mode: pm_card_visa); default: choose one with the user"},
		{name: "description", title: "Description", kind: kindText,
			desc: "what the payment is for, shown to the customer and in the Dashboard"},
		{name: "capture", title: "Capture at once", kind: kindBool,
			desc: "true: charge when confirmed; false: authorize only and capture after the user confirms; default: the server's setting"},
	}
	return Prompt{
		Prompt: definition("complete_payment_flow", "Take a payment",
			"Take a one-off payment: find the customer, confirm amount and customer with the user, create and confirm the payment, capture it when authorized only.", args),
		Required: []string{"stripe_create_payment", "stripe_confirm_payment"},
		Optional: []string{"stripe_get_customer", "stripe_list_customers", "stripe_create_customer",
			"stripe_list_payment_methods", "stripe_attach_payment_method",
			"stripe_get_payment", "stripe_capture_payment", "stripe_cancel_payment"},
		args: args,
		prepare: func(v values, has func(string) bool) error {
			if v["customerId"] == "" && v["customerEmail"] != "" && !has("stripe_list_customers") && !has("stripe_create_customer") {
				return fmt.Errorf("customerEmail needs stripe_list_customers or stripe_create_customer, which this server does not offer: give customerId (cus_…) instead")
			}
			if v["capture"] == "false" && !has("stripe_capture_payment") {
				return fmt.Errorf("capture false authorizes only, and this server does not offer stripe_capture_payment to capture later: leave capture out or set it to true")
			}
			return nil
		},
	}
}

func subscriptionOnboarding() Prompt {
	args := []arg{
		{name: "priceId", title: "Price", kind: kindID, prefix: "price_", required: true,
			desc: "price_… id of the recurring price to subscribe to"},
		{name: "customerId", title: "Customer", kind: kindID, prefix: "cus_",
			desc: "cus_… id of the subscriber; or give customerEmail"},
		{name: "customerEmail", title: "Customer email", kind: kindEmail,
			desc: "email of the subscriber, to find the customer or create one"},
		{name: "paymentMethodId", title: "Payment method", kind: kindID, prefix: "pm_",
			desc: "pm_… payment method to attach as the customer's default (test mode: pm_card_visa)"},
		{name: "trialDays", title: "Trial days", kind: kindDays,
			desc: "free trial in whole days, e.g. 14; default: no trial"},
		{name: "quantity", title: "Quantity", kind: kindCount,
			desc: "number of units (seats), a whole number; default 1"},
	}
	return Prompt{
		Prompt: definition("subscription_onboarding", "Start a subscription",
			"Subscribe a customer to a recurring price: find or create the customer, set a default payment method, confirm the terms with the user, create the subscription.", args),
		Required: []string{"stripe_create_subscription"},
		Optional: []string{"stripe_get_customer", "stripe_list_customers", "stripe_create_customer",
			"stripe_list_prices", "stripe_list_payment_methods", "stripe_attach_payment_method",
			"stripe_get_subscription"},
		args: args,
		prepare: func(v values, has func(string) bool) error {
			if v["customerId"] == "" && !has("stripe_list_customers") && !has("stripe_create_customer") {
				return fmt.Errorf("customerId (cus_…) is required on this server: it offers neither stripe_list_customers nor stripe_create_customer to find or create the customer")
			}
			if v["paymentMethodId"] != "" && !has("stripe_attach_payment_method") {
				return fmt.Errorf("paymentMethodId needs stripe_attach_payment_method, which this server does not offer: leave it out and use a customer that already has a default payment method")
			}
			return nil
		},
	}
}

func refundPayment() Prompt {
	args := []arg{
		{name: "paymentIntentId", title: "Payment", kind: kindID, prefix: "pi_", required: true,
			desc: "pi_… id of the payment to refund"},
		{name: "amount", title: "Amount", kind: kindAmount,
			desc: "amount to refund in the smallest unit of the payment's currency, a whole number: 2500 for $25.00 in usd; default: all that is not yet refunded"},
		{name: "reason", title: "Reason", kind: kindReason,
			desc: "duplicate, fraudulent or requested_by_customer; asked of the user when not given"},
	}
	return Prompt{
		Prompt: definition("refund_payment", "Refund a payment",
			"Refund a payment in full or in part: check what can be refunded, get the reason and the user's confirmation of the amount, then refund.", args),
		Required: []string{"stripe_create_refund"},
		Optional: []string{"stripe_get_payment", "stripe_list_refunds"},
		args:     args,
	}
}

func investigateFailedPayment() Prompt {
	args := []arg{
		{name: "paymentIntentId", title: "Payment", kind: kindID, prefix: "pi_",
			desc: "pi_… id of the failed payment; default: find recent failed payments"},
		{name: "customerId", title: "Customer", kind: kindID, prefix: "cus_",
			desc: "cus_… id of the customer whose payment failed, to narrow the search"},
	}
	return Prompt{
		Prompt: definition("investigate_failed_payment", "Investigate a failed payment",
			"Find out why a payment failed, whether a retry can help and what to do, without changing anything.", args),
		Required: []string{"stripe_get_payment"},
		Optional: []string{"stripe_list_payments", "stripe_analyze_payment_failure", "stripe_list_events",
			"stripe_get_customer", "stripe_list_payment_methods"},
		args: args,
		prepare: func(v values, has func(string) bool) error {
			if v["paymentIntentId"] == "" && !has("stripe_list_payments") {
				return fmt.Errorf("paymentIntentId (pi_…) is required on this server: it does not offer stripe_list_payments to find the failed payment")
			}
			return nil
		},
	}
}

func revenueReport() Prompt {
	args := []arg{
		{name: "period", title: "Period", kind: kindPeriod,
			desc: periodForms + "; default: last 30 days"},
		{name: "currency", title: "Currency", kind: kindCurrency,
			desc: "three-letter currency code to report only that currency, e.g. usd; default: every currency"},
	}
	return Prompt{
		Prompt: definition("revenue_report", "Revenue report",
			"Report gross volume, refunds, fees and net revenue for a period, per currency.", args),
		OneOf:    []string{"stripe_revenue_summary", "stripe_list_balance_transactions"},
		Optional: []string{"stripe_get_balance", "stripe_subscription_metrics"},
		args:     args,
	}
}
