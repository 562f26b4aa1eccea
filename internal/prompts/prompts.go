// Package prompts defines the server's MCP prompts: templated Stripe
// workflows that walk a model through the right tools in the right order,
// with the safety steps a person expects. Each prompt's words are in an
// embedded .md file of the same name, cut into fragments that the prompt's
// Go code puts together (see text.go); rules.md holds the rules they share.
//
// A prompt names the tools it cannot do without and the ones it uses when
// they are there: a server registers only the prompts its tools can carry
// out (allow-lists and read-only mode remove tools), and a step appears in
// the text only when its tool is available.
package prompts

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stripe-mcp/stripe-mcp/internal/money"
)

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
	// available; nil checks nothing.
	prepare func(v values, has func(string) bool) error
	// write puts the text together from the fragments of the prompt's .md
	// file, for valid arguments.
	write func(w *writer, v values)
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

// render validates the arguments and writes the prompt's text.
func (p Prompt) render(in map[string]string, available func(string) bool) (string, error) {
	w, err := p.written(in, available)
	if err != nil {
		return "", err
	}
	text, err := w.text()
	if err != nil {
		return "", fmt.Errorf("prompt %s: %w", p.Prompt.Name, err)
	}
	return text, nil
}

// written validates the arguments and puts the prompt's fragments together.
func (p Prompt) written(in map[string]string, available func(string) bool) (*writer, error) {
	v, err := p.parse(in)
	if err != nil {
		return nil, err
	}
	declared := p.Tools()
	has := func(tool string) bool { return slices.Contains(declared, tool) && available(tool) }
	if p.prepare != nil {
		if err := p.prepare(v, has); err != nil {
			return nil, invalid(p.Prompt.Name, "%v", err)
		}
	}
	w := newWriter(p.Prompt.Name, declared, available)
	p.write(w, v)
	return w, nil
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
// It returns the names of the prompts it added.
func Register(s *mcp.Server, available func(tool string) bool) []string {
	var names []string
	for _, p := range All() {
		if p.Available(available) {
			s.AddPrompt(p.Prompt, p.Handler(available))
			names = append(names, p.Prompt.Name)
		}
	}
	return names
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
		write: writeCompletePaymentFlow,
	}
}

func writeCompletePaymentFlow(w *writer, v values) {
	amount, currency := v.str("amount"), v.str("currency")
	id, email, pm := v.str("customerId"), v.str("customerEmail"), v.str("paymentMethodId")
	description, capture := v.str("description"), v.str("capture")
	w.fields = fields{
		"amount": amount, "currency": currency, "display": w.display(amount, currency),
		"customerId": id, "cid": quote(id), "cus": quote(id), "email": quote(email),
		"paymentMethodId": pm, "pm": quote(pm),
		"description": quote(description), "capture": capture,
	}
	w.put("intro", parts{"intro.description": description != ""})

	switch {
	case id != "" && w.has("stripe_get_customer"):
		w.step("customer-id.get", parts{"customer-id.email": email != ""})
	case id != "":
		w.step("customer-id", nil)
	case email != "" && w.has("stripe_list_customers"):
		w.step("customer-email.list", parts{"customer-email.create": w.has("stripe_create_customer")})
	case email != "": // prepare made sure stripe_create_customer is there
		w.step("customer-email", nil)
	default:
		w.step("customer-ask", parts{"customer-ask.list": w.has("stripe_list_customers")})
	}

	switch attach := w.has("stripe_attach_payment_method"); {
	case pm != "":
		w.step("pm-given", parts{"pm-given.attach": attach})
	case id != "" && w.has("stripe_list_payment_methods"):
		w.step("pm-ask.customer-list", parts{"pm-ask.attach": attach})
	case w.has("stripe_list_payment_methods"):
		w.step("pm-ask.list", parts{"pm-ask.attach": attach})
	default:
		w.step("pm-ask", parts{"pm-ask.attach": attach})
	}

	w.step("confirm", parts{"confirm.description": description != "", "confirm.authorize-only": capture == "false"})
	w.step("create", parts{"create.description": description != "", "create.capture": capture != ""})
	canCapture := w.has("stripe_capture_payment")
	w.step("pay", parts{"pay.capture-next": canCapture, "pay.cannot-capture": !canCapture, "pay.get": w.has("stripe_get_payment")})
	if canCapture {
		w.step("capture", parts{"capture.cancel": w.has("stripe_cancel_payment")})
	}
	w.step("outcome", nil)
	w.rules("confirm", "idempotency", "guardrails", "cards", "data")
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
		write: writeSubscriptionOnboarding,
	}
}

