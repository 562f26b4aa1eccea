package tools_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stripe-mcp/stripe-mcp/internal/money"
	"github.com/stripe-mcp/stripe-mcp/internal/server"
	"github.com/stripe-mcp/stripe-mcp/internal/stripeapi"
	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

// ---- results, decoded ----

type figureOut struct {
	Currency string
	Amount   int64
	Display  string
	Count    int64
}

type scanOut struct {
	Pages      int
	Objects    int
	Complete   bool
	NextCursor string
	ReadBackTo string
	Note       string
}

type categoryOut struct {
	Count, Amount, Fee, Net   int64
	AmountDisplay, NetDisplay string
}

type currencyRevenueOut struct {
	Currency                                              string
	Gross, Refunds, Disputes, Fees, OtherFees, Other, Net figureOut
	Payouts, Topups                                       *figureOut
	ByCategory                                            map[string]categoryOut
}

type revenueOut struct {
	Since, Until, Currency string
	Currencies             []currencyRevenueOut
	Definition             string
	scanOut
}

type failureGroupOut struct {
	Code     string
	Count    int64
	Amounts  []figureOut
	Analysis stripeapi.FailureAnalysis
	Examples []struct {
		ChargeID, PaymentIntentID, CustomerID, Currency, AmountDisplay, Created string
		Amount                                                                  int64
	}
}

type failuresOut struct {
	Since, Until    string
	Charges, Failed int64
	Groups          []failureGroupOut
	scanOut
}

type subscriptionsOut struct {
	MRR         []figureOut
	TrialingMRR []figureOut
	ByStatus    map[string]int64
	Period      struct {
		Since, Until  string
		New, Canceled int64
	}
	ExcludedItems map[string]int64
	Definition    string
	scanOut
}

// decode reads a structured result into T, failing on an error result.
func decode[T any](t *testing.T, res *mcp.CallToolResult) T {
	t.Helper()
	var out T
	if res.IsError {
		t.Fatalf("unexpected error result: %s", testutil.Text(res))
	}
	if err := json.Unmarshal([]byte(testutil.Text(res)), &out); err != nil {
		t.Fatalf("result %s: %v", testutil.Text(res), err)
	}
	return out
}

func byCurrency(t *testing.T, r revenueOut, cur string) currencyRevenueOut {
	t.Helper()
	for _, c := range r.Currencies {
		if c.Currency == cur {
			return c
		}
	}
	t.Fatalf("no %s in %+v", cur, r.Currencies)
	return currencyRevenueOut{}
}

func checkFigure(t *testing.T, what string, got figureOut, amount int64, display string, count int64) {
	t.Helper()
	if got.Amount != amount || got.Display != display || got.Count != count {
		t.Errorf("%s = %d %q ×%d, want %d %q ×%d", what, got.Amount, got.Display, got.Count, amount, display, count)
	}
}

func unix(ts int64) string { return strconv.FormatInt(ts, 10) }

// ---- stripe_revenue_summary ----

// TestRevenueSummaryHandCounted pins the figures of a small set counted by
// hand: the groups, signs, display strings of a two-, zero- and
// three-decimal currency, the payouts kept out of net, and the window's
// ends (since included, until excluded).
func TestRevenueSummaryHandCounted(t *testing.T) {
	t.Parallel()
	until := dataEpoch
	since := until - 1000
	txns := []txn{
		{currency: "usd", category: "charge", amount: 99999, net: 99999, created: until}, // at until: out
		{currency: "usd", category: "charge", amount: 250000, fee: 7280, net: 242720, created: until - 1},
		{currency: "usd", category: "charge", amount: 1000, fee: 59, net: 941, created: until - 1},
		{currency: "usd", category: "refund", amount: -5000, net: -5000, created: until - 2},
		{currency: "usd", category: "dispute", amount: -20000, fee: 1500, net: -21500, created: until - 3},
		{currency: "usd", category: "dispute_reversal", amount: 20000, fee: -1500, net: 21500, created: until - 4},
		{currency: "usd", category: "fee", amount: -2500, net: -2500, created: until - 5},
		{currency: "usd", category: "payout", amount: -100000, net: -100000, created: until - 6},
		{currency: "usd", category: "transfer", amount: -3000, net: -3000, created: until - 7},
		{currency: "jpy", category: "charge", amount: 500, fee: 33, net: 467, created: until - 8},
		{currency: "jpy", category: "refund", amount: -500, net: -500, created: until - 9},
		{currency: "kwd", category: "charge", amount: 5120, fee: 150, net: 4970, created: until - 10},
		{currency: "usd", category: "partial_capture_reversal", amount: -1000, net: -1000, created: until - 11},
		{currency: "usd", category: "charge", amount: 700, fee: 50, net: 650, created: since}, // at since: in
		{currency: "usd", category: "charge", amount: 12345, net: 12345, created: since - 1},  // before: out
	}
	f := &analyticsStripe{txns: handTxns(txns...)}
	cs, _ := connectFake(t, f)
	r := decode[revenueOut](t, testutil.Call(t, cs, "stripe_revenue_summary", map[string]any{"since": since, "until": unix(until)}))

	if r.Since != timeOf(since) || r.Until != timeOf(until) || !r.Complete || r.Objects != 13 || r.Pages != 1 {
		t.Errorf("window and scan: %+v", r)
	}
	usd := byCurrency(t, r, "usd")
	checkFigure(t, "usd gross", usd.Gross, 250700, "$2,507.00", 4)
	checkFigure(t, "usd refunds", usd.Refunds, -5000, "-$50.00", 1)
	checkFigure(t, "usd disputes", usd.Disputes, 0, "$0.00", 2)
	checkFigure(t, "usd fees", usd.Fees, 7389, "$73.89", 0)
	checkFigure(t, "usd otherFees", usd.OtherFees, 2500, "$25.00", 1)
	checkFigure(t, "usd other", usd.Other, -3000, "-$30.00", 1)
	checkFigure(t, "usd net", usd.Net, 232811, "$2,328.11", 9)
	if usd.Payouts == nil {
		t.Fatal("usd payouts missing")
	}
	checkFigure(t, "usd payouts", *usd.Payouts, -100000, "-$1,000.00", 1)
	if usd.Topups != nil {
		t.Errorf("topups without any: %+v", usd.Topups)
	}
	if got := usd.ByCategory["dispute"]; got != (categoryOut{Count: 1, Amount: -20000, Fee: 1500, Net: -21500, AmountDisplay: "-$200.00", NetDisplay: "-$215.00"}) {
		t.Errorf("dispute category = %+v", got)
	}
	if got := usd.ByCategory["payout"]; got.Count != 1 || got.Net != -100000 {
		t.Errorf("payout category = %+v", got)
	}
	jpy := byCurrency(t, r, "jpy")
	checkFigure(t, "jpy gross", jpy.Gross, 500, "¥500", 1)
	checkFigure(t, "jpy net", jpy.Net, -33, "-¥33", 2)
	kwd := byCurrency(t, r, "kwd")
	checkFigure(t, "kwd gross", kwd.Gross, 5120, "KWD 5.120", 1)
	checkFigure(t, "kwd fees", kwd.Fees, 150, "KWD 0.150", 0)
	checkFigure(t, "kwd net", kwd.Net, 4970, "KWD 4.970", 1)
	if got := fmt.Sprint(currenciesOf(r)); got != "[jpy kwd usd]" {
		t.Errorf("currencies %s, want sorted [jpy kwd usd]", got)
	}
	if !strings.Contains(r.Definition, "Payouts") || !strings.Contains(r.Definition, "not in net") {
		t.Errorf("definition does not say payouts are left out: %s", r.Definition)
	}

	// A currency filter is Stripe's: only that currency is asked for.
	r = decode[revenueOut](t, testutil.Call(t, cs, "stripe_revenue_summary", map[string]any{"since": timeOf(since), "until": until, "currency": "JPY"}))
	if got := fmt.Sprint(currenciesOf(r)); got != "[jpy]" || r.Currency != "jpy" {
		t.Errorf("currency filter: %s (%q)", got, r.Currency)
	}
	pages := f.Served()
	if q := pages[len(pages)-1].query; q.Get("currency") != "jpy" || q.Get("created[gte]") != unix(since) || q.Get("created[lt]") != unix(until) {
		t.Errorf("filtered request: %v", q)
	}
}

