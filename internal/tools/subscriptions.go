package tools

import (
	"fmt"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/stripe/stripe-go/v85"
)

type subscriptionIn struct {
	SubscriptionID string `json:"subscriptionId" jsonschema:"sub_…"`
}

func (in *subscriptionIn) validate(*Deps) error {
	return checkID("subscriptionId", in.SubscriptionID, "sub_")
}

type createSubscriptionIn struct {
	CustomerID      string   `json:"customerId" jsonschema:"cus_… with a default payment method, or with a trial"`
	PriceID         string   `json:"priceId" jsonschema:"price_… of a recurring price"`
	Quantity        int64    `json:"quantity,omitempty" jsonschema:"default 1"`
	TrialPeriodDays int64    `json:"trialPeriodDays,omitempty"`
	Metadata        metadata `json:"metadata,omitempty"`
	CouponID        string   `json:"couponId,omitempty"`
	PaymentBehavior string   `json:"paymentBehavior,omitempty" jsonschema:"default allow_incomplete"`
	write
	confirmable
}

func (in *createSubscriptionIn) validate(*Deps) error {
	return firstError(
		checkID("customerId", in.CustomerID, "cus_"),
		checkID("priceId", in.PriceID, "price_", "plan_"),
		checkMetadata(in.Metadata),
		checkCouponID(in.CouponID),
	)
}

// checkCouponID: coupon ids are chosen by the account, so only their shape
// is checked.
func checkCouponID(id string) error {
	if id == "" {
		return nil
	}
	return validID("couponId", id)
}

type updateSubscriptionIn struct {
	subscriptionIn
	Quantity          int64    `json:"quantity,omitempty"`
	PriceID           string   `json:"priceId,omitempty" jsonschema:"price_… to switch to"`
	ItemID            string   `json:"itemId,omitempty" jsonschema:"si_…, needed only when the subscription has several items"`
	Proration         *bool    `json:"proration,omitempty" jsonschema:"false: no prorations (default true)"`
	ProrationBehavior string   `json:"prorationBehavior,omitempty" jsonschema:"always_invoice bills prorations at once"`
	Metadata          metadata `json:"metadata,omitempty"`
	write
	confirmable
}

func (in *updateSubscriptionIn) validate(d *Deps) error {
	if err := firstError(
		in.subscriptionIn.validate(d),
		checkID("priceId", in.PriceID, "price_", "plan_"),
		checkID("itemId", in.ItemID, "si_"),
		checkMetadata(in.Metadata),
	); err != nil {
		return err
	}
	// An empty metadata object changes nothing either: Stripe would get a
	// bare POST.
	if in.Quantity == 0 && in.PriceID == "" && len(in.Metadata) == 0 {
		return badInput("nothing to update: give quantity, priceId or metadata")
	}
	if in.ItemID != "" && in.Quantity == 0 && in.PriceID == "" {
		return badInput("itemId says which item's quantity or price to change; give quantity or priceId with it")
	}
	if in.Proration != nil && in.ProrationBehavior != "" && *in.Proration != (in.ProrationBehavior != "none") {
		return badInput("proration %v contradicts prorationBehavior %s; give one of them", *in.Proration, in.ProrationBehavior)
	}
	return nil
}

// prorationBehavior maps proration/prorationBehavior to Stripe's parameter.
func prorationBehavior(proration *bool, behavior string) *string {
	switch {
	case behavior != "":
		return stripe.String(behavior)
	case proration == nil:
		return nil
	case *proration:
		return stripe.String("create_prorations")
	default:
		return stripe.String("none")
	}
}

type cancelSubscriptionIn struct {
	subscriptionIn
	CancelAtPeriodEnd bool  `json:"cancelAtPeriodEnd,omitempty" jsonschema:"true: keep it until the period ends (can be undone); false: cancel now"`
	Proration         *bool `json:"proration,omitempty" jsonschema:"immediate cancel: credit the unused time"`
	Invoice           bool  `json:"invoice,omitempty" jsonschema:"immediate cancel: invoice pending items and prorations now"`
	write
	confirmable
}

func (in *cancelSubscriptionIn) validate(d *Deps) error {
	if err := in.subscriptionIn.validate(d); err != nil {
		return err
	}
	if in.CancelAtPeriodEnd && (in.Proration != nil || in.Invoice) {
		return badInput("proration and invoice apply only to an immediate cancel (cancelAtPeriodEnd false)")
	}
	return nil
}

