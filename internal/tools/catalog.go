package tools

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/stripe/stripe-go/v85"
)

// checkProductID: a product may have an id its account chose, so any id
// Stripe could accept passes, except one that is plainly another object's
// (the price id a model passes where the product belongs).
func checkProductID(field, id string) error {
	if id == "" {
		return nil
	}
	for _, p := range []string{"price_", "plan_", "plink_", "cus_", "pi_", "ch_", "pm_", "sub_", "si_", "in_", "ii_", "re_", "txn_", "evt_", "acct_"} {
		if strings.HasPrefix(id, p) {
			return badInput("%s must be a product id (prod_…), got %q, which is a %s… id", field, clip(id), p)
		}
	}
	return validID(field, id)
}

// checkHTTPS requires an absolute https URL: a customer's browser is sent
// there after paying, so a plain-text hop is not acceptable.
func checkHTTPS(field, v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "https" || u.Host == "" || strings.ContainsAny(v, " \t\r\n") || len(v) > 2048 {
		return badInput("%s must be an absolute https:// URL, got %q", field, clip(v))
	}
	return nil
}

type createProductIn struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Active      *bool    `json:"active,omitempty" jsonschema:"false: create it archived"`
	Metadata    metadata `json:"metadata,omitempty"`
	write
}

func (in *createProductIn) validate(*Deps) error {
	if strings.TrimSpace(in.Name) == "" {
		return badInput("name must not be blank")
	}
	return checkMetadata(in.Metadata)
}

type listProductsIn struct {
	Active *bool `json:"active,omitempty" jsonschema:"false: archived only"`
	page
	output
}

func (in *listProductsIn) validate(*Deps) error {
	return firstError(
		checkProductID("startingAfter", in.StartingAfter),
		checkProductID("endingBefore", in.EndingBefore),
	)
}

// recurringIn is a price's billing cycle.
type recurringIn struct {
	Interval      string `json:"interval"`
	IntervalCount int64  `json:"intervalCount,omitempty" jsonschema:"default 1"`
}

// maxIntervalCount is Stripe's longest billing cycle, three years, in each
// interval (API 2026-03-25: "3 years, 36 months, or 156 weeks").
var maxIntervalCount = map[string]int64{"day": 1095, "week": 156, "month": 36, "year": 3}

func (r *recurringIn) validate() error {
	if r == nil || r.IntervalCount == 0 {
		return nil
	}
	if limit := maxIntervalCount[r.Interval]; r.IntervalCount > limit {
		return badInput("recurring.intervalCount %d is longer than Stripe's longest billing cycle, three years: at most %d with interval %s", r.IntervalCount, limit, r.Interval)
	}
	return nil
}

type createPriceIn struct {
	ProductID  string       `json:"productId" jsonschema:"prod_…"`
	UnitAmount int64        `json:"unitAmount" jsonschema:"smallest currency unit; 0 = free"`
	Currency   string       `json:"currency,omitempty" jsonschema:"e.g. usd (the default)"`
	Recurring  *recurringIn `json:"recurring,omitempty" jsonschema:"billing cycle; omit for one-time"`
	Nickname   string       `json:"nickname,omitempty" jsonschema:"hidden from customers"`
	Metadata   metadata     `json:"metadata,omitempty"`
	write
}

func (in *createPriceIn) validate(d *Deps) error {
	if err := firstError(
		checkProductID("productId", in.ProductID),
		checkCurrency("currency", &in.Currency, d.Currency),
		in.Recurring.validate(),
		checkMetadata(in.Metadata),
	); err != nil {
		return err
	}
	// Stripe takes 0 for a free price; any other amount follows the
	// currency's rules.
	if in.UnitAmount == 0 {
		return nil
	}
	return checkAmount("unitAmount", in.UnitAmount, in.Currency)
}

type listPricesIn struct {
	ProductID string `json:"productId,omitempty" jsonschema:"prod_…"`
	Active    *bool  `json:"active,omitempty" jsonschema:"false: archived only"`
	Type      string `json:"type,omitempty" jsonschema:"one_time or recurring"`
	page
	output
}

func (in *listPricesIn) validate(*Deps) error {
	return firstError(
		checkProductID("productId", in.ProductID),
		checkID("startingAfter", in.StartingAfter, "price_", "plan_"),
		checkID("endingBefore", in.EndingBefore, "price_", "plan_"),
	)
}