func writeSubscriptionOnboarding(w *writer, v values) {
	id, email, pm := v.str("customerId"), v.str("customerEmail"), v.str("paymentMethodId")
	trial, quantity := v.str("trialDays") != "", v.str("quantity") != ""
	w.fields = fields{
		"priceId": v.str("priceId"), "customerId": id, "cid": quote(id), "email": quote(email),
		"paymentMethodId": pm, "trialDays": v.str("trialDays"), "quantity": v.str("quantity"),
	}
	w.put("intro", parts{"intro.quantity": quantity, "intro.trial": trial})

	switch {
	case id != "" && w.has("stripe_get_customer"):
		w.step("customer-id.get", parts{"customer-id.email": email != ""})
	case id != "":
		w.step("customer-id", nil)
	default: // prepare made sure stripe_list_customers or stripe_create_customer is there
		list := w.has("stripe_list_customers")
		w.step("customer-find", parts{
			"customer-find.email": email != "", "customer-find.ask": email == "",
			"customer-find.list":        list,
			"customer-find.list.create": list && w.has("stripe_create_customer"),
			"customer-find.create":      !list,
		})
	}

	if w.has("stripe_list_prices") {
		w.step("price", nil)
	}

	method := parts{"pm.trial": trial, "pm.no-trial": !trial, "pm.given": pm != ""}
	if pm == "" { // else prepare made sure stripe_attach_payment_method is there
		attach := w.has("stripe_attach_payment_method")
		method["pm.list"] = w.has("stripe_list_payment_methods")
		method["pm.attach"] = attach
		method["pm.cannot-attach"] = !attach
		method["pm.cannot-attach.unpaid"] = !attach && !trial
	}
	w.step("pm", method)

	w.step("confirm", parts{"confirm.quantity": quantity, "confirm.trial": trial})
	w.step("create", parts{"create.quantity": quantity, "create.trial": trial})
	w.step("check", parts{"check.trialing": trial, "check.active": !trial, "check.get": w.has("stripe_get_subscription")})
	w.step("outcome", parts{"outcome.trial": trial})
	w.rules("confirm", "idempotency", "guardrails", "cards", "data")
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
		write:    writeRefundPayment,
	}
}

func writeRefundPayment(w *writer, v values) {
	id, amount, reason := v.str("paymentIntentId"), v.str("amount"), v.str("reason")
	w.fields = fields{"paymentIntentId": id, "pi": quote(id), "amount": amount, "reason": reason}
	if amount != "" {
		// The payment's currency is not known here: usd shows the form.
		w.fields["amount-in-usd"] = w.display(amount, "usd")
	}
	w.put("intro", parts{"intro.amount": amount != "", "intro.full": amount == "", "intro.reason": reason != ""})
	if w.has("stripe_get_payment") {
		w.step("payment", nil)
	}
	if w.has("stripe_list_refunds") {
		w.step("refunds", nil)
	}
	if reason != "" {
		w.step("reason", nil)
	} else {
		w.step("reason.ask", nil)
	}
	w.step("confirm", parts{"confirm.amount": amount != "", "confirm.full": amount == ""})
	w.step("create", parts{"create.amount": amount != "", "create.reason": reason != "", "create.ask-reason": reason == ""})
	w.step("outcome", nil)
	w.rules("confirm", "idempotency", "guardrails", "data")
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
		write: writeInvestigateFailedPayment,
	}
}

func writeInvestigateFailedPayment(w *writer, v values) {
	pi, id := v.str("paymentIntentId"), v.str("customerId")
	w.fields = fields{"paymentIntentId": pi, "pi": quote(pi), "customerId": id, "cid": quote(id)}
	w.put("intro", parts{"intro.payment": pi != "", "intro.customer": pi == "" && id != "", "intro.recent": pi == "" && id == ""})
	switch {
	case pi != "":
	case id != "": // prepare made sure stripe_list_payments is there
		w.step("list.customer", nil)
	default:
		w.step("list", nil)
	}
	w.step("payment", nil)
	if w.has("stripe_analyze_payment_failure") {
		w.step("analyze", nil)
	}
	if w.has("stripe_list_events") {
		w.step("events", nil)
	}
	if get, methods := w.has("stripe_get_customer"), w.has("stripe_list_payment_methods"); get || methods {
		w.step("customer", parts{"customer.get": get && !methods, "customer.methods": methods && !get, "customer.both": get && methods})
	}
	w.step("advise", nil)
	w.rules("data")
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
		write:    writeRevenueReport,
	}
}

func writeRevenueReport(w *writer, v values) {
	currency, win := v.str("currency"), v["window"].(window)
	example := currency
	if example == "" {
		example = "usd"
	}
	w.fields = fields{
		"period": v.str("period"), "from": win.FromText(), "to": win.ToText(),
		"gte": strconv.FormatInt(win.Gte(), 10), "lt": strconv.FormatInt(win.Lt(), 10),
		"currency": currency,
		// The example of the report fragment: 250000 in the smallest unit.
		"example-currency": example, "example-display": money.Format(250000, example),
	}
	w.put("intro", parts{"intro.currency": currency != ""})
	if w.has("stripe_revenue_summary") {
		w.step("summary", parts{"summary.currency": currency != ""})
	} else {
		w.step("transactions", parts{"transactions.currency": currency != ""})
	}
	if w.has("stripe_get_balance") {
		w.step("balance", nil)
	}
	if w.has("stripe_subscription_metrics") {
		w.step("metrics", nil)
	}
	w.step("report", nil)
	w.rules("data")
}
