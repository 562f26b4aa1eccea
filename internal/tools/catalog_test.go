package tools_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stripe-mcp/stripe-mcp/internal/config"
	"github.com/stripe-mcp/stripe-mcp/internal/guard"
	"github.com/stripe-mcp/stripe-mcp/internal/money"
	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

// compact checks what every compact projection shares: an id with its
// prefix and none of Stripe's own bookkeeping fields.
func compact(t *testing.T, out map[string]any, prefix string) {
	t.Helper()
	if id := fieldOf[string](t, out, "id"); !strings.HasPrefix(id, prefix) {
		t.Errorf("id = %q, want %s…", id, prefix)
	}
	if _, ok := out["object"]; ok {
		t.Errorf("compact result carries Stripe's object field: %v", out)
	}
}

func TestCreateProduct(t *testing.T) {
	tests := []struct {
		name   string
		args   map[string]any
		sent   wire
		active bool
	}{
		{
			name: "name only",
			args: map[string]any{"name": "T-shirt"},
			sent: wire{method: "POST", path: "/v1/products", params: map[string]string{"name": "T-shirt"},
				absent: []string{"description", "active", "metadata[sku]", "default_price_data[unit_amount]"}},
			active: true,
		},
		{
			name: "everything, archived",
			args: map[string]any{"name": "Old shirt", "description": "Last season", "active": false, "metadata": map[string]any{"sku": "TS-1"}},
			sent: wire{method: "POST", path: "/v1/products",
				params: map[string]string{"name": "Old shirt", "description": "Last season", "active": "false", "metadata[sku]": "TS-1"}},
			active: false,
		},
		{
			name: "idempotency key",
			args: map[string]any{"name": "Mug", "idempotencyKey": "mug-1"},
			sent: wire{method: "POST", path: "/v1/products", params: map[string]string{"name": "Mug"},
				absent: []string{"idempotencyKey", "idempotency_key"},
				header: map[string]string{"Idempotency-Key": "mug-1"}},
			active: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs, rec := connectStripeMock(t, defaultOptions())
			out := testutil.Structured(t, testutil.Call(t, cs, "stripe_create_product", tt.args))
			checkWire(t, rec.Requests(), tt.sent)
			compact(t, out, "prod_")
			// stripe-mock echoes these.
			if got := fieldOf[string](t, out, "name"); got != tt.args["name"] {
				t.Errorf("name = %q, want %v", got, tt.args["name"])
			}
			if got := fieldOf[bool](t, out, "active"); got != tt.active {
				t.Errorf("active = %v, want %v", got, tt.active)
			}
		})
	}
}

func TestListProducts(t *testing.T) {
	tests := []wireCase{
		{"default", map[string]any{},
			wire{method: "GET", path: "/v1/products", params: map[string]string{"limit": "10"}, absent: []string{"active", "starting_after"}}},
		{"archived, next page", map[string]any{"active": false, "limit": 3, "startingAfter": "prod_abc"},
			wire{method: "GET", path: "/v1/products", params: map[string]string{"active": "false", "limit": "3", "starting_after": "prod_abc"}}},
		// Products may carry ids their account chose.
		{"custom id cursor", map[string]any{"active": true, "endingBefore": "tshirt_basic"},
			wire{method: "GET", path: "/v1/products", params: map[string]string{"active": "true", "ending_before": "tshirt_basic"}}},
	}
	checkListCases(t, "stripe_list_products", tests, func(t *testing.T, p map[string]any) {
		compact(t, p, "prod_")
		if fieldOf[string](t, p, "name") == "" {
			t.Error("product without a name")
		}
	})
	t.Run("full", func(t *testing.T) {
		cs, _ := connectStripeMock(t, defaultOptions())
		raw := rawOf(t, testutil.Call(t, cs, "stripe_list_products", map[string]any{"full": true}), "list")
		if objectsOf(t, raw, "data")[0]["object"] != "product" {
			t.Errorf("full list holds no raw products: %v", raw)
		}
	})
}

// checkPrice checks a price projection whose amount is a single one: the
// display is the unit amount, per interval for a recurring price.
func checkPrice(t *testing.T, out map[string]any) {
	t.Helper()
	compact(t, out, "price_")
	unit := resultNumber(t, out, "unitAmount")
	want := money.Format(unit, fieldOf[string](t, out, "currency"))
	switch n, _ := out["intervalCount"].(float64); {
	case out["interval"] == nil:
		if out["type"] != "one_time" {
			t.Errorf("type = %v without an interval, want one_time", out["type"])
		}
	case n > 1:
		want += fmt.Sprintf(" every %d %ss", int(n), out["interval"])
	default:
		want += "/" + fieldOf[string](t, out, "interval")
	}
	if got := fieldOf[string](t, out, "amountDisplay"); got != want {
		t.Errorf("amountDisplay = %q, want %q", got, want)
	}
}

