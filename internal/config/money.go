package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/stripe-mcp/stripe-mcp/internal/money"
)

// Money is a money setting: an amount per currency, each in that currency's
// smallest unit (Stripe's table, see package money). The zero value is unset.
type Money struct {
	amounts map[string]int64
}

// NewMoney builds a Money from amounts keyed by currency code; codes are
// normalised to lower case. It does not validate.
func NewMoney(amounts map[string]int64) Money {
	if len(amounts) == 0 {
		return Money{}
	}
	m := Money{amounts: make(map[string]int64, len(amounts))}
	for c, a := range amounts {
		m.amounts[money.Normalize(c)] = a
	}
	return m
}

// IsSet reports whether any currency has an amount.
func (m Money) IsSet() bool { return len(m.amounts) > 0 }

// Limit returns the amount for currency; ok is false when the setting has no
// amount for it.
func (m Money) Limit(currency string) (amount int64, ok bool) {
	amount, ok = m.amounts[money.Normalize(currency)]
	return amount, ok
}

// Currencies returns the currencies that have an amount, sorted.
func (m Money) Currencies() []string {
	return slices.Sorted(maps.Keys(m.amounts))
}

// String returns the env form, "eur:9000,usd:10000", or "" when unset.
func (m Money) String() string {
	parts := make([]string, 0, len(m.amounts))
	for _, c := range m.Currencies() {
		parts = append(parts, c+":"+strconv.FormatInt(m.amounts[c], 10))
	}
	return strings.Join(parts, ",")
}

// Display returns each amount for people: "$100.00 (usd 10000), €90.00 (eur 9000)".
func (m Money) Display() string {
	parts := make([]string, 0, len(m.amounts))
	for _, c := range m.Currencies() {
		parts = append(parts, fmt.Sprintf("%s (%s %d)", money.Format(m.amounts[c], c), c, m.amounts[c]))
	}
	return strings.Join(parts, ", ")
}

// MarshalJSON encodes the config file form, {"usd":10000}, or null when unset.
func (m Money) MarshalJSON() ([]byte, error) {
	if !m.IsSet() {
		return []byte("null"), nil
	}
	return json.Marshal(m.amounts)
}

// moneyValue is a parsed money setting before the default currency, which a
// bare number refers to, is known.
type moneyValue struct {
	bare    int64
	hasBare bool
	per     map[string]int64
}

func (v moneyValue) resolve(currency string) Money {
	if v.hasBare {
		return NewMoney(map[string]int64{currency: v.bare})
	}
	return NewMoney(v.per)
}

// parseMoney reads "10000" (the default currency) or "usd:10000,eur:9000".
// The error is the part of a message after the setting's name.
func parseMoney(s string, allowZero bool) (moneyValue, error) {
	s = strings.TrimSpace(s)
	if !strings.ContainsAny(s, ":,") {
		n, err := parseAmount(s, allowZero)
		if err != nil {
			return moneyValue{}, fmt.Errorf("%q %v", s, err)
		}
		return moneyValue{bare: n, hasBare: true}, nil
	}
	v := moneyValue{per: map[string]int64{}}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		code, amount, found := strings.Cut(part, ":")
		if !found {
			return moneyValue{}, fmt.Errorf("%q mixes a bare amount (%s) with per-currency amounts: write every amount as currency:amount", s, part)
		}
		c := money.Normalize(code)
		if !money.ValidCurrency(c) {
			return moneyValue{}, fmt.Errorf("%q has %q, which is not a three-letter currency code such as usd", s, strings.TrimSpace(code))
		}
		if _, dup := v.per[c]; dup {
			return moneyValue{}, fmt.Errorf("%q sets %s twice", s, c)
		}
		n, err := parseAmount(strings.TrimSpace(amount), allowZero)
		if err != nil {
			return moneyValue{}, fmt.Errorf("%q: the %s amount %v", s, c, err)
		}
		v.per[c] = n
	}
	if len(v.per) == 0 {
		return moneyValue{}, fmt.Errorf("%q has no amounts", s)
	}
	return v, nil
}

// parseAmount reads a whole number of smallest units. Errors are short: the
// caller appends the accepted form.
func parseAmount(s string, allowZero bool) (int64, error) {
	if s == "" {
		return 0, errors.New("is empty")
	}
	if s[0] == '-' {
		return 0, errors.New("is negative")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errors.New("is not a whole number")
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errors.New("is too large")
	}
	if n == 0 && !allowZero {
		return 0, errors.New("is 0 (leave the setting out for no limit)")
	}
	return n, nil
}
