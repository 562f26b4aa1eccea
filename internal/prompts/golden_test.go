package prompts

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// update rewrites the golden files from the current implementation:
//
//	go test ./internal/prompts/ -run Golden -update
var update = flag.Bool("update", false, "rewrite testdata/*.golden and testdata/tool-subsets.sha256")

// argCase is a named argument set of a prompts/get.
type argCase struct {
	name string
	args map[string]string
}

// goldenArgs are, per prompt, argument sets that between them take every
// branch of its text: each argument given or not, alone and together, and
// values that are normalized (case, padding, leading zeros) or quoted
// (quotes, non-ASCII).
var goldenArgs = map[string][]argCase{
	"complete_payment_flow": {
		{"minimal", map[string]string{"amount": "2500", "currency": "usd"}},
		{"customer id", map[string]string{"amount": "2500", "currency": "usd", "customerId": "cus_123"}},
		{"everything, capture false", map[string]string{"amount": "2500", "currency": "USD", "customerId": "cus_123",
			"customerEmail": "jane@example.com", "paymentMethodId": "pm_card_visa", "description": "Premium plan", "capture": "false"}},
		{"email", map[string]string{"amount": "500", "currency": "jpy", "customerEmail": "jane@example.com"}},
		{"email, payment method, capture true", map[string]string{"amount": "002500", "currency": " EUR ", "customerEmail": "jane@example.com",
			"paymentMethodId": "pm_1AbC", "capture": "TRUE"}},
		{"customer id, quoted description", map[string]string{"amount": "123456", "currency": "usd", "customerId": "cus_9",
			"description": `Order "42" – café \ tea`, "capture": "true"}},
		{"payment method only, capture false", map[string]string{"amount": "1", "currency": "usd", "paymentMethodId": "pm_card_visa",
			"capture": "false", "description": "x"}},
		{"email and id", map[string]string{"amount": "99999999", "currency": "usd", "customerId": "cus_1", "customerEmail": "a@b.co"}},
	},
	"subscription_onboarding": {
		{"price only", map[string]string{"priceId": "price_1"}},
		{"customer id", map[string]string{"priceId": "price_1", "customerId": "cus_1"}},
		{"email", map[string]string{"priceId": "price_1", "customerEmail": "jane@example.com"}},
		{"everything", map[string]string{"priceId": "price_123", "customerId": "cus_42", "customerEmail": "jane@example.com",
			"paymentMethodId": "pm_card_visa", "trialDays": "14", "quantity": "3"}},
		{"email, trial", map[string]string{"priceId": "price_1", "customerEmail": "jane@example.com", "trialDays": "007"}},
		{"customer id, quantity", map[string]string{"priceId": "price_1", "customerId": "cus_1", "quantity": "25"}},
		{"customer id, payment method", map[string]string{"priceId": "price_1", "customerId": "cus_1", "paymentMethodId": "pm_card_visa"}},
		{"email, payment method, quantity, trial", map[string]string{"priceId": "price_1", "customerEmail": "jane@example.com",
			"paymentMethodId": "pm_x", "quantity": "2", "trialDays": "30"}},
	},
	"refund_payment": {
		{"payment only", map[string]string{"paymentIntentId": "pi_123"}},
		{"amount", map[string]string{"paymentIntentId": "pi_123", "amount": "1000"}},
		{"reason", map[string]string{"paymentIntentId": "pi_123", "reason": "duplicate"}},
		{"amount and reason", map[string]string{"paymentIntentId": "pi_123", "amount": "0050", "reason": "Requested by customer"}},
		{"large amount, fraudulent", map[string]string{"paymentIntentId": "pi_3AbC", "amount": "12345678", "reason": "FRAUDULENT"}},
	},
	"investigate_failed_payment": {
		{"nothing", map[string]string{}},
		{"payment", map[string]string{"paymentIntentId": "pi_999"}},
		{"customer", map[string]string{"customerId": "cus_7"}},
		{"payment and customer", map[string]string{"paymentIntentId": "pi_999", "customerId": "cus_7"}},
	},
	"revenue_report": {
		{"default period", map[string]string{}},
		{"month", map[string]string{"period": "2026-10"}},
		{"currency", map[string]string{"currency": "EUR"}},
		{"quarter, zero-decimal currency", map[string]string{"period": "2026-q3", "currency": "jpy"}},
		{"range", map[string]string{"period": "2026-10-01..2026-10-15"}},
		{"today", map[string]string{"period": " Today "}},
	},
}

