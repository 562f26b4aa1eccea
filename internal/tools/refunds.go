package tools

import (
	"github.com/google/jsonschema-go/jsonschema"
	"github.com/stripe/stripe-go/v85"
)

type createRefundIn struct {
	PaymentIntentID string   `json:"paymentIntentId,omitempty" jsonschema:"pi_… (or chargeId)"`
	ChargeID        string   `json:"chargeId,omitempty" jsonschema:"ch_…"`
	Amount          int64    `json:"amount,omitempty" jsonschema:"smallest currency unit; default: all that is left"`
	Reason          string   `json:"reason,omitempty"`
	Metadata        metadata `json:"metadata,omitempty"`
	write
	confirmable
}

func (in *createRefundIn) validate(*Deps) error {
	if (in.PaymentIntentID == "") == (in.ChargeID == "") {
		return badInput("give exactly one of paymentIntentId and chargeId")
	}
	return firstError(
		checkID("paymentIntentId", in.PaymentIntentID, "pi_"),
		checkID("chargeId", in.ChargeID, "ch_", "py_"),
		checkMetadata(in.Metadata),
	)
}

type listRefundsIn struct {
	PaymentIntentID string `json:"paymentIntentId,omitempty" jsonschema:"pi_…"`
	ChargeID        string `json:"chargeId,omitempty" jsonschema:"ch_…"`
	page
	output
}

func (in *listRefundsIn) validate(*Deps) error {
	return firstError(
		checkID("paymentIntentId", in.PaymentIntentID, "pi_"),
		checkID("chargeId", in.ChargeID, "ch_", "py_"),
		checkID("startingAfter", in.StartingAfter, "re_", "pyr_"),
		checkID("endingBefore", in.EndingBefore, "re_", "pyr_"),
	)
}

func refundTools() []Definition {
	return []Definition{
		&tool[createRefundIn]{
			Meta: Meta{
				Name: "stripe_create_refund", Toolset: "refunds", Title: "Refund payment",
				Description: "Refund a payment in full or in part. Money goes back to the customer; it cannot be undone.",
				Destructive: true,
			},
			schema: func(s *jsonschema.Schema) {
				amountSchema(s, "amount")
				enum(s, "reason", "duplicate", "fraudulent", "requested_by_customer")
			},
			run:   createRefund,
			money: moneyCreateRefund,
		},
		&tool[listRefundsIn]{
			Meta: Meta{
				Name: "stripe_list_refunds", Toolset: "refunds", Title: "List refunds",
				Description: "List refunds, newest first, optionally of one payment.",
				ReadOnly:    true,
			},
			schema: pageSchema,
			run:    listRefunds,
		},
	}
}

func createRefund(c *call, in *createRefundIn) (any, error) {
	p := &stripe.RefundCreateParams{Metadata: in.Metadata}
	p.IdempotencyKey = c.nextKey()
	setString(&p.PaymentIntent, in.PaymentIntentID)
	setString(&p.Charge, in.ChargeID)
	setString(&p.Reason, in.Reason)
	if in.Amount > 0 {
		p.Amount = stripe.Int64(in.Amount)
	}
	r, err := c.d.Stripe.V1Refunds.Create(c, p)
	if err != nil {
		return nil, stripeErr(err)
	}
	return c.object(viewRefund(r), r.LastResponse), nil
}

func listRefunds(c *call, in *listRefundsIn) (any, error) {
	p := &stripe.RefundListParams{}
	p.Limit = stripe.Int64(in.limit())
	setString(&p.PaymentIntent, in.PaymentIntentID)
	setString(&p.Charge, in.ChargeID)
	setString(&p.StartingAfter, in.StartingAfter)
	setString(&p.EndingBefore, in.EndingBefore)
	return listPage(c, c.d.Stripe.V1Refunds.List(c, p), viewRefund, func(r *stripe.Refund) string { return r.ID })
}

type refundView struct {
	ID            string            `json:"id"`
	Status        string            `json:"status"`
	Amount        int64             `json:"amount"`
	Currency      string            `json:"currency"`
	AmountDisplay string            `json:"amountDisplay"`
	PaymentIntent string            `json:"paymentIntentId,omitempty"`
	Charge        string            `json:"chargeId,omitempty"`
	Reason        string            `json:"reason,omitempty"`
	FailureReason string            `json:"failureReason,omitempty"`
	Created       string            `json:"created,omitempty"`
	Metadata      map[string]string `json:"metadata,omitempty"`
}

func viewRefund(r *stripe.Refund) *refundView {
	v := &refundView{
		ID:            r.ID,
		Status:        string(r.Status),
		Amount:        r.Amount,
		Currency:      string(r.Currency),
		AmountDisplay: display(r.Amount, r.Currency),
		Reason:        string(r.Reason),
		FailureReason: string(r.FailureReason),
		Created:       timestamp(r.Created),
		Metadata:      nonEmpty(r.Metadata),
	}
	if r.PaymentIntent != nil {
		v.PaymentIntent = r.PaymentIntent.ID
	}
	if r.Charge != nil {
		v.Charge = r.Charge.ID
	}
	return v
}
