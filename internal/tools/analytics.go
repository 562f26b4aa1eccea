package tools

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/stripe/stripe-go/v85"

	"github.com/stripe-mcp/stripe-mcp/internal/money"
	"github.com/stripe-mcp/stripe-mcp/internal/stripeapi"
)

// The analytics tools read whole periods of Stripe data. Each one pages
// through a list 100 objects at a time and folds every object into running
// totals as it arrives, so memory does not grow with the number of objects;
// a call reads at most maxScanPages pages and then says where to continue.

const (
	scanPageSize = 100
	// maxScanPages caps the pages one call reads: 100 pages = 10,000
	// objects, about a minute of Stripe's read rate limit at worst.
	maxScanPages = 100
	// defaultPeriod is the window when since is not given.
	defaultPeriod = 30 * 24 * time.Hour
)

// scanPages is the page cap in force: maxScanPages, lifted only by the
// benchmark that measures memory over more objects than one call reads.
var scanPages = maxScanPages

func analyticsTools() []Definition {
	return []Definition{
		&tool[revenueSummaryIn]{
			Meta: Meta{
				Name: "stripe_revenue_summary", Toolset: "analytics", Title: "Revenue summary",
				Description: "Gross volume, refunds, disputes, fees and net per settlement currency from balance transactions created in [since, until); payouts are reported apart, not in net.",
				ReadOnly:    true,
			},
			schema: periodSchema,
			run:    revenueSummary,
		},
		&tool[paymentFailuresIn]{
			Meta: Meta{
				Name: "stripe_payment_failures", Toolset: "analytics", Title: "Payment failures",
				Description: "Failed charges created in [since, until), grouped by decline code, most frequent first, each with amounts, an analysis and recent examples.",
				ReadOnly:    true,
			},
			schema: func(s *jsonschema.Schema) {
				periodSchema(s)
				prop(s, "limit").Minimum = ptr(1.0)
				prop(s, "limit").Maximum = ptr(10.0)
			},
			run: paymentFailures,
		},
		&tool[subscriptionMetricsIn]{
			Meta: Meta{
				Name: "stripe_subscription_metrics", Toolset: "analytics", Title: "Subscription metrics",
				Description: "MRR per currency over active and past_due subscriptions: Σ unit_amount × quantity per month (day ×365/12, week ×52/12, year ÷12; ÷interval_count), less recurring coupons. Counts by status; new, and canceled (ended), in [since, until).",
				ReadOnly:    true,
			},
			schema: periodSchema,
			run:    subscriptionMetrics,
		},
		&tool[analyzeFailureIn]{
			Meta: Meta{
				Name: "stripe_analyze_payment_failure", Toolset: "analytics", Title: "Analyze payment failure",
				Description: "Why a PaymentIntent failed (last error or latest charge outcome), whether a retry can help, and what to do.",
				ReadOnly:    true,
			},
			run: analyzePaymentFailure,
		},
	}
}

// ---- periods ----

// instant is a point in time as a caller gives it: RFC 3339
// ("2026-03-01T00:00:00Z", or a bare date for midnight UTC) or unix seconds
// (a number or a numeric string). It is parsed in validate, where a mistake
// can be explained.
type instant struct{ raw string }

func (t *instant) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &t.raw)
	}
	t.raw = string(b)
	return nil
}

func (t instant) MarshalJSON() ([]byte, error) { return json.Marshal(t.raw) }

// unixSecondsMax is where unix seconds end and milliseconds begin: 10^11
// seconds is the year 5138.
const unixSecondsMax = 1e11

func (t *instant) parse(field string) (int64, error) {
	s := strings.TrimSpace(t.raw)
	if s == "" {
		return 0, badInput("%s is empty; give RFC 3339 (2026-03-01T00:00:00Z) or unix seconds", field)
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		switch {
		case f != math.Trunc(f):
			return 0, badInput("%s must be whole unix seconds, got %s", field, clip(s))
		case f < 0:
			return 0, badInput("%s must not be before 1970, got %s", field, clip(s))
		case f >= unixSecondsMax:
			return 0, badInput("%s %s looks like milliseconds; give unix seconds", field, clip(s))
		}
		return int64(f), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if v, err := time.Parse(layout, s); err == nil {
			if v.Unix() < 0 {
				return 0, badInput("%s must not be before 1970, got %s", field, clip(s))
			}
			return v.Unix(), nil
		}
	}
	return 0, badInput("%s must be RFC 3339 (2026-03-01T00:00:00Z, or 2026-03-01 for midnight UTC) or unix seconds, got %q", field, clip(s))
}

