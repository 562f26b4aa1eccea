package guard

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stripe-mcp/stripe-mcp/internal/money"
)

// FuzzNamedAmount: whatever arguments arrive, the amount found is a
// positive whole number within Stripe's maximum that the arguments really
// name, in a valid currency; and formatting or checking any amount never
// panics.
func FuzzNamedAmount(f *testing.F) {
	for _, s := range []string{
		`{"amount":2500}`,
		`{"amount":2500,"currency":"EUR"}`,
		`{"amountToCapture":10,"currency":"jpy"}`,
		`{"amount":-5}`,
		`{"amount":25.5}`,
		`{"amount":"2500"}`,
		`{"amount":1e300,"currency":"usd"}`,
		`{"amount":99999999,"currency":"kwd"}`,
		`{"amount":100000000}`,
		`{"amount":4000,"currency":"isk"}`,
		`{"amount":2500,"currency":"dollars"}`,
		`{"amount":0,"amountToCapture":7}`,
		`{"currency":"usd"}`,
	} {
		f.Add([]byte(s), "usd")
	}
	f.Fuzz(func(t *testing.T, data []byte, def string) {
		var args map[string]any
		if json.Unmarshal(data, &args) != nil {
			return
		}
		amount, currency, ok := NamedAmount(args, def)
		if !ok {
			if amount != 0 || currency != "" {
				t.Fatalf("not ok but %d %q", amount, currency)
			}
			return
		}
		if amount <= 0 || amount > money.MaxAmount || !money.ValidCurrency(currency) {
			t.Fatalf("%s -> %d %q", data, amount, currency)
		}
		a, _ := args["amount"].(float64)
		c, _ := args["amountToCapture"].(float64)
		if float64(amount) != a && float64(amount) != c {
			t.Fatalf("%s -> %d, named nowhere", data, amount)
		}
		_ = money.Format(amount, currency)
		_ = money.CheckAmount(amount, currency)
		_ = money.Format(int64(math.Float64bits(a)), def)
	})
}
