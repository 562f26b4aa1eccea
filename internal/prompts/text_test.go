package prompts

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestUndeclaredToolIsAnError: a step guarded by a tool the prompt does not
// declare would escape the registration check and the docs.
func TestUndeclaredToolIsAnError(t *testing.T) {
	p := refundPayment()
	write := p.write
	p.write = func(w *writer, v values) {
		write(w, v)
		if w.has("stripe_create_payment") {
			w.step("outcome", nil)
		}
	}
	text, err := p.render(map[string]string{"paymentIntentId": "pi_1"}, allTools)
	if err == nil || !strings.Contains(err.Error(), "prompt refund_payment: tool stripe_create_payment is not declared by the prompt") {
		t.Fatalf("error %v, text:\n%s", err, text)
	}
}

func TestWriterMistakesAreErrors(t *testing.T) {
	tests := []struct {
		name  string
		write func(w *writer)
		want  string
	}{
		{"unknown fragment", func(w *writer) { w.step("no-such-step", nil) }, "refund_payment.md has no fragment no-such-step"},
		{"unknown part", func(w *writer) { w.step("create", parts{"create.amont": false}) }, "refund_payment.md has no fragment create.amont"},
		{"part of another fragment", func(w *writer) { w.step("create", parts{"intro.full": true}) }, "part intro.full is not in fragment create"},
		{"unknown rule", func(w *writer) { w.rules("confirm", "no-such-rule") }, "rules.md has no fragment no-such-rule"},
		{"field without value", func(w *writer) { w.step("reason", nil) }, "field {reason} has no value"},
		{"bad amount", func(w *writer) { w.display("2.50", "usd") }, `display: amount "2.50"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := refundPayment()
			w := newWriter(p.Prompt.Name, p.Tools(), allTools)
			w.fields = fields{"paymentIntentId": "pi_1", "pi": `"pi_1"`, "amount": ""}
			w.put("intro", parts{"intro.full": true})
			tt.write(w)
			text, err := w.text()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one saying %q; text:\n%s", err, tt.want, text)
			}
		})
	}
}

func TestParseFragments(t *testing.T) {
	f, err := parseFragments("A comment.\n-- -- not a header\n-- a --\nx [b] [not a part] [] {f} {not: a field}\n  y\n\n\n-- b --\n z\n-- {f} --\n…\n")
	if err != nil {
		t.Fatal(err)
	}
	want := fragments{"a": "x [b] [not a part] [] {f} {not: a field}\n  y", "b": " z", "{f}": "…"}
	if !maps.Equal(f, want) {
		t.Errorf("fragments %q, want %q", f, want)
	}
	for _, bad := range []struct{ in, want string }{
		{"nothing here\n", "no fragments"},
		{"-- a --\nx\n-- a --\ny\n", "line 3: fragment a again"},
		{"-- a b --\nx\n", `fragment name "a b"`},
		{"-- {a --\nx\n", `fragment name "{a"`},
		{"-- a --\nx [b]\n", "optional part [b] is no fragment"},
		{"-- a --\nx\n-- {f} --\n[a]\n", "a field's text is plain"},
		{"-- {f} --\n{g}\n", "a field's text is plain"},
	} {
		if _, err := parseFragments(bad.in); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: error %v, want one saying %q", bad.in, err, bad.want)
		}
	}
}

// TestEveryFragmentIsWritten: over the golden argument sets and every subset
// of each prompt's tools, every
// fragment of every .md file ends up in some text, so no text is left
// behind when a prompt changes.
func TestEveryFragmentIsWritten(t *testing.T) {
	fixClock(t)
	seen := map[string]bool{}
	for _, p := range All() {
		for _, ac := range goldenArgs[p.Prompt.Name] {
			for _, set := range subsets(p.Tools()) {
				w, err := p.written(ac.args, only(set...))
				if err != nil {
					continue
				}
				if _, err := w.text(); err != nil {
					t.Fatalf("%s (%s, %v): %v", p.Prompt.Name, ac.name, set, err)
				}
				maps.Copy(seen, w.seen)
			}
		}
	}
	for _, file := range slices.Sorted(maps.Keys(texts())) {
		for _, name := range slices.Sorted(maps.Keys(texts()[file])) {
			if !seen[file+"/"+name] {
				t.Errorf("%s.md: fragment %s is never written", file, name)
			}
		}
	}
}
