package stripeapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/stripe/stripe-go/v85"
)

// Stripe's responses are decoded here into stripe-go's types, instead of by
// stripe-go through encoding/json. encoding/json, the first time it decodes a
// type, builds an encoder for every type that type's fields reach, and every
// Stripe object reaches most of the others (a customer has subscriptions,
// which have invoices, which have charges…): decoding one stripe.Customer
// kept 1.9 MB of caches alive, most of a stdio server's heap. This decoder
// checks the JSON once (json.Valid), then walks it once, filling the typed
// value by reflection; it keeps a small field table only for the struct
// types a response holds.
//
// It follows stripe-go's own decoding (tests decode stripe-mock's fixtures,
// and fuzzed input, both ways and compare): JSON names from the `json` tags
// (matched exactly, then case-insensitively, as encoding/json does),
// embedded structs' fields promoted, ",string" numbers, null clearing only
// pointers, maps, slices and interfaces, and for an expandable object (a
// type whose UnmarshalJSON takes an id) a bare id string filling its ID.
// The few types whose UnmarshalJSON does more (it picks a variant by the
// object's type, keeps the raw JSON, or parses a string) are handed their
// bytes; a stripe-go upgrade that adds such a type must add it to
// ownUnmarshal (the fixture test lists the types it compares).

// decode fills v (a pointer) from the JSON in data.
func decode(data []byte, v any) error {
	if !json.Valid(data) {
		return errors.New("decode: the response is not valid JSON")
	}
	return decodeValid(data, v)
}

// decodeValid is decode for data already known to be valid JSON (the walk
// relies on it).
func decodeValid(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("decode: %T is not a non-nil pointer", v)
	}
	d := &decoder{data: data}
	return d.value(rv.Elem())
}

var (
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// ownUnmarshal is the set of stripe-go types whose UnmarshalJSON does more
// than take an id, so they decode themselves (through encoding/json, for
// the part of the response they hold).
var ownUnmarshal = map[reflect.Type]bool{
	reflect.TypeFor[stripe.BalanceTransactionSource](): true,
	reflect.TypeFor[stripe.PaymentSource]():            true,
	reflect.TypeFor[stripe.PayoutDestination]():        true,
	reflect.TypeFor[stripe.AccountExternalAccount]():   true,
	reflect.TypeFor[stripe.EventData]():                true,
	reflect.TypeFor[stripe.EphemeralKey]():             true,
	reflect.TypeFor[stripe.Context]():                  true,
}

// decoder walks valid JSON once, filling values as it goes.
type decoder struct {
	data []byte
	pos  int
}

func (d *decoder) space() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// skip passes the value at pos and returns where it started.
func (d *decoder) skip() int {
	d.space()
	start := d.pos
	switch d.data[d.pos] {
	case '"':
		d.stringEnd()
	case '{', '[':
		depth := 0
		for {
			switch d.data[d.pos] {
			case '"':
				d.stringEnd()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			d.pos++
			if depth == 0 {
				return start
			}
		}
	default: // a number or a literal
		for d.pos < len(d.data) {
			switch d.data[d.pos] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return start
			}
			d.pos++
		}
	}
	return start
}

// stringEnd passes the string at pos and reports whether its text is not
// simply the bytes between the quotes: it holds an escape, or a byte outside
// ASCII (invalid UTF-8 is replaced, as encoding/json does).
func (d *decoder) stringEnd() (special bool) {
	d.pos++ // the opening quote
	for {
		switch c := d.data[d.pos]; {
		case c == '\\':
			special = true
			d.pos += 2
			continue
		case c == '"':
			d.pos++
			return special
		case c >= 0x80:
			special = true
		}
		d.pos++
	}
}

// str reads the string at pos.
func (d *decoder) str() string {
	start := d.pos
	if !d.stringEnd() {
		return string(d.data[start+1 : d.pos-1])
	}
	var s string
	json.Unmarshal(d.data[start:d.pos], &s) // valid JSON: cannot fail
	return s
}

// value fills v from the value at pos.
func (d *decoder) value(v reflect.Value) error {
	d.space()
	t := v.Type()
	if t == rawMessageType {
		start := d.skip()
		v.SetBytes(bytes.Clone(d.data[start:d.pos]))
		return nil
	}
	c := d.data[d.pos]
	if c == 'n' { // null: a pointer is cleared, anything else left as it is
		d.pos += 4
		if t.Kind() == reflect.Pointer || t.Kind() == reflect.Interface || t.Kind() == reflect.Map || t.Kind() == reflect.Slice {
			v.SetZero()
		}
		return nil
	}
	if t.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		return d.value(v.Elem())
	}
	if ownUnmarshal[t] {
		start := d.skip()
		return v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(d.data[start:d.pos])
	}
	switch t.Kind() {
	case reflect.String:
		if c != '"' {
			return d.mismatch(t)
		}
		v.SetString(d.str())
	case reflect.Bool:
		switch c {
		case 't':
			v.SetBool(true)
			d.pos += 4
		case 'f':
			v.SetBool(false)
			d.pos += 5
		default:
			return d.mismatch(t)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		if c != '-' && (c < '0' || c > '9') {
			return d.mismatch(t)
		}
		start := d.skip()
		return setNumber(v, d.data[start:d.pos])
	case reflect.Interface:
		if t.NumMethod() != 0 {
			return fmt.Errorf("cannot decode into %s", t)
		}
		start := d.skip()
		var x any
		if err := json.Unmarshal(d.data[start:d.pos], &x); err != nil {
			return err
		}
		v.Set(reflect.ValueOf(x))
	case reflect.Slice:
		if c != '[' {
			return d.mismatch(t)
		}
		s := reflect.MakeSlice(t, 0, 4)
		n := 0
		err := d.elements(']', func() error {
			if n == s.Cap() {
				grown := reflect.MakeSlice(t, n, 2*n)
				reflect.Copy(grown, s)
				s = grown
			}
			s = s.Slice(0, n+1)
			n++
			return d.value(s.Index(n - 1))
		})
		v.Set(s)
		return err
	case reflect.Map:
		if c != '{' || t.Key().Kind() != reflect.String {
			return d.mismatch(t)
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(t))
		}
		e := reflect.New(t.Elem()).Elem()
		return d.elements('}', func() error {
			key := d.str()
			d.colon()
			e.SetZero()
			if err := d.value(e); err != nil {
				return err
			}
			v.SetMapIndex(reflect.ValueOf(key).Convert(t.Key()), e)
			return nil
		})
	case reflect.Struct:
		switch c {
		case '"':
			// An expandable object that was not expanded: its id.
			f, ok := t.FieldByName("ID")
			if !ok || f.Type.Kind() != reflect.String || !reflect.PointerTo(t).Implements(unmarshalerType) {
				return d.mismatch(t)
			}
			// As stripe-go's ParseID: the text between the quotes, unescaped.
			start := d.pos
			d.stringEnd()
			v.FieldByIndex(f.Index).SetString(string(d.data[start+1 : d.pos-1]))
		case '{':
			return d.object(v, planOf(t))
		default:
			return d.mismatch(t)
		}
	default:
		return fmt.Errorf("cannot decode into %s", t)
	}
	return nil
}