func TestCreatePrice(t *testing.T) {
	tests := []struct {
		name string
		cur  string // default currency of the server
		args map[string]any
		sent wire
		// stripe-mock answers a free price with a customer-chosen amount
		// (its fixture has both); TestPriceProjection covers free prices.
		free bool
	}{
		{
			name: "one-time, default currency",
			cur:  "eur",
			args: map[string]any{"productId": "prod_abc", "unitAmount": 2500},
			sent: wire{method: "POST", path: "/v1/prices",
				params: map[string]string{"product": "prod_abc", "unit_amount": "2500", "currency": "eur"},
				absent: []string{"recurring[interval]", "recurring[interval_count]", "nickname", "type"}},
		},
		{
			name: "monthly",
			args: map[string]any{"productId": "prod_abc", "unitAmount": 1500, "currency": "USD", "recurring": map[string]any{"interval": "month"}},
			sent: wire{method: "POST", path: "/v1/prices",
				params: map[string]string{"product": "prod_abc", "unit_amount": "1500", "currency": "usd", "recurring[interval]": "month"},
				absent: []string{"recurring[interval_count]", "interval", "recurring"}},
		},
		{
			name: "every 3 months, nickname, metadata",
			args: map[string]any{"productId": "prod_abc", "unitAmount": 9000, "currency": "gbp",
				"recurring": map[string]any{"interval": "month", "intervalCount": 3},
				"nickname":  "Quarterly", "metadata": map[string]any{"plan": "pro"}},
			sent: wire{method: "POST", path: "/v1/prices",
				params: map[string]string{"unit_amount": "9000", "currency": "gbp", "recurring[interval]": "month", "recurring[interval_count]": "3",
					"nickname": "Quarterly", "metadata[plan]": "pro"},
				absent: []string{"intervalCount", "recurring[intervalCount]"}},
		},
		{
			name: "longest cycle: 3 years",
			args: map[string]any{"productId": "prod_abc", "unitAmount": 100, "recurring": map[string]any{"interval": "year", "intervalCount": 3}},
			sent: wire{method: "POST", path: "/v1/prices", params: map[string]string{"recurring[interval]": "year", "recurring[interval_count]": "3"}},
		},
		{
			name: "156 weeks",
			args: map[string]any{"productId": "prod_abc", "unitAmount": 100, "recurring": map[string]any{"interval": "week", "intervalCount": 156}},
			sent: wire{method: "POST", path: "/v1/prices", params: map[string]string{"recurring[interval]": "week", "recurring[interval_count]": "156"}},
		},
		{
			name: "1095 days",
			args: map[string]any{"productId": "prod_abc", "unitAmount": 100, "recurring": map[string]any{"interval": "day", "intervalCount": 1095}},
			sent: wire{method: "POST", path: "/v1/prices", params: map[string]string{"recurring[interval]": "day", "recurring[interval_count]": "1095"}},
		},
		{
			name: "free price, zero-decimal currency, custom product id",
			args: map[string]any{"productId": "tshirt_basic", "unitAmount": 0, "currency": "jpy"},
			sent: wire{method: "POST", path: "/v1/prices", params: map[string]string{"product": "tshirt_basic", "unit_amount": "0", "currency": "jpy"}},
			free: true,
		},
		{
			name: "idempotency key",
			args: map[string]any{"productId": "prod_abc", "unitAmount": 500, "idempotencyKey": "price-1"},
			sent: wire{method: "POST", path: "/v1/prices", params: map[string]string{"unit_amount": "500"},
				header: map[string]string{"Idempotency-Key": "price-1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := defaultOptions()
			if tt.cur != "" {
				o.Currency = tt.cur
			}
			cs, rec := connectStripeMock(t, o)
			out := testutil.Structured(t, testutil.Call(t, cs, "stripe_create_price", tt.args))
			checkWire(t, rec.Requests(), tt.sent)
			if !tt.free {
				checkPrice(t, out)
			}
			if got := out["productId"]; got != tt.args["productId"] {
				t.Errorf("productId = %v, want %v", got, tt.args["productId"])
			}
		})
	}
}

// TestPriceProjection checks the projection of prices whose values are
// known, including those without a single unit amount.
func TestPriceProjection(t *testing.T) {
	prices := []string{
		`{"id":"price_once","object":"price","active":true,"type":"one_time","currency":"usd","unit_amount":2500,"unit_amount_decimal":"2500","billing_scheme":"per_unit","product":"prod_a","nickname":"Single","created":1767225600}`,
		`{"id":"price_quarter","object":"price","active":false,"type":"recurring","currency":"eur","unit_amount":9000,"billing_scheme":"per_unit","product":"prod_a","recurring":{"interval":"month","interval_count":3,"usage_type":"licensed"}}`,
		`{"id":"price_tiered","object":"price","active":true,"type":"recurring","currency":"usd","unit_amount":null,"billing_scheme":"tiered","tiers_mode":"graduated","product":"prod_a","recurring":{"interval":"month","interval_count":1,"usage_type":"licensed"}}`,
		`{"id":"price_choose","object":"price","active":true,"type":"one_time","currency":"usd","unit_amount":null,"billing_scheme":"per_unit","custom_unit_amount":{"minimum":500,"maximum":null,"preset":null},"product":"prod_a"}`,
		`{"id":"price_metered","object":"price","active":true,"type":"recurring","currency":"usd","unit_amount":5,"billing_scheme":"per_unit","product":"prod_a","recurring":{"interval":"month","interval_count":1,"usage_type":"metered"}}`,
		`{"id":"price_free","object":"price","active":true,"type":"recurring","currency":"jpy","unit_amount":0,"unit_amount_decimal":"0","billing_scheme":"per_unit","custom_unit_amount":null,"product":"prod_a","recurring":{"interval":"year","interval_count":1,"usage_type":"licensed"}}`,
		`{"id":"price_halfcent","object":"price","active":true,"type":"recurring","currency":"usd","unit_amount":null,"unit_amount_decimal":"0.5","billing_scheme":"per_unit","product":"prod_a","recurring":{"interval":"month","interval_count":1,"usage_type":"licensed"}}`,
	}
	body := `{"object":"list","url":"/v1/prices","has_more":true,"data":[` + strings.Join(prices, ",") + `]}`
	cs, _ := connectFake(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	}))
	out := testutil.Structured(t, testutil.Call(t, cs, "stripe_list_prices", map[string]any{"limit": 7}))
	data := pageOf(t, out)
	if len(data) != 7 || out["nextCursor"] != "price_halfcent" {
		t.Fatalf("%d prices, nextCursor %v", len(data), out["nextCursor"])
	}
	want := []map[string]any{
		{"id": "price_once", "type": "one_time", "unitAmount": 2500.0, "amountDisplay": "$25.00", "active": true, "productId": "prod_a", "nickname": "Single", "created": "2026-01-01T00:00:00Z"},
		{"id": "price_quarter", "type": "recurring", "unitAmount": 9000.0, "amountDisplay": "€90.00 every 3 months", "active": false, "interval": "month", "intervalCount": 3.0},
		{"id": "price_tiered", "billingScheme": "tiered", "unitAmount": nil, "amountDisplay": nil},
		{"id": "price_choose", "customUnitAmount": true, "unitAmount": nil, "amountDisplay": nil},
		{"id": "price_metered", "usageType": "metered", "unitAmount": 5.0, "amountDisplay": "$0.05/month"},
		{"id": "price_free", "unitAmount": 0.0, "amountDisplay": "¥0/year", "customUnitAmount": nil},
		// Half a cent a unit: not shown as free.
		{"id": "price_halfcent", "unitAmount": nil, "amountDisplay": nil, "unitAmountDecimal": "0.5"},
	}
	for i, w := range want {
		for k, v := range w {
			if got := data[i][k]; got != v {
				t.Errorf("%s: %s = %v, want %v", w["id"], k, got, v)
			}
		}
	}
	for _, p := range data[:2] {
		if _, ok := p["billingScheme"]; ok {
			t.Errorf("%s: per-unit billing scheme shown", p["id"])
		}
	}
}