type createPaymentLinkIn struct {
	PriceID     string   `json:"priceId" jsonschema:"price_…"`
	Quantity    int64    `json:"quantity,omitempty" jsonschema:"default 1"`
	RedirectURL string   `json:"redirectUrl,omitempty" jsonschema:"https page shown after payment"`
	Metadata    metadata `json:"metadata,omitempty"`
	write
	confirmable
}

func (in *createPaymentLinkIn) validate(*Deps) error {
	return firstError(
		checkID("priceId", in.PriceID, "price_", "plan_"),
		checkHTTPS("redirectUrl", in.RedirectURL),
		checkMetadata(in.Metadata),
	)
}

func catalogTools() []Definition {
	return []Definition{
		&tool[createProductIn]{
			Meta: Meta{
				Name: "stripe_create_product", Toolset: "catalog", Title: "Create product",
				Description: "Create a product (what you sell); price it with stripe_create_price.",
			},
			run: createProduct,
		},
		&tool[listProductsIn]{
			Meta: Meta{
				Name: "stripe_list_products", Toolset: "catalog", Title: "List products",
				Description: "List products, newest first.",
				ReadOnly:    true,
			},
			schema: pageSchema,
			run:    listProducts,
		},
		&tool[createPriceIn]{
			Meta: Meta{
				Name: "stripe_create_price", Toolset: "catalog", Title: "Create price",
				Description: "Create a one-time price for a product, or with recurring a subscription price.",
			},
			schema: func(s *jsonschema.Schema) {
				prop(s, "unitAmount").Minimum = ptr(0.0)
				r := prop(s, "recurring")
				enum(r, "interval", "day", "week", "month", "year")
				prop(r, "intervalCount").Minimum = ptr(1.0)
				prop(r, "intervalCount").Maximum = ptr(float64(maxIntervalCount["day"]))
			},
			run: createPrice,
		},
		&tool[listPricesIn]{
			Meta: Meta{
				Name: "stripe_list_prices", Toolset: "catalog", Title: "List prices",
				Description: "List prices, newest first, optionally of one product.",
				ReadOnly:    true,
			},
			schema: func(s *jsonschema.Schema) {
				pageSchema(s)
				enum(s, "type", "one_time", "recurring")
			},
			run: listPrices,
		},
		&tool[createPaymentLinkIn]{
			Meta: Meta{
				Name: "stripe_create_payment_link", Toolset: "catalog", Title: "Create payment link",
				Description: "Create a checkout URL for quantity × a price that anyone with the link can pay.",
			},
			schema: func(s *jsonschema.Schema) {
				amountSchema(s, "quantity")
			},
			run:   createPaymentLink,
			money: moneyCreatePaymentLink,
		},
	}
}

func createProduct(c *call, in *createProductIn) (any, error) {
	p := &stripe.ProductCreateParams{Name: stripe.String(in.Name), Metadata: in.Metadata}
	p.IdempotencyKey = c.nextKey()
	setString(&p.Description, in.Description)
	if in.Active != nil {
		p.Active = stripe.Bool(*in.Active)
	}
	pr, err := c.d.Stripe.V1Products.Create(c, p)
	if err != nil {
		return nil, stripeErr(err)
	}
	return c.object(viewProduct(pr), pr.LastResponse), nil
}

func listProducts(c *call, in *listProductsIn) (any, error) {
	p := &stripe.ProductListParams{}
	p.Limit = stripe.Int64(in.limit())
	if in.Active != nil {
		p.Active = stripe.Bool(*in.Active)
	}
	setString(&p.StartingAfter, in.StartingAfter)
	setString(&p.EndingBefore, in.EndingBefore)
	return listPage(c, c.d.Stripe.V1Products.List(c, p), viewProduct, func(p *stripe.Product) string { return p.ID })
}

