package tools_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stripe-mcp/stripe-mcp/internal/money"
	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

// checkInvoice checks the compact projection of an invoice: every amount
// next to its display string.
func checkInvoice(t *testing.T, out map[string]any) {
	t.Helper()
	if id := fieldOf[string](t, out, "id"); !strings.HasPrefix(id, "in_") {
		t.Errorf("id = %q, want in_…", id)
	}
	if fieldOf[string](t, out, "status") == "" {
		t.Error("status is empty")
	}
	currency := fieldOf[string](t, out, "currency")
	for _, name := range []string{"amountDue", "amountPaid", "amountRemaining"} {
		amount := int64(fieldOf[float64](t, out, name))
		if got, want := fieldOf[string](t, out, name+"Display"), money.Format(amount, currency); got != want {
			t.Errorf("%sDisplay = %q, want %q", name, got, want)
		}
	}
	if _, ok := out["object"]; ok {
		t.Errorf("compact result carries Stripe's object field: %v", out)
	}
}

// checkInvoiceItem checks the compact projection of an invoice item.
func checkInvoiceItem(t *testing.T, out map[string]any) {
	t.Helper()
	if id := fieldOf[string](t, out, "id"); !strings.HasPrefix(id, "ii_") {
		t.Errorf("id = %q, want ii_…", id)
	}
	amount, currency := int64(fieldOf[float64](t, out, "amount")), fieldOf[string](t, out, "currency")
	if got, want := fieldOf[string](t, out, "amountDisplay"), money.Format(amount, currency); got != want {
		t.Errorf("amountDisplay = %q, want %q", got, want)
	}
	if _, ok := out["object"]; ok {
		t.Errorf("compact result carries Stripe's object field: %v", out)
	}
}

func TestCreateInvoice(t *testing.T) {
	tests := []wireCase{
		{
			name: "defaults: charged automatically",
			args: map[string]any{"customerId": "cus_123"},
			sent: wire{method: "POST", path: "/v1/invoices",
				params: map[string]string{"customer": "cus_123", "collection_method": "charge_automatically"},
				absent: []string{"days_until_due", "auto_advance", "description", "pending_invoice_items_behavior"}},
		},
		{
			name: "sent, due in 30 days, with pending items",
			args: map[string]any{
				"customerId": "cus_123", "collectionMethod": "send_invoice", "daysUntilDue": 30, "description": "March consulting",
				"metadata": map[string]any{"project": "apollo"}, "autoAdvance": false, "pendingInvoiceItemsBehavior": "include",
			},
			sent: wire{method: "POST", path: "/v1/invoices",
				params: map[string]string{
					"customer": "cus_123", "collection_method": "send_invoice", "days_until_due": "30", "description": "March consulting",
					"metadata[project]": "apollo", "auto_advance": "false", "pending_invoice_items_behavior": "include",
				}},
		},
		{
			name: "explicit charge_automatically, auto advance, idempotency key",
			args: map[string]any{"customerId": "cus_123", "collectionMethod": "charge_automatically", "autoAdvance": true, "idempotencyKey": "inv-cus_123-march"},
			sent: wire{method: "POST", path: "/v1/invoices",
				params: map[string]string{"collection_method": "charge_automatically", "auto_advance": "true"},
				absent: []string{"days_until_due", "idempotencyKey"},
				header: map[string]string{"Idempotency-Key": "inv-cus_123-march"}},
		},
	}
	checkCallCases(t, "stripe_create_invoice", tests, checkInvoice)
}

