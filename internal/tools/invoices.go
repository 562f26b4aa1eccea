package tools

import (
	"errors"
	"fmt"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/stripe/stripe-go/v85"

	"github.com/stripe-mcp/stripe-mcp/internal/money"
	"github.com/stripe-mcp/stripe-mcp/internal/stripeapi"
)

const (
	chargeAutomatically = string(stripe.InvoiceCollectionMethodChargeAutomatically)
	sendInvoice         = string(stripe.InvoiceCollectionMethodSendInvoice)
)

type createInvoiceIn struct {
	CustomerID       string   `json:"customerId" jsonschema:"cus_…"`
	CollectionMethod string   `json:"collectionMethod,omitempty" jsonschema:"default charge_automatically"`
	DaysUntilDue     int64    `json:"daysUntilDue,omitempty" jsonschema:"send_invoice only (required)"`
	Description      string   `json:"description,omitempty"`
	Metadata         metadata `json:"metadata,omitempty"`
	AutoAdvance      *bool    `json:"autoAdvance,omitempty" jsonschema:"auto-finalize and collect"`
	// Stripe leaves the customer's pending items off a new invoice unless
	// asked: without this an item made without invoiceId could not be
	// billed by these tools.
	PendingInvoiceItemsBehavior string `json:"pendingInvoiceItemsBehavior,omitempty" jsonschema:"include: bill pending items"`
	write
}

func (in *createInvoiceIn) validate(d *Deps) error {
	if err := firstError(checkID("customerId", in.CustomerID, "cus_"), checkMetadata(in.Metadata)); err != nil {
		return err
	}
	// The default is spelt out so that an omitted and an explicit
	// charge_automatically are the same call.
	if in.CollectionMethod == "" {
		in.CollectionMethod = chargeAutomatically
	}
	if in.CollectionMethod == chargeAutomatically && d.Policy.Active() {
		// Stripe finalizes an auto-advancing draft about an hour after it
		// is created and charges whatever items it holds then, with no
		// further call through this server: the amount limits and the
		// confirmation could never apply. Finalizing is the step that
		// charges, and stripe_finalize_invoice checks it.
		if in.AutoAdvance != nil && *in.AutoAdvance {
			return badInput("autoAdvance would let Stripe finalize and charge this invoice about an hour from now with no further call through this server, so the amount limits and confirmation set for this server could not apply: create the draft without autoAdvance, add its items, then call stripe_finalize_invoice, which checks the amount, asks for approval when required, and charges")
		}
		in.AutoAdvance = ptr(false)
	}
	switch {
	case in.CollectionMethod == sendInvoice && in.DaysUntilDue == 0:
		return badInput("collectionMethod send_invoice needs daysUntilDue: the days the customer has to pay")
	case in.CollectionMethod != sendInvoice && in.DaysUntilDue != 0:
		return badInput("daysUntilDue applies only to collectionMethod send_invoice; a charge_automatically invoice is charged when it is finalized")
	}
	return nil
}

type createInvoiceItemIn struct {
	CustomerID  string `json:"customerId" jsonschema:"cus_…"`
	PriceID     string `json:"priceId,omitempty" jsonschema:"one-time price_… (or amount)"`
	Quantity    int64  `json:"quantity,omitempty" jsonschema:"with priceId"`
	Amount      int64  `json:"amount,omitempty" jsonschema:"total, smallest currency unit"`
	Currency    string `json:"currency,omitempty" jsonschema:"with amount"`
	InvoiceID   string `json:"invoiceId,omitempty" jsonschema:"draft in_…; default: next invoice"`
	Description string `json:"description,omitempty"`
	write
}

