//go:build benchfake

package main

import (
	"log/slog"
	"net/http"

	"github.com/stripe-mcp/stripe-mcp/internal/stripefake"
)

// benchTransport: binaries built with -tags benchfake (for `go run
// ./cmd/bench -http`) answer every Stripe request in process with the same
// customer, so that a load test measures the MCP server alone.
func benchTransport(logger *slog.Logger) http.RoundTripper {
	logger.Warn("this binary is built for load tests (-tags benchfake): Stripe is an in-process fake that answers every request with the same customer")
	return stripefake.Transport{}
}
