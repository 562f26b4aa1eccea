package tools_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stripe-mcp/stripe-mcp/internal/guard"
	"github.com/stripe-mcp/stripe-mcp/internal/money"
	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

// rfc3339 renders a Unix time the way the projections do.
func rfc3339(unix float64) string {
	return time.Unix(int64(unix), 0).UTC().Format(time.RFC3339)
}

// checkSubscription checks the compact projection of a subscription: every
// item's amount display is unit amount × quantity per interval.
func checkSubscription(t *testing.T, out map[string]any) []map[string]any {
	t.Helper()
	if id := fieldOf[string](t, out, "id"); !strings.HasPrefix(id, "sub_") {
		t.Errorf("id = %q, want sub_…", id)
	}
	if fieldOf[string](t, out, "status") == "" {
		t.Error("status is empty")
	}
	if _, ok := out["object"]; ok {
		t.Errorf("compact result carries Stripe's object field: %v", out)
	}
	items := objectsOf(t, out, "items")
	if len(items) == 0 {
		t.Fatal("no items")
	}
	for _, it := range items {
		if id := fieldOf[string](t, it, "id"); !strings.HasPrefix(id, "si_") {
			t.Errorf("item id = %q, want si_…", id)
		}
		if p := fieldOf[string](t, it, "priceId"); !strings.HasPrefix(p, "price_") {
			t.Errorf("item priceId = %q, want price_…", p)
		}
		qty := max(int64(fieldOf[float64](t, it, "quantity")), 1)
		unit := int64(fieldOf[float64](t, it, "unitAmount"))
		cur := fieldOf[string](t, it, "currency")
		if size, _ := it["packageSize"].(float64); size > 1 {
			// Billed per package of size units.
			packages := qty / int64(size)
			if it["packageRound"] == "up" && qty%int64(size) != 0 {
				packages++
			}
			qty = packages
		}
		want := money.Format(unit*qty, cur)
		if n, _ := it["intervalCount"].(float64); n > 1 {
			want += fmt.Sprintf(" every %d %ss", int(n), it["interval"])
		} else {
			want += "/" + fieldOf[string](t, it, "interval")
		}
		if got := fieldOf[string](t, it, "amountDisplay"); got != want {
			t.Errorf("amountDisplay = %q, want %q", got, want)
		}
	}
	if _, err := time.Parse(time.RFC3339, fieldOf[string](t, out, "currentPeriodEnd")); err != nil {
		t.Errorf("currentPeriodEnd: %v", err)
	}
	return items
}

func TestCreateSubscription(t *testing.T) {
	tests := []wireCase{
		{
			name: "price only",
			args: map[string]any{"customerId": "cus_123", "priceId": "price_123"},
			sent: wire{method: "POST", path: "/v1/subscriptions",
				params: map[string]string{"customer": "cus_123", "items[0][price]": "price_123"},
				absent: []string{"items[0][quantity]", "trial_period_days", "discounts[0][coupon]", "coupon", "payment_behavior", "proration_behavior"}},
		},
		{
			name: "everything",
			args: map[string]any{
				"customerId": "cus_123", "priceId": "price_123", "quantity": 3, "trialPeriodDays": 14,
				"metadata": map[string]any{"plan": "pro", "seats": "3"}, "couponId": "SUMMER25",
				"paymentBehavior": "default_incomplete",
			},
			sent: wire{method: "POST", path: "/v1/subscriptions",
				params: map[string]string{
					"customer": "cus_123", "items[0][price]": "price_123", "items[0][quantity]": "3",
					"trial_period_days": "14", "metadata[plan]": "pro", "metadata[seats]": "3",
					"discounts[0][coupon]": "SUMMER25", "payment_behavior": "default_incomplete",
				},
				// The legacy coupon parameter is gone from the dahlia API.
				absent: []string{"coupon", "items[1][price]"}},
		},
		{
			name: "legacy plan id, longest trial",
			args: map[string]any{"customerId": "cus_123", "priceId": "plan_gold", "trialPeriodDays": 730, "paymentBehavior": "error_if_incomplete"},
			sent: wire{method: "POST", path: "/v1/subscriptions",
				params: map[string]string{"items[0][price]": "plan_gold", "trial_period_days": "730", "payment_behavior": "error_if_incomplete"}},
		},
		{
			name: "idempotency key",
			args: map[string]any{"customerId": "cus_123", "priceId": "price_123", "idempotencyKey": "sub-cus_123-pro"},
			sent: wire{method: "POST", path: "/v1/subscriptions",
				params: map[string]string{"customer": "cus_123"},
				absent: []string{"idempotencyKey", "idempotency_key"},
				header: map[string]string{"Idempotency-Key": "sub-cus_123-pro"}},
		},
	}
	checkCallCases(t, "stripe_create_subscription", tests, func(t *testing.T, out map[string]any) { checkSubscription(t, out) })
}

