package tools

import (
	"fmt"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/stripe/stripe-go/v85"
)

type createPaymentIn struct {
	Amount              int64    `json:"amount" jsonschema:"integer in the smallest currency unit: 2500 usd = $25.00, 500 jpy = ¥500"`
	Currency            string   `json:"currency,omitempty" jsonschema:"e.g. usd (the default)"`
	CustomerID          string   `json:"customerId,omitempty" jsonschema:"cus_…"`
	PaymentMethodID     string   `json:"paymentMethodId,omitempty" jsonschema:"pm_…"`
	Description         string   `json:"description,omitempty"`
	Metadata            metadata `json:"metadata,omitempty"`
	ReceiptEmail        string   `json:"receiptEmail,omitempty"`
	StatementDescriptor string   `json:"statementDescriptor,omitempty" jsonschema:"card statement suffix"`
	Capture             *bool    `json:"capture,omitempty" jsonschema:"false: authorize only, capture later"`
	ReturnURL           string   `json:"returnUrl,omitempty" jsonschema:"enables redirect methods; pass again to confirm"`
	write
}

func (in *createPaymentIn) validate(d *Deps) error {
	return firstError(
		checkCurrency("currency", &in.Currency, d.Currency),
		checkAmount("amount", in.Amount, in.Currency),
		checkID("customerId", in.CustomerID, "cus_"),
		checkID("paymentMethodId", in.PaymentMethodID, "pm_", "card_", "src_"),
		checkMetadata(in.Metadata),
		checkEmail("receiptEmail", in.ReceiptEmail),
		checkDescriptor("statementDescriptor", in.StatementDescriptor),
		checkURL("returnUrl", in.ReturnURL),
	)
}

type paymentIntentIn struct {
	PaymentIntentID string `json:"paymentIntentId" jsonschema:"pi_…"`
}

func (in *paymentIntentIn) validate(*Deps) error {
	return checkID("paymentIntentId", in.PaymentIntentID, "pi_")
}

type confirmPaymentIn struct {
	paymentIntentIn
	PaymentMethodID string `json:"paymentMethodId,omitempty" jsonschema:"pm_…"`
	ReturnURL       string `json:"returnUrl,omitempty" jsonschema:"where the customer returns after 3D Secure"`
	write
	confirmable
}

func (in *confirmPaymentIn) validate(d *Deps) error {
	return firstError(
		in.paymentIntentIn.validate(d),
		checkID("paymentMethodId", in.PaymentMethodID, "pm_", "card_", "src_"),
		checkURL("returnUrl", in.ReturnURL),
	)
}

type capturePaymentIn struct {
	paymentIntentIn
	AmountToCapture int64 `json:"amountToCapture,omitempty" jsonschema:"smallest currency unit; default: all authorized"`
	write
	confirmable
}

type cancelPaymentIn struct {
	paymentIntentIn
	CancellationReason string `json:"cancellationReason,omitempty"`
	write
	confirmable
}

type getPaymentIn struct {
	paymentIntentIn
	output
}

type createdRange struct {
	Gt  int64 `json:"gt,omitempty"`
	Gte int64 `json:"gte,omitempty"`
	Lt  int64 `json:"lt,omitempty"`
	Lte int64 `json:"lte,omitempty"`
}

type listPaymentsIn struct {
	CustomerID string        `json:"customerId,omitempty" jsonschema:"cus_…"`
	Status     string        `json:"status,omitempty" jsonschema:"pending: not succeeded or canceled"`
	Created    *createdRange `json:"created,omitempty" jsonschema:"unix-seconds bounds"`
	page
	output
}

func (in *listPaymentsIn) validate(*Deps) error {
	return firstError(
		checkID("customerId", in.CustomerID, "cus_"),
		checkID("startingAfter", in.StartingAfter, "pi_"),
		checkID("endingBefore", in.EndingBefore, "pi_"),
	)
}

var paymentStatuses = []string{"succeeded", "pending", "canceled", "requires_payment_method", "requires_confirmation", "requires_action", "processing", "requires_capture"}