// period is the [since, until) window of an analytics call, and the cursor
// that continues a call the page cap cut short.
type period struct {
	Since         *instant `json:"since,omitempty" jsonschema:"RFC 3339 or unix seconds; default: 30 days before until"`
	Until         *instant `json:"until,omitempty" jsonschema:"exclusive; default and at most: now"`
	StartingAfter string   `json:"startingAfter,omitempty" jsonschema:"nextCursor of a call cut by the page cap"`

	since, until int64
	clamped      bool // until was in the future and now stands in for it
}

// resolve checks the window against now and fills in the defaults.
func (p *period) resolve(now time.Time, cursorPrefixes ...string) error {
	p.until = now.Unix()
	if p.Until != nil {
		u, err := p.Until.parse("until")
		if err != nil {
			return err
		}
		if u > p.until {
			// A calendar period ("this year") ends in the future; the data
			// ends now, and the result says so.
			p.clamped = true
		} else {
			p.until = u
		}
	}
	p.since = p.until - int64(defaultPeriod/time.Second)
	if p.Since != nil {
		s, err := p.Since.parse("since")
		if err != nil {
			return err
		}
		p.since = s
	}
	if p.since >= p.until {
		if p.Since != nil && p.since >= now.Unix() {
			return badInput("since (%s) is not in the past; nothing has happened yet", timestamp(p.since))
		}
		return badInput("until (%s) must be after since (%s)", timestamp(p.until), timestamp(p.since))
	}
	return checkID("startingAfter", p.StartingAfter, cursorPrefixes...)
}

// created is the window as Stripe's created filter.
func (p *period) created() *stripe.RangeQueryParams {
	return &stripe.RangeQueryParams{GreaterThanOrEqual: p.since, LesserThan: p.until}
}

// periodSchema lets since and until be strings or integers.
func periodSchema(s *jsonschema.Schema) {
	for _, name := range []string{"since", "until"} {
		p := prop(s, name)
		*p = jsonschema.Schema{Types: []string{"string", "integer"}, Description: p.Description}
	}
}

// periodView is the window a result covers.
type periodView struct {
	Since string `json:"since"`
	Until string `json:"until"`
}

func (p *period) view() periodView {
	return periodView{Since: timestamp(p.since), Until: timestamp(p.until)}
}

// ---- scanning ----

// scanView tells how much a call read and whether it read everything.
type scanView struct {
	Pages    int  `json:"pages"`
	Objects  int  `json:"objects"`
	Complete bool `json:"complete"`
	// NextCursor continues a scan the page cap cut: the same call with
	// startingAfter: nextCursor reads the rest, and the two results add up.
	NextCursor string `json:"nextCursor,omitempty"`
	// ReadBackTo is the creation time of the oldest object read.
	ReadBackTo string `json:"readBackTo,omitempty"`
	Note       string `json:"note,omitempty"`
}

// scanList reads a list newest first, a page of 100 at a time from after,
// handing each object to each. It checks for cancellation between pages,
// reports progress when the caller asked for it, and stops after scanPages
// pages. Stripe-go retries rate-limited pages itself.
func scanList[T any](c *call, noun, after string, fetch func(after string) *stripe.V1List[T], id func(T) string, created func(T) int64, each func(T) error) (*scanView, error) {
	v := &scanView{}
	var oldest int64
	for {
		if err := c.Err(); err != nil {
			return nil, stripeErr(err)
		}
		l := fetch(after)
		if err := l.Err(); err != nil {
			return nil, stripeErr(err)
		}
		v.Pages++
		data := l.Data()
		for _, x := range data {
			if err := each(x); err != nil {
				return nil, err
			}
		}
		v.Objects += len(data)
		if len(data) > 0 {
			last := data[len(data)-1]
			after, oldest = id(last), created(last)
			v.ReadBackTo = timestamp(oldest)
		}
		more := l.Meta().HasMore && len(data) > 0
		c.progress(float64(v.Objects), 0, fmt.Sprintf("read %d %s in %d pages, back to %s", v.Objects, noun, v.Pages, v.ReadBackTo))
		if !more {
			v.Complete = true
			return v, nil
		}
		if v.Pages >= scanPages {
			v.NextCursor = after
			v.Note = fmt.Sprintf("INCOMPLETE: stopped at the cap of %d pages (%d %s); the figures cover only %s back to %s. Call again with the same arguments, since and until as this result's period gives them (a window left to its default moves with the clock), and startingAfter: %q for the rest (the results add up), or narrow the period.",
				v.Pages, v.Objects, noun, noun, v.ReadBackTo, after)
			return v, nil
		}
	}
}

// pageParams are the list parameters of one page.
func pageParams(after string) stripe.ListParams {
	p := stripe.ListParams{Limit: stripe.Int64(scanPageSize), Single: true}
	if after != "" {
		p.StartingAfter = stripe.String(after)
	}
	return p
}

