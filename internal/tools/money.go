package tools

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/stripe/stripe-go/v85"

	"github.com/stripe-mcp/stripe-mcp/internal/guard"
	"github.com/stripe-mcp/stripe-mcp/internal/money"
)

// The amounts calls name or imply, for the guardrails (SPEC §5). Implied
// amounts are read from Stripe before anything is changed.

func moneyCreatePayment(c *call, in *createPaymentIn) (*guard.Movement, error) {
	m := &guard.Movement{Amount: in.Amount, Currency: in.Currency, Known: true, Capped: true}
	m.Summary = "Create a payment of " + m.Display() + forCustomer(in.CustomerID)
	return m, nil
}

// paymentIntent reads a payment intent for an implied amount.
func paymentIntent(c *call, id string) (*stripe.PaymentIntent, error) {
	pi, err := c.d.Stripe.V1PaymentIntents.Retrieve(c, id, nil)
	if err != nil {
		return nil, stripeErr(err)
	}
	return pi, nil
}

func moneyConfirmPayment(c *call, in *confirmPaymentIn) (*guard.Movement, error) {
	pi, err := paymentIntent(c, in.PaymentIntentID)
	if err != nil {
		return nil, err
	}
	m := &guard.Movement{Amount: pi.Amount, Currency: string(pi.Currency), Known: true, Capped: true}
	// A confirmation captures at once unless the payment is captured
	// manually later: only then does money move now.
	m.Moves = pi.CaptureMethod != stripe.PaymentIntentCaptureMethodManual
	verb := "Charge "
	if !m.Moves {
		verb = "Authorize (capture later) "
	}
	m.Summary = verb + m.Display() + " for payment " + pi.ID + forCustomerObj(pi.Customer)
	return m, nil
}

func moneyCapturePayment(c *call, in *capturePaymentIn) (*guard.Movement, error) {
	pi, err := paymentIntent(c, in.PaymentIntentID)
	if err != nil {
		return nil, err
	}
	amount := pi.AmountCapturable
	if in.AmountToCapture > 0 {
		amount = in.AmountToCapture
	}
	m := &guard.Movement{Amount: amount, Currency: string(pi.Currency), Known: true, Capped: true, Moves: true}
	m.Summary = "Capture " + m.Display() + " of payment " + pi.ID + forCustomerObj(pi.Customer)
	return m, nil
}

func moneyCancelPayment(c *call, in *cancelPaymentIn) (*guard.Movement, error) {
	pi, err := paymentIntent(c, in.PaymentIntentID)
	if err != nil {
		return nil, err
	}
	m := &guard.Movement{Amount: pi.Amount, Currency: string(pi.Currency), Known: true}
	m.Summary = "Cancel payment " + pi.ID + " of " + m.Display() + forCustomerObj(pi.Customer)
	return m, nil
}

func moneyCreateRefund(c *call, in *createRefundIn) (*guard.Movement, error) {
	// The refundable amount is what was captured minus what was refunded.
	var ch *stripe.Charge
	source := in.ChargeID
	if in.PaymentIntentID != "" {
		p := &stripe.PaymentIntentRetrieveParams{}
		p.AddExpand("latest_charge")
		pi, err := c.d.Stripe.V1PaymentIntents.Retrieve(c, in.PaymentIntentID, p)
		if err != nil {
			return nil, stripeErr(err)
		}
		if pi.LatestCharge == nil || pi.LatestCharge.ID == "" {
			return nil, badInput("payment %s has no charge to refund (status %s)", pi.ID, pi.Status)
		}
		ch, source = pi.LatestCharge, pi.ID
		if ch.Currency == "" { // not expanded
			if ch, err = c.d.Stripe.V1Charges.Retrieve(c, ch.ID, nil); err != nil {
				return nil, stripeErr(err)
			}
		}
	} else {
		var err error
		if ch, err = c.d.Stripe.V1Charges.Retrieve(c, in.ChargeID, nil); err != nil {
			return nil, stripeErr(err)
		}
	}
	refundable := ch.AmountCaptured - ch.AmountRefunded
	amount := refundable
	if in.Amount > 0 {
		amount = in.Amount
	}
	m := &guard.Movement{Amount: amount, Currency: string(ch.Currency), Known: true, Capped: true, Moves: true}
	m.Summary = fmt.Sprintf("Refund %s of %s (%s still refundable)%s", m.Display(), source, money.Format(refundable, string(ch.Currency)), forCustomerObj(ch.Customer))
	return m, nil
}

