package tools

import "testing"

// SetScanPages lifts the page cap of the analytics scans until the end of
// tb, so a benchmark can measure memory over more objects than one call
// reads. Not for parallel tests: the cap is shared.
func SetScanPages(tb testing.TB, pages int) {
	old := scanPages
	scanPages = pages
	tb.Cleanup(func() { scanPages = old })
}