func TestListPrices(t *testing.T) {
	tests := []wireCase{
		{"default", map[string]any{},
			wire{method: "GET", path: "/v1/prices", params: map[string]string{"limit": "10"}, absent: []string{"product", "active", "type"}}},
		{"of a product, recurring, archived", map[string]any{"productId": "prod_abc", "type": "recurring", "active": false, "limit": 100},
			wire{method: "GET", path: "/v1/prices", params: map[string]string{"product": "prod_abc", "type": "recurring", "active": "false", "limit": "100"}}},
		{"one-time, paging back", map[string]any{"type": "one_time", "endingBefore": "price_abc"},
			wire{method: "GET", path: "/v1/prices", params: map[string]string{"type": "one_time", "ending_before": "price_abc"}, absent: []string{"starting_after"}}},
	}
	checkListCases(t, "stripe_list_prices", tests, func(t *testing.T, p map[string]any) {
		checkPrice(t, p)
	})
}

func TestCreatePaymentLink(t *testing.T) {
	const redirect = "https://shop.example/thanks?session={CHECKOUT_SESSION_ID}"
	tests := []wireCase{
		{
			name: "price only: quantity 1, Stripe's confirmation page",
			args: map[string]any{"priceId": "price_abc"},
			sent: wire{method: "POST", path: "/v1/payment_links",
				params: map[string]string{"line_items[0][price]": "price_abc", "line_items[0][quantity]": "1", "expand[0]": "line_items"},
				absent: []string{"after_completion[type]", "after_completion[redirect][url]", "line_items[1][price]", "line_items[0][adjustable_quantity][enabled]"}},
		},
		{
			name: "quantity, redirect, metadata",
			args: map[string]any{"priceId": "price_abc", "quantity": 3, "redirectUrl": redirect, "metadata": map[string]any{"campaign": "spring"}},
			sent: wire{method: "POST", path: "/v1/payment_links",
				params: map[string]string{
					"line_items[0][price]": "price_abc", "line_items[0][quantity]": "3",
					"after_completion[type]": "redirect", "after_completion[redirect][url]": redirect,
					"metadata[campaign]": "spring",
				},
				absent: []string{"redirectUrl", "after_completion[hosted_confirmation][custom_message]"}},
		},
		{
			name: "legacy plan, idempotency key",
			args: map[string]any{"priceId": "plan_gold", "idempotencyKey": "link-gold"},
			sent: wire{method: "POST", path: "/v1/payment_links", params: map[string]string{"line_items[0][price]": "plan_gold"},
				header: map[string]string{"Idempotency-Key": "link-gold"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// No guardrail is set: the price is not read, only the link
			// created.
			cs, rec := connectStripeMock(t, defaultOptions())
			out := testutil.Structured(t, testutil.Call(t, cs, "stripe_create_payment_link", tt.args))
			checkWire(t, rec.Requests(), tt.sent)
			compact(t, out, "plink_")
			if u := fieldOf[string](t, out, "url"); !strings.HasPrefix(u, "https://") {
				t.Errorf("url = %q, want an https URL", u)
			}
			if !fieldOf[bool](t, out, "active") {
				t.Error("the new link is not active")
			}
			items := objectsOf(t, out, "items")
			if len(items) != 1 || !strings.HasPrefix(fieldOf[string](t, items[0], "priceId"), "price_") || fieldOf[string](t, items[0], "amountDisplay") == "" {
				t.Errorf("items = %v, want the expanded line item", items)
			}
		})
	}
}

// catalogStripe is a fake Stripe for payment links: it knows some prices
// and creates links for them, charging unit amount × quantity per item.
type catalogStripe map[string]string // price id → price JSON

func (f catalogStripe) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	id := strings.TrimPrefix(r.URL.Path, "/v1/prices/")
	switch {
	case r.Method == "GET" && f[id] != "":
		fmt.Fprint(w, f[id])
	case r.Method == "POST" && r.URL.Path == "/v1/payment_links":
		r.ParseForm()
		raw := f[r.Form.Get("line_items[0][price]")]
		var pr struct {
			UnitAmount int64  `json:"unit_amount"`
			Currency   string `json:"currency"`
		}
		json.Unmarshal([]byte(raw), &pr)
		var qty int64
		fmt.Sscan(r.Form.Get("line_items[0][quantity]"), &qty)
		after := `{"type":"hosted_confirmation","hosted_confirmation":{"custom_message":null}}`
		if u := r.Form.Get("after_completion[redirect][url]"); u != "" {
			b, _ := json.Marshal(u)
			after = fmt.Sprintf(`{"type":"redirect","redirect":{"url":%s}}`, b)
		}
		fmt.Fprintf(w, `{"id":"plink_fake1","object":"payment_link","active":true,"url":"https://buy.stripe.com/test_fake1","livemode":false,"metadata":{},
			"after_completion":%s,
			"line_items":{"object":"list","has_more":false,"data":[{"id":"li_1","object":"item","description":"Poster","quantity":%d,"amount_total":%d,"currency":%q,"price":%s}]}}`,
			after, qty, pr.UnitAmount*qty, pr.Currency, raw)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such object: '%s'"}}`, id)
	}
}

