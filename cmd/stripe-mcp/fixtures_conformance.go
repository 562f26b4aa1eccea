//go:build conformance

package main

import (
	"github.com/stripe-mcp/stripe-mcp/internal/conformance"
	"github.com/stripe-mcp/stripe-mcp/internal/server"
)

// addFixtures adds the MCP conformance suite's fixture tools, resources and
// prompts to a server that was built (binaries built with -tags
// conformance only; see .ci/conformance/run.sh).
func addFixtures(srv *server.Server, err error) (*server.Server, error) {
	if err == nil {
		conformance.Register(srv.MCP)
	}
	return srv, err
}