// priceAmount is the amount of quantity × a price (per its interval, for a
// recurring one), read from Stripe with the fields expand names.
func priceAmount(c *call, priceID string, quantity int64, expand ...string) (*guard.Movement, *stripe.Price, error) {
	var p *stripe.PriceRetrieveParams
	if len(expand) > 0 {
		p = &stripe.PriceRetrieveParams{}
		for _, f := range expand {
			p.AddExpand(f)
		}
	}
	pr, err := c.d.Stripe.V1Prices.Retrieve(c, priceID, p)
	if err != nil {
		return nil, nil, stripeErr(err)
	}
	m := &guard.Movement{Currency: string(pr.Currency), Capped: true}
	m.Amount, m.Known = priceTotal(pr, max(quantity, 1))
	return m, pr, nil
}

// priceTotal is what Stripe bills for quantity of a price, when one amount
// can be told: not for a tiered, metered or customer-chosen price, nor one
// in fractions of the smallest unit.
func priceTotal(pr *stripe.Price, quantity int64) (int64, bool) {
	switch {
	case pr.BillingScheme == stripe.PriceBillingSchemeTiered,
		pr.Recurring != nil && pr.Recurring.UsageType == stripe.PriceRecurringUsageTypeMetered,
		customAmount(pr),
		pr.UnitAmountDecimal != 0 && pr.UnitAmountDecimal != float64(pr.UnitAmount):
		return 0, false
	}
	// A price sold in packages bills the quantity divided, rounded.
	if tq := pr.TransformQuantity; tq != nil && tq.DivideBy > 1 {
		packages := quantity / tq.DivideBy
		if tq.Round == stripe.PriceTransformQuantityRoundUp && quantity%tq.DivideBy != 0 {
			packages++
		}
		quantity = packages
	}
	if pr.UnitAmount > 0 && quantity > math.MaxInt64/pr.UnitAmount {
		return 0, false
	}
	return pr.UnitAmount * quantity, true
}

// pricingKind names why priceTotal cannot tell a price's amount.
func pricingKind(pr *stripe.Price) string {
	switch {
	case pr.BillingScheme == stripe.PriceBillingSchemeTiered:
		return "tiered"
	case pr.Recurring != nil && pr.Recurring.UsageType == stripe.PriceRecurringUsageTypeMetered:
		return "metered"
	case customAmount(pr):
		return "custom"
	}
	return "decimal"
}

func per(pr *stripe.Price) string {
	if pr.Recurring == nil {
		return ""
	}
	if pr.Recurring.IntervalCount > 1 {
		return fmt.Sprintf(" every %d %ss", pr.Recurring.IntervalCount, pr.Recurring.Interval)
	}
	return "/" + string(pr.Recurring.Interval)
}

func moneyCreateSubscription(c *call, in *createSubscriptionIn) (*guard.Movement, error) {
	m, pr, err := priceAmount(c, in.PriceID, in.Quantity)
	if err != nil {
		return nil, err
	}
	// Without a trial the first invoice is charged at once. With one,
	// nothing moves now, but Stripe charges when the trial ends with no
	// later call through this server to ask about: it is confirmed as if it
	// moved now (as a payment link is), and counts toward no daily limit.
	m.Moves = in.TrialPeriodDays == 0
	m.Deferred = !m.Moves
	when := "charged now"
	if !m.Moves {
		when = fmt.Sprintf("first charge after a %d-day trial, with no further confirmation", in.TrialPeriodDays)
	}
	m.Summary = fmt.Sprintf("Subscribe customer %s to %s at %s%s (%s)", in.CustomerID, pr.ID, m.Display(), per(pr), when)
	return m, nil
}

func moneyCreatePaymentLink(c *call, in *createPaymentLinkIn) (*guard.Movement, error) {
	// A price may carry amounts in other currencies, which a link offers
	// its customers; Stripe lists them only when asked.
	m, pr, err := priceAmount(c, in.PriceID, in.Quantity, "currency_options")
	if err != nil {
		return nil, err
	}
	others, err := otherCurrencies(c, pr, max(in.Quantity, 1))
	if err != nil {
		return nil, err
	}
	// Creating a link moves nothing: money moves each time a customer pays
	// it, which may be never or many times. So, like an authorization
	// (Moves false), it counts toward no daily limit, which counts money
	// actually moved. maxAmount caps what one payment charges (price ×
	// quantity, SPEC §5). And since those payments pass through no later
	// call of this server, this is the one call a person can be asked
	// about: Deferred makes it need confirmation as if money moved now.
	m.Deferred = true
	m.Summary = fmt.Sprintf("Create a payment link for %d × %s: anyone with the link can pay %s%s", max(in.Quantity, 1), pr.ID, m.Display(), per(pr))
	if len(others) > 0 {
		m.Summary += " (or " + strings.Join(others, ", ") + ")"
	}
	return m, nil
}