// catalogPrices are the prices of the guardrail tests.
var catalogPrices = catalogStripe{
	"price_poster": `{"id":"price_poster","object":"price","active":true,"type":"one_time","currency":"usd","unit_amount":2500,"unit_amount_decimal":"2500","billing_scheme":"per_unit","product":"prod_poster"}`,
	"price_monthly": `{"id":"price_monthly","object":"price","active":true,"type":"recurring","currency":"usd","unit_amount":3000,"billing_scheme":"per_unit","product":"prod_club",
		"recurring":{"interval":"month","interval_count":1,"usage_type":"licensed"}}`,
	"price_euro": `{"id":"price_euro","object":"price","active":true,"type":"one_time","currency":"eur","unit_amount":2500,"billing_scheme":"per_unit","product":"prod_poster"}`,
	// Sold in packs of 10, a started pack billed whole: 25 → 3 × $30.00.
	"price_packs": `{"id":"price_packs","object":"price","active":true,"type":"one_time","currency":"usd","unit_amount":3000,"billing_scheme":"per_unit","product":"prod_stickers",
		"transform_quantity":{"divide_by":10,"round":"up"}}`,
	"price_tiered": `{"id":"price_tiered","object":"price","active":true,"type":"recurring","currency":"usd","unit_amount":null,"billing_scheme":"tiered","tiers_mode":"volume","product":"prod_seats",
		"recurring":{"interval":"month","interval_count":1,"usage_type":"licensed"}}`,
	"price_metered": `{"id":"price_metered","object":"price","active":true,"type":"recurring","currency":"usd","unit_amount":5,"billing_scheme":"per_unit","product":"prod_api",
		"recurring":{"interval":"month","interval_count":1,"usage_type":"metered"}}`,
	"price_choose": `{"id":"price_choose","object":"price","active":true,"type":"one_time","currency":"usd","unit_amount":null,"billing_scheme":"per_unit","product":"prod_tip",
		"custom_unit_amount":{"minimum":100,"maximum":null,"preset":null}}`,
	"price_fraction": `{"id":"price_fraction","object":"price","active":true,"type":"one_time","currency":"usd","unit_amount":null,"unit_amount_decimal":"0.5","billing_scheme":"per_unit","product":"prod_tiny"}`,
	// $25.00, or €500.00 / £20.00 to customers paying in those currencies.
	"price_multi": `{"id":"price_multi","object":"price","active":true,"type":"one_time","currency":"usd","unit_amount":2500,"billing_scheme":"per_unit","product":"prod_poster",
		"currency_options":{"usd":{"unit_amount":2500,"unit_amount_decimal":"2500"},"eur":{"unit_amount":50000,"unit_amount_decimal":"50000"},"gbp":{"unit_amount":2000,"unit_amount_decimal":"2000"}}}`,
}