// sum adds exactly: an int64 overflow is an error, never a wrong total.
func sum(total *int64, v int64) error {
	s := *total + v
	if (v > 0 && s < *total) || (v < 0 && s > *total) {
		return fmt.Errorf("a total overflows 64 bits")
	}
	*total = s
	return nil
}

// figure is an amount in the smallest unit with its display string, and
// the number of objects it adds up.
type figure struct {
	Currency string `json:"currency,omitempty"` // in lists of amounts
	Amount   int64  `json:"amount"`
	Display  string `json:"display"`
	Count    int64  `json:"count,omitempty"`
}

func (f *figure) add(amount int64) error {
	f.Count++
	return sum(&f.Amount, amount)
}

// ---- stripe_revenue_summary ----

type revenueSummaryIn struct {
	period
	Currency string `json:"currency,omitempty" jsonschema:"only this settlement currency"`
}

func (in *revenueSummaryIn) validate(*Deps) error {
	if in.Currency != "" {
		if err := checkCurrency("currency", &in.Currency, ""); err != nil {
			return err
		}
	}
	return in.resolve(time.Now(), "txn_")
}

// revenueGroup is where a balance transaction counts in the summary.
type revenueGroup int

const (
	groupOther     revenueGroup = iota // in net, as "other"
	groupGross                         // sales
	groupRefunds                       // refunds and their failures
	groupDisputes                      // disputes and their reversals
	groupOtherFees                     // fees not tied to one transaction
	groupPayouts                       // not revenue: left out of net
	groupTopups                        // not revenue: left out of net
)

// revenueGroups maps Stripe's reporting categories
// (https://docs.stripe.com/reports/reporting-categories) to the summary.
// Categories not listed (transfer, transfer_reversal, other_adjustment,
// platform_earning, platform_earning_refund, tax, connect_collection_transfer,
// connect_reserved_funds, risk_reserved_funds, issuing_*, advance,
// advance_funding, and any Stripe adds) change the balance and count as
// "other", so net is every revenue transaction's net.
var revenueGroups = map[stripe.BalanceTransactionReportingCategory]revenueGroup{
	// Card charges and other payments (types charge and payment).
	"charge": groupGross,
	// The uncaptured rest of a partially captured charge reverses part of
	// the charge: it is not a refund, so it reduces gross.
	"partial_capture_reversal": groupGross,
	// An asynchronous payment (bank debit) that failed after it was
	// counted: the sale did not happen.
	"charge_failure": groupGross,
	"refund":         groupRefunds,
	// A refund that failed returns its funds.
	"refund_failure":   groupRefunds,
	"dispute":          groupDisputes,
	"dispute_reversal": groupDisputes,
	// Stand-alone fees: Billing, Radar, Connect, Stripe Tax, and refunds of
	// them. Processing fees are in each transaction's fee field instead.
	"fee": groupOtherFees,
	// Moving the balance to or from the owner's bank is not revenue.
	"payout":          groupPayouts,
	"payout_reversal": groupPayouts,
	"topup":           groupTopups,
	"topup_reversal":  groupTopups,
}

// categoryView is one reporting category's totals.
type categoryView struct {
	Count         int64  `json:"count"`
	Amount        int64  `json:"amount"`
	AmountDisplay string `json:"amountDisplay"`
	Fee           int64  `json:"fee"`
	Net           int64  `json:"net"`
	NetDisplay    string `json:"netDisplay"`
}

// currencyRevenue is one settlement currency's summary. Amounts are signed
// as Stripe signs them (money out is negative); fees are positive, as in
// Stripe's fee field. net = gross + refunds + disputes + other − fees − otherFees.
type currencyRevenue struct {
	Currency   string                   `json:"currency"`
	Gross      figure                   `json:"gross"`
	Refunds    figure                   `json:"refunds"`
	Disputes   figure                   `json:"disputes"`
	Fees       figure                   `json:"fees"`
	OtherFees  figure                   `json:"otherFees"`
	Other      figure                   `json:"other"`
	Net        figure                   `json:"net"`
	Payouts    *figure                  `json:"payouts,omitempty"`
	Topups     *figure                  `json:"topups,omitempty"`
	ByCategory map[string]*categoryView `json:"byCategory"`
}

type revenueView struct {
	periodView
	Currency   string             `json:"currency,omitempty"`
	Currencies []*currencyRevenue `json:"currencies"`
	Definition string             `json:"definition"`
	*scanView
}

const revenueDefinition = "Per settlement currency, from balance transactions by reporting_category. gross: charge, partial_capture_reversal, charge_failure. refunds: refund, refund_failure. disputes: dispute, dispute_reversal. fees: the fee field of every transaction. otherFees: the fee category (Billing, Radar, Connect fees), as a positive cost. other: everything else but payouts and top-ups. net = Σ net = gross + refunds + disputes + other − fees − otherFees. Payouts and top-ups move the balance to or from a bank: shown apart, not in net. Amounts are exact, in the smallest unit; money out is negative."