// subscriptionJSON is a dahlia subscription: the period is on its items only.
func subscriptionJSON(id string, items ...string) string {
	return fmt.Sprintf(`{"id":%q,"object":"subscription","status":"active","customer":"cus_123","collection_method":"charge_automatically","created":1760000000,
		"discounts":[{"id":"di_1","object":"discount","source":{"type":"coupon","coupon":{"id":"SUMMER25","object":"coupon"}}}],
		"items":{"object":"list","has_more":false,"data":[%s]}}`, id, strings.Join(items, ","))
}

func subscriptionItemJSON(id string, quantity, unitAmount, intervalCount int64, periodEnd int64) string {
	return fmt.Sprintf(`{"id":%q,"object":"subscription_item","quantity":%d,"current_period_start":%d,"current_period_end":%d,
		"price":{"id":"price_pro","object":"price","currency":"usd","unit_amount":%d,"product":"prod_pro","recurring":{"interval":"month","interval_count":%d}}}`,
		id, quantity, periodEnd-30*86400, periodEnd, unitAmount, intervalCount)
}

// TestSubscriptionProjection checks the projection against a subscription
// whose values are known: the period comes from the item (dahlia moved it
// there) and the display multiplies by the quantity.
func TestSubscriptionProjection(t *testing.T) {
	const periodEnd = 1767225600 // 2026-01-01T00:00:00Z
	body := subscriptionJSON("sub_known",
		subscriptionItemJSON("si_first", 3, 1500, 1, periodEnd),
		subscriptionItemJSON("si_second", 1, 9000, 3, periodEnd+86400))
	cs, _ := connectFake(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	}))
	out := testutil.Structured(t, testutil.Call(t, cs, "stripe_get_subscription", map[string]any{"subscriptionId": "sub_known"}))
	items := checkSubscription(t, out)
	if got := fieldOf[string](t, out, "currentPeriodEnd"); got != "2026-01-01T00:00:00Z" {
		t.Errorf("currentPeriodEnd = %q, want the first item's 2026-01-01T00:00:00Z", got)
	}
	if got := fieldOf[string](t, out, "currentPeriodStart"); got != "2025-12-02T00:00:00Z" {
		t.Errorf("currentPeriodStart = %q, want the first item's 2025-12-02T00:00:00Z", got)
	}
	if len(items) != 2 {
		t.Fatalf("%d items, want 2", len(items))
	}
	if got := items[0]["amountDisplay"]; got != "$45.00/month" {
		t.Errorf("first item amountDisplay = %v, want $45.00/month", got)
	}
	if got := items[1]["amountDisplay"]; got != "$90.00 every 3 months" {
		t.Errorf("second item amountDisplay = %v, want $90.00 every 3 months", got)
	}
	if got := items[0]["quantity"]; got != 3.0 {
		t.Errorf("quantity = %v, want 3", got)
	}
	if got := items[0]["productId"]; got != "prod_pro" {
		t.Errorf("productId = %v, want prod_pro", got)
	}
	if got := fmt.Sprint(out["couponIds"]); got != "[SUMMER25]" {
		t.Errorf("couponIds = %v, want [SUMMER25]", got)
	}
	if got := out["customerId"]; got != "cus_123" {
		t.Errorf("customerId = %v, want cus_123", got)
	}
}