func currenciesOf(r revenueOut) []string {
	var out []string
	for _, c := range r.Currencies {
		out = append(out, c.Currency)
	}
	return out
}

func timeOf(ts int64) string { return time.Unix(ts, 0).UTC().Format(time.RFC3339) }

// revenueWant is the summary of generated transactions, counted here from
// the reporting categories independently of the tool.
type revenueWant struct {
	gross, refunds, disputes, fees, otherFees, other, net, payouts, topups int64
	grossN, netN, payoutN                                                  int64
	categories                                                             map[string]categoryOut
}

func wantRevenue(n int, since, until int64, currency string) map[string]*revenueWant {
	want := map[string]*revenueWant{}
	for i := range n {
		t := genTxn(i)
		if t.created < since || t.created >= until || currency != "" && t.currency != currency {
			continue
		}
		w := want[t.currency]
		if w == nil {
			w = &revenueWant{categories: map[string]categoryOut{}}
			want[t.currency] = w
		}
		c := w.categories[t.category]
		c.Count++
		c.Amount += t.amount
		c.Fee += t.fee
		c.Net += t.net
		w.categories[t.category] = c
		switch t.category {
		case "payout", "payout_reversal":
			w.payouts += t.amount
			w.payoutN++
			continue
		case "topup", "topup_reversal":
			w.topups += t.amount
			continue
		case "charge", "partial_capture_reversal", "charge_failure":
			w.gross += t.amount
			w.grossN++
		case "refund", "refund_failure":
			w.refunds += t.amount
		case "dispute", "dispute_reversal":
			w.disputes += t.amount
		case "fee":
			w.otherFees -= t.amount
		default:
			w.other += t.amount
		}
		w.fees += t.fee
		w.net += t.net
		w.netN++
	}
	return want
}

func checkRevenue(t *testing.T, r revenueOut, want map[string]*revenueWant) {
	t.Helper()
	if len(r.Currencies) != len(want) {
		t.Errorf("currencies %v, want %d", currenciesOf(r), len(want))
	}
	for cur, w := range want {
		got := byCurrency(t, r, cur)
		checkFigure(t, cur+" gross", got.Gross, w.gross, money.Format(w.gross, cur), w.grossN)
		checkFigure(t, cur+" net", got.Net, w.net, money.Format(w.net, cur), w.netN)
		for name, pair := range map[string][2]int64{
			"refunds": {got.Refunds.Amount, w.refunds}, "disputes": {got.Disputes.Amount, w.disputes},
			"fees": {got.Fees.Amount, w.fees}, "otherFees": {got.OtherFees.Amount, w.otherFees}, "other": {got.Other.Amount, w.other},
		} {
			if pair[0] != pair[1] {
				t.Errorf("%s %s = %d, want %d", cur, name, pair[0], pair[1])
			}
		}
		if got.Payouts == nil || got.Payouts.Amount != w.payouts || got.Payouts.Count != w.payoutN {
			t.Errorf("%s payouts = %+v, want %d ×%d", cur, got.Payouts, w.payouts, w.payoutN)
		}
		if got.Net.Amount != got.Gross.Amount+got.Refunds.Amount+got.Disputes.Amount+got.Other.Amount-got.Fees.Amount-got.OtherFees.Amount {
			t.Errorf("%s: net is not gross + refunds + disputes + other − fees − otherFees: %+v", cur, got)
		}
		for cat, wc := range w.categories {
			gc := got.ByCategory[cat]
			if gc.Count != wc.Count || gc.Amount != wc.Amount || gc.Fee != wc.Fee || gc.Net != wc.Net {
				t.Errorf("%s %s = %+v, want %+v", cur, cat, gc, wc)
			}
		}
		if len(got.ByCategory) != len(w.categories) {
			t.Errorf("%s categories %d, want %d", cur, len(got.ByCategory), len(w.categories))
		}
	}
}