// object fills struct v, described by p, from the object at pos.
func (d *decoder) object(v reflect.Value, p *plan) error {
	return d.elements('}', func() error {
		start := d.pos
		var key []byte
		if d.stringEnd() {
			var s string
			json.Unmarshal(d.data[start:d.pos], &s)
			key = []byte(s)
		} else {
			key = d.data[start+1 : d.pos-1]
		}
		d.colon()
		f, ok := p.byName[string(key)] // no copy of key for the lookup
		if !ok {
			if f, ok = p.byFold[strings.ToLower(string(key))]; !ok {
				d.skip() // a field stripe-go does not know
				return nil
			}
		}
		fv := fieldOf(v, f.index)
		if !f.quoted {
			if err := d.value(fv); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			return nil
		}
		// ",string": a number sent as a JSON string ("12.5").
		d.space()
		switch d.data[d.pos] {
		case 'n':
			d.pos += 4
			return nil
		case '"':
			target := fv
			for target.Kind() == reflect.Pointer {
				if target.IsNil() {
					target.Set(reflect.New(target.Type().Elem()))
				}
				target = target.Elem()
			}
			// As encoding/json: text that starts as a number and parses.
			text := d.str()
			if text == "" || text[0] != '-' && (text[0] < '0' || text[0] > '9') {
				return fmt.Errorf("%s: %w", key, mismatch(target.Type(), []byte(text)))
			}
			if err := setNumber(target, []byte(text)); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			return nil
		default:
			return fmt.Errorf("%s: %w", key, d.mismatch(fv.Type()))
		}
	})
}

// fieldOf is the field at index, allocating embedded pointers on the way.
func fieldOf(v reflect.Value, index []int) reflect.Value {
	for i, n := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(n)
	}
	return v
}

type field struct {
	index  []int
	quoted bool
}

type plan struct {
	byName map[string]field
	byFold map[string]field
}

var plans sync.Map // reflect.Type → *plan

func planOf(t reflect.Type) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	p := &plan{byName: map[string]field{}, byFold: map[string]field{}}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous && f.Tag.Get("json") == "" {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		if _, taken := p.byName[name]; taken && len(f.Index) > 1 {
			continue // a shallower field has the name
		}
		fd := field{index: f.Index, quoted: hasOpt(opts, "string")}
		p.byName[name] = fd
		if _, taken := p.byFold[strings.ToLower(name)]; !taken {
			p.byFold[strings.ToLower(name)] = fd
		}
	}
	actual, _ := plans.LoadOrStore(t, p)
	return actual.(*plan)
}

func hasOpt(opts, want string) bool {
	for o := range strings.SplitSeq(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}

// elements reads the items of the object or array at pos (an object's
// item starts at its key), calling item for each with pos at its start.
func (d *decoder) elements(end byte, item func() error) error {
	d.pos++ // '{' or '['
	d.space()
	if d.data[d.pos] == end {
		d.pos++
		return nil
	}
	for {
		d.space()
		if err := item(); err != nil {
			return err
		}
		d.space()
		if d.data[d.pos] == end {
			d.pos++
			return nil
		}
		d.pos++ // ','
	}
}

// colon passes the ':' after an object's key.
func (d *decoder) colon() {
	d.space()
	d.pos++
	d.space()
}

// setNumber sets a number field from the JSON number text.
func setNumber(v reflect.Value, text []byte) error {
	t := v.Type()
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(string(text), 10, t.Bits())
		if err != nil {
			return mismatch(t, text)
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, err := strconv.ParseUint(string(text), 10, t.Bits())
		if err != nil {
			return mismatch(t, text)
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(string(text), t.Bits())
		if err != nil {
			return mismatch(t, text)
		}
		v.SetFloat(f)
	default:
		return mismatch(t, text)
	}
	return nil
}

// mismatch is the error for a JSON value of the wrong kind at pos.
func (d *decoder) mismatch(t reflect.Type) error {
	start := d.skip()
	return mismatch(t, d.data[start:d.pos])
}

func mismatch(t reflect.Type, raw []byte) error {
	if len(raw) > 40 {
		raw = append(raw[:37:37], "..."...)
	}
	return fmt.Errorf("cannot decode JSON %s into %s", raw, t)
}
