// Package money knows how Stripe counts money: the exponent of each
// currency's API amount (Stripe's own table, not ISO 4217), how to show an
// amount to a person, and which amounts Stripe accepts.
package money

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxAmount is the largest amount, in the smallest currency unit, that Stripe
// accepts: eight digits ($999,999.99 for usd).
const MaxAmount = 99999999

// zeroDecimal lists the currencies whose API amount is in whole units.
var zeroDecimal = map[string]bool{
	"bif": true, "clp": true, "djf": true, "gnf": true, "jpy": true, "kmf": true,
	"krw": true, "mga": true, "pyg": true, "rwf": true, "ugx": true, "vnd": true,
	"vuv": true, "xaf": true, "xof": true, "xpf": true,
}

// threeDecimal lists the currencies whose API amount is in thousandths; Stripe
// requires the last digit to be 0.
var threeDecimal = map[string]bool{
	"bhd": true, "jod": true, "kwd": true, "omr": true, "tnd": true,
}

// symbols are the en-US display symbols, written directly before the number.
// Currencies not listed are shown as their upper-case code and a space
// ("CHF 12.50"), which is also what en-US does for most of them.
var symbols = map[string]string{
	"usd": "$",
	"eur": "€",
	"gbp": "£",
	"jpy": "¥",
	"cad": "CA$",
	"aud": "A$",
	"nzd": "NZ$",
	"hkd": "HK$",
	"mxn": "MX$",
	"brl": "R$",
	"inr": "₹",
	"krw": "₩",
	"cny": "CN¥",
	"ils": "₪",
	"vnd": "₫",
	"twd": "NT$",
	"php": "₱",
	"xcd": "EC$",
}

// Normalize trims surrounding space and lower-cases a currency code, so
// "USD " becomes "usd". It does not check the result; see ValidCurrency.
func Normalize(code string) string {
	return strings.ToLower(strings.TrimSpace(code))
}

// ValidCurrency reports whether code is three lower-case ASCII letters, the
// form Stripe uses. Pass user input through Normalize first.
func ValidCurrency(code string) bool {
	if len(code) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if code[i] < 'a' || code[i] > 'z' {
			return false
		}
	}
	return true
}

// Decimals is the exponent of the API amount for currency: 0 for Stripe's
// zero-decimal currencies, 3 for its three-decimal ones, 2 for everything
// else, including ISK, HUF and TWD, which Stripe counts in hundredths.
func Decimals(currency string) int {
	c := Normalize(currency)
	switch {
	case zeroDecimal[c]:
		return 0
	case threeDecimal[c]:
		return 3
	default:
		return 2
	}
}

// Format renders amount (in the API's smallest unit of currency) the way an
// en-US reader expects: "$25.00", "¥500", "€1,234.56", "-$5.00",
// "KWD 5.120", "CHF 12.50". ISK is shown in whole krónur ("ISK 40" for
// 4000), as Stripe only charges whole krónur; an ISK amount that is not a
// multiple of 100 keeps its two decimals so nothing is hidden.
func Format(amount int64, currency string) string {
	c := Normalize(currency)
	exp := Decimals(c)

	// Work on the magnitude as uint64 so math.MinInt64 does not overflow.
	mag := uint64(amount)
	if amount < 0 {
		mag = -mag
	}
	pow := uint64(1)
	for i := 0; i < exp; i++ {
		pow *= 10
	}
	whole, frac := mag/pow, mag%pow
	shown := exp
	if c == "isk" && frac == 0 {
		shown = 0
	}

	var b strings.Builder
	if amount < 0 {
		b.WriteByte('-')
	}
	if sym, ok := symbols[c]; ok {
		b.WriteString(sym)
	} else if c != "" {
		b.WriteString(strings.ToUpper(c))
		b.WriteByte(' ')
	}
	b.WriteString(group(whole))
	if shown > 0 {
		f := strconv.FormatUint(frac, 10)
		b.WriteByte('.')
		b.WriteString(strings.Repeat("0", exp-len(f)))
		b.WriteString(f)
	}
	return b.String()
}

// group writes n with a comma between each group of three digits.
func group(n uint64) string {
	s := strconv.FormatUint(n, 10)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	head := len(s) % 3
	if head > 0 {
		b.WriteString(s[:head])
	}
	for i := head; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// Unit describes the smallest unit of currency with an example, for
// messages: "1/100 usd, so 2500 = $25.00".
func Unit(currency string) string {
	c := Normalize(currency)
	switch {
	case c == "isk":
		return "1/100 isk in multiples of 100, so 4000 = " + Format(4000, c)
	case zeroDecimal[c]:
		return "whole " + c + " (no minor unit), so 500 = " + Format(500, c)
	case threeDecimal[c]:
		return "1/1000 " + c + " with a final 0, so 5120 = " + Format(5120, c)
	default:
		return "1/100 " + c + ", so 2500 = " + Format(2500, c)
	}
}

// CheckAmount reports whether Stripe would accept amount, in the smallest
// unit of currency, for a charge, refund or price: it must be positive, at
// most MaxAmount, a multiple of 100 for ISK, and end in 0 for the
// three-decimal currencies.
func CheckAmount(amount int64, currency string) error {
	c := Normalize(currency)
	if !ValidCurrency(c) {
		return fmt.Errorf("currency %q is not a three-letter code such as usd or eur", currency)
	}
	switch {
	case amount <= 0:
		return fmt.Errorf("amount %d %s is not positive: give a whole number in the smallest unit of %s (%s)", amount, c, c, Unit(c))
	case amount > MaxAmount:
		return fmt.Errorf("amount %d %s is above Stripe's maximum of %d in the smallest unit (eight digits, %s); the unit is %s", amount, c, MaxAmount, Format(MaxAmount, c), Unit(c))
	case c == "isk" && amount%100 != 0:
		return fmt.Errorf("amount %d isk is not a multiple of 100: Stripe counts isk in 1/100 króna but charges only whole krónur, so 4000 = %s", amount, Format(4000, c))
	case threeDecimal[c] && amount%10 != 0:
		return fmt.Errorf("amount %d %s does not end in 0: Stripe counts %s in 1/1000 and requires the last digit to be 0, so 5120 = %s", amount, c, c, Format(5120, c))
	}
	return nil
}