// TestPaymentLinkProjection checks the link's projection against one whose
// values are known.
func TestPaymentLinkProjection(t *testing.T) {
	cs, _ := connectFake(t, catalogPrices)
	out := testutil.Structured(t, testutil.Call(t, cs, "stripe_create_payment_link", map[string]any{"priceId": "price_monthly", "quantity": 2, "redirectUrl": "https://shop.example/ok"}))
	if out["id"] != "plink_fake1" || out["url"] != "https://buy.stripe.com/test_fake1" || out["afterCompletion"] != "redirect" || out["redirectUrl"] != "https://shop.example/ok" {
		t.Errorf("link = %v", out)
	}
	items := objectsOf(t, out, "items")
	want := map[string]any{"priceId": "price_monthly", "quantity": 2.0, "amountTotal": 6000.0, "currency": "usd", "amountDisplay": "$60.00/month", "description": "Poster"}
	for k, v := range want {
		if got := items[0][k]; got != v {
			t.Errorf("item %s = %v, want %v", k, got, v)
		}
	}
	out = testutil.Structured(t, testutil.Call(t, cs, "stripe_create_payment_link", map[string]any{"priceId": "price_poster"}))
	if out["afterCompletion"] != "hosted_confirmation" || out["redirectUrl"] != nil || objectsOf(t, out, "items")[0]["amountDisplay"] != "$25.00" {
		t.Errorf("link = %v", out)
	}
}