// TestRevenueSummaryPages sums thousands of generated transactions over
// many pages exactly, per currency and category, in a window that cuts the
// data on both sides, and checks every page asked for 100 after the last.
func TestRevenueSummaryPages(t *testing.T) {
	t.Parallel()
	const n = 6000
	until, since := stamp(300), stamp(5700) // cut inside equal-second runs
	f := &analyticsStripe{txns: txnListing(n)}
	cs, _ := connectFake(t, f)
	r := decode[revenueOut](t, testutil.Call(t, cs, "stripe_revenue_summary", map[string]any{"since": since, "until": until}))
	want := wantRevenue(n, since, until, "")
	var objects int64
	for _, w := range want {
		for _, c := range w.categories {
			objects += c.Count
		}
	}
	if !r.Complete || int64(r.Objects) != objects || r.Pages != int(objects+99)/100 || r.NextCursor != "" || r.Note != "" {
		t.Errorf("scan %+v, want all %d objects in %d pages", r.scanOut, objects, (objects+99)/100)
	}
	checkRevenue(t, r, want)
	checkChained(t, f.Served(), "", url.Values{"created[gte]": {unix(since)}, "created[lt]": {unix(until)}})
	if len(f.Served()) != r.Pages {
		t.Errorf("%d pages served, result says %d", len(f.Served()), r.Pages)
	}
	if _, ok := want["jpy"]; !ok {
		t.Fatal("the data has no jpy")
	}
	if _, ok := want["kwd"]; !ok {
		t.Fatal("the data has no kwd")
	}

	t.Run("currency", func(t *testing.T) {
		f := &analyticsStripe{txns: txnListing(n)}
		cs, _ := connectFake(t, f)
		r := decode[revenueOut](t, testutil.Call(t, cs, "stripe_revenue_summary", map[string]any{"since": since, "until": until, "currency": "kwd"}))
		checkRevenue(t, r, wantRevenue(n, since, until, "kwd"))
		checkChained(t, f.Served(), "", url.Values{"currency": {"kwd"}})
	})
}

// TestRevenueSummaryPageCap: a period holding more than the cap of one
// call (100 pages) says so plainly and gives the cursor; the call repeated
// with it reads the rest, and the two results add up to the whole.
func TestRevenueSummaryPageCap(t *testing.T) {
	t.Parallel()
	const n = 10_050
	since, until := stamp(n-1), dataEpoch+1
	f := &analyticsStripe{txns: txnListing(n)}
	cs, _ := connectFake(t, f)
	args := map[string]any{"since": since, "until": until}
	first := decode[revenueOut](t, testutil.Call(t, cs, "stripe_revenue_summary", args))
	if first.Complete || first.Pages != 100 || first.Objects != 10_000 || first.NextCursor != "txn_00009999" {
		t.Fatalf("capped scan: %+v", first.scanOut)
	}
	for _, s := range []string{"INCOMPLETE", "100 pages", "since and until as this result's period", "startingAfter", "txn_00009999", first.ReadBackTo} {
		if !strings.Contains(first.Note, s) {
			t.Errorf("note %q does not mention %q", first.Note, s)
		}
	}
	if first.ReadBackTo != timeOf(stamp(9999)) {
		t.Errorf("readBackTo = %s, want %s", first.ReadBackTo, timeOf(stamp(9999)))
	}
	if got := len(f.Served()); got != 100 {
		t.Errorf("%d pages requested, want the cap of 100", got)
	}
	args["startingAfter"] = first.NextCursor
	rest := decode[revenueOut](t, testutil.Call(t, cs, "stripe_revenue_summary", args))
	if !rest.Complete || rest.Objects != 50 || rest.Pages != 1 {
		t.Errorf("continued scan: %+v", rest.scanOut)
	}
	served := f.Served()
	checkChained(t, served, "", nil)
	// The continuation is the next page of the same chain.
	if got := served[100].query.Get("starting_after"); got != "txn_00009999" {
		t.Errorf("continuation starting_after = %q", got)
	}
	for cur, w := range wantRevenue(n, since, until, "") {
		a, b := byCurrencyOrZero(first, cur), byCurrencyOrZero(rest, cur)
		if got := a.Net.Amount + b.Net.Amount; got != w.net {
			t.Errorf("%s net %d + %d = %d, want %d", cur, a.Net.Amount, b.Net.Amount, got, w.net)
		}
		if got := a.Gross.Count + b.Gross.Count; got != w.grossN {
			t.Errorf("%s gross count %d, want %d", cur, got, w.grossN)
		}
	}
}

func byCurrencyOrZero(r revenueOut, cur string) currencyRevenueOut {
	for _, c := range r.Currencies {
		if c.Currency == cur {
			return c
		}
	}
	return currencyRevenueOut{}
}

// ---- progress and cancellation ----

// connectWatched connects a client that records progress notifications.
func connectWatched(t *testing.T, h http.Handler) (*mcp.ClientSession, <-chan *mcp.ProgressNotificationParams) {
	t.Helper()
	base, _ := testutil.Serve(t, h)
	o := defaultOptions()
	o.Stripe = testutil.Client(t, base)
	o.Logger = testutil.Logger(t)
	srv, err := server.New(o)
	if err != nil {
		t.Fatal(err)
	}
	progress := make(chan *mcp.ProgressNotificationParams, 1000)
	cs := testutil.ConnectServer(t, srv.MCP, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			progress <- req.Params
		},
	})
	return cs, progress
}