func (in *createInvoiceItemIn) validate(*Deps) error {
	if err := firstError(
		checkID("customerId", in.CustomerID, "cus_"),
		checkID("priceId", in.PriceID, "price_", "plan_"),
		checkID("invoiceId", in.InvoiceID, "in_"),
	); err != nil {
		return err
	}
	switch {
	case (in.PriceID == "") == (in.Amount == 0):
		return badInput("give either priceId (with quantity) or amount with currency")
	case in.PriceID != "" && in.Currency != "":
		return badInput("currency comes from the price; give it only with amount")
	case in.Amount != 0 && in.Quantity != 0:
		// Stripe's amount is the item's total; a quantity would be a
		// second, contradicting way of saying it.
		return badInput("quantity goes with priceId; amount is the item's total")
	case in.Amount != 0 && in.Currency == "":
		// No default currency here: the item must match the currency of
		// the customer's invoices, which a default could silently miss.
		return badInput("amount needs its currency, e.g. usd (it must match the customer's invoices)")
	case in.Amount != 0:
		if err := checkCurrency("currency", &in.Currency, ""); err != nil {
			return err
		}
		return checkAmount("amount", in.Amount, in.Currency)
	}
	return nil
}

type invoiceIn struct {
	InvoiceID string `json:"invoiceId" jsonschema:"in_…"`
}

func (in *invoiceIn) validate(*Deps) error { return checkID("invoiceId", in.InvoiceID, "in_") }

type finalizeInvoiceIn struct {
	invoiceIn
	AutoAdvance *bool `json:"autoAdvance,omitempty" jsonschema:"false: no automatic collection"`
	write
	confirmable
}

type listInvoicesIn struct {
	CustomerID     string `json:"customerId,omitempty" jsonschema:"cus_…"`
	Status         string `json:"status,omitempty" jsonschema:"default: all"`
	SubscriptionID string `json:"subscriptionId,omitempty" jsonschema:"sub_…"`
	page
	output
}

func (in *listInvoicesIn) validate(*Deps) error {
	return firstError(
		checkID("customerId", in.CustomerID, "cus_"),
		checkID("subscriptionId", in.SubscriptionID, "sub_"),
		checkID("startingAfter", in.StartingAfter, "in_"),
		checkID("endingBefore", in.EndingBefore, "in_"),
	)
}

func invoiceTools() []Definition {
	return []Definition{
		&tool[createInvoiceIn]{
			Meta: Meta{
				Name: "stripe_create_invoice", Toolset: "invoices", Title: "Create invoice",
				Description: "Create a draft invoice, then add items and finalize it.",
			},
			schema: func(s *jsonschema.Schema) {
				enum(s, "collectionMethod", chargeAutomatically, sendInvoice)
				prop(s, "daysUntilDue").Minimum = ptr(1.0)
				enum(s, "pendingInvoiceItemsBehavior", "exclude", "include")
			},
			run: createInvoice,
		},
		&tool[createInvoiceItemIn]{
			Meta: Meta{
				Name: "stripe_create_invoice_item", Toolset: "invoices", Title: "Create invoice item",
				Description: "Bill a customer a price × quantity or an amount, on a draft invoice or their next one.",
			},
			schema: func(s *jsonschema.Schema) {
				amountSchema(s, "amount")
				amountSchema(s, "quantity")
			},
			run:   createInvoiceItem,
			money: moneyCreateInvoiceItem,
		},
		&tool[finalizeInvoiceIn]{
			Meta: Meta{
				Name: "stripe_finalize_invoice", Toolset: "invoices", Title: "Finalize invoice",
				Description: "Finalize a draft invoice. charge_automatically: the customer is charged the amount due.",
				Destructive: true, Idempotent: true,
			},
			run:   finalizeInvoice,
			money: moneyFinalizeInvoice,
		},
		&tool[listInvoicesIn]{
			Meta: Meta{
				Name: "stripe_list_invoices", Toolset: "invoices", Title: "List invoices",
				Description: "List invoices, newest first.",
				ReadOnly:    true,
			},
			schema: func(s *jsonschema.Schema) {
				pageSchema(s)
				enum(s, "status", "draft", "open", "paid", "uncollectible", "void")
			},
			run: listInvoices,
		},
	}
}

