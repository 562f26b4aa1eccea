//go:build !benchfake

package main

import (
	"log/slog"
	"net/http"
)

// benchTransport is nil: only binaries built with -tags benchfake
// (benchfake_on.go) replace Stripe with an in-process fake.
func benchTransport(*slog.Logger) http.RoundTripper { return nil }