type getSubscriptionIn struct {
	subscriptionIn
	output
}

type listSubscriptionsIn struct {
	CustomerID string `json:"customerId,omitempty" jsonschema:"cus_…"`
	PriceID    string `json:"priceId,omitempty" jsonschema:"price_…"`
	Status     string `json:"status,omitempty" jsonschema:"default: all but canceled"`
	page
	output
}

func (in *listSubscriptionsIn) validate(*Deps) error {
	return firstError(
		checkID("customerId", in.CustomerID, "cus_"),
		checkID("priceId", in.PriceID, "price_", "plan_"),
		checkID("startingAfter", in.StartingAfter, "sub_"),
		checkID("endingBefore", in.EndingBefore, "sub_"),
	)
}

func subscriptionTools() []Definition {
	return []Definition{
		&tool[createSubscriptionIn]{
			Meta: Meta{
				Name: "stripe_create_subscription", Toolset: "subscriptions", Title: "Create subscription",
				Description: "Subscribe a customer to a recurring price. Without a trial the first invoice is charged at once.",
			},
			schema: func(s *jsonschema.Schema) {
				amountSchema(s, "quantity")
				prop(s, "trialPeriodDays").Minimum = ptr(1.0)
				prop(s, "trialPeriodDays").Maximum = ptr(730.0)
				enum(s, "paymentBehavior", "allow_incomplete", "default_incomplete", "error_if_incomplete", "pending_if_incomplete")
			},
			run:   createSubscription,
			money: moneyCreateSubscription,
		},
		&tool[updateSubscriptionIn]{
			Meta: Meta{
				Name: "stripe_update_subscription", Toolset: "subscriptions", Title: "Update subscription",
				Description: "Change a subscription's quantity or price (prorated by default) or metadata.",
				Destructive: true, Idempotent: true,
			},
			schema: func(s *jsonschema.Schema) {
				amountSchema(s, "quantity")
				enum(s, "prorationBehavior", "create_prorations", "none", "always_invoice")
			},
			run:   updateSubscription,
			money: moneyUpdateSubscription,
		},
		&tool[cancelSubscriptionIn]{
			Meta: Meta{
				Name: "stripe_cancel_subscription", Toolset: "subscriptions", Title: "Cancel subscription",
				Description: "Cancel a subscription now, or at the end of its period.",
				Destructive: true, Idempotent: true,
			},
			run:   cancelSubscription,
			money: moneyCancelSubscription,
		},
		&tool[getSubscriptionIn]{
			Meta: Meta{
				Name: "stripe_get_subscription", Toolset: "subscriptions", Title: "Get subscription",
				Description: "Get a subscription with its items, period and trial.",
				ReadOnly:    true,
			},
			run: getSubscription,
		},
		&tool[listSubscriptionsIn]{
			Meta: Meta{
				Name: "stripe_list_subscriptions", Toolset: "subscriptions", Title: "List subscriptions",
				Description: "List subscriptions, newest first.",
				ReadOnly:    true,
			},
			schema: func(s *jsonschema.Schema) {
				pageSchema(s)
				enum(s, "status", "active", "past_due", "unpaid", "canceled", "incomplete", "incomplete_expired", "trialing", "paused", "ended", "all")
			},
			run: listSubscriptions,
		},
	}
}

func createSubscription(c *call, in *createSubscriptionIn) (any, error) {
	item := &stripe.SubscriptionCreateItemParams{Price: stripe.String(in.PriceID)}
	if in.Quantity > 0 {
		item.Quantity = stripe.Int64(in.Quantity)
	}
	p := &stripe.SubscriptionCreateParams{
		Customer: stripe.String(in.CustomerID),
		Items:    []*stripe.SubscriptionCreateItemParams{item},
		Metadata: in.Metadata,
	}
	p.IdempotencyKey = c.nextKey()
	if in.TrialPeriodDays > 0 {
		p.TrialPeriodDays = stripe.Int64(in.TrialPeriodDays)
	}
	if in.CouponID != "" {
		p.Discounts = []*stripe.SubscriptionCreateDiscountParams{{Coupon: stripe.String(in.CouponID)}}
	}
	setString(&p.PaymentBehavior, in.PaymentBehavior)
	p.AddExpand(discountsField)
	sub, err := c.d.Stripe.V1Subscriptions.Create(c, p)
	if err != nil {
		return nil, stripeErr(err)
	}
	return c.object(viewSubscription(sub), sub.LastResponse), nil
}