// TestAnalyticsProgress: a client that passes a progress token hears of
// every page, with progress rising; one that does not hears nothing.
func TestAnalyticsProgress(t *testing.T) {
	t.Parallel()
	f := &analyticsStripe{txns: txnListing(1250), charges: chargeListing(730)}
	f.subListing(340, genSub)
	cs, progress := connectWatched(t, f)
	for _, tc := range []struct {
		tool  string
		pages int
		noun  string
	}{
		{"stripe_revenue_summary", 13, "balance transactions"},
		{"stripe_payment_failures", 8, "charges"},
		{"stripe_subscription_metrics", 4, "subscriptions"},
	} {
		t.Run(tc.tool, func(t *testing.T) {
			params := &mcp.CallToolParams{Name: tc.tool, Arguments: map[string]any{"since": "2026-01-01T00:00:00Z", "until": "2026-06-02"}}
			params.SetProgressToken("tok-" + tc.tool)
			res, err := cs.CallTool(context.Background(), params)
			if err != nil || res.IsError {
				t.Fatalf("%v %s", err, testutil.Text(res))
			}
			last := -1.0
			for k := range tc.pages {
				select {
				case p := <-progress:
					if p.ProgressToken != "tok-"+tc.tool {
						t.Errorf("token %v", p.ProgressToken)
					}
					if p.Progress <= last {
						t.Errorf("progress %v after %v: not rising", p.Progress, last)
					}
					last = p.Progress
					if !strings.Contains(p.Message, tc.noun) {
						t.Errorf("message %q", p.Message)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("%d of %d progress notifications", k, tc.pages)
				}
			}
			if got := decode[scanOut](t, res); last != float64(got.Objects) {
				t.Errorf("last progress %v, objects %d", last, got.Objects)
			}
		})
	}
	// Without a token: no notifications at all.
	testutil.Call(t, cs, "stripe_revenue_summary", map[string]any{"since": "2026-01-01T00:00:00Z", "until": "2026-06-02"})
	testutil.Call(t, cs, "stripe_list_balance_transactions", map[string]any{}) // a later call's answer: the notifications would be ahead of it
	select {
	case p := <-progress:
		t.Errorf("progress without a token: %+v", p)
	default:
	}
}

// TestAnalyticsCancel: when the client cancels mid-scan, no further page
// is asked for. "in flight": the request to Stripe under way is abandoned.
// "between pages": the answer to that request still arrives (a transport
// deaf to cancellation), so only the tool's own check between pages stops
// the scan.
func TestAnalyticsCancel(t *testing.T) {
	for _, mode := range []string{"in flight", "between pages"} {
		for _, tool := range []string{"stripe_revenue_summary", "stripe_payment_failures", "stripe_subscription_metrics"} {
			t.Run(mode+"/"+tool, func(t *testing.T) {
				t.Parallel()
				f := &analyticsStripe{txns: txnListing(5000), charges: chargeListing(5000)}
				f.subListing(5000, genSub)
				requested := make(chan int, 100)
				cancelled := make(chan struct{})
				f.onPage = func(r *http.Request, n int) {
					requested <- n
					if n == 3 {
						<-r.Context().Done() // held until the call is cancelled
						close(cancelled)
					}
				}
				var cs *mcp.ClientSession
				if mode == "in flight" {
					cs, _ = connectFake(t, f)
				} else {
					cs = connectInProcess(t, deaf{f})
				}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				done := make(chan error, 1)
				go func() {
					_, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: map[string]any{"since": "2026-01-01T00:00:00Z", "until": "2026-06-02"}})
					done <- err
				}()
				for n := range requested {
					if n == 3 {
						break
					}
				}
				cancel()
				if err := <-done; err == nil {
					t.Error("the cancelled call returned no error")
				}
				select {
				case <-cancelled:
				case <-time.After(10 * time.Second):
					t.Fatal("the call's context was not cancelled")
				}
				select {
				case n := <-requested:
					t.Errorf("page %d was requested after the cancellation", n)
				case <-time.After(300 * time.Millisecond): // grace for a stray request
				}
			})
		}
	}
}

// ---- stripe_payment_failures ----

type failureWant struct {
	count    int64
	amounts  map[string]int64
	examples []string
}

func TestPaymentFailures(t *testing.T) {
	t.Parallel()
	const n = 3000
	until, since := stamp(100), stamp(2900)
	f := &analyticsStripe{charges: chargeListing(n)}
	cs, _ := connectFake(t, f)
	r := decode[failuresOut](t, testutil.Call(t, cs, "stripe_payment_failures", map[string]any{"since": since, "until": until, "limit": 4}))

	want := map[string]*failureWant{}
	var charges, failed int64
	for i := range n {
		c := genCharge(i)
		if c.created < since || c.created >= until {
			continue
		}
		charges++
		if c.status != "failed" {
			continue
		}
		failed++
		code := c.reason
		if code == "" {
			code = c.failureCode
		}
		w := want[code]
		if w == nil {
			w = &failureWant{amounts: map[string]int64{}}
			want[code] = w
		}
		w.count++
		w.amounts[c.currency] += c.amount
		if len(w.examples) < 4 {
			w.examples = append(w.examples, fmt.Sprintf("ch_%08d", i))
		}
	}
	if r.Charges != charges || r.Failed != failed || !r.Complete || r.Objects != int(charges) {
		t.Errorf("charges %d failed %d (scan %+v), want %d and %d", r.Charges, r.Failed, r.scanOut, charges, failed)
	}
	if len(r.Groups) != len(want) {
		t.Fatalf("%d groups, want %d", len(r.Groups), len(want))
	}
	for k, g := range r.Groups {
		if k > 0 && g.Count > r.Groups[k-1].Count {
			t.Errorf("group %s (%d) after %s (%d): not by count", g.Code, g.Count, r.Groups[k-1].Code, r.Groups[k-1].Count)
		}
		w := want[g.Code]
		if w == nil {
			t.Errorf("unexpected group %q", g.Code)
			continue
		}
		if g.Count != w.count {
			t.Errorf("%s count %d, want %d", g.Code, g.Count, w.count)
		}
		if len(g.Amounts) != len(w.amounts) {
			t.Errorf("%s amounts %+v, want %v", g.Code, g.Amounts, w.amounts)
		}
		for _, a := range g.Amounts {
			if a.Amount != w.amounts[a.Currency] || a.Display != money.Format(a.Amount, a.Currency) {
				t.Errorf("%s %s = %d %q, want %d", g.Code, a.Currency, a.Amount, a.Display, w.amounts[a.Currency])
			}
		}
		var ids []string
		for _, e := range g.Examples {
			ids = append(ids, e.ChargeID)
			c := genCharge(mustIndex(t, e.ChargeID))
			if e.PaymentIntentID != c.paymentIntent || e.Amount != c.amount || e.Currency != c.currency || e.Created != timeOf(c.created) || e.AmountDisplay != money.Format(c.amount, c.currency) {
				t.Errorf("example %+v does not match %+v", e, c)
			}
		}
		if fmt.Sprint(ids) != fmt.Sprint(w.examples) {
			t.Errorf("%s examples %v, want the latest %v", g.Code, ids, w.examples)
		}
	}
	analysis := map[string]stripeapi.FailureAnalysis{}
	for _, g := range r.Groups {
		analysis[g.Code] = g.Analysis
	}
	for code, want := range map[string]stripeapi.FailureAnalysis{
		"insufficient_funds": stripeapi.AnalyzeFailure("insufficient_funds", "card_declined", "card_error"),
		"highest_risk_level": stripeapi.AnalyzeFailure("highest_risk_level", "card_declined", "card_error"),
		"processing_error":   stripeapi.AnalyzeFailure("", "processing_error", ""),
		"account_closed":     stripeapi.AnalyzeFailure("", "account_closed", ""),
	} {
		if analysis[code] != want {
			t.Errorf("%s analysis %+v, want %+v", code, analysis[code], want)
		}
	}
	if a := analysis["insufficient_funds"]; a.Retryable || !strings.Contains(a.Reason, "insufficient funds") {
		t.Errorf("insufficient_funds analysis %+v", a)
	}
	if a := analysis["processing_error"]; !a.Retryable {
		t.Errorf("processing_error analysis %+v: retryable", a)
	}
	checkChained(t, f.Served(), "", url.Values{"created[gte]": {unix(since)}, "created[lt]": {unix(until)}})
}

