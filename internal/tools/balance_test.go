package tools_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stripe-mcp/stripe-mcp/internal/money"
	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

// checkMoney checks one per-currency amount of a balance.
func checkMoney(t *testing.T, m map[string]any, sources bool) {
	t.Helper()
	amount, currency := int64(fieldOf[float64](t, m, "amount")), fieldOf[string](t, m, "currency")
	if got, want := fieldOf[string](t, m, "display"), money.Format(amount, currency); got != want {
		t.Errorf("display = %q, want %q", got, want)
	}
	if _, ok := m["bySourceType"]; ok != sources {
		t.Errorf("bySourceType present = %v, want %v: %v", ok, sources, m)
	}
}

func TestGetBalance(t *testing.T) {
	tests := []struct {
		name     string
		args     map[string]any
		detailed bool
	}{
		{"available only", map[string]any{}, false},
		{"detailed false", map[string]any{"detailed": false}, false},
		{"detailed", map[string]any{"detailed": true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs, rec := connectStripeMock(t, defaultOptions())
			out := testutil.Structured(t, testutil.Call(t, cs, "stripe_get_balance", tt.args))
			checkWire(t, rec.Requests(), wire{method: "GET", path: "/v1/balance", absent: []string{"detailed"}})
			available := objectsOf(t, out, "available")
			if len(available) == 0 {
				t.Fatal("no available amounts")
			}
			for _, a := range available {
				// stripe-mock's balance has source types; only detailed shows them.
				checkMoney(t, a, tt.detailed)
			}
			if !tt.detailed {
				for _, k := range []string{"pending", "instantAvailable", "connectReserved"} {
					if _, ok := out[k]; ok {
						t.Errorf("%s shown without detailed: %v", k, out[k])
					}
				}
				return
			}
			pending := objectsOf(t, out, "pending")
			if len(pending) == 0 {
				t.Fatal("detailed balance has no pending amounts")
			}
			for _, p := range pending {
				checkMoney(t, p, true)
			}
		})
	}

	t.Run("full", func(t *testing.T) {
		t.Parallel()
		cs, _ := connectStripeMock(t, defaultOptions())
		raw := rawOf(t, testutil.Call(t, cs, "stripe_get_balance", map[string]any{"full": true}), "balance")
		if _, ok := raw["pending"]; !ok {
			t.Errorf("raw balance has no pending: %v", raw)
		}
	})
}

// TestGetBalanceAmounts checks the projection against a balance whose values
// are known: several currencies, sorted, with their display strings and
// per-source amounts.
func TestGetBalanceAmounts(t *testing.T) {
	const body = `{"object":"balance","livemode":false,
		"available":[{"amount":123456,"currency":"usd","source_types":{"card":100000,"bank_account":23456}},{"amount":500,"currency":"jpy"},{"amount":-250,"currency":"eur"}],
		"pending":[{"amount":7500,"currency":"usd","source_types":{"card":7500}}],
		"instant_available":[{"amount":1000,"currency":"usd"}]}`
	cs, _ := connectFake(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	}))

	plain := testutil.Structured(t, testutil.Call(t, cs, "stripe_get_balance", map[string]any{}))
	available := objectsOf(t, plain, "available")
	var currencies []string
	for _, a := range available {
		checkMoney(t, a, false)
		currencies = append(currencies, a["currency"].(string))
	}
	if got := strings.Join(currencies, ","); got != "eur,jpy,usd" {
		t.Errorf("currencies %s, want eur,jpy,usd", got)
	}
	if got := available[2]["display"]; got != money.Format(123456, "usd") || !strings.Contains(got.(string), "1,234.56") {
		t.Errorf("usd display = %v, want $1,234.56", got)
	}
	if got := available[1]["display"]; got != money.Format(500, "jpy") || strings.Contains(got.(string), ".") {
		t.Errorf("jpy display = %v, want whole yen", got)
	}
	if _, ok := plain["pending"]; ok {
		t.Errorf("pending shown without detailed: %v", plain["pending"])
	}

	detailed := testutil.Structured(t, testutil.Call(t, cs, "stripe_get_balance", map[string]any{"detailed": true}))
	usd := objectsOf(t, detailed, "available")[2]
	if got := fmt.Sprint(usd["bySourceType"]); got != "map[bank_account:23456 card:100000]" {
		t.Errorf("usd bySourceType = %s", got)
	}
	pending := objectsOf(t, detailed, "pending")
	if len(pending) != 1 || pending[0]["amount"] != 7500.0 || pending[0]["display"] != money.Format(7500, "usd") {
		t.Errorf("pending = %v, want 7500 usd", pending)
	}
	if got := fmt.Sprint(pending[0]["bySourceType"]); got != "map[card:7500]" {
		t.Errorf("pending bySourceType = %s", got)
	}
	if instant := objectsOf(t, detailed, "instantAvailable"); len(instant) != 1 || instant[0]["amount"] != 1000.0 {
		t.Errorf("instantAvailable = %v", instant)
	}
}