// TestSubscriptionItemPricing: an item on a tiered price shows no amount
// (Stripe's tiers set it) rather than $0.00, and one on a price sold in
// packages bills the packages, not the units.
func TestSubscriptionItemPricing(t *testing.T) {
	tiered := `{"id":"si_tiered","object":"subscription_item","quantity":10,"price":{"id":"price_tiers","object":"price","currency":"usd",
		"unit_amount":null,"billing_scheme":"tiered","recurring":{"interval":"month","interval_count":1}}}`
	packs := `{"id":"si_packs","object":"subscription_item","quantity":10,"price":{"id":"price_packs","object":"price","currency":"usd",
		"unit_amount":5000,"billing_scheme":"per_unit","transform_quantity":{"divide_by":5,"round":"up"},"recurring":{"interval":"month","interval_count":1}}}`
	packsDown := strings.NewReplacer("si_packs", "si_down", `"quantity":10`, `"quantity":9`, `"round":"up"`, `"round":"down"`).Replace(packs)
	body := subscriptionJSON("sub_priced", tiered, packs, packsDown)
	cs, _ := connectFake(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	}))
	out := testutil.Structured(t, testutil.Call(t, cs, "stripe_get_subscription", map[string]any{"subscriptionId": "sub_priced"}))
	items := objectsOf(t, out, "items")
	if len(items) != 3 {
		t.Fatalf("items %v", items)
	}
	if it := items[0]; it["pricing"] != "tiered" || it["amountDisplay"] != nil || it["unitAmount"] != nil {
		t.Errorf("tiered item: %v, want pricing tiered and no amount", it)
	}
	// 10 units in packages of 5, rounded up: 2 × $50.00.
	if it := items[1]; it["amountDisplay"] != "$100.00/month" || it["packageSize"] != 5.0 || it["packageRound"] != "up" {
		t.Errorf("package item: %v, want $100.00/month", it)
	}
	// 9 units rounded down: 1 package.
	if it := items[2]; it["amountDisplay"] != "$50.00/month" {
		t.Errorf("package item rounded down: %v, want $50.00/month", it)
	}
}

// mockItemID is the item id of stripe-mock's subscription, as a GET returns it.
func mockItemID(t *testing.T) string {
	t.Helper()
	cs, _ := connectStripeMock(t, defaultOptions())
	raw := rawOf(t, testutil.Call(t, cs, "stripe_get_subscription", map[string]any{"subscriptionId": "sub_123", "full": true}), "subscription")
	data := objectsOf(t, fieldOf[map[string]any](t, raw, "items"), "data")
	if len(data) != 1 {
		t.Fatalf("stripe-mock's subscription has %d items, want 1", len(data))
	}
	return fieldOf[string](t, data[0], "id")
}