func TestCatalogRefused(t *testing.T) {
	price := argsFrom(map[string]any{"productId": "prod_abc", "unitAmount": 2500})
	monthly := func(count any) map[string]any {
		return price(map[string]any{"recurring": map[string]any{"interval": "month", "intervalCount": count}})
	}
	fiftyOne := map[string]any{}
	for i := range 51 {
		fiftyOne[fmt.Sprintf("key%d", i)] = "v"
	}
	tests := []struct {
		name string
		tool string
		args map[string]any
		want []string
	}{
		// stripe_create_product
		{"missing name", "stripe_create_product", map[string]any{"description": "x"}, []string{"name"}},
		{"blank name", "stripe_create_product", map[string]any{"name": "  "}, []string{"name", "blank"}},
		{"51 metadata keys", "stripe_create_product", map[string]any{"name": "X", "metadata": fiftyOne}, []string{"metadata", "50"}},
		{"card number in a product description", "stripe_create_product", map[string]any{"name": "X", "description": "card 4242424242424242"}, []string{"description", "card number"}},
		// stripe_list_products
		{"price id as product cursor", "stripe_list_products", map[string]any{"startingAfter": "price_123"}, []string{"startingAfter", "prod_", "price_"}},
		// stripe_create_price
		{"negative unit amount", "stripe_create_price", price(map[string]any{"unitAmount": -100}), []string{"unitAmount", "at least 0"}},
		{"fractional unit amount", "stripe_create_price", price(map[string]any{"unitAmount": 25.5}), []string{"unitAmount", "whole number"}},
		{"huge unit amount", "stripe_create_price", price(map[string]any{"unitAmount": 1e9}), []string{"unitAmount", "99999999"}},
		{"enormous unit amount", "stripe_create_price", price(map[string]any{"unitAmount": 1e20}), []string{"unitAmount", "too large"}},
		{"unit amount as a string", "stripe_create_price", price(map[string]any{"unitAmount": "25"}), []string{"unitAmount", "integer"}},
		{"missing unit amount", "stripe_create_price", map[string]any{"productId": "prod_abc"}, []string{"unitAmount"}},
		{"three-decimal currency", "stripe_create_price", price(map[string]any{"unitAmount": 5125, "currency": "kwd"}), []string{"unitAmount", "kwd", "0"}},
		{"not a currency", "stripe_create_price", price(map[string]any{"currency": "dollars"}), []string{"currency", "dollars"}},
		{"price id as product", "stripe_create_price", price(map[string]any{"productId": "price_123"}), []string{"productId", "prod_", "price_123"}},
		{"customer id as product", "stripe_create_price", price(map[string]any{"productId": "cus_123"}), []string{"productId", "cus_123"}},
		{"product id with a slash", "stripe_create_price", price(map[string]any{"productId": "prod_1/x"}), []string{"productId", "'/'"}},
		{"snake_case amount", "stripe_create_price", map[string]any{"productId": "prod_abc", "unit_amount": 2500}, []string{"unit_amount", "unitAmount"}},
		{"unknown interval", "stripe_create_price", price(map[string]any{"recurring": map[string]any{"interval": "fortnight"}}), []string{"recurring.interval", "month", "fortnight"}},
		{"recurring without interval", "stripe_create_price", price(map[string]any{"recurring": map[string]any{"intervalCount": 2}}), []string{"interval"}},
		{"snake_case interval count", "stripe_create_price", price(map[string]any{"recurring": map[string]any{"interval": "month", "interval_count": 2}}), []string{"recurring.interval_count", "intervalCount"}},
		{"interval count zero", "stripe_create_price", monthly(0), []string{"recurring.intervalCount", "at least 1"}},
		{"interval count negative", "stripe_create_price", monthly(-3), []string{"recurring.intervalCount", "at least 1"}},
		{"interval count fractional", "stripe_create_price", monthly(1.5), []string{"recurring.intervalCount", "whole number"}},
		{"37 months", "stripe_create_price", monthly(37), []string{"intervalCount", "three years", "36"}},
		{"4 years", "stripe_create_price", price(map[string]any{"recurring": map[string]any{"interval": "year", "intervalCount": 4}}), []string{"intervalCount", "year", "3"}},
		{"157 weeks", "stripe_create_price", price(map[string]any{"recurring": map[string]any{"interval": "week", "intervalCount": 157}}), []string{"intervalCount", "156"}},
		{"1096 days", "stripe_create_price", price(map[string]any{"recurring": map[string]any{"interval": "day", "intervalCount": 1096}}), []string{"intervalCount", "at most 1095"}},
		{"card number in price metadata", "stripe_create_price", price(map[string]any{"metadata": map[string]any{"note": "4242 4242 4242 4242"}}), []string{"metadata.note", "card number"}},
		// stripe_list_prices
		{"customer id as product filter", "stripe_list_prices", map[string]any{"productId": "cus_123"}, []string{"productId", "cus_123"}},
		{"unknown price type", "stripe_list_prices", map[string]any{"type": "monthly"}, []string{"type", "one_time", "recurring"}},
		{"product id as price cursor", "stripe_list_prices", map[string]any{"startingAfter": "prod_123"}, []string{"startingAfter", "price_"}},
		// stripe_create_payment_link
		{"missing price", "stripe_create_payment_link", map[string]any{"quantity": 2}, []string{"priceId"}},
		{"product id as price", "stripe_create_payment_link", map[string]any{"priceId": "prod_123"}, []string{"priceId", "price_", "prod_123"}},
		{"quantity zero", "stripe_create_payment_link", map[string]any{"priceId": "price_abc", "quantity": 0}, []string{"quantity", "at least 1"}},
		{"quantity negative", "stripe_create_payment_link", map[string]any{"priceId": "price_abc", "quantity": -2}, []string{"quantity", "at least 1"}},
		{"quantity fractional", "stripe_create_payment_link", map[string]any{"priceId": "price_abc", "quantity": 1.5}, []string{"quantity", "whole number"}},
		{"http redirect", "stripe_create_payment_link", map[string]any{"priceId": "price_abc", "redirectUrl": "http://shop.example/thanks"}, []string{"redirectUrl", "https://"}},
		{"relative redirect", "stripe_create_payment_link", map[string]any{"priceId": "price_abc", "redirectUrl": "/thanks"}, []string{"redirectUrl", "https://"}},
		{"redirect without a host", "stripe_create_payment_link", map[string]any{"priceId": "price_abc", "redirectUrl": "https:///thanks"}, []string{"redirectUrl"}},
		{"javascript redirect", "stripe_create_payment_link", map[string]any{"priceId": "price_abc", "redirectUrl": "javascript:alert(1)"}, []string{"redirectUrl"}},
		{"redirect with a space", "stripe_create_payment_link", map[string]any{"priceId": "price_abc", "redirectUrl": "https://shop.example/a b"}, []string{"redirectUrl"}},
		{"card number in link metadata", "stripe_create_payment_link", map[string]any{"priceId": "price_abc", "metadata": map[string]any{"card": "4000056655665556"}}, []string{"metadata.card", "card number"}},
	}
	cs, rec := connectStripeMock(t, defaultOptions())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refusedUnsent(t, cs, rec, tt.tool, tt.args, tt.want...)
		})
	}
}