func TestCreateInvoiceItem(t *testing.T) {
	tests := []wireCase{
		{
			name: "price × quantity on a draft invoice",
			args: map[string]any{"customerId": "cus_123", "priceId": "price_123", "quantity": 3, "invoiceId": "in_123", "description": "Seats"},
			sent: wire{method: "POST", path: "/v1/invoiceitems",
				params: map[string]string{"customer": "cus_123", "pricing[price]": "price_123", "quantity": "3", "invoice": "in_123", "description": "Seats"},
				// The dahlia API names the price under pricing only.
				absent: []string{"price", "amount", "currency"}},
		},
		{
			name: "price, default quantity, next invoice",
			args: map[string]any{"customerId": "cus_123", "priceId": "price_123"},
			sent: wire{method: "POST", path: "/v1/invoiceitems",
				params: map[string]string{"customer": "cus_123", "pricing[price]": "price_123"},
				absent: []string{"quantity", "invoice", "amount", "price"}},
		},
		{
			name: "amount with its currency",
			args: map[string]any{"customerId": "cus_123", "amount": 2500, "currency": "EUR", "invoiceId": "in_123"},
			sent: wire{method: "POST", path: "/v1/invoiceitems",
				params: map[string]string{"customer": "cus_123", "amount": "2500", "currency": "eur", "invoice": "in_123"},
				absent: []string{"pricing[price]", "quantity", "price"}},
		},
		{
			name: "zero-decimal amount, idempotency key",
			args: map[string]any{"customerId": "cus_123", "amount": 500, "currency": "jpy", "idempotencyKey": "ii-1"},
			sent: wire{method: "POST", path: "/v1/invoiceitems",
				params: map[string]string{"amount": "500", "currency": "jpy"},
				header: map[string]string{"Idempotency-Key": "ii-1"}},
		},
	}
	checkCallCases(t, "stripe_create_invoice_item", tests, checkInvoiceItem)
}

func TestFinalizeInvoice(t *testing.T) {
	tests := []wireCase{
		{
			name: "as it is",
			args: map[string]any{"invoiceId": "in_123"},
			sent: wire{method: "POST", path: "/v1/invoices/in_123/finalize", absent: []string{"auto_advance"}},
		},
		{
			name: "without automatic collection",
			args: map[string]any{"invoiceId": "in_123", "autoAdvance": false},
			sent: wire{method: "POST", path: "/v1/invoices/in_123/finalize", params: map[string]string{"auto_advance": "false"}},
		},
	}
	checkCallCases(t, "stripe_finalize_invoice", tests, checkInvoice)

	t.Run("full", func(t *testing.T) {
		t.Parallel()
		cs, rec := connectStripeMock(t, defaultOptions())
		rawOf(t, testutil.Call(t, cs, "stripe_finalize_invoice", map[string]any{"invoiceId": "in_123", "full": true}), "invoice")
		checkWire(t, rec.Requests(), wire{method: "POST", path: "/v1/invoices/in_123/finalize", absent: []string{"full"}})
	})
}

func TestListInvoices(t *testing.T) {
	tests := []wireCase{
		{
			name: "defaults",
			args: map[string]any{},
			sent: wire{method: "GET", path: "/v1/invoices", params: map[string]string{"limit": "10"},
				absent: []string{"customer", "status", "subscription", "starting_after", "ending_before"}},
		},
		{
			name: "filters",
			args: map[string]any{"customerId": "cus_123", "status": "open", "subscriptionId": "sub_123", "limit": 3},
			sent: wire{method: "GET", path: "/v1/invoices",
				params: map[string]string{"customer": "cus_123", "status": "open", "subscription": "sub_123", "limit": "3"}},
		},
		{
			name: "cursor",
			args: map[string]any{"status": "uncollectible", "startingAfter": "in_prev"},
			sent: wire{method: "GET", path: "/v1/invoices", params: map[string]string{"status": "uncollectible", "starting_after": "in_prev"}},
		},
		{
			name: "backwards",
			args: map[string]any{"endingBefore": "in_next"},
			sent: wire{method: "GET", path: "/v1/invoices", params: map[string]string{"ending_before": "in_next"}},
		},
	}
	checkListCases(t, "stripe_list_invoices", tests, func(t *testing.T, inv map[string]any) {
		checkInvoice(t, inv)
	})

	t.Run("full", func(t *testing.T) {
		t.Parallel()
		cs, _ := connectStripeMock(t, defaultOptions())
		raw := rawOf(t, testutil.Call(t, cs, "stripe_list_invoices", map[string]any{"full": true}), "list")
		if data := objectsOf(t, raw, "data"); len(data) == 0 || data[0]["object"] != "invoice" {
			t.Errorf("raw data = %v, want invoices", raw["data"])
		}
	})
}