func updateSubscription(c *call, in *updateSubscriptionIn) (any, error) {
	p := &stripe.SubscriptionUpdateParams{Metadata: in.Metadata}
	p.IdempotencyKey = c.nextKey()
	p.ProrationBehavior = prorationBehavior(in.Proration, in.ProrationBehavior)
	if in.Quantity > 0 || in.PriceID != "" {
		// Quantity and price live on the subscription's item.
		itemID := in.ItemID
		if itemID == "" {
			sub, err := c.d.Stripe.V1Subscriptions.Retrieve(c, in.SubscriptionID, nil)
			if err != nil {
				return nil, stripeErr(err)
			}
			it, err := itemToChange(sub, in.SubscriptionID, "")
			if err != nil {
				return nil, err
			}
			itemID = it.ID
		}
		item := &stripe.SubscriptionUpdateItemParams{ID: stripe.String(itemID)}
		if in.Quantity > 0 {
			item.Quantity = stripe.Int64(in.Quantity)
		}
		setString(&item.Price, in.PriceID)
		p.Items = []*stripe.SubscriptionUpdateItemParams{item}
	}
	p.AddExpand(discountsField)
	sub, err := c.d.Stripe.V1Subscriptions.Update(c, in.SubscriptionID, p)
	if err != nil {
		return nil, stripeErr(err)
	}
	return c.object(viewSubscription(sub), sub.LastResponse), nil
}

func cancelSubscription(c *call, in *cancelSubscriptionIn) (any, error) {
	if in.CancelAtPeriodEnd {
		p := &stripe.SubscriptionUpdateParams{CancelAtPeriodEnd: stripe.Bool(true)}
		p.IdempotencyKey = c.nextKey()
		p.AddExpand(discountsField)
		sub, err := c.d.Stripe.V1Subscriptions.Update(c, in.SubscriptionID, p)
		if err != nil {
			return nil, stripeErr(err)
		}
		return c.object(viewSubscription(sub), sub.LastResponse), nil
	}
	p := &stripe.SubscriptionCancelParams{}
	p.IdempotencyKey = c.nextKey()
	if in.Proration != nil {
		p.Prorate = stripe.Bool(*in.Proration)
	}
	if in.Invoice {
		p.InvoiceNow = stripe.Bool(true)
	}
	p.AddExpand(discountsField)
	sub, err := c.d.Stripe.V1Subscriptions.Cancel(c, in.SubscriptionID, p)
	if err != nil {
		return nil, stripeErr(err)
	}
	return c.object(viewSubscription(sub), sub.LastResponse), nil
}

func getSubscription(c *call, in *getSubscriptionIn) (any, error) {
	p := &stripe.SubscriptionRetrieveParams{}
	p.AddExpand(discountsField)
	sub, err := c.d.Stripe.V1Subscriptions.Retrieve(c, in.SubscriptionID, p)
	if err != nil {
		return nil, stripeErr(err)
	}
	return c.object(viewSubscription(sub), sub.LastResponse), nil
}

func listSubscriptions(c *call, in *listSubscriptionsIn) (any, error) {
	p := &stripe.SubscriptionListParams{}
	p.Limit = stripe.Int64(in.limit())
	setString(&p.Customer, in.CustomerID)
	setString(&p.Price, in.PriceID)
	setString(&p.Status, in.Status)
	setString(&p.StartingAfter, in.StartingAfter)
	setString(&p.EndingBefore, in.EndingBefore)
	p.AddExpand("data." + discountsField)
	return listPage(c, c.d.Stripe.V1Subscriptions.List(c, p), viewSubscription, func(s *stripe.Subscription) string { return s.ID })
}

type subscriptionView struct {
	ID                 string             `json:"id"`
	Status             string             `json:"status"`
	Customer           string             `json:"customerId,omitempty"`
	Items              []subscriptionItem `json:"items"`
	CurrentPeriodStart string             `json:"currentPeriodStart,omitempty"`
	CurrentPeriodEnd   string             `json:"currentPeriodEnd,omitempty"`
	TrialEnd           string             `json:"trialEnd,omitempty"`
	CancelAtPeriodEnd  bool               `json:"cancelAtPeriodEnd,omitempty"`
	CancelAt           string             `json:"cancelAt,omitempty"`
	CanceledAt         string             `json:"canceledAt,omitempty"`
	Coupons            []string           `json:"couponIds,omitempty"`
	LatestInvoice      string             `json:"latestInvoiceId,omitempty"`
	CollectionMethod   string             `json:"collectionMethod,omitempty"`
	Created            string             `json:"created,omitempty"`
	Metadata           map[string]string  `json:"metadata,omitempty"`
}