// The money guardrails on payment links (SPEC §5): a link's amount is its
// price × quantity, read from Stripe before the link is created.

// guardedLinks connects a client to a server with pol whose Stripe knows
// catalogPrices.
func guardedLinks(t *testing.T, pol guard.Policy) (*mcp.ClientSession, *testutil.Recorder) {
	t.Helper()
	base, rec := testutil.Serve(t, catalogPrices)
	st := testutil.OpenStore(t)
	pol.Store = st
	o := defaultOptions()
	o.Stripe, o.Policy, o.Store = testutil.Client(t, base), &pol, st
	return testutil.Connect(t, o), rec
}

// link creates a payment link of quantity × price.
func link(t *testing.T, cs *mcp.ClientSession, price string, quantity int, extra ...string) *mcp.CallToolResult {
	t.Helper()
	args := map[string]any{"priceId": price, "quantity": quantity}
	for i := 0; i+1 < len(extra); i += 2 {
		args[extra[i]] = extra[i+1]
	}
	return testutil.Call(t, cs, "stripe_create_payment_link", args)
}

func priceGET(id string) wire {
	return wire{method: "GET", path: "/v1/prices/" + id, params: map[string]string{"expand[0]": "currency_options"}}
}

// TestPaymentLinkOtherCurrencies: a link offers a price's amounts in its
// other currencies, so each is held to that currency's cap, and the person
// asked sees them.
func TestPaymentLinkOtherCurrencies(t *testing.T) {
	caps := func(eur int64) config.Money {
		return config.NewMoney(map[string]int64{"usd": 10000, "eur": eur, "gbp": 10000})
	}
	cs, _ := guardedLinks(t, guard.Policy{MaxAmount: caps(40000)})
	testutil.Refused(t, link(t, cs, "price_multi", 1), "security.maxAmount", "€500.00", "€400.00")
	cs, rec := guardedLinks(t, guard.Policy{MaxAmount: caps(60000), VerificationRequired: true, Fallback: "token"})
	out := testutil.Structured(t, link(t, cs, "price_multi", 1))
	if op := fmt.Sprint(out["operation"]); out["status"] != "confirmation_required" || !strings.Contains(op, "$25.00 (or €500.00, £20.00)") {
		t.Fatalf("confirmation: %v", out)
	}
	checkWire(t, rec.Requests(), priceGET("price_multi"))
}

func linkPOST(price, quantity string) wire {
	return wire{method: "POST", path: "/v1/payment_links", params: map[string]string{"line_items[0][price]": price, "line_items[0][quantity]": quantity}}
}