// TestInvoiceProjection checks the projections against objects whose values
// are known: amounts and displays, the due date, the dahlia parent's
// subscription, the item's price under pricing.
func TestInvoiceProjection(t *testing.T) {
	const invoice = `{"id":"in_known","object":"invoice","number":"ABC-0042","status":"open","customer":"cus_123","customer_email":"jenny@example.com",
		"currency":"jpy","amount_due":5000,"amount_paid":2000,"amount_remaining":3000,"collection_method":"send_invoice","auto_advance":true,
		"due_date":1767225600,"hosted_invoice_url":"https://invoice.stripe.com/i/acct_1/test_x","created":1766620800,
		"parent":{"type":"subscription_details","subscription_details":{"subscription":"sub_known"}},"metadata":{}}`
	const item = `{"id":"ii_known","object":"invoiceitem","customer":"cus_123","amount":7500,"currency":"usd","quantity":3,"invoice":"in_known",
		"pricing":{"type":"price_details","price_details":{"price":"price_seat","product":"prod_seat"},"unit_amount_decimal":"2500"}}`
	cs, _ := connectFake(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1/invoices":
			fmt.Fprintf(w, `{"object":"list","url":"/v1/invoices","has_more":true,"data":[%s]}`, invoice)
		case "/v1/invoiceitems":
			fmt.Fprint(w, item)
		default:
			http.NotFound(w, r)
		}
	}))

	out := testutil.Structured(t, testutil.Call(t, cs, "stripe_list_invoices", map[string]any{"customerId": "cus_123", "limit": 1}))
	data := pageOf(t, out)
	if len(data) != 1 || out["nextCursor"] != "in_known" {
		t.Fatalf("page = %v", out)
	}
	inv := data[0]
	checkInvoice(t, inv)
	for k, want := range map[string]any{
		"number": "ABC-0042", "status": "open", "customerId": "cus_123", "customerEmail": "jenny@example.com",
		"amountDue": 5000.0, "amountDueDisplay": "¥5,000", "amountPaidDisplay": "¥2,000", "amountRemainingDisplay": "¥3,000",
		"collectionMethod": "send_invoice", "autoAdvance": true, "dueDate": "2026-01-01T00:00:00Z",
		"hostedInvoiceUrl": "https://invoice.stripe.com/i/acct_1/test_x", "subscriptionId": "sub_known",
	} {
		if inv[k] != want {
			t.Errorf("%s = %v, want %v", k, inv[k], want)
		}
	}
	if _, ok := inv["metadata"]; ok {
		t.Errorf("empty metadata shown: %v", inv)
	}

	it := testutil.Structured(t, testutil.Call(t, cs, "stripe_create_invoice_item", map[string]any{"customerId": "cus_123", "priceId": "price_seat", "quantity": 3}))
	checkInvoiceItem(t, it)
	for k, want := range map[string]any{"amountDisplay": "$75.00", "quantity": 3.0, "priceId": "price_seat", "invoiceId": "in_known", "customerId": "cus_123"} {
		if it[k] != want {
			t.Errorf("item %s = %v, want %v", k, it[k], want)
		}
	}
}