type revenueTotals struct {
	gross, refunds, disputes, fees, otherFees, other, net, payouts, topups figure
	categories                                                             map[string]*categoryView
}

func revenueSummary(c *call, in *revenueSummaryIn) (any, error) {
	totals := map[string]*revenueTotals{}
	add := func(t *stripe.BalanceTransaction) error {
		cur := string(t.Currency)
		tt := totals[cur]
		if tt == nil {
			tt = &revenueTotals{categories: map[string]*categoryView{}}
			totals[cur] = tt
		}
		cat := string(t.ReportingCategory)
		if cat == "" {
			cat = "unknown"
		}
		cv := tt.categories[cat]
		if cv == nil {
			cv = &categoryView{}
			tt.categories[cat] = cv
		}
		cv.Count++
		if err := firstError(sum(&cv.Amount, t.Amount), sum(&cv.Fee, t.Fee), sum(&cv.Net, t.Net)); err != nil {
			return err
		}
		group := revenueGroups[t.ReportingCategory]
		switch group {
		case groupPayouts:
			return tt.payouts.add(t.Amount)
		case groupTopups:
			return tt.topups.add(t.Amount)
		}
		if err := firstError(tt.net.add(t.Net), sum(&tt.fees.Amount, t.Fee)); err != nil {
			return err
		}
		switch group {
		case groupGross:
			return tt.gross.add(t.Amount)
		case groupRefunds:
			return tt.refunds.add(t.Amount)
		case groupDisputes:
			return tt.disputes.add(t.Amount)
		case groupOtherFees:
			return tt.otherFees.add(-t.Amount)
		default:
			return tt.other.add(t.Amount)
		}
	}
	fetch := func(after string) *stripe.V1List[*stripe.BalanceTransaction] {
		p := &stripe.BalanceTransactionListParams{ListParams: pageParams(after), CreatedRange: in.created()}
		setString(&p.Currency, in.Currency)
		return c.d.Stripe.V1BalanceTransactions.List(c, p)
	}
	scan, err := scanList(c, "balance transactions", in.StartingAfter, fetch,
		func(t *stripe.BalanceTransaction) string { return t.ID },
		func(t *stripe.BalanceTransaction) int64 { return t.Created }, add)
	if err != nil {
		return nil, err
	}
	v := &revenueView{periodView: in.view(), Currency: in.Currency, Currencies: []*currencyRevenue{}, Definition: revenueDefinition, scanView: scan}
	for cur, tt := range totals {
		cr := &currencyRevenue{
			Currency:   cur,
			Gross:      shown(tt.gross, cur),
			Refunds:    shown(tt.refunds, cur),
			Disputes:   shown(tt.disputes, cur),
			Fees:       shown(tt.fees, cur),
			OtherFees:  shown(tt.otherFees, cur),
			Other:      shown(tt.other, cur),
			Net:        shown(tt.net, cur),
			ByCategory: tt.categories,
		}
		if tt.payouts.Count > 0 {
			cr.Payouts = ptr(shown(tt.payouts, cur))
		}
		if tt.topups.Count > 0 {
			cr.Topups = ptr(shown(tt.topups, cur))
		}
		for _, cv := range tt.categories {
			cv.AmountDisplay = money.Format(cv.Amount, cur)
			cv.NetDisplay = money.Format(cv.Net, cur)
		}
		v.Currencies = append(v.Currencies, cr)
	}
	sort.Slice(v.Currencies, func(i, j int) bool { return v.Currencies[i].Currency < v.Currencies[j].Currency })
	if in.clamped {
		v.Note = joinNotes(v.Note, "until was in the future: the summary ends now")
	}
	return v, nil
}

func shown(f figure, currency string) figure {
	f.Display = money.Format(f.Amount, currency)
	return f
}

func joinNotes(a, b string) string {
	if a == "" {
		return b
	}
	return a + " " + b
}

// ---- stripe_payment_failures ----

type paymentFailuresIn struct {
	period
	Limit int `json:"limit,omitempty" jsonschema:"examples per group, default 3"`
}

func (in *paymentFailuresIn) validate(*Deps) error {
	if in.Limit == 0 {
		in.Limit = 3
	}
	return in.resolve(time.Now(), "ch_", "py_")
}

type failureExample struct {
	ChargeID        string `json:"chargeId"`
	PaymentIntentID string `json:"paymentIntentId,omitempty"`
	CustomerID      string `json:"customerId,omitempty"`
	Amount          int64  `json:"amount"`
	Currency        string `json:"currency"`
	AmountDisplay   string `json:"amountDisplay"`
	Created         string `json:"created"`
}