func mustIndex(t *testing.T, id string) int {
	t.Helper()
	i, err := strconv.Atoi(id[strings.IndexByte(id, '_')+1:])
	if err != nil {
		t.Fatalf("id %q", id)
	}
	return i
}

// ---- stripe_subscription_metrics ----

// handSubs are subscriptions whose MRR is counted by hand below.
func handSubs(now int64) []fakeSub {
	monthly := func(amount, q int64) fakeItem {
		return fakeItem{price: fakePrice{unitAmount: amount, interval: "month"}, quantity: q}
	}
	pct25 := fakeDiscount{coupon: "co_pct25"}
	twelve := make([]fakeItem, 12)
	for k := range twelve {
		twelve[k] = monthly(100, 1)
	}
	at := func(k int) int64 { return dataEpoch - int64(k)*86400 }
	return []fakeSub{
		/* a */ {status: "active", currency: "usd", items: []fakeItem{monthly(1000, 1)}}, // 1000
		/* b */ {status: "active", currency: "usd", items: []fakeItem{{price: fakePrice{unitAmount: 3000, interval: "month", intervalCount: 3}, quantity: 2}}}, // 6000/3 = 2000
		/* c */ {status: "active", currency: "usd", items: []fakeItem{{price: fakePrice{unitAmount: 700, interval: "week"}, quantity: 1}}}, // 700×52/12 = 3033⅓
		/* d */ {status: "active", currency: "usd", items: []fakeItem{{price: fakePrice{unitAmount: 12000, interval: "year"}, quantity: 1}}, discounts: []fakeDiscount{pct25}}, // 1000×0.75 = 750
		/* e */ {status: "past_due", currency: "usd", items: []fakeItem{{price: fakePrice{unitAmount: 100, interval: "day"}, quantity: 2}}}, // 200×365/12 = 6083⅓
		/* f */ {status: "active", currency: "usd", items: []fakeItem{monthly(5000, 1)}, discounts: []fakeDiscount{{coupon: "co_amt500usd"}}}, // 4500
		/* g */ {status: "active", currency: "usd", items: []fakeItem{{price: fakePrice{unitAmount: 24000, interval: "year"}, quantity: 1}}, discounts: []fakeDiscount{{coupon: "co_amt500usd"}}}, // 2000 − 500/12 = 1958⅓
		/* h */ {status: "active", currency: "usd", items: []fakeItem{monthly(2000, 1)}, discounts: []fakeDiscount{{coupon: "co_once"}}}, // 2000: once is not recurring
		/* i */ {status: "active", currency: "usd", items: []fakeItem{monthly(2000, 1)}, discounts: []fakeDiscount{{coupon: "co_pct30", end: now - 86400}}, canceledAt: at(2)}, // 2000: coupon ended; canceling at period end, still active
		/* j */ {status: "trialing", currency: "usd", items: []fakeItem{monthly(9900, 1)}}, // trialing 9900
		/* k */ {status: "canceled", currency: "usd", items: []fakeItem{monthly(5000, 1)}, canceledAt: at(3)},
		/* l */ {status: "active", currency: "usd", items: []fakeItem{
			{price: fakePrice{unitAmount: 1000, interval: "month"}, quantity: 1, discounts: []fakeDiscount{{coupon: "co_pct12_5", end: now + 86400*90}}}, // 875
			monthly(500, 4), // 2000
		}, discounts: []fakeDiscount{pct25}}, // (875 + 2000) × 0.75 = 2156.25
		/* m */ {status: "active", currency: "usd", items: []fakeItem{{price: fakePrice{unitAmount: 7, interval: "month", metered: true}}, monthly(300, 1)}}, // 300, metered left out
		/* n */ {status: "active", currency: "eur", items: []fakeItem{monthly(1999, 1)}, discounts: []fakeDiscount{{coupon: "co_amt300eur"}}}, // eur 1699
		/* o */ {status: "active", currency: "jpy", items: []fakeItem{{price: fakePrice{unitAmount: 12000, interval: "year"}, quantity: 1}}}, // jpy 1000
		/* p */ {status: "active", currency: "usd", items: []fakeItem{monthly(1000, 1)}, discounts: []fakeDiscount{{coupon: "co_amt300eur"}}}, // 1000: eur coupon left out
		/* q */ {status: "active", currency: "usd", items: twelve}, // 12 × 100 = 1200, two items paged
		/* r */ {status: "active", currency: "usd", items: []fakeItem{{price: fakePrice{interval: "month", tiered: true}, quantity: 5}}}, // tiered: left out
		/* s */ {status: "incomplete", currency: "usd", items: []fakeItem{monthly(1000, 1)}},
		/* t */ {status: "active", currency: "usd", items: []fakeItem{{price: fakePrice{decimal: "0.5", interval: "month"}, quantity: 3}}}, // 1.5
		/* u */ {status: "active", currency: "usd", items: []fakeItem{{price: fakePrice{unitAmount: 1000, interval: "month", divideBy: 10, round: "up"}, quantity: 25}}}, // ⌈2.5⌉ × 1000 = 3000
		/* v */ {status: "active", currency: "kwd", items: []fakeItem{monthly(5250, 1)}}, // KWD 5.250
		/* w */ {status: "canceled", currency: "usd", items: []fakeItem{monthly(1000, 1)}, canceledAt: at(40), endedAt: at(2)}, // canceled at period end: ended in the period
		/* x */ {status: "active", currency: "usd", items: []fakeItem{monthly(0, 1)}, canceledAt: at(1)}, // 0; canceling at period end, still active
	}
}

