//go:build conformance

// Package conformance holds the fixtures that the official MCP conformance
// suite (npm @modelcontextprotocol/conformance, server mode) calls by name:
// tools that return each kind of content, log, report progress, ask the
// client to sample or elicit, fail, or close their stream mid-call;
// resources, a resource template and subscriptions; prompts; completions.
//
// Only binaries built with -tags conformance contain them. They are added
// to the production server (same transports, middleware and audit log), so
// the suite tests the stack that ships rather than a stand-in.
// .ci/conformance/run.sh builds and runs that binary.
package conformance

import (
	"context"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Register adds every fixture to s.
func Register(s *mcp.Server) {
	addTools(s)
	addResources(s)
	addPrompts(s)
	s.AddReceivingMiddleware(extraMethods)
}

// extraMethods answers completion/complete, resources/subscribe and
// resources/unsubscribe for the fixtures; every other reference goes to the
// production handlers.
//
// The SDK takes those handlers only as mcp.ServerOptions when the server is
// made, and the production server's know only its own resources and
// prompts; the fixtures are added afterwards, so their three methods are
// answered here. Middleware added last runs first: these skip the server's
// own middleware (sessions, the in-flight count for draining, the audit
// log, which records tool calls only). Everything else, tool calls to the
// fixtures included, goes through all of it.
func extraMethods(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		switch r := req.(type) {
		case *mcp.CompleteRequest:
			if isFixtureRef(r.Params) {
				return complete(r.Params)
			}
		case *mcp.SubscribeRequest:
			if isFixtureURI(r.Params.URI) {
				return subscription(r.Params.URI)
			}
		case *mcp.UnsubscribeRequest:
			if isFixtureURI(r.Params.URI) {
				return subscription(r.Params.URI)
			}
		}
		return next(ctx, method, req)
	}
}

// isFixtureRef reports whether a completion is for a fixture's prompt or
// resource template.
func isFixtureRef(p *mcp.CompleteParams) bool {
	return p != nil && p.Ref != nil && (strings.HasPrefix(p.Ref.Name, "test_") || isFixtureURI(p.Ref.URI))
}

func isFixtureURI(uri string) bool { return strings.HasPrefix(uri, "test://") }
