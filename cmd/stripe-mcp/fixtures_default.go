//go:build !conformance

package main

import "github.com/stripe-mcp/stripe-mcp/internal/server"

// addFixtures adds nothing: the conformance suite's fixtures are only in
// binaries built with -tags conformance (fixtures_conformance.go).
func addFixtures(srv *server.Server, err error) (*server.Server, error) { return srv, err }