func handCoupons() map[string]fakeCoupon {
	return map[string]fakeCoupon{
		"co_pct25":     {id: "co_pct25", duration: "forever", percentOff: "25"},
		"co_pct12_5":   {id: "co_pct12_5", duration: "repeating", percentOff: "12.5"},
		"co_pct30":     {id: "co_pct30", duration: "repeating", percentOff: "30"},
		"co_once":      {id: "co_once", duration: "once", percentOff: "50"},
		"co_amt500usd": {id: "co_amt500usd", duration: "forever", amountOff: 500, currency: "usd"},
		"co_amt300eur": {id: "co_amt300eur", duration: "forever", amountOff: 300, currency: "eur"},
	}
}

func TestSubscriptionMetricsHandCounted(t *testing.T) {
	t.Parallel()
	now := time.Now().Unix()
	subs := handSubs(now)
	for k := range subs {
		subs[k].created = dataEpoch - int64(k)*86400 // a day apart, newest first
	}
	f := &analyticsStripe{coupons: handCoupons()}
	f.subListing(len(subs), func(i int) fakeSub { return subs[i] })
	cs, rec := connectFake(t, f)
	// The period holds the subscriptions created 0–4 days before the
	// epoch (a–e), the end of k (canceled 3 days before) and of w (ended 2
	// days before, canceled long before); i and x are only set to cancel.
	since, until := dataEpoch-4*86400, dataEpoch+1
	r := decode[subscriptionsOut](t, testutil.Call(t, cs, "stripe_subscription_metrics", map[string]any{"since": since, "until": until}))

	// usd: 1000 + 2000 + 3033⅓ + 750 + 6083⅓ + 4500 + 1958⅓ + 2000 + 2000
	// + 2156.25 + 300 + 1000 + 1200 + 1.5 + 3000 = 30982.75 → 30983 (once;
	// rounding each subscription would give 30982).
	want := []figureOut{
		{Currency: "eur", Amount: 1699, Display: "€16.99", Count: 1},
		{Currency: "jpy", Amount: 1000, Display: "¥1,000", Count: 1},
		{Currency: "kwd", Amount: 5250, Display: "KWD 5.250", Count: 1},
		{Currency: "usd", Amount: 30983, Display: "$309.83", Count: 17},
	}
	if fmt.Sprint(r.MRR) != fmt.Sprint(want) {
		t.Errorf("mrr\n got %+v\nwant %+v", r.MRR, want)
	}
	if want := []figureOut{{Currency: "usd", Amount: 9900, Display: "$99.00", Count: 1}}; fmt.Sprint(r.TrialingMRR) != fmt.Sprint(want) {
		t.Errorf("trialingMrr %+v, want %+v", r.TrialingMRR, want)
	}
	if want := map[string]int64{"active": 19, "past_due": 1, "trialing": 1, "canceled": 2, "incomplete": 1}; fmt.Sprint(r.ByStatus) != fmt.Sprint(want) {
		t.Errorf("byStatus %v, want %v", r.ByStatus, want)
	}
	if r.Period.New != 5 || r.Period.Canceled != 2 || r.Period.Since != timeOf(since) {
		t.Errorf("period %+v, want 5 new and 2 canceled", r.Period)
	}
	if want := map[string]int64{"metered": 1, "tiered": 1, "amountOffInOtherCurrency": 1}; fmt.Sprint(r.ExcludedItems) != fmt.Sprint(want) {
		t.Errorf("excludedItems %v, want %v", r.ExcludedItems, want)
	}
	for _, s := range []string{"×365/12", "×52/12", "half up", "once"} {
		if !strings.Contains(r.Definition, s) {
			t.Errorf("definition lacks %q", s)
		}
	}
	// One list page with status=all and the expansions, the items of q
	// after its tenth, and item l's coupon read by id once.
	var got []string
	for _, req := range rec.Requests() {
		got = append(got, req.Path)
	}
	wantPaths := []string{"/v1/subscriptions", "/v1/coupons/co_pct12_5", "/v1/subscription_items"}
	if fmt.Sprint(got) != fmt.Sprint(wantPaths) {
		t.Errorf("requests %v, want %v", got, wantPaths)
	}
	q := rec.Requests()[0].Query
	if q.Get("status") != "all" || q.Get("limit") != "100" || fmt.Sprint(expands(q)) != "[data.discounts.source.coupon data.items.data.discounts]" {
		t.Errorf("list query %v", q)
	}
	if q := rec.Last(t, "GET", "/v1/subscription_items").Query; q.Get("subscription") != "sub_00000016" || q.Get("starting_after") != "si_00000016_09" || fmt.Sprint(expands(q)) != "[data.discounts]" {
		t.Errorf("items query %v", q)
	}
}

// genSub is subscription i of a generated set: a simple monthly price, so
// its MRR is an integer counted in the test.
func genSub(i int) fakeSub {
	h := mix(i, 3)
	statuses := []string{"active", "active", "active", "active", "past_due", "trialing", "canceled", "canceled", "incomplete", "unpaid"}
	s := fakeSub{status: statuses[h%10], currency: fakeCurrencies[(h>>8)%4], created: stamp(i)}
	s.items = []fakeItem{{price: fakePrice{unitAmount: int64((h>>16)%50+1) * 100, interval: "month"}, quantity: int64((h>>24)%3 + 1)}}
	if s.status == "canceled" {
		s.canceledAt = s.created + int64((h>>32)%5000)
	}
	return s
}

