package stripefake_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/stripe/stripe-go/v85"

	"github.com/stripe-mcp/stripe-mcp/internal/stripeapi"
	"github.com/stripe-mcp/stripe-mcp/internal/stripefake"
)

// Both forms of the fake answer a stripe-go retrieval with the customer.
func TestFakeAnswersTheCustomer(t *testing.T) {
	srv := httptest.NewServer(stripefake.Handler())
	defer srv.Close()
	for name, o := range map[string]stripeapi.Options{
		"transport": {BaseURL: "https://api.stripe.com", Transport: stripefake.Transport{}},
		"handler":   {BaseURL: srv.URL},
	} {
		o.Key = "sk_test_" + "0123456789abcdefghijklmnop"
		o.Logger = nil
		c, err := stripeapi.New(o)
		if err != nil {
			t.Fatal(err)
		}
		cus, err := c.V1Customers.Retrieve(context.Background(), "cus_anything", &stripe.CustomerRetrieveParams{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if cus.ID != "cus_NffrFeUfNV2Hib" || cus.Email != "jennyrosen@example.com" || cus.LastResponse.RequestID != stripefake.RequestID {
			t.Errorf("%s: got %s %s %s", name, cus.ID, cus.Email, cus.LastResponse.RequestID)
		}
	}
}
