package server_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stripe/stripe-go/v85"

	"github.com/stripe-mcp/stripe-mcp/internal/server"
	"github.com/stripe-mcp/stripe-mcp/internal/stripeapi"
	"github.com/stripe-mcp/stripe-mcp/internal/stripefake"
	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

// fastStripe answers every request with the same customer at once, so that
// the benchmark measures the server, not the Stripe stand-in.
func fastStripe(b *testing.B) string {
	srv := httptest.NewServer(stripefake.Handler())
	b.Cleanup(srv.Close)
	return srv.URL
}

// benchClient logs nothing: the test logger would dominate the figures.
func benchClient(b *testing.B, base string) *stripeapi.Client {
	c, err := stripeapi.New(stripeapi.Options{Key: testutil.TestKey, BaseURL: base})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkGetCustomer compares a tool call through the MCP server (in-memory
// transport, real client) with the same stripe-go call made directly; the
// difference is what the MCP layers cost. Run with -bench GetCustomer and
// compare the two sub-benchmarks.
func BenchmarkGetCustomer(b *testing.B) {
	base := fastStripe(b)
	b.Run("direct", func(b *testing.B) {
		sc := benchClient(b, base)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := sc.V1Customers.Retrieve(context.Background(), "cus_NffrFeUfNV2Hib", &stripe.CustomerRetrieveParams{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("mcp", func(b *testing.B) {
		s, err := server.New(server.Options{Stripe: benchClient(b, base), Currency: "usd"})
		if err != nil {
			b.Fatal(err)
		}
		cs := testutil.ConnectServer(b, s.MCP, nil)
		args := map[string]any{"customerId": "cus_NffrFeUfNV2Hib"}
		b.ReportAllocs()
		for b.Loop() {
			res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "stripe_get_customer", Arguments: args})
			if err != nil || res.IsError {
				b.Fatal(err, res)
			}
		}
	})
}