func TestInvoiceInputRefused(t *testing.T) {
	item := argsFrom(map[string]any{"customerId": "cus_123"})
	tests := []struct {
		name string
		tool string
		args map[string]any
		want []string
	}{
		{"daysUntilDue with the default collection", "stripe_create_invoice", map[string]any{"customerId": "cus_123", "daysUntilDue": 30},
			[]string{"daysUntilDue", "send_invoice", "charge_automatically"}},
		{"daysUntilDue with charge_automatically", "stripe_create_invoice", map[string]any{"customerId": "cus_123", "collectionMethod": "charge_automatically", "daysUntilDue": 7},
			[]string{"daysUntilDue applies only to collectionMethod send_invoice"}},
		{"send_invoice without daysUntilDue", "stripe_create_invoice", map[string]any{"customerId": "cus_123", "collectionMethod": "send_invoice"},
			[]string{"send_invoice needs daysUntilDue"}},
		{"daysUntilDue 0", "stripe_create_invoice", map[string]any{"customerId": "cus_123", "collectionMethod": "send_invoice", "daysUntilDue": 0},
			[]string{"daysUntilDue", "at least 1"}},
		{"unknown collection method", "stripe_create_invoice", map[string]any{"customerId": "cus_123", "collectionMethod": "invoice"},
			[]string{"collectionMethod", "send_invoice", "charge_automatically"}},
		{"unknown pending behavior", "stripe_create_invoice", map[string]any{"customerId": "cus_123", "pendingInvoiceItemsBehavior": "include_and_require"},
			[]string{"pendingInvoiceItemsBehavior", "include"}},
		{"invoice without customer", "stripe_create_invoice", map[string]any{"description": "x"}, []string{"customerId"}},
		{"customer id of an invoice", "stripe_create_invoice", map[string]any{"customerId": "in_123"}, []string{"customerId", "cus_", "in_123"}},
		{"card number in the description", "stripe_create_invoice", map[string]any{"customerId": "cus_123", "description": "card 4242424242424242"},
			[]string{"description", "card number"}},

		{"both price and amount", "stripe_create_invoice_item", item(map[string]any{"priceId": "price_123", "amount": 500, "currency": "usd"}),
			[]string{"either priceId", "or amount"}},
		{"neither price nor amount", "stripe_create_invoice_item", item(map[string]any{"description": "Setup"}),
			[]string{"either priceId", "or amount"}},
		{"amount without currency", "stripe_create_invoice_item", item(map[string]any{"amount": 500}),
			[]string{"amount needs its currency"}},
		{"quantity with amount", "stripe_create_invoice_item", item(map[string]any{"amount": 500, "currency": "usd", "quantity": 2}),
			[]string{"quantity goes with priceId", "total"}},
		{"currency with price", "stripe_create_invoice_item", item(map[string]any{"priceId": "price_123", "currency": "usd"}),
			[]string{"currency comes from the price"}},
		{"bad currency", "stripe_create_invoice_item", item(map[string]any{"amount": 500, "currency": "dollars"}),
			[]string{"currency", "three-letter"}},
		{"amount above Stripe's maximum", "stripe_create_invoice_item", item(map[string]any{"amount": 100000000, "currency": "usd"}),
			[]string{"amount", "maximum"}},
		{"zero quantity", "stripe_create_invoice_item", item(map[string]any{"priceId": "price_123", "quantity": 0}),
			[]string{"quantity", "at least 1"}},
		{"negative amount", "stripe_create_invoice_item", item(map[string]any{"amount": -500, "currency": "usd"}),
			[]string{"amount", "at least 1"}},
		{"price id of a product", "stripe_create_invoice_item", item(map[string]any{"priceId": "prod_123"}),
			[]string{"priceId", "price_", "prod_123"}},
		{"invoice id of a subscription", "stripe_create_invoice_item", item(map[string]any{"priceId": "price_123", "invoiceId": "sub_123"}),
			[]string{"invoiceId", "in_", "sub_123"}},
		{"invoice item id as the invoice", "stripe_create_invoice_item", item(map[string]any{"priceId": "price_123", "invoiceId": "ii_123"}),
			[]string{"invoiceId", "in_"}},
		{"card number in the item description", "stripe_create_invoice_item", item(map[string]any{"amount": 500, "currency": "usd", "description": "4000 0566 5566 5556"}),
			[]string{"description", "card number"}},
		{"snake_case price", "stripe_create_invoice_item", item(map[string]any{"price_id": "price_123"}),
			[]string{"price_id", "priceId"}},

		{"finalize without invoice", "stripe_finalize_invoice", map[string]any{}, []string{"invoiceId"}},
		{"finalize a customer", "stripe_finalize_invoice", map[string]any{"invoiceId": "cus_123"}, []string{"invoiceId", "in_", "cus_123"}},
		{"finalize an id with a path", "stripe_finalize_invoice", map[string]any{"invoiceId": "in_1/../x"}, []string{"invoiceId", "'/'"}},

		{"unknown status", "stripe_list_invoices", map[string]any{"status": "pending"}, []string{"status", "draft", "uncollectible", "pending"}},
		{"subscription filter of a customer", "stripe_list_invoices", map[string]any{"subscriptionId": "cus_123"}, []string{"subscriptionId", "sub_"}},
		{"invoice cursor of an item", "stripe_list_invoices", map[string]any{"startingAfter": "ii_123"}, []string{"startingAfter", "in_"}},
		{"limit 0", "stripe_list_invoices", map[string]any{"limit": 0}, []string{"limit", "at least 1"}},
	}
	cs, rec := connectStripeMock(t, defaultOptions())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refusedUnsent(t, cs, rec, tt.tool, tt.args, tt.want...)
		})
	}
}
