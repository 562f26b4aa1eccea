package registry

import (
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func fakeTools() []Tool {
	mk := func(set, name string, ro bool) Tool {
		return Tool{Toolset: set, Tool: &mcp.Tool{Name: name, Annotations: &mcp.ToolAnnotations{ReadOnlyHint: ro}}}
	}
	return []Tool{
		mk("payments", "stripe_create_payment", false),
		mk("payments", "stripe_get_payment", true),
		mk("customers", "stripe_create_customer", false),
		mk("customers", "stripe_list_customers", true),
		mk("payment_methods", "stripe_detach_payment_method", false),
	}
}

func names(ts []Tool) string {
	var n []string
	for _, t := range ts {
		n = append(n, t.Tool.Name)
	}
	return strings.Join(n, ",")
}

func TestSelect(t *testing.T) {
	cases := []struct {
		allowed  []string
		readOnly bool
		want     string
	}{
		{nil, false, "stripe_create_payment,stripe_get_payment,stripe_create_customer,stripe_list_customers,stripe_detach_payment_method"},
		{nil, true, "stripe_get_payment,stripe_list_customers"},
		{[]string{"payments"}, false, "stripe_create_payment,stripe_get_payment"},
		{[]string{"payments", "customers.read"}, false, "stripe_create_payment,stripe_get_payment,stripe_list_customers"},
		{[]string{"customers.write"}, false, "stripe_create_customer"},
		{[]string{"customers.read", "customers.write"}, false, "stripe_create_customer,stripe_list_customers"},
		{[]string{"stripe_get_payment", " stripe_detach_payment_method "}, false, "stripe_get_payment,stripe_detach_payment_method"},
		{[]string{"payments", "stripe_detach_payment_method"}, true, "stripe_get_payment"},
		{[]string{"subscriptions"}, false, ""}, // a known toolset whose tools are absent
		{[]string{""}, false, "stripe_create_payment,stripe_get_payment,stripe_create_customer,stripe_list_customers,stripe_detach_payment_method"},
	}
	for _, c := range cases {
		got, err := Select(fakeTools(), c.allowed, c.readOnly)
		if err != nil {
			t.Errorf("%v: %v", c.allowed, err)
			continue
		}
		if names(got) != c.want {
			t.Errorf("Select(%v, readOnly=%v) = %s, want %s", c.allowed, c.readOnly, names(got), c.want)
		}
	}
}

func TestSelectRefusesUnknownNames(t *testing.T) {
	for _, bad := range []string{"paymnets", "payments.admin", "stripe_delete_everything", "foo.read", "PAYMENTS"} {
		_, err := Select(fakeTools(), []string{"payments", bad}, false)
		if err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("%q: err = %v, want an error naming it", bad, err)
		}
	}
}

func TestReadAllowed(t *testing.T) {
	if !ReadAllowed("customers", nil) || !ReadAllowed("customers", []string{"customers"}) || !ReadAllowed("customers", []string{"customers.read"}) {
		t.Error("read should be allowed")
	}
	if ReadAllowed("customers", []string{"customers.write"}) || ReadAllowed("customers", []string{"payments"}) {
		t.Error("read should not be allowed")
	}
}