func TestUpdateSubscription(t *testing.T) {
	itemID := mockItemID(t)
	get := wire{method: "GET", path: "/v1/subscriptions/sub_123"}
	tests := []struct {
		name string
		args map[string]any
		sent []wire
	}{
		{
			name: "quantity goes through the item",
			args: map[string]any{"subscriptionId": "sub_123", "quantity": 5},
			sent: []wire{get, {method: "POST", path: "/v1/subscriptions/sub_123",
				params: map[string]string{"items[0][id]": itemID, "items[0][quantity]": "5"},
				absent: []string{"quantity", "items[0][price]", "proration_behavior", "items[1][id]"}}},
		},
		{
			name: "price goes through the item",
			args: map[string]any{"subscriptionId": "sub_123", "priceId": "price_new"},
			sent: []wire{get, {method: "POST", path: "/v1/subscriptions/sub_123",
				params: map[string]string{"items[0][id]": itemID, "items[0][price]": "price_new"},
				absent: []string{"price", "items[0][quantity]", "proration_behavior"}}},
		},
		{
			name: "item given: no lookup",
			args: map[string]any{"subscriptionId": "sub_123", "itemId": "si_given", "quantity": 2, "priceId": "price_new"},
			sent: []wire{{method: "POST", path: "/v1/subscriptions/sub_123",
				params: map[string]string{"items[0][id]": "si_given", "items[0][quantity]": "2", "items[0][price]": "price_new"}}},
		},
		{
			name: "proration true",
			args: map[string]any{"subscriptionId": "sub_123", "itemId": "si_given", "quantity": 2, "proration": true},
			sent: []wire{{method: "POST", path: "/v1/subscriptions/sub_123",
				params: map[string]string{"proration_behavior": "create_prorations", "items[0][quantity]": "2"}}},
		},
		{
			name: "proration false",
			args: map[string]any{"subscriptionId": "sub_123", "itemId": "si_given", "quantity": 2, "proration": false},
			sent: []wire{{method: "POST", path: "/v1/subscriptions/sub_123",
				params: map[string]string{"proration_behavior": "none"}}},
		},
		{
			name: "always_invoice passes through",
			args: map[string]any{"subscriptionId": "sub_123", "priceId": "price_new", "prorationBehavior": "always_invoice"},
			sent: []wire{get, {method: "POST", path: "/v1/subscriptions/sub_123",
				params: map[string]string{"proration_behavior": "always_invoice", "items[0][id]": itemID, "items[0][price]": "price_new"}}},
		},
		{
			name: "proration true agrees with always_invoice",
			args: map[string]any{"subscriptionId": "sub_123", "itemId": "si_given", "quantity": 2, "proration": true, "prorationBehavior": "always_invoice"},
			sent: []wire{{method: "POST", path: "/v1/subscriptions/sub_123",
				params: map[string]string{"proration_behavior": "always_invoice"}}},
		},
		{
			name: "proration false agrees with none",
			args: map[string]any{"subscriptionId": "sub_123", "itemId": "si_given", "quantity": 2, "proration": false, "prorationBehavior": "none"},
			sent: []wire{{method: "POST", path: "/v1/subscriptions/sub_123",
				params: map[string]string{"proration_behavior": "none"}}},
		},
		{
			name: "metadata only: no lookup, no items",
			args: map[string]any{"subscriptionId": "sub_123", "metadata": map[string]any{"tier": "gold"}, "idempotencyKey": "upd-1"},
			sent: []wire{{method: "POST", path: "/v1/subscriptions/sub_123",
				params: map[string]string{"metadata[tier]": "gold"},
				absent: []string{"items[0][id]", "proration_behavior"},
				header: map[string]string{"Idempotency-Key": "upd-1"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs, rec := connectStripeMock(t, defaultOptions())
			out := testutil.Structured(t, testutil.Call(t, cs, "stripe_update_subscription", tt.args))
			checkWire(t, rec.Requests(), tt.sent...)
			checkSubscription(t, out)
		})
	}
}

func TestUpdateSubscriptionRefused(t *testing.T) {
	tests := []struct {
		name string
		args map[string]any
		want []string
	}{
		{"proration false with always_invoice", map[string]any{"subscriptionId": "sub_123", "quantity": 2, "proration": false, "prorationBehavior": "always_invoice"},
			[]string{"proration", "always_invoice"}},
		{"proration false with create_prorations", map[string]any{"subscriptionId": "sub_123", "quantity": 2, "proration": false, "prorationBehavior": "create_prorations"},
			[]string{"proration", "create_prorations"}},
		{"proration true with none", map[string]any{"subscriptionId": "sub_123", "quantity": 2, "proration": true, "prorationBehavior": "none"},
			[]string{"proration", "none"}},
		{"nothing to update", map[string]any{"subscriptionId": "sub_123"}, []string{"nothing to update"}},
		{"only proration", map[string]any{"subscriptionId": "sub_123", "proration": true}, []string{"nothing to update"}},
		{"empty metadata", map[string]any{"subscriptionId": "sub_123", "metadata": map[string]any{}}, []string{"nothing to update"}},
		{"item id of another object", map[string]any{"subscriptionId": "sub_123", "itemId": "price_1", "quantity": 2}, []string{"itemId", "si_"}},
		{"item id with only metadata", map[string]any{"subscriptionId": "sub_123", "itemId": "si_1", "metadata": map[string]any{"a": "b"}}, []string{"itemId", "quantity or priceId"}},
	}
	cs, rec := connectStripeMock(t, defaultOptions())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refusedUnsent(t, cs, rec, "stripe_update_subscription", tt.args, tt.want...)
		})
	}
}