func TestSubscriptionMetricsPages(t *testing.T) {
	t.Parallel()
	const n = 2500
	f := &analyticsStripe{}
	f.subListing(n, genSub)
	cs, _ := connectFake(t, f)
	since, until := stamp(1800), stamp(200)
	r := decode[subscriptionsOut](t, testutil.Call(t, cs, "stripe_subscription_metrics", map[string]any{"since": since, "until": until}))
	mrr, subs, byStatus := map[string]int64{}, map[string]int64{}, map[string]int64{}
	var created, canceled int64
	for i := range n {
		s := genSub(i)
		byStatus[s.status]++
		if s.created >= since && s.created < until {
			created++
		}
		if s.canceledAt != 0 && s.canceledAt >= since && s.canceledAt < until {
			canceled++
		}
		if s.status == "active" || s.status == "past_due" {
			mrr[s.currency] += s.items[0].price.unitAmount * s.items[0].quantity
			subs[s.currency]++
		}
	}
	var want []figureOut
	for _, cur := range []string{"eur", "jpy", "kwd", "usd"} {
		want = append(want, figureOut{Currency: cur, Amount: mrr[cur], Display: money.Format(mrr[cur], cur), Count: subs[cur]})
	}
	if fmt.Sprint(r.MRR) != fmt.Sprint(want) {
		t.Errorf("mrr\n got %+v\nwant %+v", r.MRR, want)
	}
	if fmt.Sprint(r.ByStatus) != fmt.Sprint(byStatus) {
		t.Errorf("byStatus %v, want %v", r.ByStatus, byStatus)
	}
	if r.Period.New != created || r.Period.Canceled != canceled || created == 0 || canceled == 0 {
		t.Errorf("period %+v, want %d new, %d canceled", r.Period, created, canceled)
	}
	if !r.Complete || r.Objects != n || r.Pages != 25 {
		t.Errorf("scan %+v", r.scanOut)
	}
	checkChained(t, f.Served(), "", url.Values{"status": {"all"}, "expand": {"data.discounts.source.coupon", "data.items.data.discounts"}})
}

// ---- stripe_analyze_payment_failure ----

func TestAnalyzePaymentFailure(t *testing.T) {
	t.Parallel()
	charge := func(id, status, failureCode, outcomeType, reason string) string {
		return fmt.Sprintf(`{"id":%q,"object":"charge","status":%q,"amount":2500,"currency":"usd","failure_code":%s,"failure_message":"Your card was declined.","outcome":{"type":%q,"reason":%s,"network_status":"declined_by_network","risk_level":"normal","seller_message":"The bank did not return any further details with this decline.","advice_code":"try_again_later"}}`,
			id, status, nullable(failureCode), outcomeType, nullable(reason))
	}
	intent := func(id, status, lastError, latest string) string {
		return fmt.Sprintf(`{"id":%q,"object":"payment_intent","status":%q,"amount":2500,"currency":"usd","created":1780000000,"customer":"cus_1","last_payment_error":%s,"latest_charge":%s}`, id, status, lastError, latest)
	}
	f := &analyticsStripe{intents: map[string]string{
		"pi_declined": intent("pi_declined", "requires_payment_method",
			`{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds.","charge":"ch_1"}`,
			charge("ch_1", "failed", "card_declined", "issuer_declined", "insufficient_funds")),
		"pi_blocked": intent("pi_blocked", "requires_payment_method",
			`{"type":"card_error","code":"card_declined","message":"Your card was declined.","charge":"ch_2"}`,
			charge("ch_2", "failed", "card_declined", "blocked", "highest_risk_level")),
		"pi_chargeonly": intent("pi_chargeonly", "requires_payment_method", "null", charge("ch_3", "failed", "expired_card", "issuer_declined", "expired_card")),
		"pi_ok":         intent("pi_ok", "succeeded", "null", charge("ch_4", "succeeded", "", "authorized", "")),
	}}
	cs, rec := connectFake(t, f)
	tests := []struct {
		id, source, decline, reasonHas string
		failed, retryable              bool
	}{
		{"pi_declined", "last_payment_error", "insufficient_funds", "insufficient funds", true, false},
		{"pi_blocked", "last_payment_error", "highest_risk_level", "Radar", true, false},
		{"pi_chargeonly", "latest_charge", "expired_card", "expired", true, false},
		{"pi_ok", "", "", "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			out := testutil.Structured(t, testutil.Call(t, cs, "stripe_analyze_payment_failure", map[string]any{"paymentIntentId": tt.id}))
			if q := rec.Last(t, "GET", "/v1/payment_intents/"+tt.id).Query; fmt.Sprint(expands(q)) != "[latest_charge]" {
				t.Errorf("query %v", q)
			}
			payment := fieldOf[map[string]any](t, out, "payment")
			checkPaymentIntent(t, payment)
			if _, dup := payment["lastPaymentError"]; dup {
				t.Error("the payment repeats lastPaymentError")
			}
			if got := fieldOf[bool](t, out, "failed"); got != tt.failed {
				t.Fatalf("failed = %v: %v", got, out)
			}
			if !tt.failed {
				if !strings.Contains(resultString(t, out, "note"), "succeeded") || out["analysis"] != nil {
					t.Errorf("no failure: %v", out)
				}
				return
			}
			failure := fieldOf[map[string]any](t, out, "failure")
			if failure["source"] != tt.source {
				t.Errorf("source %v, want %s", failure["source"], tt.source)
			}
			a := fieldOf[map[string]any](t, out, "analysis")
			if a["declineCode"] != tt.decline || a["retryable"] != tt.retryable || !strings.Contains(fmt.Sprint(a["reason"]), tt.reasonHas) || a["recommendedAction"] == "" {
				t.Errorf("analysis %v", a)
			}
			if o := fieldOf[map[string]any](t, out, "chargeOutcome"); o["networkStatus"] != "declined_by_network" || o["adviceCode"] != "try_again_later" {
				t.Errorf("chargeOutcome %v", o)
			}
		})
	}
}

// ---- refusals and Stripe's errors ----

