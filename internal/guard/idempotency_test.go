package guard

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stripe-mcp/stripe-mcp/internal/store/sqlite"
)

func TestCanonical(t *testing.T) {
	same := [][]string{
		{`{"amount":2500,"currency":"usd","metadata":{"a":"1","b":"2"}}`,
			`{"metadata":{"b":"2","a":"1"},"currency":"usd","amount":2500}`,
			` { "currency" : "usd" , "amount" : 2500.0, "metadata":{"a":"1","b":"2"} } `,
			`{"amount":2.5e3,"currency":"usd","metadata":{"a":"1","b":"2"},"full":true}`,
			`{"amount":2500,"currency":"usd","metadata":{"a":"1","b":"2","c":null},"idempotencyKey":"k","confirmationToken":"t","customerId":null}`},
		{`{"s":"\u00e9"}`, `{"s":"é"}`},
	}
	for _, group := range same {
		first, err := Canonical([]byte(group[0]))
		if err != nil {
			t.Fatal(err)
		}
		for _, other := range group[1:] {
			got, err := Canonical([]byte(other))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, first) {
				t.Errorf("Canonical(%s) = %s, want %s", other, got, first)
			}
		}
	}
	different := []string{
		`{"amount":2500,"currency":"usd"}`,
		`{"amount":2501,"currency":"usd"}`,
		`{"amount":2500,"currency":"eur"}`,
		`{"amount":2500,"currency":"usd","capture":false}`,
		`{"amount":2500,"currency":"usd","metadata":{"full":"x"}}`, // meta names count below the top level
		`{"amount":"2500","currency":"usd"}`,
	}
	seen := map[string]string{}
	for _, d := range different {
		c, err := Canonical([]byte(d))
		if err != nil {
			t.Fatal(err)
		}
		if prev, ok := seen[string(c)]; ok {
			t.Errorf("%s and %s have the same canonical form %s", prev, d, c)
		}
		seen[string(c)] = d
	}
	for _, bad := range []string{``, `{`, `{"a":1} x`, `nope`} {
		if _, err := Canonical([]byte(bad)); err == nil {
			t.Errorf("Canonical(%q) accepted", bad)
		}
	}
}

// FuzzCanonical: the canonical form is stable (canonicalising it again
// changes nothing), valid JSON, and independent of how the input was spaced
// and ordered (re-encoding a decoded input gives the same form).
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{
		`{"amount":2500,"currency":"usd"}`,
		`{"metadata":{"b":"2","a":"1"},"amount":1e3,"full":true}`,
		`{"a":[1,2,{"z":null,"y":"\u2028"}],"b":-0.5,"c":123456789012345678901234567890}`,
		`[1,"two",null,true]`,
		`"just a string"`,
		`{"nested":{"deep":{"deeper":[[[]]]}}}`,
		`{"x":-9223372036854775808,"y":18446744073709551616,"z":1.0000000000000002}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Canonical(data)
		if err != nil {
			return
		}
		if !json.Valid(c) {
			t.Fatalf("canonical form %q is not JSON", c)
		}
		again, err := Canonical(c)
		if err != nil || !bytes.Equal(again, c) {
			t.Fatalf("not stable: %q -> %q (%v)", c, again, err)
		}
		var v any
		if err := json.Unmarshal(data, &v); err == nil {
			re, _ := json.MarshalIndent(v, "", "  ")
			if c2, err := Canonical(re); err == nil && !bytes.Equal(c2, c) && !lossyNumbers(data) {
				t.Fatalf("spacing changed the form: %q vs %q", c, c2)
			}
		}
	})
}

// lossyNumbers: integers beyond float64 precision change when decoded into
// float64 and re-encoded, which is a property of the re-encoding here, not
// of Canonical.
func lossyNumbers(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if n, ok := tok.(json.Number); ok && len(strings.TrimLeft(string(n), "-")) > 15 {
			return true
		}
	}
}

func TestKeys(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "a"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	idem := &Idempotency{Store: st}
	args, _ := Canonical([]byte(`{"amount":2500}`))
	k1, scope, err := idem.Key(ctx, "local-operator", "stripe_create_payment", args)
	if err != nil {
		t.Fatal(err)
	}
	k2, _, _ := idem.Key(ctx, "local-operator", "stripe_create_payment", args)
	if k1 != k2 || !strings.HasPrefix(k1, "smcp-") || len(k1) > 255 {
		t.Fatalf("repeat keys %q %q", k1, k2)
	}
	for _, other := range []struct{ account, principal, tool string }{
		{"acct_1", "local-operator", "stripe_create_payment"},
		{"", "token:abc", "stripe_create_payment"},
		{"", "local-operator", "stripe_create_refund"},
	} {
		k, _, _ := (&Idempotency{Store: st, Account: other.account}).Key(ctx, other.principal, other.tool, args)
		if k == k1 {
			t.Errorf("%+v shares the key", other)
		}
	}
	if err := idem.Failed(ctx, scope); err != nil {
		t.Fatal(err)
	}
	k3, _, _ := idem.Key(ctx, "local-operator", "stripe_create_payment", args)
	if k3 == k1 {
		t.Fatal("a failure did not move the key on")
	}
	st.Close()
	// A restarted server derives the same key.
	st2, err := sqlite.Open(ctx, filepath.Join(dir, "a"))
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	k4, _, _ := (&Idempotency{Store: st2}).Key(ctx, "local-operator", "stripe_create_payment", args)
	if k4 != k3 {
		t.Fatalf("after restart %q, before %q", k4, k3)
	}
}