func createInvoice(c *call, in *createInvoiceIn) (any, error) {
	p := &stripe.InvoiceCreateParams{
		Customer:         stripe.String(in.CustomerID),
		CollectionMethod: stripe.String(in.CollectionMethod),
		AutoAdvance:      in.AutoAdvance,
		Metadata:         in.Metadata,
	}
	p.IdempotencyKey = c.nextKey()
	if in.DaysUntilDue > 0 {
		p.DaysUntilDue = stripe.Int64(in.DaysUntilDue)
	}
	setString(&p.Description, in.Description)
	setString(&p.PendingInvoiceItemsBehavior, in.PendingInvoiceItemsBehavior)
	inv, err := c.d.Stripe.V1Invoices.Create(c, p)
	if err != nil {
		return nil, stripeErr(err)
	}
	return c.object(viewInvoice(inv), inv.LastResponse), nil
}

func createInvoiceItem(c *call, in *createInvoiceItemIn) (any, error) {
	p := &stripe.InvoiceItemCreateParams{Customer: stripe.String(in.CustomerID)}
	p.IdempotencyKey = c.nextKey()
	if in.PriceID != "" {
		// Since the dahlia versions an item names its price under pricing.
		p.Pricing = &stripe.InvoiceItemCreatePricingParams{Price: stripe.String(in.PriceID)}
		if in.Quantity > 0 {
			p.Quantity = stripe.Int64(in.Quantity)
		}
	} else {
		p.Amount = stripe.Int64(in.Amount)
		p.Currency = stripe.String(in.Currency)
	}
	setString(&p.Invoice, in.InvoiceID)
	setString(&p.Description, in.Description)
	ii, err := c.d.Stripe.V1InvoiceItems.Create(c, p)
	if err != nil {
		return nil, stripeErr(err)
	}
	return c.object(viewInvoiceItem(ii), ii.LastResponse), nil
}

func finalizeInvoice(c *call, in *finalizeInvoiceIn) (any, error) {
	p := &stripe.InvoiceFinalizeInvoiceParams{AutoAdvance: in.AutoAdvance}
	p.IdempotencyKey = c.nextKey()
	inv, err := c.d.Stripe.V1Invoices.FinalizeInvoice(c, in.InvoiceID, p)
	if err != nil {
		return nil, stripeErr(err)
	}
	// Finalizing collects nothing by itself (an invoice made through the
	// API does not auto-advance unless asked): a charge_automatically
	// invoice is charged now, as this tool says and its guardrails count.
	if inv.CollectionMethod == stripe.InvoiceCollectionMethodChargeAutomatically && inv.Status == stripe.InvoiceStatusOpen && inv.AmountRemaining > 0 {
		pp := &stripe.InvoicePayParams{}
		pp.IdempotencyKey = c.nextKey()
		paid, err := c.d.Stripe.V1Invoices.Pay(c, inv.ID, pp)
		if err != nil {
			err = stripeErr(err)
			var f *stripeapi.Failure
			if errors.As(err, &f) {
				f.Message = fmt.Sprintf("invoice %s was finalized (open, %s due) but charging it failed: %s", inv.ID, money.Format(inv.AmountRemaining, string(inv.Currency)), f.Message)
			}
			return nil, err
		}
		inv = paid
	}
	return c.object(viewInvoice(inv), inv.LastResponse), nil
}

func listInvoices(c *call, in *listInvoicesIn) (any, error) {
	p := &stripe.InvoiceListParams{}
	p.Limit = stripe.Int64(in.limit())
	setString(&p.Customer, in.CustomerID)
	setString(&p.Status, in.Status)
	setString(&p.Subscription, in.SubscriptionID)
	setString(&p.StartingAfter, in.StartingAfter)
	setString(&p.EndingBefore, in.EndingBefore)
	return listPage(c, c.d.Stripe.V1Invoices.List(c, p), viewInvoice, func(inv *stripe.Invoice) string { return inv.ID })
}

