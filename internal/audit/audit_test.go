package audit

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRedactedArguments(t *testing.T) {
	cases := []struct {
		raw    string
		want   string   // exact, when set
		absent []string // must not appear
		has    []string // must appear
	}{
		{raw: `{ "amount": 2500, "currency":"usd" }`, want: `{"amount":2500,"currency":"usd"}`},
		{raw: `{"metadata":{"key":"sk_live_abcdefghijklmnopqrstuvwx1234"}}`, absent: []string{"abcdefghijklmnopqrstuvwx1234"}, has: []string{"sk_live_…1234"}},
		{raw: `{"description":"card 4242 4242 4242 4242 thanks"}`, absent: []string{"4242 4242"}, has: []string{"[card number removed]"}},
		{raw: `{"description":"\u0034\u0032\u0034\u0032\u0034\u0032\u0034\u0032\u0034\u0032\u0034\u0032\u0034\u0032\u0034\u0032"}`, absent: []string{"4242424242424242", `\u0034`}, has: []string{"[card number removed]"}},
		{raw: `{"phone":"+15555555555","orderId":"123456789012"}`, want: `{"phone":"+15555555555","orderId":"123456789012"}`},
		{raw: `{"sk_test_abcdefghijklmnopqrstuvwx5678":"x"}`, absent: []string{"abcdefghijklmnopqrstuvwx5678"}},
		{raw: `{"description":"cs pi_3Abc_secret_ABCDEFGHIJKLMNOP"}`, absent: []string{"ABCDEFGHIJKLMNOP"}, has: []string{"pi_3Abc_secret_…MNOP"}},
		{raw: `{"description":"4242.4242.4242.4242"}`, absent: []string{"4242.4242"}, has: []string{"[card number removed]"}},
	}
	for _, c := range cases {
		raw := json.RawMessage(c.raw)
		got := redactedArguments(raw, argumentsOf(raw))
		if c.want != "" && got != c.want {
			t.Errorf("%s: got %s, want %s", c.raw, got, c.want)
		}
		for _, a := range c.absent {
			if strings.Contains(got, a) {
				t.Errorf("%s: %q kept in %s", c.raw, a, got)
			}
		}
		for _, h := range c.has {
			if !strings.Contains(got, h) {
				t.Errorf("%s: %q missing from %s", c.raw, h, got)
			}
		}
		if !json.Valid([]byte(got)) {
			t.Errorf("%s: not JSON: %s", c.raw, got)
		}
	}
	if got := redactedArguments(json.RawMessage(`not json`), argumentsOf(json.RawMessage(`not json`))); !json.Valid([]byte(got)) {
		t.Errorf("unparseable arguments: %s", got)
	}
	// No arguments are recorded as none, not as unparseable.
	for _, raw := range []any{nil, json.RawMessage(nil), json.RawMessage(""), json.RawMessage(" "), json.RawMessage("null")} {
		if got := redactedArguments(raw, argumentsOf(raw)); got != "{}" {
			t.Errorf("arguments %#v: got %s, want {}", raw, got)
		}
	}
}