// TestUpdateSubscriptionItemLookup runs the item lookup against
// subscriptions with several items and with none: the tool asks which item
// (or says there is none) and changes nothing.
func TestUpdateSubscriptionItemLookup(t *testing.T) {
	subs := map[string]string{
		"/v1/subscriptions/sub_one": subscriptionJSON("sub_one", subscriptionItemJSON("si_fromget", 1, 1500, 1, 1767225600)),
		"/v1/subscriptions/sub_two": subscriptionJSON("sub_two",
			subscriptionItemJSON("si_a", 1, 1500, 1, 1767225600), subscriptionItemJSON("si_b", 1, 900, 1, 1767225600)),
		"/v1/subscriptions/sub_none": subscriptionJSON("sub_none"),
	}
	cs, rec := connectFake(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := subs[r.URL.Path]
		w.Header().Set("Content-Type", "application/json")
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error":{"type":"invalid_request_error","message":"No such subscription"}}`)
			return
		}
		fmt.Fprint(w, body)
	}))

	t.Run("one item: its id from the GET", func(t *testing.T) {
		before := len(rec.Requests())
		testutil.Structured(t, testutil.Call(t, cs, "stripe_update_subscription", map[string]any{"subscriptionId": "sub_one", "quantity": 4}))
		checkWire(t, rec.Requests()[before:],
			wire{method: "GET", path: "/v1/subscriptions/sub_one"},
			wire{method: "POST", path: "/v1/subscriptions/sub_one", params: map[string]string{"items[0][id]": "si_fromget", "items[0][quantity]": "4"}})
	})
	t.Run("several items: asks which", func(t *testing.T) {
		before := len(rec.Requests())
		res := testutil.Call(t, cs, "stripe_update_subscription", map[string]any{"subscriptionId": "sub_two", "quantity": 4})
		msg := testutil.Text(res)
		if !res.IsError {
			t.Fatalf("accepted: %s", msg)
		}
		for _, s := range []string{"itemId", "si_a", "si_b"} {
			if !strings.Contains(msg, s) {
				t.Errorf("message %q does not contain %q", msg, s)
			}
		}
		checkWire(t, rec.Requests()[before:], wire{method: "GET", path: "/v1/subscriptions/sub_two"})
	})
	t.Run("no items", func(t *testing.T) {
		before := len(rec.Requests())
		res := testutil.Call(t, cs, "stripe_update_subscription", map[string]any{"subscriptionId": "sub_none", "priceId": "price_new"})
		if msg := testutil.Text(res); !res.IsError || !strings.Contains(msg, "no items") {
			t.Fatalf("isError %v, message %q; want a refusal that says there are no items", res.IsError, msg)
		}
		checkWire(t, rec.Requests()[before:], wire{method: "GET", path: "/v1/subscriptions/sub_none"})
	})
	t.Run("several items, under a cap: asks which too", func(t *testing.T) {
		guarded, grec := connectGuarded(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, subs["/v1/subscriptions/sub_two"])
		}), guard.Policy{MaxAmount: usd(100000)})
		res := testutil.Call(t, guarded, "stripe_update_subscription", map[string]any{"subscriptionId": "sub_two", "quantity": 4})
		testutil.Refused(t, res, "has 2 items (si_a, si_b): say which with itemId")
		checkWire(t, grec.Requests(), wire{method: "GET", path: "/v1/subscriptions/sub_two"})
	})
	t.Run("unknown subscription", func(t *testing.T) {
		before := len(rec.Requests())
		res := testutil.Call(t, cs, "stripe_update_subscription", map[string]any{"subscriptionId": "sub_gone", "quantity": 2})
		if msg := testutil.Text(res); !res.IsError || !strings.Contains(msg, "No such subscription") {
			t.Fatalf("isError %v, message %q; want Stripe's 404 as an error result", res.IsError, msg)
		}
		checkWire(t, rec.Requests()[before:], wire{method: "GET", path: "/v1/subscriptions/sub_gone"})
	})
}