type failureGroup struct {
	Code     string                    `json:"code"`
	Count    int64                     `json:"count"`
	Amounts  []figure                  `json:"amounts"`
	Analysis stripeapi.FailureAnalysis `json:"analysis"`
	Examples []failureExample          `json:"examples"`

	byCurrency map[string]int64
}

type failuresView struct {
	periodView
	Charges int64           `json:"charges"`
	Failed  int64           `json:"failed"`
	Groups  []*failureGroup `json:"groups"`
	*scanView
}

// declineOf is the code a failed charge is grouped by: the outcome's reason
// (the issuer's decline code, or Radar's), else failure_code; and the error
// type to analyse it with.
func declineOf(ch *stripe.Charge) (key, declineCode, code, errType string) {
	code = ch.FailureCode
	if o := ch.Outcome; o != nil {
		if o.Type == "issuer_declined" || o.Type == "blocked" {
			errType = "card_error"
		}
		if o.Reason != "" {
			return o.Reason, o.Reason, code, errType
		}
	}
	if code == "card_declined" {
		errType = "card_error"
	}
	if code != "" {
		return code, "", code, errType
	}
	return "unknown", "", "", errType
}

func paymentFailures(c *call, in *paymentFailuresIn) (any, error) {
	groups := map[string]*failureGroup{}
	var charges, failed int64
	each := func(ch *stripe.Charge) error {
		charges++
		if ch.Status != stripe.ChargeStatusFailed {
			return nil
		}
		failed++
		key, decline, code, errType := declineOf(ch)
		g := groups[key]
		if g == nil {
			g = &failureGroup{Code: key, Analysis: stripeapi.AnalyzeFailure(decline, code, errType), byCurrency: map[string]int64{}, Examples: []failureExample{}}
			groups[key] = g
		}
		g.Count++
		cur := string(ch.Currency)
		total := g.byCurrency[cur]
		if err := sum(&total, ch.Amount); err != nil {
			return err
		}
		g.byCurrency[cur] = total
		// The list is newest first: the first examples are the latest.
		if len(g.Examples) < in.Limit {
			ex := failureExample{ChargeID: ch.ID, Amount: ch.Amount, Currency: cur, AmountDisplay: money.Format(ch.Amount, cur), Created: timestamp(ch.Created)}
			if ch.PaymentIntent != nil {
				ex.PaymentIntentID = ch.PaymentIntent.ID
			}
			if ch.Customer != nil {
				ex.CustomerID = ch.Customer.ID
			}
			g.Examples = append(g.Examples, ex)
		}
		return nil
	}
	fetch := func(after string) *stripe.V1List[*stripe.Charge] {
		return c.d.Stripe.V1Charges.List(c, &stripe.ChargeListParams{ListParams: pageParams(after), CreatedRange: in.created()})
	}
	scan, err := scanList(c, "charges", in.StartingAfter, fetch,
		func(ch *stripe.Charge) string { return ch.ID },
		func(ch *stripe.Charge) int64 { return ch.Created }, each)
	if err != nil {
		return nil, err
	}
	v := &failuresView{periodView: in.view(), Charges: charges, Failed: failed, Groups: make([]*failureGroup, 0, len(groups)), scanView: scan}
	for _, g := range groups {
		curs := make([]string, 0, len(g.byCurrency))
		for cur := range g.byCurrency {
			curs = append(curs, cur)
		}
		sort.Strings(curs)
		for _, cur := range curs {
			g.Amounts = append(g.Amounts, figure{Currency: cur, Amount: g.byCurrency[cur], Display: money.Format(g.byCurrency[cur], cur)})
		}
		v.Groups = append(v.Groups, g)
	}
	sort.Slice(v.Groups, func(i, j int) bool {
		a, b := v.Groups[i], v.Groups[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Code < b.Code
	})
	if in.clamped {
		v.Note = joinNotes(v.Note, "until was in the future: the scan ends now")
	}
	return v, nil
}

// ---- stripe_subscription_metrics ----

type subscriptionMetricsIn struct {
	period
}

func (in *subscriptionMetricsIn) validate(*Deps) error {
	return in.resolve(time.Now(), "sub_")
}

// mrrStatuses are the statuses whose subscriptions count in MRR: past_due
// is still billed; trialing is reported apart, as it has not paid yet.
var mrrStatuses = map[stripe.SubscriptionStatus]bool{"active": true, "past_due": true}

type subscriptionsView struct {
	MRR         []figure         `json:"mrr"`
	TrialingMRR []figure         `json:"trialingMrr,omitempty"`
	ByStatus    map[string]int64 `json:"byStatus"`
	Period      struct {
		periodView
		New      int64 `json:"new"`
		Canceled int64 `json:"canceled"`
	} `json:"period"`
	Excluded   map[string]int64 `json:"excludedItems,omitempty"`
	Definition string           `json:"definition"`
	*scanView
}

const mrrDefinition = "MRR: per currency, over active and past_due subscriptions, each licensed per-unit item's unit_amount × quantity made monthly (day ×365/12, week ×52/12, month ÷interval_count, year ÷(12×interval_count)), item discounts first, then the subscription's, in their order: percent_off scales, amount_off (per invoice, in the subscription's currency) is made monthly the same way and subtracted, never below zero. Coupons with duration once, and discounts that have ended, are left out. Exact fractions, rounded once per currency, half up, to the smallest unit; count: the subscriptions. Not in MRR: metered and tiered items (excludedItems), trialing (trialingMrr), coupons' applies_to restrictions (applied to the whole subscription), the customer's own discount."

// mrr accumulates the exact monthly revenue of subscriptions.
type mrr struct {
	c        *call
	now      int64
	active   map[string]*monthlyTotal
	trialing map[string]*monthlyTotal
	excluded map[string]int64
	coupons  map[string]*stripe.Coupon // item discounts carry only the coupon id
}

func subscriptionMetrics(c *call, in *subscriptionMetricsIn) (any, error) {
	m := &mrr{c: c, now: time.Now().Unix(), active: map[string]*monthlyTotal{}, trialing: map[string]*monthlyTotal{}, excluded: map[string]int64{}, coupons: map[string]*stripe.Coupon{}}
	byStatus := map[string]int64{}
	var created, canceled int64
	each := func(s *stripe.Subscription) error {
		byStatus[string(s.Status)]++
		if s.Created >= in.since && s.Created < in.until {
			created++
		}
		// Canceled in the period: ended in it. A cancellation requested for
		// the period's end sets canceled_at on a subscription still active.
		if ended := cmp.Or(s.EndedAt, s.CanceledAt); s.Status == stripe.SubscriptionStatusCanceled && ended >= in.since && ended < in.until && ended != 0 {
			canceled++
		}
		switch {
		case mrrStatuses[s.Status]:
			return m.add(m.active, s)
		case s.Status == stripe.SubscriptionStatusTrialing:
			return m.add(m.trialing, s)
		}
		return nil
	}
	fetch := func(after string) *stripe.V1List[*stripe.Subscription] {
		p := &stripe.SubscriptionListParams{ListParams: pageParams(after), Status: stripe.String("all")}
		// Four levels, Stripe's limit: the subscription's discounts with
		// their coupons, and the items' discounts (their coupons would be
		// six levels down, so they are read by id).
		p.AddExpand("data.discounts.source.coupon")
		p.AddExpand("data.items.data.discounts")
		return c.d.Stripe.V1Subscriptions.List(c, p)
	}
	scan, err := scanList(c, "subscriptions", in.StartingAfter, fetch,
		func(s *stripe.Subscription) string { return s.ID },
		func(s *stripe.Subscription) int64 { return s.Created }, each)
	if err != nil {
		return nil, err
	}
	v := &subscriptionsView{ByStatus: byStatus, Definition: mrrDefinition, scanView: scan}
	if v.MRR, err = rounded(m.active); err != nil {
		return nil, err
	}
	if v.TrialingMRR, err = rounded(m.trialing); err != nil {
		return nil, err
	}
	v.Period.periodView, v.Period.New, v.Period.Canceled = in.view(), created, canceled
	if len(m.excluded) > 0 {
		v.Excluded = m.excluded
	}
	if len(v.TrialingMRR) == 0 {
		v.TrialingMRR = nil
	}
	if in.clamped {
		v.Note = joinNotes(v.Note, "until was in the future: the period ends now")
	}
	return v, nil
}

// monthlyTotal is the exact monthly revenue of a currency's subscriptions.
type monthlyTotal struct {
	amount big.Rat
	subs   int64
}

// add adds a subscription's monthly revenue to totals.
func (m *mrr) add(totals map[string]*monthlyTotal, s *stripe.Subscription) error {
	items, err := m.items(s)
	if err != nil {
		return err
	}
	sub := new(big.Rat)
	var period *big.Rat // month factor of the subscription's billing interval
	for _, it := range items {
		p := it.Price
		if p == nil || p.Recurring == nil {
			continue
		}
		factor := monthly(p.Recurring)
		if factor == nil {
			m.excluded["unknownInterval"]++
			continue
		}
		if period == nil {
			period = factor
		}
		switch {
		case p.Recurring.UsageType == stripe.PriceRecurringUsageTypeMetered:
			m.excluded["metered"]++
			continue
		case p.BillingScheme == stripe.PriceBillingSchemeTiered:
			m.excluded["tiered"]++
			continue
		}
		amount := new(big.Rat).Mul(unitAmount(p), new(big.Rat).SetInt64(quantity(it.Quantity, p.TransformQuantity)))
		amount.Mul(amount, factor)
		for _, d := range it.Discounts {
			if err := m.discount(amount, d, string(s.Currency), factor); err != nil {
				return err
			}
		}
		sub.Add(sub, amount)
	}
	if period != nil {
		for _, d := range s.Discounts {
			if err := m.discount(sub, d, string(s.Currency), period); err != nil {
				return err
			}
		}
	}
	cur := string(s.Currency)
	if totals[cur] == nil {
		totals[cur] = &monthlyTotal{}
	}
	totals[cur].amount.Add(&totals[cur].amount, sub)
	totals[cur].subs++
	return nil
}

// items are a subscription's items; a subscription lists its first ones
// inline and the rest are paged.
func (m *mrr) items(s *stripe.Subscription) ([]*stripe.SubscriptionItem, error) {
	if s.Items == nil {
		return nil, nil
	}
	items := s.Items.Data
	if !s.Items.HasMore || len(items) == 0 {
		return items, nil
	}
	items = append([]*stripe.SubscriptionItem(nil), items...)
	p := &stripe.SubscriptionItemListParams{Subscription: stripe.String(s.ID)}
	p.ListParams = pageParams(items[len(items)-1].ID)
	p.Single = false
	p.AddExpand("data.discounts")
	for it, err := range m.c.d.Stripe.V1SubscriptionItems.List(m.c, p).All(m.c) {
		if err != nil {
			return nil, stripeErr(err)
		}
		items = append(items, it)
	}
	return items, nil
}

// discount applies one discount to a monthly amount, in place.
func (m *mrr) discount(amount *big.Rat, d *stripe.Discount, currency string, factor *big.Rat) error {
	if d == nil || d.Source == nil || d.Source.Coupon == nil {
		if d != nil && d.Source == nil && d.ID != "" {
			return fmt.Errorf("discount %s was not expanded", d.ID)
		}
		return nil
	}
	if d.End != 0 && d.End <= m.now {
		return nil // ended, waiting to be removed
	}
	cp := d.Source.Coupon
	if cp.Duration == "" { // an id: every coupon has a duration
		var err error
		if cp, err = m.coupon(cp.ID); err != nil {
			return err
		}
	}
	if cp.Duration == stripe.CouponDurationOnce {
		return nil // one invoice is not recurring revenue
	}
	switch {
	case cp.PercentOff > 0:
		keep := new(big.Rat).Sub(big.NewRat(100, 1), decimalRat(cp.PercentOff))
		amount.Mul(amount, keep.Quo(keep, big.NewRat(100, 1)))
	case cp.AmountOff > 0:
		if string(cp.Currency) != currency {
			m.excluded["amountOffInOtherCurrency"]++
			return nil
		}
		off := new(big.Rat).Mul(new(big.Rat).SetInt64(cp.AmountOff), factor)
		amount.Sub(amount, off)
		if amount.Sign() < 0 {
			amount.SetInt64(0)
		}
	}
	return nil
}

// coupon reads a coupon once per call.
func (m *mrr) coupon(id string) (*stripe.Coupon, error) {
	if cp, ok := m.coupons[id]; ok {
		return cp, nil
	}
	cp, err := m.c.d.Stripe.V1Coupons.Retrieve(m.c, id, nil)
	if err != nil {
		return nil, stripeErr(err)
	}
	m.coupons[id] = cp
	return cp, nil
}

// monthly is the factor that turns an amount per billing interval into an
// amount per month; nil for an interval Stripe does not have yet.
func monthly(r *stripe.PriceRecurring) *big.Rat {
	n := r.IntervalCount
	if n <= 0 {
		n = 1
	}
	switch r.Interval {
	case stripe.PriceRecurringIntervalDay:
		return big.NewRat(365, 12*n)
	case stripe.PriceRecurringIntervalWeek:
		return big.NewRat(52, 12*n)
	case stripe.PriceRecurringIntervalMonth:
		return big.NewRat(1, n)
	case stripe.PriceRecurringIntervalYear:
		return big.NewRat(1, 12*n)
	}
	return nil
}

// unitAmount is a price's unit amount, exactly: unit_amount_decimal when it
// has a fraction of the smallest unit, else unit_amount.
func unitAmount(p *stripe.Price) *big.Rat {
	if p.UnitAmountDecimal != 0 && p.UnitAmountDecimal != float64(p.UnitAmount) {
		return decimalRat(p.UnitAmountDecimal)
	}
	return new(big.Rat).SetInt64(p.UnitAmount)
}

// decimalRat reads a decimal that stripe-go parsed into a float64 as the
// decimal Stripe sent: the shortest representation that round-trips is the
// original digits for Stripe's decimals (at most 12 places).
func decimalRat(f float64) *big.Rat {
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(f, 'f', -1, 64))
	if !ok {
		return new(big.Rat).SetFloat64(f)
	}
	return r
}

