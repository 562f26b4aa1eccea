// Package guard holds what stands between a tool call and Stripe: the
// idempotency keys that make a repeated call harmless, and (with the money
// settings) the caps, limits and confirmations.
package guard

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/stripe-mcp/stripe-mcp/internal/store"
)

// MetaArguments change how a call is carried out or shown, not what it does;
// they are not part of the identity of a call.
var MetaArguments = []string{"full", "confirmationToken", "idempotencyKey"}

// Idempotency derives the Idempotency-Key of a write from who makes it, what
// it does and a generation kept in the store: an identical repeat within
// Stripe's 24-hour window — in this process or after a restart — carries the
// same key, so Stripe answers it with the first result instead of acting
// twice. After a call fails the generation of its scope moves on, so a retry
// the decline analysis recommends is a new request rather than a replay of
// the decline. (A key made from a timestamp, as some servers do, protects
// nothing: every repeat gets a new one.)
type Idempotency struct {
	Store store.Store
	// Account is the Connect account the server acts for ("" for the key's
	// own account): the same call on another account is another call.
	Account string
}

// Key returns the key for a call and the scope whose generation it used.
// canonical is the call's canonical arguments (see Canonical).
func (i *Idempotency) Key(ctx context.Context, principal, tool string, canonical []byte) (key, scope string, err error) {
	h := sha256.New()
	for _, part := range [][]byte{[]byte(i.Account), []byte(principal), []byte(tool), canonical} {
		fmt.Fprintf(h, "%d:", len(part))
		h.Write(part)
	}
	scope = hex.EncodeToString(h.Sum(nil))
	gen, err := i.Store.Generation(ctx, scope)
	if err != nil {
		return "", "", fmt.Errorf("idempotency: %w", err)
	}
	sum := sha256.Sum256([]byte(scope + "/" + strconv.FormatInt(gen, 10)))
	return "smcp-" + hex.EncodeToString(sum[:20]), scope, nil
}

// Failed moves the scope of a failed call to its next generation.
func (i *Idempotency) Failed(ctx context.Context, scope string) error {
	if _, err := i.Store.AdvanceGeneration(ctx, scope); err != nil {
		return fmt.Errorf("idempotency: %w", err)
	}
	return nil
}

// Canonical renders JSON arguments in one form: object keys sorted, nulls
// and the top-level MetaArguments dropped, numbers in their shortest exact
// form, no insignificant space. Two argument objects that mean the same call
// render the same bytes whatever their key order or spacing.
func Canonical(args []byte) ([]byte, error) { return canonical(args, true) }

// Normalized renders JSON arguments as Canonical does, but keeps the
// MetaArguments: the same arguments with every number in its shortest
// exact form (2500.0 and 2.5e3 become 2500, which decodes into an integer).
func Normalized(args []byte) ([]byte, error) { return canonical(args, false) }

func canonical(args []byte, dropMeta bool) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(args))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("canonical arguments: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("canonical arguments: trailing data")
	}
	if m, ok := v.(map[string]any); ok && dropMeta {
		for _, k := range MetaArguments {
			delete(m, k)
		}
	}
	var buf bytes.Buffer
	if err := writeCanonical(&buf, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeCanonical(buf *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		buf.WriteString(strconv.FormatBool(x))
	case json.Number:
		s, err := canonicalNumber(x)
		if err != nil {
			return err
		}
		buf.WriteString(s)
	case string:
		b, _ := json.Marshal(x)
		buf.Write(b)
	case []any:
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeCanonical(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k, e := range x {
			if e != nil {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			b, _ := json.Marshal(k)
			buf.Write(b)
			buf.WriteByte(':')
			if err := writeCanonical(buf, x[k]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	default:
		return fmt.Errorf("canonical arguments: unexpected %T", v)
	}
	return nil
}

// canonicalNumber writes integers exactly (2500, 2500.0 and 2.5e3 are one
// number) and other numbers in their shortest float64 form.
func canonicalNumber(n json.Number) (string, error) {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return strconv.FormatInt(i, 10), nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return "", fmt.Errorf("canonical arguments: bad number %q", n)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
		return strconv.FormatInt(int64(f), 10), nil
	}
	return strconv.FormatFloat(f, 'g', -1, 64), nil
}