func TestCancelSubscription(t *testing.T) {
	tests := []wireCase{
		{
			name: "at period end is an update",
			args: map[string]any{"subscriptionId": "sub_123", "cancelAtPeriodEnd": true},
			sent: wire{method: "POST", path: "/v1/subscriptions/sub_123",
				params: map[string]string{"cancel_at_period_end": "true"},
				absent: []string{"prorate", "invoice_now", "proration_behavior"}},
		},
		{
			name: "immediate is a delete",
			args: map[string]any{"subscriptionId": "sub_123"},
			sent: wire{method: "DELETE", path: "/v1/subscriptions/sub_123", absent: []string{"prorate", "invoice_now", "cancel_at_period_end"}},
		},
		{
			name: "immediate, explicitly",
			args: map[string]any{"subscriptionId": "sub_123", "cancelAtPeriodEnd": false, "proration": false},
			sent: wire{method: "DELETE", path: "/v1/subscriptions/sub_123", params: map[string]string{"prorate": "false"}, absent: []string{"invoice_now"}},
		},
		{
			name: "immediate with proration and invoice",
			args: map[string]any{"subscriptionId": "sub_123", "proration": true, "invoice": true},
			sent: wire{method: "DELETE", path: "/v1/subscriptions/sub_123", params: map[string]string{"prorate": "true", "invoice_now": "true"}},
		},
		{
			name: "immediate with invoice only",
			args: map[string]any{"subscriptionId": "sub_123", "invoice": true, "idempotencyKey": "cancel-1"},
			sent: wire{method: "DELETE", path: "/v1/subscriptions/sub_123", params: map[string]string{"invoice_now": "true"}, absent: []string{"prorate"},
				header: map[string]string{"Idempotency-Key": "cancel-1"}},
		},
	}
	checkCallCases(t, "stripe_cancel_subscription", tests, func(t *testing.T, out map[string]any) { checkSubscription(t, out) })
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		cs, rec := connectStripeMock(t, defaultOptions())
		for _, args := range []map[string]any{
			{"subscriptionId": "sub_123", "cancelAtPeriodEnd": true, "proration": false},
			{"subscriptionId": "sub_123", "cancelAtPeriodEnd": true, "proration": true},
			{"subscriptionId": "sub_123", "cancelAtPeriodEnd": true, "invoice": true},
		} {
			refusedUnsent(t, cs, rec, "stripe_cancel_subscription", args, "immediate")
		}
	})
}

func TestGetSubscription(t *testing.T) {
	cs, rec := connectStripeMock(t, defaultOptions())
	out := testutil.Structured(t, testutil.Call(t, cs, "stripe_get_subscription", map[string]any{"subscriptionId": "sub_123"}))
	items := checkSubscription(t, out)
	raw := rawOf(t, testutil.Call(t, cs, "stripe_get_subscription", map[string]any{"subscriptionId": "sub_123", "full": true}), "subscription")
	checkWire(t, rec.Requests(),
		wire{method: "GET", path: "/v1/subscriptions/sub_123", absent: []string{"full"}},
		wire{method: "GET", path: "/v1/subscriptions/sub_123", absent: []string{"full"}})

	// The compact result agrees with the raw object; its period is the item's.
	if out["id"] != raw["id"] || out["status"] != raw["status"] {
		t.Errorf("compact id/status %v/%v, raw %v/%v", out["id"], out["status"], raw["id"], raw["status"])
	}
	rawItems := objectsOf(t, fieldOf[map[string]any](t, raw, "items"), "data")
	if len(rawItems) != len(items) {
		t.Fatalf("%d compact items, %d raw", len(items), len(rawItems))
	}
	if want := rfc3339(fieldOf[float64](t, rawItems[0], "current_period_end")); out["currentPeriodEnd"] != want {
		t.Errorf("currentPeriodEnd = %v, want the item's %s", out["currentPeriodEnd"], want)
	}
	price := fieldOf[map[string]any](t, rawItems[0], "price")
	if items[0]["id"] != rawItems[0]["id"] || items[0]["priceId"] != price["id"] ||
		items[0]["unitAmount"] != price["unit_amount"] || items[0]["quantity"] != rawItems[0]["quantity"] {
		t.Errorf("item %v does not match the raw item %v", items[0], rawItems[0])
	}
}