func paymentTools() []Definition {
	return []Definition{
		&tool[createPaymentIn]{
			Meta: Meta{
				Name: "stripe_create_payment", Toolset: "payments", Title: "Create payment",
				Description: "Create a PaymentIntent. Nothing is charged until stripe_confirm_payment.",
			},
			schema: func(s *jsonschema.Schema) {
				amountSchema(s, "amount")
				prop(s, "statementDescriptor").MaxLength = ptr(22)
			},
			run:   createPayment,
			money: moneyCreatePayment,
		},
		&tool[confirmPaymentIn]{
			Meta: Meta{
				Name: "stripe_confirm_payment", Toolset: "payments", Title: "Confirm payment",
				Description: "Charge (or, with manual capture, authorize) a PaymentIntent. requires_action: the customer must authenticate at nextAction.redirectUrl.",
				Destructive: true,
			},
			run:   confirmPayment,
			money: moneyConfirmPayment,
		},
		&tool[capturePaymentIn]{
			Meta: Meta{
				Name: "stripe_capture_payment", Toolset: "payments", Title: "Capture payment",
				Description: "Capture an authorized PaymentIntent (status requires_capture), in full or amountToCapture.",
				Destructive: true, Idempotent: true,
			},
			schema: func(s *jsonschema.Schema) {
				amountSchema(s, "amountToCapture")
			},
			run:   capturePayment,
			money: moneyCapturePayment,
		},
		&tool[cancelPaymentIn]{
			Meta: Meta{
				Name: "stripe_cancel_payment", Toolset: "payments", Title: "Cancel payment",
				Description: "Cancel an unsucceeded PaymentIntent, releasing any authorization.",
				Destructive: true, Idempotent: true,
			},
			schema: func(s *jsonschema.Schema) {
				enum(s, "cancellationReason", "duplicate", "fraudulent", "requested_by_customer", "abandoned")
			},
			run:   cancelPayment,
			money: moneyCancelPayment,
		},
		&tool[getPaymentIn]{
			Meta: Meta{
				Name: "stripe_get_payment", Toolset: "payments", Title: "Get payment",
				Description: "Get a PaymentIntent, with any failure analysed.",
				ReadOnly:    true,
			},
			run: getPayment,
		},
		&tool[listPaymentsIn]{
			Meta: Meta{
				Name: "stripe_list_payments", Toolset: "payments", Title: "List payments",
				Description: "List PaymentIntents, newest first.",
				ReadOnly:    true,
			},
			schema: func(s *jsonschema.Schema) {
				pageSchema(s)
				enum(s, "status", paymentStatuses...)
			},
			run: listPayments,
		},
	}
}

func createPayment(c *call, in *createPaymentIn) (any, error) {
	p := &stripe.PaymentIntentCreateParams{
		Amount:   stripe.Int64(in.Amount),
		Currency: stripe.String(in.Currency),
		Metadata: in.Metadata,
	}
	p.IdempotencyKey = c.nextKey()
	capture := c.d.AutoCapture
	if in.Capture != nil {
		capture = *in.Capture
	}
	if !capture {
		p.CaptureMethod = stripe.String(string(stripe.PaymentIntentCaptureMethodManual))
	}
	// Without a return URL a redirect-based method could leave the payment
	// waiting on a page nobody will open.
	p.AutomaticPaymentMethods = &stripe.PaymentIntentCreateAutomaticPaymentMethodsParams{Enabled: stripe.Bool(true)}
	if in.ReturnURL == "" {
		p.AutomaticPaymentMethods.AllowRedirects = stripe.String("never")
	}
	setString(&p.Customer, in.CustomerID)
	setString(&p.PaymentMethod, in.PaymentMethodID)
	setString(&p.Description, in.Description)
	setString(&p.ReceiptEmail, in.ReceiptEmail)
	setString(&p.StatementDescriptorSuffix, in.StatementDescriptor)
	pi, err := c.d.Stripe.V1PaymentIntents.Create(c, p)
	if err != nil {
		return nil, stripeErr(err)
	}
	return c.object(viewPaymentIntent(pi), pi.LastResponse), nil
}

func confirmPayment(c *call, in *confirmPaymentIn) (any, error) {
	p := &stripe.PaymentIntentConfirmParams{}
	p.IdempotencyKey = c.nextKey()
	setString(&p.PaymentMethod, in.PaymentMethodID)
	setString(&p.ReturnURL, in.ReturnURL)
	pi, err := c.d.Stripe.V1PaymentIntents.Confirm(c, in.PaymentIntentID, p)
	if err != nil {
		return nil, stripeErr(err)
	}
	return c.object(viewPaymentIntent(pi), pi.LastResponse), nil
}

