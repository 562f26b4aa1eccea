package tools_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

// checkCustomer checks the compact projection of a customer.
func checkCustomer(t *testing.T, out map[string]any) {
	t.Helper()
	if id := resultString(t, out, "id"); !strings.HasPrefix(id, "cus_") {
		t.Errorf("id = %q, want cus_…", id)
	}
	if _, ok := out["object"]; ok {
		t.Errorf("compact result carries the raw object: %v", out)
	}
}

func TestCustomerWrites(t *testing.T) {
	tests := []struct {
		name  string
		tool  string
		args  map[string]any
		sent  wire
		check func(t *testing.T, out map[string]any)
	}{
		{
			name: "create with every field",
			tool: "stripe_create_customer",
			args: map[string]any{
				"email": "jenny@example.com", "name": "Jenny Rosen", "phone": "+15555550123",
				"description": "VIP", "metadata": map[string]any{"crmId": "42"},
				"address": map[string]any{"line1": "1 Main St", "city": "San Francisco", "state": "CA", "postalCode": "94107", "country": "US"},
			},
			sent: wire{method: "POST", path: "/v1/customers",
				params: map[string]string{
					"email": "jenny@example.com", "name": "Jenny Rosen", "phone": "+15555550123",
					"description": "VIP", "metadata[crmId]": "42",
					"address[line1]": "1 Main St", "address[city]": "San Francisco", "address[state]": "CA",
					"address[postal_code]": "94107", "address[country]": "US",
				},
				absent: []string{"payment_method", "invoice_settings[default_payment_method]", "address[postalCode]", "address[line2]"}},
			check: func(t *testing.T, out map[string]any) {
				if got := resultString(t, out, "email"); got != "jenny@example.com" {
					t.Errorf("email = %q", got)
				}
			},
		},
		{
			name: "create with a payment method as default",
			tool: "stripe_create_customer",
			args: map[string]any{"email": "jenny@example.com", "paymentMethodId": "pm_card_visa"},
			sent: wire{method: "POST", path: "/v1/customers",
				params: map[string]string{"payment_method": "pm_card_visa", "invoice_settings[default_payment_method]": "pm_card_visa"}},
		},
		{
			name: "create empty",
			tool: "stripe_create_customer",
			args: map[string]any{},
			sent: wire{method: "POST", path: "/v1/customers", absent: []string{"email", "name", "address[country]", "payment_method"}},
		},
		{
			name: "update",
			tool: "stripe_update_customer",
			args: map[string]any{"customerId": "cus_123", "name": "Jenny R.", "metadata": map[string]any{"tier": "gold"}},
			sent: wire{method: "POST", path: "/v1/customers/cus_123",
				params: map[string]string{"name": "Jenny R.", "metadata[tier]": "gold"},
				absent: []string{"email", "invoice_settings[default_payment_method]", "customer", "customerId"}},
			check: func(t *testing.T, out map[string]any) {
				if got := resultString(t, out, "id"); got != "cus_123" {
					t.Errorf("id = %q, want cus_123", got)
				}
			},
		},
		{
			name: "update deletes a metadata key with an empty value",
			tool: "stripe_update_customer",
			args: map[string]any{"customerId": "cus_123", "metadata": map[string]any{"old": "", "tier": "gold"}},
			sent: wire{method: "POST", path: "/v1/customers/cus_123",
				params: map[string]string{"metadata[old]": "", "metadata[tier]": "gold"}},
		},
		{
			name: "update default payment method",
			tool: "stripe_update_customer",
			args: map[string]any{"customerId": "cus_123", "defaultPaymentMethodId": "pm_123"},
			sent: wire{method: "POST", path: "/v1/customers/cus_123",
				params: map[string]string{"invoice_settings[default_payment_method]": "pm_123"},
				absent: []string{"payment_method"}},
		},
		{
			name: "update address and email",
			tool: "stripe_update_customer",
			args: map[string]any{"customerId": "cus_123", "email": "new@example.com", "address": map[string]any{"postalCode": "10001"}},
			sent: wire{method: "POST", path: "/v1/customers/cus_123",
				params: map[string]string{"email": "new@example.com", "address[postal_code]": "10001"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs, rec := connectStripeMock(t, defaultOptions())
			out := testutil.Structured(t, testutil.Call(t, cs, tt.tool, tt.args))
			checkWire(t, rec.Requests(), tt.sent)
			checkCustomer(t, out)
			if tt.check != nil {
				tt.check(t, out)
			}
		})
	}
}

func TestGetCustomer(t *testing.T) {
	tests := []struct {
		name string
		args map[string]any
		full bool
	}{
		{name: "compact", args: map[string]any{"customerId": "cus_123"}},
		{name: "full", args: map[string]any{"customerId": "cus_123", "full": true}, full: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs, rec := connectStripeMock(t, defaultOptions())
			out := testutil.Structured(t, testutil.Call(t, cs, "stripe_get_customer", tt.args))
			checkWire(t, rec.Requests(), wire{method: "GET", path: "/v1/customers/cus_123"})
			if got := resultString(t, out, "id"); got != "cus_123" {
				t.Errorf("id = %q, want cus_123", got)
			}
			if tt.full {
				if got := resultString(t, out, "object"); got != "customer" {
					t.Errorf("object = %q, want customer", got)
				}
			} else {
				checkCustomer(t, out)
			}
		})
	}
}

