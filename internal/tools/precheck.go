package tools

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/jsonschema-go/jsonschema"
)

// precheck explains the argument mistakes models make most — a fractional,
// negative or out-of-range number, a value outside an enum, a misspelt or
// snake_case argument name — in words, before the schema validator reports
// them in its own terms.
func precheck(s *jsonschema.Schema, args map[string]any, at string) error {
	for name, v := range args {
		p, ok := s.Properties[name]
		path := at + name
		if !ok {
			// Objects with fixed properties take nothing else (maps such as
			// metadata have no properties and are not checked here).
			if len(s.Properties) > 0 {
				return unknownArgument(s, path, name)
			}
			continue
		}
		switch x := v.(type) {
		case float64:
			if p.Type == "integer" && (x != math.Trunc(x) || math.IsInf(x, 0)) {
				return badInput("%s must be a whole number, got %v%s", path, x, unitHint(name))
			}
			if p.Minimum != nil && x < *p.Minimum {
				return badInput("%s must be at least %v, got %v%s", path, *p.Minimum, x, unitHint(name))
			}
			if p.ExclusiveMinimum != nil && x <= *p.ExclusiveMinimum {
				return badInput("%s must be more than %v, got %v", path, *p.ExclusiveMinimum, x)
			}
			if p.Maximum != nil && x > *p.Maximum {
				return badInput("%s must be at most %v, got %v", path, *p.Maximum, x)
			}
			if p.Type == "integer" && math.Abs(x) > 1<<53 {
				return badInput("%s is too large, got %v", path, x)
			}
		case string:
			if p.MaxLength != nil && utf8.RuneCountInString(x) > *p.MaxLength {
				return badInput("%s is %d characters; at most %d are allowed", path, utf8.RuneCountInString(x), *p.MaxLength)
			}
			if r, ok := patternRules[p.Pattern]; ok && !r.match(x) {
				if p.MaxLength != nil {
					return badInput("%s must be 1 to %d %s, got %q", path, *p.MaxLength, r.words, clip(x))
				}
				return badInput("%s must be %s, got %q", path, r.words, clip(x))
			}
			if len(p.Enum) > 0 && !slices.Contains(p.Enum, any(x)) {
				vals := make([]string, len(p.Enum))
				for i, e := range p.Enum {
					vals[i] = fmt.Sprint(e)
				}
				return badInput("%s must be one of %s, got %q", path, strings.Join(vals, ", "), clip(x))
			}
		case nil:
			// Top-level nulls are dropped as "not given"; a null inside an
			// object gets here.
			if p.Type == "string" {
				return badInput("%s is null: leave it out, or pass \"\" to clear it", path)
			}
			return badInput("%s is null: leave it out instead", path)
		case map[string]any:
			if p.Type == "object" && len(p.Properties) > 0 {
				if err := precheck(p, x, path+"."); err != nil {
					return err
				}
			} else if err := checkMapValues(p, x, name, path); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkMapValues explains values of a map argument (metadata) that are not
// of the map's value type, a null most of all: models send null meaning
// "remove this key", which Stripe spells "".
func checkMapValues(p *jsonschema.Schema, m map[string]any, name, path string) error {
	ap := p.AdditionalProperties
	if ap == nil || ap.Type != "string" {
		return nil
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		switch v := m[k].(type) {
		case string:
		case nil:
			if name == "metadata" {
				return badInput("%s.%s is null: metadata values are strings; to delete the key pass \"\" (Stripe removes a metadata key whose value is empty)", path, clip(k))
			}
			return badInput("%s.%s is null: values are strings; leave the key out", path, clip(k))
		default:
			b, _ := json.Marshal(v)
			return badInput("%s.%s must be a string, got %s", path, clip(k), clip(string(b)))
		}
	}
	return nil
}

func unknownArgument(s *jsonschema.Schema, path, name string) error {
	want := strings.ReplaceAll(strings.ToLower(name), "_", "")
	for known := range s.Properties {
		if strings.ToLower(known) == want {
			return badInput("unknown argument %s: did you mean %s? (arguments are camelCase)", path, known)
		}
	}
	names := make([]string, 0, len(s.Properties))
	for k := range s.Properties {
		names = append(names, k)
	}
	slices.Sort(names)
	return badInput("unknown argument %s; this tool takes %s", path, strings.Join(names, ", "))
}

func unitHint(name string) string {
	if strings.Contains(strings.ToLower(name), "amount") {
		return " (a positive integer in the currency's smallest unit, e.g. 2500 usd = $25.00, 500 jpy = ¥500)"
	}
	return ""
}
