package tools

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/stripe-mcp/stripe-mcp/internal/money"
)

// Shared input pieces. Descriptions are short: every byte here is spent in
// the model's context on every tools/list.

// output is the flag every tool takes. It is described once, in the server
// instructions, rather than in every tool's schema.
type output struct {
	Full bool `json:"full,omitempty"`
}

// write is what every write tool takes besides its own arguments.
type write struct {
	IdempotencyKey string `json:"idempotencyKey,omitempty"` // explained once in the server instructions
	output
}

// writeSchema states the rules of the arguments write adds; GenerateSchema
// applies it to every tool that takes them. Stripe refuses idempotency keys
// over 255 characters, and net/http refuses a header with a control
// character (stripe-go would then retry a request that can never be sent):
// both are said here, before anything is sent.
func writeSchema(s *jsonschema.Schema) {
	p := prop(s, "idempotencyKey")
	p.MaxLength = ptr(255)
	p.Pattern = printableASCII
}

// printableASCII is a pattern for one or more printable ASCII characters;
// patterns precheck explains in words are listed in patternRules.
const printableASCII = "^[ -~]+$"

// patternRules says in words what the schema patterns require, for
// precheck's messages.
var patternRules = map[string]struct {
	match func(string) bool
	words string
}{
	printableASCII: {
		match: func(v string) bool {
			for i := 0; i < len(v); i++ {
				if v[i] < ' ' || v[i] > '~' {
					return false
				}
			}
			return v != ""
		},
		words: "printable ASCII characters (letters, digits, punctuation and spaces; no line breaks, tabs or other control characters)",
	},
}

// page is what every list tool takes.
type page struct {
	Limit         int64  `json:"limit,omitempty" jsonschema:"default 10"`
	StartingAfter string `json:"startingAfter,omitempty" jsonschema:"nextCursor"`
	EndingBefore  string `json:"endingBefore,omitempty" jsonschema:"go back from this id"`
}

func (p page) limit() int64 {
	if p.Limit == 0 {
		return 10
	}
	return p.Limit
}

// pageSchema bounds limit.
func pageSchema(s *jsonschema.Schema) {
	prop(s, "limit").Minimum = ptr(1.0)
	prop(s, "limit").Maximum = ptr(100.0)
}

type metadata = map[string]string

// prop returns the schema of a property; a missing one is a bug in a tool
// definition and fails the snapshot test at once.
func prop(s *jsonschema.Schema, name string) *jsonschema.Schema {
	p, ok := s.Properties[name]
	if !ok {
		panic(fmt.Sprintf("schema has no property %q", name))
	}
	return p
}

func enum(s *jsonschema.Schema, name string, values ...string) {
	p := prop(s, name)
	p.Enum = make([]any, len(values))
	for i, v := range values {
		p.Enum[i] = v
	}
}

// amountSchema makes an amount a positive integer.
func amountSchema(s *jsonschema.Schema, name string) {
	prop(s, name).Minimum = ptr(1.0)
}

// checkID refuses an id that does not start with one of the object's
// prefixes: a model that passes a customer id where a payment intent id
// belongs learns it before Stripe is asked.
func checkID(field, value string, prefixes ...string) error {
	if value == "" {
		return nil
	}
	for _, p := range prefixes {
		if strings.HasPrefix(value, p) && len(value) > len(p) {
			return validID(field, value)
		}
	}
	return badInput("%s must be a Stripe id starting with %s, got %q", field, strings.Join(prefixes, " or "), clip(value))
}

// validID refuses characters Stripe ids never contain, which also keeps
// path segments safe.
func validID(field, value string) error {
	if len(value) > 255 {
		return badInput("%s is too long to be a Stripe id", field)
	}
	for _, r := range value {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return badInput("%s %q contains %q, which Stripe ids never contain", field, clip(value), r)
		}
	}
	return nil
}

// checkCurrency normalises and checks a currency code, defaulting to def.
func checkCurrency(field string, value *string, def string) error {
	if *value == "" {
		*value = def
	}
	*value = money.Normalize(*value)
	if !money.ValidCurrency(*value) {
		return badInput("%s must be a three-letter ISO currency code such as usd or eur, got %q", field, clip(*value))
	}
	return nil
}

// checkAmount applies the currency's rules to a positive amount.
func checkAmount(field string, amount int64, currency string) error {
	if err := money.CheckAmount(amount, currency); err != nil {
		// The money package names the amount; say which argument it was.
		msg := err.Error()
		if field != "amount" {
			msg = field + ": " + msg
		}
		return badInput("%s", msg)
	}
	return nil
}

// checkMetadata applies Stripe's limits: 50 keys, keys up to 40 characters
// without square brackets, values up to 500 characters.
func checkMetadata(m metadata) error {
	if len(m) > 50 {
		return badInput("metadata has %d keys; Stripe allows 50", len(m))
	}
	for k, v := range m {
		if k == "" || utf8.RuneCountInString(k) > 40 || strings.ContainsAny(k, "[]") {
			return badInput("metadata key %q must be 1-40 characters without [ or ]", clip(k))
		}
		if utf8.RuneCountInString(v) > 500 {
			return badInput("metadata value of %q is longer than 500 characters", clip(k))
		}
	}
	return nil
}

// checkDescriptor applies Stripe's statement descriptor rules.
func checkDescriptor(field, v string) error {
	if v == "" {
		return nil
	}
	if n := utf8.RuneCountInString(v); n > 22 {
		return badInput("%s is %d characters; statement descriptors are at most 22", field, n)
	}
	if strings.ContainsAny(v, `<>\'"*`) {
		return badInput("%s must not contain < > \\ ' \" or *", field)
	}
	return nil
}

// checkEmail catches values that are plainly not an email address.
func checkEmail(field, v string) error {
	if v == "" {
		return nil
	}
	at := strings.LastIndexByte(v, '@')
	if at < 1 || at == len(v)-1 || strings.ContainsAny(v, " \t\r\n") || len(v) > 512 {
		return badInput("%s %q is not an email address", field, clip(v))
	}
	return nil
}

// checkURL requires an absolute http(s) URL.
func checkURL(field, v string) error {
	if v == "" {
		return nil
	}
	if !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://") || len(v) > 2048 {
		return badInput("%s must be an absolute http(s) URL", field)
	}
	return nil
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// clip shortens a value quoted back in an error.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