func TestListSubscriptions(t *testing.T) {
	tests := []wireCase{
		{
			name: "defaults",
			args: map[string]any{},
			sent: wire{method: "GET", path: "/v1/subscriptions", params: map[string]string{"limit": "10"},
				absent: []string{"status", "customer", "price", "starting_after", "ending_before"}},
		},
		{
			name: "filters",
			args: map[string]any{"customerId": "cus_123", "priceId": "price_123", "status": "trialing", "limit": 3},
			sent: wire{method: "GET", path: "/v1/subscriptions", params: map[string]string{"customer": "cus_123", "price": "price_123", "status": "trialing", "limit": "3"}},
		},
		{
			name: "all statuses",
			args: map[string]any{"status": "all", "limit": 100},
			sent: wire{method: "GET", path: "/v1/subscriptions", params: map[string]string{"status": "all", "limit": "100"}},
		},
		{
			name: "next page",
			args: map[string]any{"startingAfter": "sub_prev"},
			sent: wire{method: "GET", path: "/v1/subscriptions", params: map[string]string{"starting_after": "sub_prev", "limit": "10"}, absent: []string{"ending_before"}},
		},
		{
			name: "previous page",
			args: map[string]any{"endingBefore": "sub_next", "limit": 1},
			sent: wire{method: "GET", path: "/v1/subscriptions", params: map[string]string{"ending_before": "sub_next", "limit": "1"}, absent: []string{"starting_after"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs, rec := connectStripeMock(t, defaultOptions())
			out := testutil.Structured(t, testutil.Call(t, cs, "stripe_list_subscriptions", tt.args))
			checkWire(t, rec.Requests(), tt.sent)
			for _, s := range pageOf(t, out) {
				checkSubscription(t, s)
			}
		})
	}

	t.Run("has more", func(t *testing.T) {
		t.Parallel()
		item := subscriptionItemJSON("si_x", 1, 1000, 1, 1767225600)
		page := fmt.Sprintf(`{"object":"list","url":"/v1/subscriptions","has_more":true,"data":[%s,%s]}`,
			subscriptionJSON("sub_newer", item), subscriptionJSON("sub_older", item))
		cs, _ := connectFake(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, page)
		}))
		out := testutil.Structured(t, testutil.Call(t, cs, "stripe_list_subscriptions", map[string]any{"limit": 2}))
		if data := pageOf(t, out); len(data) != 2 {
			t.Fatalf("%d subscriptions, want 2", len(data))
		}
		if !fieldOf[bool](t, out, "hasMore") || out["nextCursor"] != "sub_older" {
			t.Errorf("hasMore %v, nextCursor %v; want true, sub_older", out["hasMore"], out["nextCursor"])
		}
	})
}