// quantity is the quantity billed: transform_quantity divides it and rounds.
func quantity(q int64, t *stripe.PriceTransformQuantity) int64 {
	if t == nil || t.DivideBy <= 1 {
		return q
	}
	d := q / t.DivideBy
	if t.Round == stripe.PriceTransformQuantityRoundUp && q%t.DivideBy != 0 {
		d++
	}
	return d
}

// rounded turns exact totals into amounts, rounding half up once; the
// count is the number of subscriptions.
func rounded(totals map[string]*monthlyTotal) ([]figure, error) {
	out := make([]figure, 0, len(totals))
	curs := make([]string, 0, len(totals))
	for cur := range totals {
		curs = append(curs, cur)
	}
	sort.Strings(curs)
	for _, cur := range curs {
		r := &totals[cur].amount
		q, rem := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
		if rem.Sign() > 0 && new(big.Int).Lsh(rem, 1).Cmp(r.Denom()) >= 0 {
			q.Add(q, big.NewInt(1))
		}
		if !q.IsInt64() {
			return nil, fmt.Errorf("MRR in %s overflows 64 bits", cur)
		}
		n := q.Int64()
		out = append(out, figure{Currency: cur, Amount: n, Display: money.Format(n, cur), Count: totals[cur].subs})
	}
	return out, nil
}