// otherCurrencies applies the amount caps to a price's amounts in its other
// currencies (its currency_options), each as the one amount is, and
// returns them displayed, in currency order.
func otherCurrencies(c *call, pr *stripe.Price, quantity int64) ([]string, error) {
	currencies := make([]string, 0, len(pr.CurrencyOptions))
	for cur := range pr.CurrencyOptions {
		if cur != string(pr.Currency) {
			currencies = append(currencies, cur)
		}
	}
	slices.Sort(currencies)
	var shown []string
	for _, cur := range currencies {
		o := pr.CurrencyOptions[cur]
		if o == nil {
			continue
		}
		// The option priced as the price is, in its own amounts.
		alt := &stripe.Price{Currency: stripe.Currency(cur), BillingScheme: pr.BillingScheme, Recurring: pr.Recurring, TransformQuantity: pr.TransformQuantity,
			UnitAmount: o.UnitAmount, UnitAmountDecimal: o.UnitAmountDecimal}
		if o.CustomUnitAmount != nil {
			alt.CustomUnitAmount = &stripe.PriceCustomUnitAmount{Maximum: o.CustomUnitAmount.Maximum, Minimum: o.CustomUnitAmount.Minimum, Preset: o.CustomUnitAmount.Preset}
		}
		om := &guard.Movement{Currency: cur, Capped: true}
		om.Amount, om.Known = priceTotal(alt, quantity)
		if err := c.d.Policy.Check(om); err != nil {
			return nil, err
		}
		shown = append(shown, om.Display())
	}
	return shown, nil
}

func moneyUpdateSubscription(c *call, in *updateSubscriptionIn) (*guard.Movement, error) {
	if in.Quantity == 0 && in.PriceID == "" {
		return &guard.Movement{Summary: "Update the metadata of subscription " + in.SubscriptionID}, nil
	}
	sub, err := c.d.Stripe.V1Subscriptions.Retrieve(c, in.SubscriptionID, nil)
	if err != nil {
		return nil, stripeErr(err)
	}
	item, err := itemToChange(sub, in.SubscriptionID, in.ItemID)
	if err != nil {
		return nil, err
	}
	priceID, quantity := in.PriceID, in.Quantity
	if priceID == "" && item.Price != nil {
		priceID = item.Price.ID
	}
	if quantity == 0 {
		quantity = item.Quantity
	}
	m, pr, err := priceAmount(c, priceID, quantity)
	if err != nil {
		return nil, err
	}
	m.Summary = fmt.Sprintf("Change subscription %s to %d × %s = %s%s", in.SubscriptionID, max(quantity, 1), pr.ID, m.Display(), per(pr))
	if in.ProrationBehavior == "always_invoice" && (in.Proration == nil || *in.Proration) {
		// The proration is invoiced and charged at once. Its amount is
		// Stripe's to compute (the price difference for what is left of the
		// period), and never more than a whole period at the new price: that
		// is what the guardrails count and the person is asked about.
		m.Moves = true
		m.Summary += fmt.Sprintf("; the proration is invoiced and charged now (at most %s)", m.Display())
	}
	return m, nil
}

// itemToChange is the item an update of subscription id addresses: the
// given one, or the only one; otherwise an error that says which exist.
func itemToChange(sub *stripe.Subscription, id, itemID string) (*stripe.SubscriptionItem, error) {
	var items []*stripe.SubscriptionItem
	if sub.Items != nil {
		items = sub.Items.Data
	}
	switch {
	case itemID != "":
		for _, it := range items {
			if it.ID == itemID {
				return it, nil
			}
		}
		return nil, badInput("subscription %s has no item %s", id, itemID)
	case len(items) == 0:
		return nil, badInput("subscription %s has no items to change", id)
	case len(items) > 1:
		ids := make([]string, len(items))
		for i, it := range items {
			ids[i] = it.ID
		}
		return nil, badInput("subscription %s has %d items (%s): say which with itemId", id, len(ids), strings.Join(ids, ", "))
	}
	return items[0], nil
}

// moneyAttachPaymentMethod: attaching moves nothing; making the method the
// customer's default is the change stripe_update_customer asks a person
// about (destructive), and it lets Stripe charge the method later, for
// invoices and subscriptions, with no further call: Deferred asks the same
// question here.
func moneyAttachPaymentMethod(c *call, in *attachPaymentMethodIn) (*guard.Movement, error) {
	m := &guard.Movement{Summary: fmt.Sprintf("Attach payment method %s to customer %s", in.PaymentMethodID, in.CustomerID)}
	if in.SetAsDefault {
		m.Deferred = true
		m.Summary += " and make it the default for the customer's invoices and subscriptions (charged with no further confirmation)"
	}
	return m, nil
}

