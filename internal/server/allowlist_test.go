package server_test

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stripe-mcp/stripe-mcp/internal/server"
	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

// TestAllowListForms: every form of allowedOperations registers exactly the
// tools it names; a tool outside it is an unknown tool, and calling it sends
// nothing to Stripe.
func TestAllowListForms(t *testing.T) {
	cases := []struct {
		name     string
		allowed  []string
		readOnly bool
		allow    []string // tools that must be callable
		refuse   []string // tools that must not exist
	}{
		{"toolset", []string{"customers"}, false,
			[]string{"stripe_create_customer", "stripe_get_customer"},
			[]string{"stripe_create_payment", "stripe_create_refund"}},
		{"toolset read", []string{"payments.read"}, false,
			[]string{"stripe_get_payment", "stripe_list_payments"},
			[]string{"stripe_create_payment", "stripe_capture_payment", "stripe_create_customer"}},
		{"toolset write", []string{"refunds.write"}, false,
			[]string{"stripe_create_refund"},
			[]string{"stripe_list_refunds", "stripe_create_payment"}},
		{"tool names", []string{"stripe_get_balance", "stripe_create_customer"}, false,
			[]string{"stripe_get_balance", "stripe_create_customer"},
			[]string{"stripe_update_customer", "stripe_list_balance_transactions"}},
		{"read-only", nil, true,
			[]string{"stripe_get_customer", "stripe_list_subscriptions", "stripe_diagnose_connection"},
			[]string{"stripe_create_payment", "stripe_create_refund", "stripe_cancel_subscription", "stripe_update_customer"}},
		{"read-only narrows an allow-list", []string{"payments", "refunds"}, true,
			[]string{"stripe_list_payments", "stripe_list_refunds"},
			[]string{"stripe_create_payment", "stripe_create_refund", "stripe_get_customer"}},
	}
	args := map[string]map[string]any{
		"stripe_create_customer": {"email": "a@example.com"}, "stripe_get_customer": {"customerId": "cus_1"},
		"stripe_get_payment": {"paymentIntentId": "pi_1"}, "stripe_list_payments": {},
		"stripe_create_refund": {"paymentIntentId": "pi_1"}, "stripe_get_balance": {},
		"stripe_list_subscriptions": {}, "stripe_diagnose_connection": {}, "stripe_list_refunds": {},
		"stripe_create_payment": {"amount": 100}, "stripe_capture_payment": {"paymentIntentId": "pi_1"},
		"stripe_update_customer": {"customerId": "cus_1", "name": "x"}, "stripe_list_balance_transactions": {},
		"stripe_cancel_subscription": {"subscriptionId": "sub_1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base, rec := testutil.StripeMock(t)
			s, err := server.New(server.Options{Stripe: testutil.Client(t, base), Currency: "usd", AllowedOperations: c.allowed, ReadOnly: c.readOnly, Store: testutil.OpenStore(t), Idempotency: true})
			if err != nil {
				t.Fatal(err)
			}
			cs := testutil.ConnectServer(t, s.MCP, nil)
			listed, err := cs.ListTools(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			names := map[string]bool{}
			for _, tl := range listed.Tools {
				names[tl.Name] = true
				if c.readOnly && !tl.Annotations.ReadOnlyHint {
					t.Errorf("read-only server lists %s", tl.Name)
				}
			}
			for _, name := range c.refuse {
				if names[name] {
					t.Errorf("%s is listed", name)
				}
				before := rec.Count()
				_, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args[name]})
				if err == nil || !strings.Contains(err.Error(), "unknown tool") {
					t.Errorf("calling %s: %v, want unknown tool", name, err)
				}
				if rec.Count() != before {
					t.Errorf("calling %s sent %d requests to Stripe", name, rec.Count()-before)
				}
			}
			for _, name := range c.allow {
				if !names[name] {
					var all []string
					for n := range names {
						all = append(all, n)
					}
					sort.Strings(all)
					t.Errorf("%s is not listed; listed: %v", name, all)
					continue
				}
				res := testutil.Call(t, cs, name, args[name])
				if res.IsError {
					t.Errorf("%s: %s", name, testutil.Text(res))
				}
			}
		})
	}
}
