package tools

import (
	"fmt"
	"strconv"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/stripe/stripe-go/v85"
)

type createCouponIn struct {
	PercentOff       *float64 `json:"percentOff,omitempty" jsonschema:"or amountOff"`
	AmountOff        int64    `json:"amountOff,omitempty" jsonschema:"smallest currency unit, with currency"`
	Currency         string   `json:"currency,omitempty"`
	Duration         string   `json:"duration,omitempty" jsonschema:"default once"`
	DurationInMonths int64    `json:"durationInMonths,omitempty" jsonschema:"with repeating"`
	Name             string   `json:"name,omitempty" jsonschema:"shown to customers"`
	MaxRedemptions   int64    `json:"maxRedemptions,omitempty" jsonschema:"total uses allowed"`
	RedeemBy         string   `json:"redeemBy,omitempty" jsonschema:"RFC 3339 time"`
	Metadata         metadata `json:"metadata,omitempty"`
	write
}

func (in *createCouponIn) validate(*Deps) error {
	if (in.PercentOff != nil) == (in.AmountOff != 0) {
		return badInput("give exactly one of percentOff (e.g. 25 for 25%% off) and amountOff (with currency)")
	}
	if in.AmountOff != 0 {
		// No default currency: a coupon takes money off only invoices in
		// its own currency, so a guessed one would silently not apply.
		if in.Currency == "" {
			return badInput("amountOff needs currency: the coupon applies only to invoices in that currency")
		}
		if err := checkCurrency("currency", &in.Currency, ""); err != nil {
			return err
		}
		if err := checkAmount("amountOff", in.AmountOff, in.Currency); err != nil {
			return err
		}
	} else if in.Currency != "" {
		return badInput("currency goes with amountOff only; a percentOff coupon applies in every currency")
	}
	if in.Duration == "" {
		in.Duration = "once"
	}
	if (in.Duration == "repeating") != (in.DurationInMonths != 0) {
		return badInput("durationInMonths is needed with duration repeating, and only with it (duration is %s)", in.Duration)
	}
	if in.RedeemBy != "" {
		at, err := time.Parse(time.RFC3339, in.RedeemBy)
		if err != nil {
			return badInput("redeemBy must be an RFC 3339 time such as 2026-12-31T23:59:59Z, got %q", clip(in.RedeemBy))
		}
		if !at.After(time.Now()) {
			return badInput("redeemBy %s is in the past", in.RedeemBy)
		}
	}
	return checkMetadata(in.Metadata)
}

type listCouponsIn struct {
	page
	output
}

func (in *listCouponsIn) validate(*Deps) error {
	// Coupon ids are chosen by the account: only their shape is checked.
	if in.StartingAfter != "" {
		if err := validID("startingAfter", in.StartingAfter); err != nil {
			return err
		}
	}
	if in.EndingBefore != "" {
		return validID("endingBefore", in.EndingBefore)
	}
	return nil
}

func couponTools() []Definition {
	return []Definition{
		&tool[createCouponIn]{
			Meta: Meta{
				Name: "stripe_create_coupon", Toolset: "coupons", Title: "Create coupon",
				Description: "Create a coupon (percentOff or amountOff) to apply with couponId.",
			},
			schema: func(s *jsonschema.Schema) {
				prop(s, "percentOff").ExclusiveMinimum = ptr(0.0)
				prop(s, "percentOff").Maximum = ptr(100.0)
				amountSchema(s, "amountOff")
				enum(s, "duration", "once", "repeating", "forever")
				prop(s, "durationInMonths").Minimum = ptr(1.0)
				prop(s, "maxRedemptions").Minimum = ptr(1.0)
				prop(s, "name").MaxLength = ptr(40)
			},
			run: createCoupon,
		},
		&tool[listCouponsIn]{
			Meta: Meta{
				Name: "stripe_list_coupons", Toolset: "coupons", Title: "List coupons",
				Description: "List coupons, newest first.",
				ReadOnly:    true,
			},
			schema: pageSchema,
			run:    listCoupons,
		},
	}
}