func createPrice(c *call, in *createPriceIn) (any, error) {
	p := &stripe.PriceCreateParams{
		Product:    stripe.String(in.ProductID),
		UnitAmount: stripe.Int64(in.UnitAmount),
		Currency:   stripe.String(in.Currency),
		Metadata:   in.Metadata,
	}
	p.IdempotencyKey = c.nextKey()
	if r := in.Recurring; r != nil {
		p.Recurring = &stripe.PriceCreateRecurringParams{Interval: stripe.String(r.Interval)}
		if r.IntervalCount > 0 {
			p.Recurring.IntervalCount = stripe.Int64(r.IntervalCount)
		}
	}
	setString(&p.Nickname, in.Nickname)
	pr, err := c.d.Stripe.V1Prices.Create(c, p)
	if err != nil {
		return nil, stripeErr(err)
	}
	return c.object(viewPrice(pr), pr.LastResponse), nil
}

func listPrices(c *call, in *listPricesIn) (any, error) {
	p := &stripe.PriceListParams{}
	p.Limit = stripe.Int64(in.limit())
	setString(&p.Product, in.ProductID)
	if in.Active != nil {
		p.Active = stripe.Bool(*in.Active)
	}
	setString(&p.Type, in.Type)
	setString(&p.StartingAfter, in.StartingAfter)
	setString(&p.EndingBefore, in.EndingBefore)
	return listPage(c, c.d.Stripe.V1Prices.List(c, p), viewPrice, func(p *stripe.Price) string { return p.ID })
}

func createPaymentLink(c *call, in *createPaymentLinkIn) (any, error) {
	p := &stripe.PaymentLinkCreateParams{
		LineItems: []*stripe.PaymentLinkCreateLineItemParams{{
			Price:    stripe.String(in.PriceID),
			Quantity: stripe.Int64(max(in.Quantity, 1)),
		}},
		Metadata: in.Metadata,
	}
	p.IdempotencyKey = c.nextKey()
	if in.RedirectURL != "" {
		p.AfterCompletion = &stripe.PaymentLinkCreateAfterCompletionParams{
			Type:     stripe.String(string(stripe.PaymentLinkAfterCompletionTypeRedirect)),
			Redirect: &stripe.PaymentLinkCreateAfterCompletionRedirectParams{URL: stripe.String(in.RedirectURL)},
		}
	}
	// The line items are not part of a payment link unless asked for; the
	// result should say what the link charges.
	p.AddExpand("line_items")
	pl, err := c.d.Stripe.V1PaymentLinks.Create(c, p)
	if err != nil {
		return nil, stripeErr(err)
	}
	return c.object(viewPaymentLink(pl), pl.LastResponse), nil
}

type productView struct {
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Active       bool              `json:"active"`
	Description  string            `json:"description,omitempty"`
	DefaultPrice string            `json:"defaultPriceId,omitempty"`
	URL          string            `json:"url,omitempty"`
	Created      string            `json:"created,omitempty"`
	Metadata     map[string]string `json:"metadata,omitempty"`
	Livemode     bool              `json:"livemode,omitempty"`
}

func viewProduct(p *stripe.Product) *productView {
	v := &productView{
		ID:          p.ID,
		Name:        p.Name,
		Active:      p.Active,
		Description: p.Description,
		URL:         p.URL,
		Created:     timestamp(p.Created),
		Metadata:    nonEmpty(p.Metadata),
		Livemode:    p.Livemode,
	}
	if p.DefaultPrice != nil {
		v.DefaultPrice = p.DefaultPrice.ID
	}
	return v
}

type priceView struct {
	ID      string `json:"id"`
	Product string `json:"productId,omitempty"`
	Active  bool   `json:"active"`
	Type    string `json:"type"`
	// UnitAmount is absent when the price has no single one: tiered, or
	// the customer chooses.
	UnitAmount *int64 `json:"unitAmount,omitempty"`
	// UnitAmountDecimal is the unit amount of a price set in fractions of
	// the smallest unit ("0.5": half a cent), in place of UnitAmount.
	UnitAmountDecimal string `json:"unitAmountDecimal,omitempty"`
	Currency          string `json:"currency"`
	AmountDisplay     string `json:"amountDisplay,omitempty"`
	Interval          string `json:"interval,omitempty"`
	IntervalCount     int64  `json:"intervalCount,omitempty"`
	// Only the unusual values are shown.
	BillingScheme    string            `json:"billingScheme,omitempty"` // tiered
	UsageType        string            `json:"usageType,omitempty"`     // metered
	CustomUnitAmount bool              `json:"customUnitAmount,omitempty"`
	Nickname         string            `json:"nickname,omitempty"`
	LookupKey        string            `json:"lookupKey,omitempty"`
	Created          string            `json:"created,omitempty"`
	Metadata         map[string]string `json:"metadata,omitempty"`
	Livemode         bool              `json:"livemode,omitempty"`
}