func capturePayment(c *call, in *capturePaymentIn) (any, error) {
	p := &stripe.PaymentIntentCaptureParams{}
	p.IdempotencyKey = c.nextKey()
	if in.AmountToCapture > 0 {
		p.AmountToCapture = stripe.Int64(in.AmountToCapture)
	}
	pi, err := c.d.Stripe.V1PaymentIntents.Capture(c, in.PaymentIntentID, p)
	if err != nil {
		return nil, stripeErr(err)
	}
	return c.object(viewPaymentIntent(pi), pi.LastResponse), nil
}

func cancelPayment(c *call, in *cancelPaymentIn) (any, error) {
	p := &stripe.PaymentIntentCancelParams{}
	p.IdempotencyKey = c.nextKey()
	setString(&p.CancellationReason, in.CancellationReason)
	pi, err := c.d.Stripe.V1PaymentIntents.Cancel(c, in.PaymentIntentID, p)
	if err != nil {
		return nil, stripeErr(err)
	}
	return c.object(viewPaymentIntent(pi), pi.LastResponse), nil
}

func getPayment(c *call, in *getPaymentIn) (any, error) {
	pi, err := c.d.Stripe.V1PaymentIntents.Retrieve(c, in.PaymentIntentID, nil)
	if err != nil {
		return nil, stripeErr(err)
	}
	return c.object(viewPaymentIntent(pi), pi.LastResponse), nil
}

// maxStatusScan bounds how many payment intents a status filter reads: the
// API has no status filter, so it is applied while paging.
const maxStatusScan = 1000

func listPayments(c *call, in *listPaymentsIn) (any, error) {
	p := &stripe.PaymentIntentListParams{}
	setString(&p.Customer, in.CustomerID)
	if r := in.Created; r != nil {
		p.CreatedRange = &stripe.RangeQueryParams{GreaterThan: r.Gt, GreaterThanOrEqual: r.Gte, LesserThan: r.Lt, LesserThanOrEqual: r.Lte}
	}
	setString(&p.StartingAfter, in.StartingAfter)
	setString(&p.EndingBefore, in.EndingBefore)
	if in.Status == "" {
		p.Limit = stripe.Int64(in.limit())
		return listPage(c, c.d.Stripe.V1PaymentIntents.List(c, p), viewPaymentIntent, func(pi *stripe.PaymentIntent) string { return pi.ID })
	}
	if in.EndingBefore != "" {
		return nil, badInput("status cannot be combined with endingBefore; page forward with startingAfter")
	}
	// Scan pages of 100 until limit matches or the scan budget is spent.
	p.Limit = stripe.Int64(100)
	want := int(in.limit())
	var (
		matches []*paymentIntentView
		raws    []any
		scanned int
		last    string
		more    bool
	)
	for pi, err := range c.d.Stripe.V1PaymentIntents.List(c, p).All(c) {
		if err != nil {
			return nil, stripeErr(err)
		}
		if scanned >= maxStatusScan || len(matches) >= want {
			more = true
			break
		}
		scanned++
		last = pi.ID
		if scanned%100 == 0 {
			c.progress(float64(scanned), maxStatusScan, fmt.Sprintf("scanned %d payments, %d match", scanned, len(matches)))
		}
		if statusMatches(string(pi.Status), in.Status) {
			matches = append(matches, viewPaymentIntent(pi))
			if c.full && pi.LastResponse != nil {
				raws = append(raws, rawJSON(pi.LastResponse.RawJSON))
			}
		}
	}
	note := ""
	if more && scanned >= maxStatusScan {
		note = fmt.Sprintf("stopped after scanning %d payments; pass nextCursor as startingAfter to scan further", scanned)
	}
	if c.full {
		l := newList(raws, more, last)
		l.Scanned, l.Note = scanned, note
		return l, nil
	}
	l := newList(matches, more, last)
	l.Scanned, l.Note = scanned, note
	return l, nil
}

func statusMatches(status, want string) bool {
	switch want {
	case "pending":
		return status != "succeeded" && status != "canceled"
	default:
		return status == want
	}
}

func setString(dst **string, v string) {
	if v != "" {
		*dst = stripe.String(v)
	}
}