// ---- stripe_analyze_payment_failure ----

type analyzeFailureIn struct {
	paymentIntentIn
}

type outcomeView struct {
	Type          string `json:"type,omitempty"`
	NetworkStatus string `json:"networkStatus,omitempty"`
	Reason        string `json:"reason,omitempty"`
	AdviceCode    string `json:"adviceCode,omitempty"`
	RiskLevel     string `json:"riskLevel,omitempty"`
	SellerMessage string `json:"sellerMessage,omitempty"`
}

type failureDetailView struct {
	Source      string `json:"source"` // last_payment_error or latest_charge
	Type        string `json:"type,omitempty"`
	Code        string `json:"code,omitempty"`
	DeclineCode string `json:"declineCode,omitempty"`
	Message     string `json:"message,omitempty"`
	ChargeID    string `json:"chargeId,omitempty"`
}

type paymentFailureView struct {
	Payment  *paymentIntentView         `json:"payment"`
	Failed   bool                       `json:"failed"`
	Failure  *failureDetailView         `json:"failure,omitempty"`
	Outcome  *outcomeView               `json:"chargeOutcome,omitempty"`
	Analysis *stripeapi.FailureAnalysis `json:"analysis,omitempty"`
	Note     string                     `json:"note,omitempty"`
}

func analyzePaymentFailure(c *call, in *analyzeFailureIn) (any, error) {
	p := &stripe.PaymentIntentRetrieveParams{}
	p.AddExpand("latest_charge")
	pi, err := c.d.Stripe.V1PaymentIntents.Retrieve(c, in.PaymentIntentID, p)
	if err != nil {
		return nil, stripeErr(err)
	}
	view := viewPaymentIntent(pi)
	view.LastPaymentError = nil // shown below as failure and analysis
	v := &paymentFailureView{Payment: view}
	ch := pi.LatestCharge
	if ch != nil && ch.Outcome != nil {
		o := ch.Outcome
		v.Outcome = &outcomeView{Type: o.Type, NetworkStatus: o.NetworkStatus, Reason: o.Reason, AdviceCode: string(o.AdviceCode), RiskLevel: o.RiskLevel, SellerMessage: o.SellerMessage}
	}
	switch e := pi.LastPaymentError; {
	case e != nil:
		v.Failed = true
		v.Failure = &failureDetailView{Source: "last_payment_error", Type: string(e.Type), Code: string(e.Code), DeclineCode: string(e.DeclineCode), Message: e.Msg, ChargeID: e.ChargeID}
		decline := string(e.DeclineCode)
		if decline == "" && v.Outcome != nil && ch.ID == e.ChargeID {
			decline = v.Outcome.Reason
		}
		a := stripeapi.AnalyzeFailure(decline, string(e.Code), string(e.Type))
		v.Analysis = &a
	case ch != nil && ch.Status == stripe.ChargeStatusFailed:
		v.Failed = true
		_, decline, code, errType := declineOf(ch)
		v.Failure = &failureDetailView{Source: "latest_charge", Type: errType, Code: code, DeclineCode: decline, Message: ch.FailureMessage, ChargeID: ch.ID}
		a := stripeapi.AnalyzeFailure(decline, code, errType)
		v.Analysis = &a
	default:
		v.Note = fmt.Sprintf("no failure is recorded on this payment (status %s)", pi.Status)
	}
	return v, nil
}