func moneyCancelSubscription(c *call, in *cancelSubscriptionIn) (*guard.Movement, error) {
	when := "now"
	if in.CancelAtPeriodEnd {
		when = "at the end of the current period"
	}
	return &guard.Movement{Summary: fmt.Sprintf("Cancel subscription %s %s", in.SubscriptionID, when)}, nil
}

func moneyCreateInvoiceItem(c *call, in *createInvoiceItemIn) (*guard.Movement, error) {
	on := " on the customer's next invoice"
	if in.InvoiceID != "" {
		on = " on invoice " + in.InvoiceID
	}
	// The item is billed when its invoice is finalized, which counts the
	// money then; the item itself is capped.
	if in.PriceID == "" {
		m := &guard.Movement{Amount: in.Amount, Currency: in.Currency, Known: true, Capped: true}
		m.Summary = "Bill customer " + in.CustomerID + " " + m.Display() + on
		return m, nil
	}
	m, pr, err := priceAmount(c, in.PriceID, in.Quantity)
	if err != nil {
		return nil, err
	}
	m.Summary = fmt.Sprintf("Bill customer %s %d × %s = %s%s", in.CustomerID, max(in.Quantity, 1), pr.ID, m.Display(), on)
	return m, nil
}

func moneyFinalizeInvoice(c *call, in *finalizeInvoiceIn) (*guard.Movement, error) {
	inv, err := c.d.Stripe.V1Invoices.Retrieve(c, in.InvoiceID, nil)
	if err != nil {
		return nil, stripeErr(err)
	}
	if inv.Status != stripe.InvoiceStatusDraft {
		return nil, badInput("invoice %s is %s; only a draft can be finalized", inv.ID, inv.Status)
	}
	auto := inv.CollectionMethod == stripe.InvoiceCollectionMethodChargeAutomatically
	m := &guard.Movement{Amount: inv.AmountDue, Currency: string(inv.Currency), Known: true, Capped: auto}
	// An auto-charging invoice is charged its amount due once finalized.
	// With auto_advance off Stripe would wait for someone to pay it; it is
	// counted all the same, as nothing here can tell when that happens.
	m.Moves = auto && inv.AmountDue > 0
	switch {
	case m.Moves:
		m.Summary = fmt.Sprintf("Finalize invoice %s and charge %s to the payment method%s", inv.ID, m.Display(), forCustomerObj(inv.Customer))
	case auto:
		m.Summary = fmt.Sprintf("Finalize invoice %s of %s%s (nothing is due)", inv.ID, m.Display(), forCustomerObj(inv.Customer))
	default:
		m.Summary = fmt.Sprintf("Finalize invoice %s of %s%s (send_invoice: the customer pays it from the invoice; nothing is charged now)", inv.ID, m.Display(), forCustomerObj(inv.Customer))
	}
	return m, nil
}

func moneyUpdateDispute(c *call, in *updateDisputeIn) (*guard.Movement, error) {
	// A draft replaces the evidence saved before: like other destructive
	// updates without an amount it is confirmed whenever verification is
	// on.
	if !in.Submit {
		return &guard.Movement{Summary: "Save draft evidence on dispute " + in.DisputeID + " (not submitted; it can still be changed)"}, nil
	}
	d, err := c.d.Stripe.V1Disputes.Retrieve(c, in.DisputeID, nil)
	if err != nil {
		return nil, stripeErr(err)
	}
	// Submitting moves no money and has no amount of its own, so the
	// movement stays without one: a person then approves every submission
	// whatever the threshold, as it is final. The amount at stake is read
	// only to tell that person what they approve.
	on := ""
	if d.Charge != nil {
		on = " on charge " + d.Charge.ID
	}
	return &guard.Movement{Summary: fmt.Sprintf("Submit the evidence of dispute %s (%s disputed%s, reason %s) to the bank: final, it cannot be changed afterwards",
		d.ID, money.Format(d.Amount, string(d.Currency)), on, d.Reason)}, nil
}

func moneyDetachPaymentMethod(c *call, in *detachPaymentMethodIn) (*guard.Movement, error) {
	return &guard.Movement{Summary: "Detach payment method " + in.PaymentMethodID + " from its customer (it cannot be used again)"}, nil
}

func moneyUpdateCustomer(c *call, in *updateCustomerIn) (*guard.Movement, error) {
	return &guard.Movement{Summary: "Update customer " + in.CustomerID}, nil
}

func forCustomer(id string) string {
	if id == "" {
		return ""
	}
	return " for customer " + id
}

func forCustomerObj(c *stripe.Customer) string {
	if c == nil {
		return ""
	}
	return forCustomer(c.ID)
}