type invoiceView struct {
	ID                     string            `json:"id"`
	Number                 string            `json:"number,omitempty"`
	Status                 string            `json:"status"`
	Customer               string            `json:"customerId,omitempty"`
	CustomerEmail          string            `json:"customerEmail,omitempty"`
	Currency               string            `json:"currency"`
	AmountDue              int64             `json:"amountDue"`
	AmountDueDisplay       string            `json:"amountDueDisplay"`
	AmountPaid             int64             `json:"amountPaid"`
	AmountPaidDisplay      string            `json:"amountPaidDisplay"`
	AmountRemaining        int64             `json:"amountRemaining"`
	AmountRemainingDisplay string            `json:"amountRemainingDisplay"`
	CollectionMethod       string            `json:"collectionMethod,omitempty"`
	AutoAdvance            bool              `json:"autoAdvance"`
	DueDate                string            `json:"dueDate,omitempty"`
	HostedInvoiceURL       string            `json:"hostedInvoiceUrl,omitempty"`
	Subscription           string            `json:"subscriptionId,omitempty"`
	Description            string            `json:"description,omitempty"`
	Created                string            `json:"created,omitempty"`
	Metadata               map[string]string `json:"metadata,omitempty"`
}

func viewInvoice(inv *stripe.Invoice) *invoiceView {
	v := &invoiceView{
		ID:                     inv.ID,
		Number:                 inv.Number,
		Status:                 string(inv.Status),
		CustomerEmail:          inv.CustomerEmail,
		Currency:               string(inv.Currency),
		AmountDue:              inv.AmountDue,
		AmountDueDisplay:       display(inv.AmountDue, inv.Currency),
		AmountPaid:             inv.AmountPaid,
		AmountPaidDisplay:      display(inv.AmountPaid, inv.Currency),
		AmountRemaining:        inv.AmountRemaining,
		AmountRemainingDisplay: display(inv.AmountRemaining, inv.Currency),
		CollectionMethod:       string(inv.CollectionMethod),
		AutoAdvance:            inv.AutoAdvance,
		DueDate:                timestamp(inv.DueDate),
		HostedInvoiceURL:       inv.HostedInvoiceURL,
		Description:            inv.Description,
		Created:                timestamp(inv.Created),
		Metadata:               nonEmpty(inv.Metadata),
	}
	if inv.Customer != nil {
		v.Customer = inv.Customer.ID
	}
	// Since the dahlia versions an invoice names its subscription under
	// parent.subscription_details.
	if p := inv.Parent; p != nil && p.SubscriptionDetails != nil && p.SubscriptionDetails.Subscription != nil {
		v.Subscription = p.SubscriptionDetails.Subscription.ID
	}
	return v
}

type invoiceItemView struct {
	ID            string `json:"id"`
	Customer      string `json:"customerId,omitempty"`
	Amount        int64  `json:"amount"`
	Currency      string `json:"currency"`
	AmountDisplay string `json:"amountDisplay"`
	Quantity      int64  `json:"quantity,omitempty"`
	Price         string `json:"priceId,omitempty"`
	// Invoice is empty while the item waits for the customer's next
	// invoice.
	Invoice     string            `json:"invoiceId,omitempty"`
	Description string            `json:"description,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
}

func viewInvoiceItem(ii *stripe.InvoiceItem) *invoiceItemView {
	v := &invoiceItemView{
		ID:            ii.ID,
		Amount:        ii.Amount,
		Currency:      string(ii.Currency),
		AmountDisplay: display(ii.Amount, ii.Currency),
		Quantity:      ii.Quantity,
		Description:   ii.Description,
		Metadata:      nonEmpty(ii.Metadata),
	}
	if ii.Customer != nil {
		v.Customer = ii.Customer.ID
	}
	if ii.Invoice != nil {
		v.Invoice = ii.Invoice.ID
	}
	if p := ii.Pricing; p != nil && p.PriceDetails != nil && p.PriceDetails.Price != nil {
		v.Price = p.PriceDetails.Price.ID
	}
	return v
}
