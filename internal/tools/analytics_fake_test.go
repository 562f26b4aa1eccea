package tools_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stripe-mcp/stripe-mcp/internal/stripeapi"
	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

// analyticsStripe is a fake Stripe for the analytics tools. Its lists are
// generated from the index of each object rather than stored, so it serves
// 100,000 balance transactions without holding them, and it pages the way
// Stripe does: newest first, created[gt|gte|lt|lte], starting_after, limit
// (1–100, default 10), currency for balance transactions, status for
// subscriptions (default: all but canceled), and the expansions the
// subscription metrics ask for.
type analyticsStripe struct {
	txns    *listing
	charges *listing
	subs    *listing
	subAt   func(i int) fakeSub

	coupons map[string]fakeCoupon
	intents map[string]string // id → JSON, latest_charge expanded when asked

	// onPage, if set, runs before list page n (counted from 1) is served.
	onPage func(r *http.Request, n int)
	// quiet keeps no log of the pages served: the benchmark measures the
	// tool's memory, not the fake's.
	quiet bool

	mu     sync.Mutex
	pages  int
	served []servedPage
}

// servedPage is what one list request got.
type servedPage struct {
	path    string
	query   url.Values
	n       int
	lastID  string
	hasMore bool
}

// listing is a generated list, newest first.
type listing struct {
	prefix  string
	n       int
	created func(i int) int64 // non-increasing in i
	keep    func(i int, q url.Values) bool
	render  func(b []byte, i int, q url.Values) []byte
}

func (l *listing) id(i int) string { return fmt.Sprintf("%s%08d", l.prefix, i) }

func (l *listing) index(id string) (int, bool) {
	s, ok := strings.CutPrefix(id, l.prefix)
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(s)
	return i, err == nil && i >= 0 && i < l.n
}

func (f *analyticsStripe) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Request-Id", "req_analytics")
	if r.Method != http.MethodGet {
		fakeError(w, http.StatusMethodNotAllowed, "this fake only reads")
		return
	}
	path := r.URL.Path
	switch {
	case path == "/v1/balance_transactions" && f.txns != nil:
		f.list(w, r, f.txns)
	case path == "/v1/charges" && f.charges != nil:
		f.list(w, r, f.charges)
	case path == "/v1/subscriptions" && f.subs != nil:
		f.list(w, r, f.subs)
	case path == "/v1/subscription_items":
		f.subscriptionItems(w, r)
	case strings.HasPrefix(path, "/v1/coupons/"):
		c, ok := f.coupons[strings.TrimPrefix(path, "/v1/coupons/")]
		if !ok {
			fakeError(w, http.StatusNotFound, "No such coupon")
			return
		}
		w.Write(c.render(nil))
	case strings.HasPrefix(path, "/v1/payment_intents/"):
		body, ok := f.intents[strings.TrimPrefix(path, "/v1/payment_intents/")]
		if !ok {
			fakeError(w, http.StatusNotFound, "No such payment_intent")
			return
		}
		if !hasExpand(r.URL.Query(), "latest_charge") {
			fakeError(w, http.StatusBadRequest, "this fake wants latest_charge expanded")
			return
		}
		w.Write([]byte(body))
	default:
		fakeError(w, http.StatusNotFound, "Unrecognized request URL (GET: "+path+")")
	}
}