func TestAnalyticsRefused(t *testing.T) {
	t.Parallel()
	f := &analyticsStripe{txns: txnListing(10), charges: chargeListing(10), intents: map[string]string{}}
	f.subListing(10, genSub)
	cs, rec := connectFake(t, f)
	future := time.Now().Add(time.Hour).Unix()
	tests := []struct {
		tool string
		args map[string]any
		want []string
	}{
		{"stripe_revenue_summary", map[string]any{"since": "2026-03-02", "until": "2026-03-01"}, []string{"until", "after since"}},
		{"stripe_revenue_summary", map[string]any{"since": 1780000000, "until": 1780000000}, []string{"after since"}},
		{"stripe_revenue_summary", map[string]any{"since": future}, []string{"since", "not in the past"}},
		{"stripe_revenue_summary", map[string]any{"since": "last tuesday"}, []string{"since", "RFC 3339", "unix seconds"}},
		{"stripe_revenue_summary", map[string]any{"until": "2026-13-45T00:00:00Z"}, []string{"until", "RFC 3339"}},
		{"stripe_revenue_summary", map[string]any{"since": 1780000000000}, []string{"milliseconds"}},
		{"stripe_revenue_summary", map[string]any{"since": -5}, []string{"1970"}},
		{"stripe_revenue_summary", map[string]any{"since": "1780000000.5"}, []string{"whole"}},
		{"stripe_revenue_summary", map[string]any{"since": true}, []string{"since"}},
		{"stripe_revenue_summary", map[string]any{"currency": "dollars"}, []string{"currency"}},
		{"stripe_revenue_summary", map[string]any{"startingAfter": "ch_123"}, []string{"startingAfter", "txn_"}},
		{"stripe_revenue_summary", map[string]any{"full": true}, []string{"unknown argument full"}},
		{"stripe_payment_failures", map[string]any{"limit": 11}, []string{"limit", "at most 10"}},
		{"stripe_payment_failures", map[string]any{"limit": 0}, []string{"limit", "at least 1"}},
		{"stripe_payment_failures", map[string]any{"until": "yesterday"}, []string{"until"}},
		{"stripe_payment_failures", map[string]any{"startingAfter": "txn_1"}, []string{"ch_"}},
		{"stripe_subscription_metrics", map[string]any{"since": "2026-05-01", "until": "2026-04-01"}, []string{"after since"}},
		{"stripe_subscription_metrics", map[string]any{"startingAfter": "cus_1"}, []string{"sub_"}},
		{"stripe_analyze_payment_failure", map[string]any{"paymentIntentId": "ch_123"}, []string{"paymentIntentId", "pi_"}},
		{"stripe_analyze_payment_failure", map[string]any{}, []string{"paymentIntentId"}},
	}
	for _, tt := range tests {
		t.Run(tt.tool+fmt.Sprint(tt.args), func(t *testing.T) {
			refusedUnsent(t, cs, rec, tt.tool, tt.args, tt.want...)
		})
	}
}

// TestAnalyticsAccepted: the forms of time a caller may use, and a future
// until, which the result says it cut to now.
func TestAnalyticsAccepted(t *testing.T) {
	t.Parallel()
	f := &analyticsStripe{txns: txnListing(10)}
	cs, _ := connectFake(t, f)
	for _, args := range []map[string]any{
		{"since": "2026-05-31T23:00:00Z", "until": "2026-06-01T00:00:01+00:00"},
		{"since": "2026-05-31", "until": "1780272001"},
		{"since": 1780268400, "until": 1.780272001e9},
		{"since": "2026-05-31T23:00:00.5Z"},
		{},
	} {
		r := decode[revenueOut](t, testutil.Call(t, cs, "stripe_revenue_summary", args))
		q := f.Served()[len(f.Served())-1].query
		if args["since"] != nil && (q.Get("created[gte]") == "" || r.Since == "") {
			t.Errorf("%v: query %v", args, q)
		}
	}
	q := f.Served()[1].query
	if q.Get("created[gte]") != "1780185600" || q.Get("created[lt]") != "1780272001" {
		t.Errorf("bare date and numeric string: %v", q)
	}
	// The default: the 30 days up to now.
	q = f.Served()[4].query
	lt, _ := strconv.ParseInt(q.Get("created[lt]"), 10, 64)
	gte, _ := strconv.ParseInt(q.Get("created[gte]"), 10, 64)
	if d := time.Now().Unix() - lt; d < 0 || d > 60 || lt-gte != 30*86400 {
		t.Errorf("default window %d..%d", gte, lt)
	}
	r := decode[revenueOut](t, testutil.Call(t, cs, "stripe_revenue_summary", map[string]any{"since": "2026-01-01", "until": "2099-01-01"}))
	if !strings.Contains(r.Note, "ends now") || r.Until > time.Now().UTC().Format(time.RFC3339) {
		t.Errorf("future until: until %s note %q", r.Until, r.Note)
	}
}

// TestAnalyticsStripeErrors: Stripe's refusal on a later page is an error
// result with Stripe's message, not a partial summary.
func TestAnalyticsStripeErrors(t *testing.T) {
	t.Parallel()
	f := &analyticsStripe{txns: txnListing(500)}
	var mu sync.Mutex
	pages := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		pages++
		n := pages
		mu.Unlock()
		if n == 3 {
			stripeErrorServer(http.StatusUnauthorized, `{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: sk_test_****uv"}}`).ServeHTTP(w, r)
			return
		}
		f.ServeHTTP(w, r)
	})
	cs, _ := connectFake(t, h)
	res := testutil.Call(t, cs, "stripe_revenue_summary", map[string]any{"since": "2026-01-01"})
	if !res.IsError || !strings.Contains(testutil.Text(res), "Invalid API Key") || !strings.Contains(testutil.Text(res), "req_test123") {
		t.Errorf("result %v %s", res.IsError, testutil.Text(res))
	}
}

// TestAnalyticsAgainstStripeMock: stripe-mock, which validates parameters
// and expansions against Stripe's OpenAPI spec, accepts every request.
func TestAnalyticsAgainstStripeMock(t *testing.T) {
	t.Parallel()
	cs, rec := connectStripeMock(t, defaultOptions())
	tests := []struct {
		tool string
		args map[string]any
		wire wire
	}{
		{"stripe_revenue_summary", map[string]any{"since": "2026-01-01", "currency": "usd"},
			wire{method: "GET", path: "/v1/balance_transactions", params: map[string]string{"limit": "100", "created[gte]": "1767225600", "currency": "usd"}}},
		{"stripe_payment_failures", map[string]any{"since": 1767225600, "until": "2026-02-01"},
			wire{method: "GET", path: "/v1/charges", params: map[string]string{"limit": "100", "created[gte]": "1767225600", "created[lt]": "1769904000"}}},
		{"stripe_subscription_metrics", map[string]any{},
			wire{method: "GET", path: "/v1/subscriptions", params: map[string]string{"limit": "100", "status": "all"}, absent: []string{"created[gte]"}}},
		{"stripe_analyze_payment_failure", map[string]any{"paymentIntentId": "pi_123"},
			wire{method: "GET", path: "/v1/payment_intents/pi_123", params: map[string]string{"expand[0]": "latest_charge"}}},
	}
	for _, tt := range tests {
		before := len(rec.Requests())
		out := testutil.Structured(t, testutil.Call(t, cs, tt.tool, tt.args))
		checkWire(t, rec.Requests()[before:], tt.wire)
		if tt.tool != "stripe_analyze_payment_failure" && out["complete"] != true {
			t.Errorf("%s: %v", tt.tool, out)
		}
	}
}
