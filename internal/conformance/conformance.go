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

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Register adds every fixture to s, and enables for s the capabilities the
// production server does not have yet: resources (with subscriptions),
// prompts and completions.
func Register(s *mcp.Server) {
	addTools(s)
	addResources(s)
	addPrompts(s)
	s.AddReceivingMiddleware(extraMethods)
}

// extraMethods answers completion/complete, resources/subscribe and
// resources/unsubscribe, and declares them in the initialize result.
//
// The production server is built without a completion handler or
// subscription handlers (resources, prompts and completions come in a later
// issue), and the SDK takes those only as mcp.ServerOptions when the server
// is made; the fixtures are added afterwards, so they answer the three
// methods here. Middleware added last runs first: these three methods skip
// the server's own middleware (sessions, the in-flight count for draining,
// the audit log, which records tool calls only). Everything else, tool calls
// to the fixtures included, goes through all of it.
func extraMethods(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		switch r := req.(type) {
		case *mcp.CompleteRequest:
			return complete(r.Params)
		case *mcp.SubscribeRequest:
			return subscription(r.Params.URI)
		case *mcp.UnsubscribeRequest:
			return subscription(r.Params.URI)
		}
		res, err := next(ctx, method, req)
		if ir, ok := res.(*mcp.InitializeResult); ok && err == nil && ir.Capabilities != nil {
			ir.Capabilities.Completions = &mcp.CompletionCapabilities{}
			if ir.Capabilities.Resources != nil {
				ir.Capabilities.Resources.Subscribe = true
			}
		}
		return res, err
	}
}