func TestSubscriptionInputRefused(t *testing.T) {
	create := argsFrom(map[string]any{"customerId": "cus_123", "priceId": "price_123"})
	tests := []struct {
		name string
		tool string
		args map[string]any
		want []string
	}{
		{"subscription id of a customer: get", "stripe_get_subscription", map[string]any{"subscriptionId": "cus_1"}, []string{"subscriptionId", "sub_", "cus_1"}},
		{"subscription id of a customer: update", "stripe_update_subscription", map[string]any{"subscriptionId": "cus_1", "quantity": 2}, []string{"subscriptionId", "sub_"}},
		{"subscription id of a customer: cancel", "stripe_cancel_subscription", map[string]any{"subscriptionId": "cus_1"}, []string{"subscriptionId", "sub_"}},
		{"subscription id with a slash", "stripe_cancel_subscription", map[string]any{"subscriptionId": "sub_1/../cus_1"}, []string{"subscriptionId", "'/'"}},
		{"missing subscription id", "stripe_get_subscription", map[string]any{}, []string{"subscriptionId"}},
		{"price id of a product: create", "stripe_create_subscription", create(map[string]any{"priceId": "prod_1"}), []string{"priceId", "price_", "prod_1"}},
		{"price id of a product: update", "stripe_update_subscription", map[string]any{"subscriptionId": "sub_123", "priceId": "prod_1"}, []string{"priceId", "price_"}},
		{"price id of a product: list", "stripe_list_subscriptions", map[string]any{"priceId": "prod_1"}, []string{"priceId", "price_"}},
		{"customer id of a subscription", "stripe_create_subscription", create(map[string]any{"customerId": "sub_1"}), []string{"customerId", "cus_"}},
		{"list cursor of another object", "stripe_list_subscriptions", map[string]any{"startingAfter": "cus_1"}, []string{"startingAfter", "sub_"}},
		{"missing price", "stripe_create_subscription", map[string]any{"customerId": "cus_123"}, []string{"priceId"}},
		{"quantity 0: create", "stripe_create_subscription", create(map[string]any{"quantity": 0}), []string{"quantity", "at least 1"}},
		{"quantity -1: create", "stripe_create_subscription", create(map[string]any{"quantity": -1}), []string{"quantity", "at least 1"}},
		{"quantity 1.5: create", "stripe_create_subscription", create(map[string]any{"quantity": 1.5}), []string{"quantity", "whole number"}},
		{"quantity 0: update", "stripe_update_subscription", map[string]any{"subscriptionId": "sub_123", "quantity": 0}, []string{"quantity", "at least 1"}},
		{"quantity -1: update", "stripe_update_subscription", map[string]any{"subscriptionId": "sub_123", "quantity": -1}, []string{"quantity", "at least 1"}},
		{"quantity 1.5: update", "stripe_update_subscription", map[string]any{"subscriptionId": "sub_123", "quantity": 1.5}, []string{"quantity", "whole number"}},
		{"trial 0 days", "stripe_create_subscription", create(map[string]any{"trialPeriodDays": 0}), []string{"trialPeriodDays", "at least 1"}},
		{"trial 731 days", "stripe_create_subscription", create(map[string]any{"trialPeriodDays": 731}), []string{"trialPeriodDays", "at most 730"}},
		{"coupon id with a space", "stripe_create_subscription", create(map[string]any{"couponId": "SAVE 10"}), []string{"couponId"}},
		{"unknown payment behavior", "stripe_create_subscription", create(map[string]any{"paymentBehavior": "charge_later"}), []string{"paymentBehavior", "allow_incomplete", "charge_later"}},
		{"unknown proration behavior", "stripe_update_subscription", map[string]any{"subscriptionId": "sub_123", "quantity": 2, "prorationBehavior": "later"}, []string{"prorationBehavior", "always_invoice"}},
		{"unknown status", "stripe_list_subscriptions", map[string]any{"status": "cancelled"}, []string{"status", "canceled", "cancelled"}},
		{"limit 0", "stripe_list_subscriptions", map[string]any{"limit": 0}, []string{"limit", "at least 1"}},
		{"limit 101", "stripe_list_subscriptions", map[string]any{"limit": 101}, []string{"limit", "at most 100"}},
		{"snake_case argument", "stripe_create_subscription", create(map[string]any{"trial_period_days": 7}), []string{"trial_period_days", "trialPeriodDays"}},
		{"legacy coupon argument", "stripe_create_subscription", create(map[string]any{"coupon": "SAVE10"}), []string{"coupon"}},
		{"immediate-cancel argument on update", "stripe_update_subscription", map[string]any{"subscriptionId": "sub_123", "quantity": 2, "invoice": true}, []string{"invoice"}},
	}
	cs, rec := connectStripeMock(t, defaultOptions())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refusedUnsent(t, cs, rec, tt.tool, tt.args, tt.want...)
		})
	}
}

// TestSubscriptionDiscountsExpanded: every call that shows a subscription
// asks Stripe to expand its discounts, which are ids otherwise, so that the
// coupons applied reach the result.
func TestSubscriptionDiscountsExpanded(t *testing.T) {
	cs, rec := connectStripeMock(t, defaultOptions())
	calls := []struct {
		tool string
		args map[string]any
		sent wire
	}{
		{"stripe_get_subscription", map[string]any{"subscriptionId": "sub_123"}, wire{method: "GET", path: "/v1/subscriptions/sub_123", params: map[string]string{"expand[0]": "discounts"}}},
		{"stripe_list_subscriptions", map[string]any{}, wire{method: "GET", path: "/v1/subscriptions", params: map[string]string{"expand[0]": "data.discounts"}}},
		{"stripe_create_subscription", map[string]any{"customerId": "cus_123", "priceId": "price_123"}, wire{method: "POST", path: "/v1/subscriptions", params: map[string]string{"expand[0]": "discounts"}}},
		{"stripe_cancel_subscription", map[string]any{"subscriptionId": "sub_123"}, wire{method: "DELETE", path: "/v1/subscriptions/sub_123", params: map[string]string{"expand[0]": "discounts"}}},
	}
	for _, c := range calls {
		n := len(rec.Requests())
		testutil.Structured(t, testutil.Call(t, cs, c.tool, c.args))
		checkWire(t, rec.Requests()[n:], c.sent)
	}
}