func TestListCustomers(t *testing.T) {
	tests := []wireCase{
		{
			name: "defaults",
			args: map[string]any{},
			sent: wire{method: "GET", path: "/v1/customers", params: map[string]string{"limit": "10"},
				absent: []string{"email", "starting_after", "ending_before"}},
		},
		{
			name: "email",
			args: map[string]any{"email": "jenny@example.com", "limit": 5},
			sent: wire{method: "GET", path: "/v1/customers", params: map[string]string{"email": "jenny@example.com", "limit": "5"}},
		},
		{
			name: "cursors",
			args: map[string]any{"startingAfter": "cus_abc"},
			sent: wire{method: "GET", path: "/v1/customers", params: map[string]string{"starting_after": "cus_abc"}},
		},
		{
			name: "ending before",
			args: map[string]any{"endingBefore": "cus_abc", "limit": 100},
			sent: wire{method: "GET", path: "/v1/customers", params: map[string]string{"ending_before": "cus_abc", "limit": "100"}},
		},
		{
			name: "search",
			args: map[string]any{"query": `email:"jenny@example.com"`},
			sent: wire{method: "GET", path: "/v1/customers/search",
				params: map[string]string{"query": `email:"jenny@example.com"`, "limit": "10"},
				absent: []string{"page", "email", "starting_after"}},
		},
		{
			name: "search next page",
			args: map[string]any{"query": `name~"jen"`, "startingAfter": "page_token_abc", "limit": 20},
			sent: wire{method: "GET", path: "/v1/customers/search",
				params: map[string]string{"query": `name~"jen"`, "page": "page_token_abc", "limit": "20"},
				absent: []string{"starting_after"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs, rec := connectStripeMock(t, defaultOptions())
			out := testutil.Structured(t, testutil.Call(t, cs, "stripe_list_customers", tt.args))
			checkWire(t, rec.Requests(), tt.sent)
			items := pageOf(t, out)
			if len(items) == 0 {
				t.Fatalf("no customers in %v", out)
			}
			for _, it := range items {
				checkCustomer(t, it)
			}
		})
	}
}

// fakeCustomerPages answers a list and a search page that both have more.
func fakeCustomerPages() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data := []any{
			map[string]any{"id": "cus_a", "object": "customer", "email": "a@example.com"},
			map[string]any{"id": "cus_b", "object": "customer", "email": "b@example.com"},
		}
		var body map[string]any
		switch r.URL.Path {
		case "/v1/customers":
			body = map[string]any{"object": "list", "url": r.URL.Path, "has_more": true, "data": data}
		case "/v1/customers/search":
			body = map[string]any{"object": "search_result", "url": r.URL.Path, "has_more": true, "next_page": "page_2_token", "data": data}
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(body)
	})
}

func TestListCustomersCursor(t *testing.T) {
	tests := []struct {
		name string
		args map[string]any
		next string
	}{
		{name: "list continues after the last id", args: map[string]any{"limit": 2}, next: "cus_b"},
		{name: "search continues at Stripe's next page", args: map[string]any{"query": `email~"example.com"`, "limit": 2}, next: "page_2_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs, _ := connectFake(t, fakeCustomerPages())
			out := testutil.Structured(t, testutil.Call(t, cs, "stripe_list_customers", tt.args))
			if items := pageOf(t, out); len(items) != 2 {
				t.Fatalf("got %d customers, want 2", len(items))
			}
			if !out["hasMore"].(bool) {
				t.Fatal("hasMore = false, want true")
			}
			if got := resultString(t, out, "nextCursor"); got != tt.next {
				t.Errorf("nextCursor = %q, want %q", got, tt.next)
			}
		})
	}
}