// customAmount reports a price whose amount the customer chooses: Stripe
// sends unit_amount null then.
func customAmount(pr *stripe.Price) bool {
	return pr.CustomUnitAmount != nil && pr.UnitAmount == 0
}

func viewPrice(pr *stripe.Price) *priceView {
	v := &priceView{
		ID:               pr.ID,
		Active:           pr.Active,
		Type:             string(pr.Type),
		Currency:         string(pr.Currency),
		CustomUnitAmount: customAmount(pr),
		Nickname:         pr.Nickname,
		LookupKey:        pr.LookupKey,
		Created:          timestamp(pr.Created),
		Metadata:         nonEmpty(pr.Metadata),
		Livemode:         pr.Livemode,
	}
	if pr.Product != nil {
		v.Product = pr.Product.ID
	}
	if pr.BillingScheme == stripe.PriceBillingSchemeTiered {
		v.BillingScheme = string(pr.BillingScheme)
	}
	if r := pr.Recurring; r != nil {
		v.Interval, v.IntervalCount = string(r.Interval), r.IntervalCount
		if r.UsageType == stripe.PriceRecurringUsageTypeMetered {
			v.UsageType = string(r.UsageType)
		}
	}
	switch {
	case pr.UnitAmount == 0 && pr.UnitAmountDecimal != 0:
		// In fractions of the smallest unit (unit_amount is null): Stripe
		// rounds the total, so the unit is shown as given, not as 0.
		v.UnitAmountDecimal = strconv.FormatFloat(pr.UnitAmountDecimal, 'f', -1, 64)
	case v.BillingScheme == "" && !v.CustomUnitAmount:
		v.UnitAmount = ptr(pr.UnitAmount)
		v.AmountDisplay = recurringDisplay(pr.UnitAmount, pr.Currency, v.Interval, v.IntervalCount)
	}
	return v
}

type paymentLinkView struct {
	ID     string            `json:"id"`
	URL    string            `json:"url"`
	Active bool              `json:"active"`
	Items  []paymentLinkItem `json:"items,omitempty"`
	// AfterCompletion is hosted_confirmation (Stripe's page) or redirect.
	AfterCompletion string            `json:"afterCompletion,omitempty"`
	RedirectURL     string            `json:"redirectUrl,omitempty"`
	Metadata        map[string]string `json:"metadata,omitempty"`
	Livemode        bool              `json:"livemode,omitempty"`
}

type paymentLinkItem struct {
	Price       string `json:"priceId,omitempty"`
	Description string `json:"description,omitempty"`
	Quantity    int64  `json:"quantity"`
	AmountTotal int64  `json:"amountTotal"`
	Currency    string `json:"currency"`
	// AmountDisplay is what one payment of the link charges for the item:
	// "$75.00" or "$75.00/month".
	AmountDisplay string `json:"amountDisplay"`
}

func viewPaymentLink(pl *stripe.PaymentLink) *paymentLinkView {
	v := &paymentLinkView{ID: pl.ID, URL: pl.URL, Active: pl.Active, Metadata: nonEmpty(pl.Metadata), Livemode: pl.Livemode}
	if ac := pl.AfterCompletion; ac != nil {
		v.AfterCompletion = string(ac.Type)
		if ac.Redirect != nil {
			v.RedirectURL = ac.Redirect.URL
		}
	}
	if pl.LineItems != nil {
		for _, li := range pl.LineItems.Data {
			item := paymentLinkItem{Description: li.Description, Quantity: li.Quantity, AmountTotal: li.AmountTotal, Currency: string(li.Currency)}
			var interval string
			var count int64
			if pr := li.Price; pr != nil {
				item.Price = pr.ID
				if r := pr.Recurring; r != nil {
					interval, count = string(r.Interval), r.IntervalCount
				}
			}
			item.AmountDisplay = recurringDisplay(li.AmountTotal, li.Currency, interval, count)
			v.Items = append(v.Items, item)
		}
	}
	return v
}