func createCoupon(c *call, in *createCouponIn) (any, error) {
	p := &stripe.CouponCreateParams{Duration: stripe.String(in.Duration), Metadata: in.Metadata}
	p.IdempotencyKey = c.nextKey()
	if in.PercentOff != nil {
		p.PercentOff = stripe.Float64(*in.PercentOff)
	}
	if in.AmountOff != 0 {
		p.AmountOff = stripe.Int64(in.AmountOff)
		p.Currency = stripe.String(in.Currency)
	}
	if in.DurationInMonths != 0 {
		p.DurationInMonths = stripe.Int64(in.DurationInMonths)
	}
	if in.MaxRedemptions != 0 {
		p.MaxRedemptions = stripe.Int64(in.MaxRedemptions)
	}
	if in.RedeemBy != "" {
		at, _ := time.Parse(time.RFC3339, in.RedeemBy) // checked by validate
		p.RedeemBy = stripe.Int64(at.Unix())
	}
	setString(&p.Name, in.Name)
	cp, err := c.d.Stripe.V1Coupons.Create(c, p)
	if err != nil {
		return nil, stripeErr(err)
	}
	return c.object(viewCoupon(cp), cp.LastResponse), nil
}

func listCoupons(c *call, in *listCouponsIn) (any, error) {
	p := &stripe.CouponListParams{}
	p.Limit = stripe.Int64(in.limit())
	setString(&p.StartingAfter, in.StartingAfter)
	setString(&p.EndingBefore, in.EndingBefore)
	return listPage(c, c.d.Stripe.V1Coupons.List(c, p), viewCoupon, func(cp *stripe.Coupon) string { return cp.ID })
}

type couponView struct {
	ID         string  `json:"id"`
	Name       string  `json:"name,omitempty"`
	PercentOff float64 `json:"percentOff,omitempty"`
	AmountOff  int64   `json:"amountOff,omitempty"`
	Currency   string  `json:"currency,omitempty"`
	// DiscountDisplay says it all: "25% off for 3 months", "$5.00 off once".
	DiscountDisplay  string            `json:"discountDisplay"`
	Duration         string            `json:"duration"`
	DurationInMonths int64             `json:"durationInMonths,omitempty"`
	MaxRedemptions   int64             `json:"maxRedemptions,omitempty"`
	TimesRedeemed    int64             `json:"timesRedeemed"`
	RedeemBy         string            `json:"redeemBy,omitempty"`
	Valid            bool              `json:"valid"`
	Created          string            `json:"created,omitempty"`
	Metadata         map[string]string `json:"metadata,omitempty"`
	Livemode         bool              `json:"livemode,omitempty"`
}

func viewCoupon(cp *stripe.Coupon) *couponView {
	v := &couponView{
		ID:             cp.ID,
		Name:           cp.Name,
		Duration:       string(cp.Duration),
		MaxRedemptions: cp.MaxRedemptions,
		TimesRedeemed:  cp.TimesRedeemed,
		RedeemBy:       timestamp(cp.RedeemBy),
		Valid:          cp.Valid,
		Created:        timestamp(cp.Created),
		Metadata:       nonEmpty(cp.Metadata),
		Livemode:       cp.Livemode,
	}
	// Stripe may report a currency and a month count that do not apply
	// (a percentage, a coupon that is not repeating); they are left out.
	off := ""
	if cp.AmountOff > 0 {
		v.AmountOff, v.Currency = cp.AmountOff, string(cp.Currency)
		off = display(cp.AmountOff, cp.Currency) + " off"
	} else {
		v.PercentOff = cp.PercentOff
		off = strconv.FormatFloat(cp.PercentOff, 'f', -1, 64) + "% off"
	}
	switch cp.Duration {
	case stripe.CouponDurationRepeating:
		v.DurationInMonths = cp.DurationInMonths
		v.DiscountDisplay = fmt.Sprintf("%s for %d months", off, cp.DurationInMonths)
		if cp.DurationInMonths == 1 {
			v.DiscountDisplay = off + " for 1 month"
		}
	case "":
		v.DiscountDisplay = off
	default:
		v.DiscountDisplay = off + " " + string(cp.Duration)
	}
	return v
}