type subscriptionItem struct {
	ID            string `json:"id"`
	Price         string `json:"priceId,omitempty"`
	Product       string `json:"productId,omitempty"`
	Quantity      int64  `json:"quantity"`
	UnitAmount    *int64 `json:"unitAmount,omitempty"`
	Currency      string `json:"currency,omitempty"`
	Interval      string `json:"interval,omitempty"`
	IntervalCount int64  `json:"intervalCount,omitempty"`
	// AmountDisplay is what the item bills per interval: "$20.00/month"
	// (unit amount × quantity, or × packages for a price sold in packages).
	AmountDisplay string `json:"amountDisplay,omitempty"`
	// Pricing says why there is no amount: "tiered" or "metered" (Stripe
	// bills by tiers or usage), "custom".
	Pricing string `json:"pricing,omitempty"`
	// A price sold in packages: the unit amount is per PackageSize units,
	// the count of packages rounded "up" or "down".
	PackageSize  int64  `json:"packageSize,omitempty"`
	PackageRound string `json:"packageRound,omitempty"`
}

// discountsField is expanded wherever a subscription is shown: Stripe lists
// a subscription's discounts as ids unless asked, and the coupons applied
// are what a person reads.
const discountsField = "discounts"

func viewSubscription(s *stripe.Subscription) *subscriptionView {
	v := &subscriptionView{
		ID:                s.ID,
		Status:            string(s.Status),
		Items:             []subscriptionItem{},
		TrialEnd:          timestamp(s.TrialEnd),
		CancelAtPeriodEnd: s.CancelAtPeriodEnd,
		CancelAt:          timestamp(s.CancelAt),
		CanceledAt:        timestamp(s.CanceledAt),
		CollectionMethod:  string(s.CollectionMethod),
		Created:           timestamp(s.Created),
		Metadata:          nonEmpty(s.Metadata),
	}
	if s.Customer != nil {
		v.Customer = s.Customer.ID
	}
	if s.LatestInvoice != nil {
		v.LatestInvoice = s.LatestInvoice.ID
	}
	for _, d := range s.Discounts {
		if d != nil && d.Source != nil && d.Source.Coupon != nil {
			v.Coupons = append(v.Coupons, d.Source.Coupon.ID)
		}
	}
	if s.Items != nil {
		for _, it := range s.Items.Data {
			item := subscriptionItem{ID: it.ID, Quantity: it.Quantity}
			if pr := it.Price; pr != nil {
				item.Price, item.Currency = pr.ID, string(pr.Currency)
				if pr.Product != nil {
					item.Product = pr.Product.ID
				}
				if r := pr.Recurring; r != nil {
					item.Interval, item.IntervalCount = string(r.Interval), r.IntervalCount
				}
				if tq := pr.TransformQuantity; tq != nil && tq.DivideBy > 1 {
					item.PackageSize, item.PackageRound = tq.DivideBy, string(tq.Round)
				}
				if total, ok := priceTotal(pr, max(it.Quantity, 1)); ok {
					item.UnitAmount = ptr(pr.UnitAmount)
					item.AmountDisplay = recurringDisplay(total, pr.Currency, item.Interval, item.IntervalCount)
				} else {
					item.Pricing = pricingKind(pr)
				}
			}
			v.Items = append(v.Items, item)
			// Since the dahlia versions the period lives on the items.
			if v.CurrentPeriodEnd == "" {
				v.CurrentPeriodStart, v.CurrentPeriodEnd = timestamp(it.CurrentPeriodStart), timestamp(it.CurrentPeriodEnd)
			}
		}
	}
	return v
}

// recurringDisplay renders "$20.00/month" or "$60.00 every 3 months".
func recurringDisplay(amount int64, currency stripe.Currency, interval string, count int64) string {
	s := display(amount, currency)
	switch {
	case interval == "":
		return s
	case count > 1:
		return fmt.Sprintf("%s every %d %ss", s, count, interval)
	default:
		return s + "/" + interval
	}
}