func fakeError(w http.ResponseWriter, status int, msg string) {
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"type":"invalid_request_error","message":%q}}`, msg)
}

// expands are the fields a request expands, as Stripe reads them: expand[]
// or, as stripe-go sends them, expand[0], expand[1]….
func expands(q url.Values) []string {
	out := append([]string(nil), q["expand[]"]...)
	for k := 0; q.Has(fmt.Sprintf("expand[%d]", k)); k++ {
		out = append(out, q.Get(fmt.Sprintf("expand[%d]", k)))
	}
	return out
}

func hasExpand(q url.Values, field string) bool { return slices.Contains(expands(q), field) }

// bound reads a created bound as Stripe does, returning [gte, lt).
func bounds(q url.Values) (gte, lt int64, err error) {
	gte, lt = -1<<62, 1<<62
	for _, b := range []struct {
		key string
		set func(int64)
	}{
		{"created[gte]", func(v int64) { gte = max(gte, v) }},
		{"created[gt]", func(v int64) { gte = max(gte, v+1) }},
		{"created[lt]", func(v int64) { lt = min(lt, v) }},
		{"created[lte]", func(v int64) { lt = min(lt, v+1) }},
	} {
		if s := q.Get(b.key); s != "" {
			v, perr := strconv.ParseInt(s, 10, 64)
			if perr != nil {
				return 0, 0, fmt.Errorf("Invalid integer: %s", s)
			}
			b.set(v)
		}
	}
	return gte, lt, nil
}

func (f *analyticsStripe) list(w http.ResponseWriter, r *http.Request, l *listing) {
	q := r.URL.Query()
	f.mu.Lock()
	f.pages++
	n := f.pages
	f.mu.Unlock()
	if f.onPage != nil {
		f.onPage(r, n)
	}
	limit := 10
	if s := q.Get("limit"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 || v > 100 {
			fakeError(w, http.StatusBadRequest, "Invalid limit: must be between 1 and 100")
			return
		}
		limit = v
	}
	gte, lt, err := bounds(q)
	if err != nil {
		fakeError(w, http.StatusBadRequest, err.Error())
		return
	}
	start := 0
	if after := q.Get("starting_after"); after != "" {
		i, ok := l.index(after)
		if !ok {
			fakeError(w, http.StatusBadRequest, "No such object: "+after)
			return
		}
		start = i + 1
	}
	// Skip what is newer than the window: created is non-increasing.
	i := start + sort.Search(l.n-start, func(k int) bool { return l.created(start+k) < lt })
	b := []byte(`{"object":"list","url":"` + r.URL.Path + `","data":[`)
	count, last := 0, ""
	for ; i < l.n && count < limit; i++ {
		if l.created(i) < gte {
			break
		}
		if l.keep != nil && !l.keep(i, q) {
			continue
		}
		if count > 0 {
			b = append(b, ',')
		}
		b = l.render(b, i, q)
		count++
		last = l.id(i)
	}
	more := false
	for ; i < l.n && l.created(i) >= gte; i++ {
		if l.keep == nil || l.keep(i, q) {
			more = true
			break
		}
	}
	b = append(b, `],"has_more":`...)
	b = strconv.AppendBool(b, more)
	b = append(b, '}')
	if !f.quiet {
		f.mu.Lock()
		f.served = append(f.served, servedPage{path: r.URL.Path, query: q, n: count, lastID: last, hasMore: more})
		f.mu.Unlock()
	}
	w.Write(b)
}

// Served returns the list pages served so far.
func (f *analyticsStripe) Served() []servedPage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]servedPage(nil), f.served...)
}

// checkChained checks that every list request asked for 100 objects and
// that each page continued after the last object of the one before.
func checkChained(t *testing.T, pages []servedPage, firstAfter string, want url.Values) {
	t.Helper()
	if len(pages) == 0 {
		t.Fatal("no list page was requested")
	}
	for k, p := range pages {
		if got := p.query.Get("limit"); got != "100" {
			t.Errorf("page %d: limit = %q, want 100", k+1, got)
		}
		after := firstAfter
		if k > 0 {
			after = pages[k-1].lastID
		}
		if got := p.query.Get("starting_after"); got != after {
			t.Errorf("page %d: starting_after = %q, want %q", k+1, got, after)
		}
		for key, vals := range want {
			got := p.query[key]
			if key == "expand" {
				got = expands(p.query)
			}
			if strings.Join(got, ",") != strings.Join(vals, ",") {
				t.Errorf("page %d: %s = %v, want %v", k+1, key, got, vals)
			}
		}
	}
}

// ---- generated data ----

// mix is splitmix64: a deterministic pseudo-random value per index.
func mix(i int, seed uint64) uint64 {
	z := uint64(i)*0x9e3779b97f4a7c15 + seed
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// dataEpoch is the creation time of the newest generated object: in the
// past, so windows that end at it are valid.
var dataEpoch = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC).Unix()

// stamp is the creation time of object i: three objects a second, a
// second every 20: objects share seconds, as on a busy account.
func stamp(i int) int64 { return dataEpoch - int64(i/3)*20 }

var fakeCurrencies = []string{"usd", "eur", "jpy", "kwd"}

type txn struct {
	currency, category, typ string
	amount, fee, net        int64
	created                 int64
}

// txnCategories are the reporting categories generated, with the sign of
// their amount and their weight in a hundred.
var txnCategories = []struct {
	category, typ string
	sign          int64
	weight        int
}{
	{"charge", "charge", 1, 50},
	{"charge", "payment", 1, 5},
	{"refund", "refund", -1, 9},
	{"partial_capture_reversal", "refund", -1, 2},
	{"refund_failure", "refund_failure", 1, 1},
	{"charge_failure", "payment_failure_refund", -1, 1},
	{"dispute", "adjustment", -1, 3},
	{"dispute_reversal", "adjustment", 1, 1},
	{"fee", "stripe_fee", -1, 5},
	{"payout", "payout", -1, 7},
	{"payout_reversal", "payout_failure", 1, 1},
	{"topup", "topup", 1, 1},
	{"transfer", "transfer", -1, 4},
	{"other_adjustment", "adjustment", 1, 3},
	{"tax", "tax_fee", -1, 2},
	{"a_future_category", "something_new", 1, 5},
}

// genTxn is balance transaction i.
func genTxn(i int) txn {
	h := mix(i, 1)
	cur := fakeCurrencies[h%4]
	w := int((h >> 8) % 100)
	k := 0
	for ; w >= txnCategories[k].weight; k++ {
		w -= txnCategories[k].weight
	}
	c := txnCategories[k]
	mag := int64((h>>20)%2_000_000) + 1
	switch cur {
	case "jpy":
		mag = mag/100 + 1
	case "kwd":
		mag *= 10 // Stripe's three-decimal amounts end in 0
	}
	t := txn{currency: cur, category: c.category, typ: c.typ, amount: c.sign * mag, created: stamp(i)}
	switch c.category {
	case "charge":
		t.fee = mag*29/1000 + 30
	case "dispute":
		t.fee = 1500
	case "refund":
		if h>>60 == 0 {
			t.fee = -30 // a returned fee is a negative fee
		}
	}
	t.net = t.amount - t.fee
	return t
}

func renderTxn(b []byte, id string, t txn) []byte {
	return fmt.Appendf(b, `{"id":%q,"object":"balance_transaction","amount":%d,"available_on":%d,"created":%d,"currency":%q,"description":null,"exchange_rate":null,"fee":%d,"fee_details":[],"net":%d,"reporting_category":%q,"source":null,"status":"available","type":%q}`,
		id, t.amount, t.created+172800, t.created, t.currency, t.fee, t.net, t.category, t.typ)
}

// txnListing lists n generated balance transactions.
func txnListing(n int) *listing {
	l := &listing{prefix: "txn_", n: n, created: stamp}
	l.keep = func(i int, q url.Values) bool {
		cur := q.Get("currency")
		return cur == "" || genTxn(i).currency == cur
	}
	l.render = func(b []byte, i int, _ url.Values) []byte { return renderTxn(b, l.id(i), genTxn(i)) }
	return l
}

// handTxns lists given transactions (newest first), ids txn_00000000….
func handTxns(ts ...txn) *listing {
	l := &listing{prefix: "txn_", n: len(ts), created: func(i int) int64 { return ts[i].created }}
	l.keep = func(i int, q url.Values) bool {
		cur := q.Get("currency")
		return cur == "" || ts[i].currency == cur
	}
	l.render = func(b []byte, i int, _ url.Values) []byte { return renderTxn(b, l.id(i), ts[i]) }
	return l
}

type charge struct {
	status, currency                    string
	amount                              int64
	failureCode, outcomeType, reason    string
	noOutcome                           bool
	created                             int64
	paymentIntent, customer, failureMsg string
}

// declinePlan is how generated failures are spread: the outcome reason
// (the issuer's decline code or Radar's), the failure_code and type.
var declinePlan = []struct {
	reason, failureCode, outcomeType string
	noOutcome                        bool
}{
	{"insufficient_funds", "card_declined", "issuer_declined", false},
	{"insufficient_funds", "card_declined", "issuer_declined", false},
	{"insufficient_funds", "card_declined", "issuer_declined", false},
	{"generic_decline", "card_declined", "issuer_declined", false},
	{"generic_decline", "card_declined", "issuer_declined", false},
	{"expired_card", "expired_card", "issuer_declined", false},
	{"highest_risk_level", "card_declined", "blocked", false},
	{"", "processing_error", "", true},
	{"", "account_closed", "", true}, // a bank debit: no card outcome
}

// genCharge is charge i: one in five failed.
func genCharge(i int) charge {
	h := mix(i, 2)
	c := charge{status: "succeeded", currency: fakeCurrencies[h%4], created: stamp(i),
		paymentIntent: fmt.Sprintf("pi_%08d", i), customer: fmt.Sprintf("cus_%04d", h%1000)}
	c.amount = int64((h>>8)%100_000) + 50
	if c.currency == "kwd" {
		c.amount *= 10
	}
	if (h>>40)%5 == 0 {
		d := declinePlan[(h>>44)%uint64(len(declinePlan))]
		c.status, c.reason, c.failureCode, c.outcomeType, c.noOutcome = "failed", d.reason, d.failureCode, d.outcomeType, d.noOutcome
		c.failureMsg = "Your card was declined."
	} else if (h>>40)%5 == 1 {
		c.status = "pending"
	}
	if c.status == "succeeded" {
		c.outcomeType = "authorized"
	}
	return c
}

func nullable(s string) string {
	if s == "" {
		return "null"
	}
	return strconv.Quote(s)
}

func renderCharge(b []byte, id string, c charge) []byte {
	outcome := "null"
	if !c.noOutcome {
		outcome = fmt.Sprintf(`{"network_status":"declined_by_network","reason":%s,"risk_level":"normal","seller_message":"The bank declined the payment.","type":%q}`, nullable(c.reason), c.outcomeType)
	}
	return fmt.Appendf(b, `{"id":%q,"object":"charge","amount":%d,"captured":false,"created":%d,"currency":%q,"customer":%q,"failure_code":%s,"failure_message":%s,"outcome":%s,"paid":%t,"payment_intent":%q,"status":%q}`,
		id, c.amount, c.created, c.currency, c.customer, nullable(c.failureCode), nullable(c.failureMsg), outcome, c.status == "succeeded", c.paymentIntent, c.status)
}

func chargeListing(n int) *listing {
	l := &listing{prefix: "ch_", n: n, created: stamp}
	l.render = func(b []byte, i int, _ url.Values) []byte { return renderCharge(b, l.id(i), genCharge(i)) }
	return l
}

// ---- subscriptions ----

type fakeCoupon struct {
	id, duration, currency string
	percentOff             string // a JSON number, or ""
	amountOff              int64
}

func (c fakeCoupon) render(b []byte) []byte {
	pct := "null"
	if c.percentOff != "" {
		pct = c.percentOff
	}
	amt, cur := "null", "null"
	if c.amountOff > 0 {
		amt, cur = strconv.FormatInt(c.amountOff, 10), strconv.Quote(c.currency)
	}
	return fmt.Appendf(b, `{"id":%q,"object":"coupon","amount_off":%s,"currency":%s,"duration":%q,"percent_off":%s,"valid":true}`, c.id, amt, cur, c.duration, pct)
}

type fakeDiscount struct {
	coupon string
	end    int64
}

type fakePrice struct {
	unitAmount     int64
	decimal        string // unit_amount_decimal when it has a fraction
	interval       string
	intervalCount  int64
	metered        bool
	tiered         bool
	divideBy       int64
	round          string
	currencyOfItem string
}

type fakeItem struct {
	price     fakePrice
	quantity  int64
	discounts []fakeDiscount
}

type fakeSub struct {
	status, currency    string
	created, canceledAt int64
	endedAt             int64 // when a canceled subscription ended (default: canceledAt)
	items               []fakeItem
	discounts           []fakeDiscount
}

// inlineItems is how many items a subscription lists inline; Stripe pages
// the rest.
const inlineItems = 10

func (f *analyticsStripe) renderDiscount(b []byte, d fakeDiscount, id string, expandCoupon bool) []byte {
	b = fmt.Appendf(b, `{"id":%q,"object":"discount","end":%s,"source":{"type":"coupon","coupon":`, id, nullableInt(d.end))
	if expandCoupon {
		b = f.coupons[d.coupon].render(b)
	} else {
		b = strconv.AppendQuote(b, d.coupon)
	}
	return append(b, `}}`...)
}

func nullableInt(v int64) string {
	if v == 0 {
		return "null"
	}
	return strconv.FormatInt(v, 10)
}

func (f *analyticsStripe) renderItem(b []byte, subID string, k int, it fakeItem, cur string, expandDiscounts bool) []byte {
	p := it.price
	scheme, usage := "per_unit", "licensed"
	if p.tiered {
		scheme = "tiered"
	}
	if p.metered {
		usage = "metered"
	}
	unit, dec := "null", "null"
	if !p.tiered {
		unit, dec = strconv.FormatInt(p.unitAmount, 10), strconv.Quote(strconv.FormatInt(p.unitAmount, 10))
		if p.decimal != "" {
			unit, dec = "null", strconv.Quote(p.decimal)
		}
	}
	transform := "null"
	if p.divideBy > 0 {
		transform = fmt.Sprintf(`{"divide_by":%d,"round":%q}`, p.divideBy, p.round)
	}
	ic := p.intervalCount
	if ic == 0 {
		ic = 1
	}
	itemID := fmt.Sprintf("si_%s_%02d", strings.TrimPrefix(subID, "sub_"), k)
	b = fmt.Appendf(b, `{"id":%q,"object":"subscription_item","price":{"id":"price_%s","object":"price","billing_scheme":%q,"currency":%q,"recurring":{"interval":%q,"interval_count":%d,"usage_type":%q},"transform_quantity":%s,"type":"recurring","unit_amount":%s,"unit_amount_decimal":%s},`,
		itemID, itemID, scheme, cur, p.interval, ic, usage, transform, unit, dec)
	if !p.metered {
		b = fmt.Appendf(b, `"quantity":%d,`, it.quantity)
	}
	b = append(b, `"discounts":[`...)
	for j, d := range it.discounts {
		if j > 0 {
			b = append(b, ',')
		}
		id := fmt.Sprintf("di_%s_%d", itemID, j)
		if expandDiscounts {
			b = f.renderDiscount(b, d, id, false)
		} else {
			b = strconv.AppendQuote(b, id)
		}
	}
	return append(b, `],"subscription":`+strconv.Quote(subID)+`}`...)
}

func (f *analyticsStripe) renderSub(b []byte, id string, s fakeSub, q url.Values) []byte {
	ended := s.endedAt
	if ended == 0 && s.status == "canceled" {
		ended = s.canceledAt // canceled at once: it ended when it was canceled
	}
	b = fmt.Appendf(b, `{"id":%q,"object":"subscription","status":%q,"created":%d,"canceled_at":%s,"ended_at":%s,"currency":%q,"discounts":[`,
		id, s.status, s.created, nullableInt(s.canceledAt), nullableInt(ended), s.currency)
	for j, d := range s.discounts {
		if j > 0 {
			b = append(b, ',')
		}
		did := fmt.Sprintf("di_%s_%d", id, j)
		switch {
		case hasExpand(q, "data.discounts.source.coupon"):
			b = f.renderDiscount(b, d, did, true)
		case hasExpand(q, "data.discounts"):
			b = f.renderDiscount(b, d, did, false)
		default:
			b = strconv.AppendQuote(b, did)
		}
	}
	b = append(b, `],"items":{"object":"list","data":[`...)
	for k, it := range s.items {
		if k == inlineItems {
			break
		}
		if k > 0 {
			b = append(b, ',')
		}
		b = f.renderItem(b, id, k, it, s.currency, hasExpand(q, "data.items.data.discounts"))
	}
	return fmt.Appendf(b, `],"has_more":%t,"url":"/v1/subscription_items?subscription=%s"}}`, len(s.items) > inlineItems, id)
}

// subListing lists subscriptions (newest first), ids sub_00000000….
func (f *analyticsStripe) subListing(n int, at func(i int) fakeSub) *listing {
	l := &listing{prefix: "sub_", n: n, created: func(i int) int64 { return at(i).created }}
	l.keep = func(i int, q url.Values) bool {
		st := at(i).status
		switch want := q.Get("status"); want {
		case "all":
			return true
		case "":
			return st != "canceled"
		default:
			return st == want
		}
	}
	l.render = func(b []byte, i int, q url.Values) []byte { return f.renderSub(b, l.id(i), at(i), q) }
	f.subs, f.subAt = l, at
	return l
}

// subscriptionItems pages the items a subscription did not list inline.
func (f *analyticsStripe) subscriptionItems(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	i, ok := f.subs.index(q.Get("subscription"))
	if !ok {
		fakeError(w, http.StatusBadRequest, "No such subscription")
		return
	}
	subID := f.subs.id(i)
	s := f.subAt(i)
	start := 0
	if after := q.Get("starting_after"); after != "" {
		for k := range s.items {
			if fmt.Sprintf("si_%s_%02d", strings.TrimPrefix(subID, "sub_"), k) == after {
				start = k + 1
			}
		}
	}
	limit := 10
	if v, err := strconv.Atoi(q.Get("limit")); err == nil {
		limit = v
	}
	b := []byte(`{"object":"list","url":"/v1/subscription_items","data":[`)
	k := start
	for ; k < len(s.items) && k-start < limit; k++ {
		if k > start {
			b = append(b, ',')
		}
		b = f.renderItem(b, subID, k, s.items[k], s.currency, hasExpand(q, "data.discounts"))
	}
	b = fmt.Appendf(b, `],"has_more":%t}`, k < len(s.items))
	w.Write(b)
}

// inProcess serves h to a stripe client without a socket: the benchmark
// measures the tool, not the loopback network.
type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// deaf serves h in process and ignores cancellation: the answer to a
// request whose caller gave up still arrives.
type deaf struct{ h http.Handler }

func (t deaf) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// connectInProcess connects a client to a server whose Stripe client
// reaches Stripe through rt.
func connectInProcess(tb testing.TB, rt http.RoundTripper) *mcp.ClientSession {
	tb.Helper()
	c, err := stripeapi.New(stripeapi.Options{Key: testutil.TestKey, BaseURL: "http://127.0.0.1:1", Transport: rt, NoRetrySleep: true})
	if err != nil {
		tb.Fatal(err)
	}
	o := defaultOptions()
	o.Stripe = c
	o.Logger = slog.New(slog.DiscardHandler)
	return testutil.Connect(tb, o)
}
