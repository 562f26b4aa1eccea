package tools

import (
	"github.com/stripe/stripe-go/v85"

	"github.com/stripe-mcp/stripe-mcp/internal/stripeapi"
)

type attachPaymentMethodIn struct {
	PaymentMethodID string `json:"paymentMethodId" jsonschema:"pm_…"`
	CustomerID      string `json:"customerId" jsonschema:"cus_…"`
	SetAsDefault    bool   `json:"setAsDefault,omitempty" jsonschema:"also the default for invoices and subscriptions"`
	write
}

func (in *attachPaymentMethodIn) validate(*Deps) error {
	// setAsDefault makes a second request, whose key is this one with "-2"
	// added; Stripe's limit of 255 characters applies to that key too.
	if n := len(in.IdempotencyKey); in.SetAsDefault && n > 253 {
		return badInput("idempotencyKey is %d characters; with setAsDefault at most 253 are allowed, as the second request's key adds \"-2\"", n)
	}
	return firstError(checkID("paymentMethodId", in.PaymentMethodID, "pm_"), checkID("customerId", in.CustomerID, "cus_"))
}

type listPaymentMethodsIn struct {
	customerIn
	Type string `json:"type,omitempty" jsonschema:"e.g. card; default all types"`
	page
	output
}

func (in *listPaymentMethodsIn) validate(d *Deps) error {
	return firstError(in.customerIn.validate(d), checkID("startingAfter", in.StartingAfter, "pm_", "card_", "src_"), checkID("endingBefore", in.EndingBefore, "pm_", "card_", "src_"))
}

type detachPaymentMethodIn struct {
	PaymentMethodID string `json:"paymentMethodId" jsonschema:"pm_…"`
	write
	confirmable
}

func (in *detachPaymentMethodIn) validate(*Deps) error {
	return checkID("paymentMethodId", in.PaymentMethodID, "pm_")
}

func paymentMethodTools() []Definition {
	return []Definition{
		&tool[attachPaymentMethodIn]{
			Meta: Meta{
				Name: "stripe_attach_payment_method", Toolset: "payment_methods", Title: "Attach payment method",
				Description: "Attach a payment method to a customer.",
				Idempotent:  true,
			},
			run:   attachPaymentMethod,
			money: moneyAttachPaymentMethod,
		},
		&tool[listPaymentMethodsIn]{
			Meta: Meta{
				Name: "stripe_list_payment_methods", Toolset: "payment_methods", Title: "List payment methods",
				Description: "List a customer's payment methods; isDefault marks the default.",
				ReadOnly:    true,
			},
			schema: pageSchema,
			run:    listPaymentMethods,
		},
		&tool[detachPaymentMethodIn]{
			Meta: Meta{
				Name: "stripe_detach_payment_method", Toolset: "payment_methods", Title: "Detach payment method",
				Description: "Detach a payment method from its customer. It cannot be used again.",
				Destructive: true, Idempotent: true,
			},
			run:   detachPaymentMethod,
			money: moneyDetachPaymentMethod,
		},
	}
}

func attachPaymentMethod(c *call, in *attachPaymentMethodIn) (any, error) {
	p := &stripe.PaymentMethodAttachParams{Customer: stripe.String(in.CustomerID)}
	p.IdempotencyKey = c.nextKey()
	pm, err := c.d.Stripe.V1PaymentMethods.Attach(c, in.PaymentMethodID, p)
	if err != nil {
		return nil, stripeErr(err)
	}
	v := viewPaymentMethod(pm)
	if in.SetAsDefault {
		up := &stripe.CustomerUpdateParams{
			InvoiceSettings: &stripe.CustomerUpdateInvoiceSettingsParams{DefaultPaymentMethod: stripe.String(pm.ID)},
		}
		up.IdempotencyKey = c.nextKey()
		if _, err := c.d.Stripe.V1Customers.Update(c, in.CustomerID, up); err != nil {
			f := stripeapi.Describe(err)
			f.Message = "the payment method was attached, but making it the default failed: " + f.Message
			return nil, f
		}
		v.IsDefault = true
	}
	return c.object(v, pm.LastResponse), nil
}

func listPaymentMethods(c *call, in *listPaymentMethodsIn) (any, error) {
	p := &stripe.CustomerListPaymentMethodsParams{Customer: stripe.String(in.CustomerID)}
	p.Limit = stripe.Int64(in.limit())
	setString(&p.Type, in.Type)
	setString(&p.StartingAfter, in.StartingAfter)
	setString(&p.EndingBefore, in.EndingBefore)
	l := c.d.Stripe.V1Customers.ListPaymentMethods(c, p)
	if err := l.Err(); err != nil {
		return nil, stripeErr(err)
	}
	if c.full {
		return rawList(l.LastResponse()), nil
	}
	// The default lives on the customer.
	var def string
	if cus, err := c.d.Stripe.V1Customers.Retrieve(c, in.CustomerID, nil); err == nil && cus.InvoiceSettings != nil && cus.InvoiceSettings.DefaultPaymentMethod != nil {
		def = cus.InvoiceSettings.DefaultPaymentMethod.ID
	}
	data := l.Data()
	views := make([]*paymentMethodView, len(data))
	for i, pm := range data {
		views[i] = viewPaymentMethod(pm)
		views[i].IsDefault = def != "" && pm.ID == def
	}
	return newList(views, l.Meta().HasMore, cursor(data, func(pm *stripe.PaymentMethod) string { return pm.ID })), nil
}

func detachPaymentMethod(c *call, in *detachPaymentMethodIn) (any, error) {
	p := &stripe.PaymentMethodDetachParams{}
	p.IdempotencyKey = c.nextKey()
	pm, err := c.d.Stripe.V1PaymentMethods.Detach(c, in.PaymentMethodID, p)
	if err != nil {
		return nil, stripeErr(err)
	}
	return c.object(viewPaymentMethod(pm), pm.LastResponse), nil
}