func TestListBalanceTransactions(t *testing.T) {
	tests := []wireCase{
		{
			name: "defaults",
			args: map[string]any{},
			sent: wire{method: "GET", path: "/v1/balance_transactions", params: map[string]string{"limit": "10"},
				absent: []string{"type", "currency", "payout", "created[gte]", "starting_after"}},
		},
		{
			name: "filters",
			args: map[string]any{"type": "charge", "currency": "USD", "payoutId": "po_123", "created": map[string]any{"gte": 1700000000}, "limit": 25},
			sent: wire{method: "GET", path: "/v1/balance_transactions",
				params: map[string]string{"type": "charge", "currency": "usd", "payout": "po_123", "created[gte]": "1700000000", "limit": "25"},
				absent: []string{"created[lt]", "created[lte]", "created[gt]", "created"}},
		},
		{
			name: "created window",
			args: map[string]any{"created": map[string]any{"gt": 1700000000, "lt": 1700086400}, "type": "refund"},
			sent: wire{method: "GET", path: "/v1/balance_transactions",
				params: map[string]string{"created[gt]": "1700000000", "created[lt]": "1700086400", "type": "refund"},
				absent: []string{"created[gte]", "created[lte]"}},
		},
		{
			name: "cursor",
			args: map[string]any{"startingAfter": "txn_prev", "currency": "eur"},
			sent: wire{method: "GET", path: "/v1/balance_transactions", params: map[string]string{"starting_after": "txn_prev", "currency": "eur"}},
		},
	}
	checkListCases(t, "stripe_list_balance_transactions", tests, func(t *testing.T, tx map[string]any) {
		if id := fieldOf[string](t, tx, "id"); !strings.HasPrefix(id, "txn_") {
			t.Errorf("id = %q, want txn_…", id)
		}
		amount, fee, net := fieldOf[float64](t, tx, "amount"), fieldOf[float64](t, tx, "fee"), fieldOf[float64](t, tx, "net")
		if amount-fee != net {
			t.Errorf("amount %v - fee %v != net %v", amount, fee, net)
		}
		currency := fieldOf[string](t, tx, "currency")
		if got, want := fieldOf[string](t, tx, "netDisplay"), money.Format(int64(net), currency); got != want {
			t.Errorf("netDisplay = %q, want %q", got, want)
		}
		if fieldOf[string](t, tx, "reportingCategory") == "" || fieldOf[string](t, tx, "type") == "" {
			t.Errorf("type or reportingCategory empty: %v", tx)
		}
	})

	t.Run("fees and paging", func(t *testing.T) {
		t.Parallel()
		const page = `{"object":"list","url":"/v1/balance_transactions","has_more":true,"data":[
			{"id":"txn_a","object":"balance_transaction","type":"charge","reporting_category":"charge","amount":10000,"fee":320,"net":9680,"currency":"usd","status":"pending","source":"ch_a","created":1760000000,"available_on":1760172800},
			{"id":"txn_b","object":"balance_transaction","type":"stripe_fee","reporting_category":"fee","amount":-1500,"fee":0,"net":-1500,"currency":"usd","status":"available","created":1759990000,"available_on":1759990000}]}`
		cs, _ := connectFake(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, page)
		}))
		out := testutil.Structured(t, testutil.Call(t, cs, "stripe_list_balance_transactions", map[string]any{"limit": 2}))
		data := pageOf(t, out)
		if len(data) != 2 || out["nextCursor"] != "txn_b" || out["hasMore"] != true {
			t.Fatalf("page %v", out)
		}
		a := data[0]
		if a["fee"] != 320.0 || a["net"] != 9680.0 || a["netDisplay"] != money.Format(9680, "usd") ||
			a["reportingCategory"] != "charge" || a["sourceId"] != "ch_a" || a["availableOn"] != rfc3339(1760172800) {
			t.Errorf("charge transaction projected as %v", a)
		}
		if b := data[1]; b["net"] != -1500.0 || b["netDisplay"] != money.Format(-1500, "usd") || b["reportingCategory"] != "fee" {
			t.Errorf("fee transaction projected as %v", b)
		}
	})

	t.Run("full", func(t *testing.T) {
		t.Parallel()
		cs, _ := connectStripeMock(t, defaultOptions())
		raw := rawOf(t, testutil.Call(t, cs, "stripe_list_balance_transactions", map[string]any{"full": true}), "list")
		if data := objectsOf(t, raw, "data"); len(data) == 0 || data[0]["object"] != "balance_transaction" || data[0]["reporting_category"] == nil {
			t.Errorf("raw data = %v", raw["data"])
		}
	})
}

func TestBalanceInputRefused(t *testing.T) {
	tests := []struct {
		name string
		tool string
		args map[string]any
		want []string
	}{
		{"currency not a code", "stripe_list_balance_transactions", map[string]any{"currency": "dollars"}, []string{"currency", "three-letter"}},
		{"payout id of a transfer", "stripe_list_balance_transactions", map[string]any{"payoutId": "tr_1"}, []string{"payoutId", "po_"}},
		{"cursor of a charge", "stripe_list_balance_transactions", map[string]any{"startingAfter": "ch_1"}, []string{"startingAfter", "txn_"}},
		{"limit 0", "stripe_list_balance_transactions", map[string]any{"limit": 0}, []string{"limit", "at least 1"}},
		{"unknown created bound", "stripe_list_balance_transactions", map[string]any{"created": map[string]any{"after": 1700000000}}, []string{"created.after"}},
		{"fractional created bound", "stripe_list_balance_transactions", map[string]any{"created": map[string]any{"gte": 1.5}}, []string{"created.gte", "whole number"}},
		{"detailed as a string", "stripe_get_balance", map[string]any{"detailed": "yes"}, []string{"detailed"}},
		{"unknown argument", "stripe_get_balance", map[string]any{"currency": "usd"}, []string{"currency", "detailed"}},
	}
	cs, rec := connectStripeMock(t, defaultOptions())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refusedUnsent(t, cs, rec, tt.tool, tt.args, tt.want...)
		})
	}
}