// toolCase is a named set of available tools.
type toolCase struct {
	name      string
	available func(string) bool
}

// goldenTools are the tool sets a prompt's text is shown with: every tool,
// and only the essential ones (none of the optional tools). Every other
// subset is covered by the digests of TestGoldenToolSubsets.
func goldenTools(p Prompt) []toolCase {
	essential := slices.Concat(p.Required, p.OneOf[:min(1, len(p.OneOf))])
	return []toolCase{
		{"all tools", allTools},
		{"essential tools only", only(essential...)},
	}
}

// renderCase is what a golden file records of one render: the text, or the
// error.
func renderCase(p Prompt, args map[string]string, available func(string) bool) string {
	text, err := p.render(args, available)
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	return text
}

// TestGolden renders every prompt for every argument set of goldenArgs on
// every tool set of goldenTools and compares the texts, byte for byte, with
// testdata/<prompt>.golden. A text equal to one shown before for the same
// arguments is written as a reference to it, to keep the files readable.
func TestGolden(t *testing.T) {
	fixClock(t)
	for _, p := range All() {
		name := p.Prompt.Name
		argSets := goldenArgs[name]
		if len(argSets) == 0 {
			t.Fatalf("%s: no golden argument sets", name)
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "Texts of the %s prompt, written by TestGolden (go test -run Golden -update).\n", name)
		for _, ac := range argSets {
			fmt.Fprintf(&b, "\n==== arguments: %s %s\n", ac.name, formatArgs(ac.args))
			seen := map[string]string{}
			for _, tc := range goldenTools(p) {
				label := ac.name + " / " + tc.name
				out := renderCase(p, ac.args, tc.available)
				fmt.Fprintf(&b, "\n---- %s\n", label)
				if first, ok := seen[out]; ok {
					fmt.Fprintf(&b, "(same as %s)\n", first)
					continue
				}
				seen[out] = label
				b.WriteString(out)
			}
		}
		compareGolden(t, filepath.Join("testdata", name+".golden"), b.Bytes())
	}
}

// TestGoldenToolSubsets renders every prompt for every argument set of
// goldenArgs on every subset of the tools it declares and compares a digest
// of the texts (and errors) per argument set with
// testdata/tool-subsets.sha256: the readable golden files show a sample of
// the tool sets, this covers them all.
func TestGoldenToolSubsets(t *testing.T) {
	fixClock(t)
	var b bytes.Buffer
	b.WriteString("# SHA-256 of the texts of each prompt and argument set of goldenArgs over every subset of the prompt's tools, written by TestGoldenToolSubsets (go test -run Golden -update).\n")
	for _, p := range All() {
		tools := p.Tools()
		for _, ac := range goldenArgs[p.Prompt.Name] {
			h := sha256.New()
			for _, set := range subsets(tools) {
				out := renderCase(p, ac.args, only(set...))
				fmt.Fprintf(h, "%s\x00%s\x00", strings.Join(set, ","), out)
			}
			fmt.Fprintf(&b, "%x  %s / %s\n", h.Sum(nil), p.Prompt.Name, ac.name)
		}
	}
	compareGolden(t, filepath.Join("testdata", "tool-subsets.sha256"), b.Bytes())
}

// subsets are every subset of tools, in a fixed order.
func subsets(tools []string) [][]string {
	var out [][]string
	for mask := range 1 << len(tools) {
		set := []string{}
		for i, tool := range tools {
			if mask&(1<<i) != 0 {
				set = append(set, tool)
			}
		}
		out = append(out, set)
	}
	return out
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update to write it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(gl), len(wl)) {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Errorf("%s differs from line %d:\n got: %q\nwant: %q", path, i+1, g, w)
			return
		}
	}
	t.Errorf("%s differs", path)
}

// formatArgs shows arguments in a stable order.
func formatArgs(args map[string]string) string {
	keys := slices.Sorted(maps.Keys(args))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strconv.Quote(args[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