// TestPaymentLinkMaxAmount: the cap applies to what one payment of the link
// charges; a refused link sends only the price lookup.
func TestPaymentLinkMaxAmount(t *testing.T) {
	tests := []struct {
		name     string
		price    string
		quantity int
		refused  []string // nil: created
	}{
		{"over the cap: 5 × $25.00", "price_poster", 5, []string{"security.maxAmount", "$125.00", "$100.00"}},
		{"at the cap: 4 × $25.00", "price_poster", 4, nil},
		{"recurring, over: 4 × $30.00 a month", "price_monthly", 4, []string{"security.maxAmount", "$120.00"}},
		{"recurring, within: 3 × $30.00 a month", "price_monthly", 3, nil},
		// Stripe bills whole packs of 10: 25 → 3 packs, 35 → 4.
		{"packs, within: 25 is 3 packs of $30.00", "price_packs", 25, nil},
		{"packs, over: 35 is 4 packs of $30.00", "price_packs", 35, []string{"security.maxAmount", "$120.00"}},
		{"tiered price", "price_tiered", 1, []string{"security.maxAmount", "cannot be determined"}},
		{"metered price", "price_metered", 1, []string{"security.maxAmount", "cannot be determined"}},
		{"customer-chosen amount", "price_choose", 1, []string{"security.maxAmount", "cannot be determined"}},
		{"fraction of a cent", "price_fraction", 1, []string{"security.maxAmount", "cannot be determined"}},
		{"a currency without a cap", "price_euro", 1, []string{"security.maxAmount", "money in eur is refused"}},
		// Its other currencies are checked too: eur has no cap.
		{"another currency of the price without a cap", "price_multi", 1, []string{"security.maxAmount", "money in eur is refused"}},
		// 2^62 × $25.00 does not fit in an int64: not a small wrapped amount.
		{"overflowing quantity", "price_poster", 1 << 52, []string{"security.maxAmount", "cannot be determined"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs, rec := guardedLinks(t, guard.Policy{MaxAmount: usd(10000)})
			res := link(t, cs, tt.price, tt.quantity)
			if tt.refused != nil {
				testutil.Refused(t, res, tt.refused...)
				checkWire(t, rec.Requests(), priceGET(tt.price))
				return
			}
			out := testutil.Structured(t, res)
			compact(t, out, "plink_")
			checkWire(t, rec.Requests(), priceGET(tt.price), linkPOST(tt.price, strconv.Itoa(tt.quantity)))
		})
	}
}

// TestPaymentLinkDailyLimit: creating a link moves no money, so the daily
// limit neither refuses nor counts it, whatever the amount or currency.
func TestPaymentLinkDailyLimit(t *testing.T) {
	cs, rec := guardedLinks(t, guard.Policy{DailyLimit: usd(1000)})
	for _, c := range []struct {
		price    string
		quantity int
	}{{"price_poster", 5}, {"price_poster", 5}, {"price_euro", 1}, {"price_tiered", 1}} {
		before := len(rec.Requests())
		if res := link(t, cs, c.price, c.quantity); res.IsError {
			t.Fatalf("%d × %s: %s", c.quantity, c.price, testutil.Text(res))
		}
		checkWire(t, rec.Requests()[before:], priceGET(c.price), linkPOST(c.price, strconv.Itoa(c.quantity)))
	}
}

// TestPaymentLinkConfirmation: at or above the threshold a person approves
// the link (here through a confirmation token); nothing is created before.
func TestPaymentLinkConfirmation(t *testing.T) {
	cs, rec := guardedLinks(t, guard.Policy{VerificationRequired: true, Threshold: usd(5000), Fallback: "token"})

	// Below the threshold: created at once.
	out := testutil.Structured(t, link(t, cs, "price_poster", 1))
	compact(t, out, "plink_")
	checkWire(t, rec.Requests(), priceGET("price_poster"), linkPOST("price_poster", "1"))

	// At the threshold: 2 × $25.00 waits for approval.
	before := len(rec.Requests())
	out = testutil.Structured(t, link(t, cs, "price_poster", 2, "redirectUrl", "https://shop.example/ok"))
	token, _ := out["confirmationToken"].(string)
	if out["status"] != "confirmation_required" || token == "" || out["amountDisplay"] != "$50.00" {
		t.Fatalf("at the threshold: %v", out)
	}
	if op := fieldOf[string](t, out, "operation"); !strings.Contains(op, "payment link") || !strings.Contains(op, "2 × price_poster") || !strings.Contains(op, "$50.00") {
		t.Errorf("operation %q does not say what, how much", op)
	}
	checkWire(t, rec.Requests()[before:], priceGET("price_poster"))

	// The approval is for these arguments only.
	testutil.Refused(t, link(t, cs, "price_poster", 3, "redirectUrl", "https://shop.example/ok", "confirmationToken", token), "different arguments")
	// The approved call creates the link, once.
	before = len(rec.Requests())
	out = testutil.Structured(t, link(t, cs, "price_poster", 2, "redirectUrl", "https://shop.example/ok", "confirmationToken", token))
	compact(t, out, "plink_")
	checkWire(t, rec.Requests()[before:], priceGET("price_poster"), linkPOST("price_poster", "2"))
	testutil.Refused(t, link(t, cs, "price_poster", 2, "redirectUrl", "https://shop.example/ok", "confirmationToken", token), "already used")

	// An amount that cannot be told is asked about too.
	before = len(rec.Requests())
	out = testutil.Structured(t, link(t, cs, "price_tiered", 1))
	if out["status"] != "confirmation_required" || !strings.Contains(fieldOf[string](t, out, "operation"), "cannot be determined") {
		t.Fatalf("tiered: %v", out)
	}
	checkWire(t, rec.Requests()[before:], priceGET("price_tiered"))
}
