// Package redact finds and masks what must never leave the process whole:
// Stripe keys, webhook secrets, bearer tokens and card numbers.
package redact

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// secretRE matches Stripe secret, restricted, publishable and ephemeral keys,
// webhook signing secrets, and the secret part of client secrets
// ("pi_…_secret_…", "seti_…_secret_…", which let a browser confirm the
// payment) wherever they appear in free text: stripe-go's debug log repeats
// every response, and a payment intent carries its client secret. It has no
// word boundary on the left: escaped text ("\nsk_…", "%3Dsk_…") and names
// such as "api_key_sk_…" put a word character right before a key, and
// masking a look-alike by mistake costs nothing.
var secretRE = regexp.MustCompile(`(?:(?:sk|rk|pk|ek)_(?:test|live)|whsec)_[A-Za-z0-9]+|_secret_[A-Za-z0-9]{10,}`)

// Mask shows at most the kind of a secret and its last four characters:
// "sk_test_…abcd". Values it does not recognise become "…" plus the last four
// characters, and short ones are hidden entirely.
func Mask(secret string) string {
	if secret == "" {
		return ""
	}
	prefix := ""
	for _, p := range []string{"sk_test_", "sk_live_", "rk_test_", "rk_live_", "pk_test_", "pk_live_", "ek_test_", "ek_live_", "whsec_", "_secret_"} {
		if strings.HasPrefix(secret, p) {
			prefix = p
			break
		}
	}
	rest := secret[len(prefix):]
	if len(rest) < 12 {
		return prefix + "…"
	}
	return prefix + "…" + rest[len(rest)-4:]
}

// Secrets replaces every Stripe key, webhook secret or client secret in s by
// its masked form ("pi_123_secret_…wxyz" keeps the intent's id).
func Secrets(s string) string {
	if !strings.Contains(s, "_") {
		return s
	}
	return secretRE.ReplaceAllStringFunc(s, Mask)
}

// CardNumber reports whether s contains a run of 13 to 19 digits that passes
// the Luhn check: a primary account number that must never be sent to Stripe
// through this server nor stored. The digits may be grouped as people write
// and paste card numbers: by single spaces or dashes between any groups, and
// by up to three separator characters (spaces of any kind, tabs, line breaks,
// dashes, dots, underscores, slashes, invisible formatting characters)
// between groups of at least three digits, which keeps dates such as
// "2024/01/15 - 2024/02/15" from joining up. Digits of any script count
// ("４２４２…" is a card number too). A grouped run may go on after the card
// number ("4242 4242 4242 4242 12/34" carries an expiry), so every group
// boundary is a possible end; an ungrouped run longer than 19 digits is not a
// card number.
func CardNumber(s string) bool {
	_, _, ok := findCard(s)
	return ok
}

// Cards replaces every card number in s by "[card number removed]".
func Cards(s string) string {
	for {
		start, end, ok := findCard(s)
		if !ok {
			return s
		}
		s = s[:start] + "[card number removed]" + s[end:]
	}
}

// findCard returns the byte span of the first card-number-like run in s: the
// longest one starting at the earliest possible digit.
func findCard(s string) (start, end int, ok bool) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if _, isDigit := digitValue(r); isDigit && !digitBefore(s, i) {
			if end := cardFrom(s, i); end > 0 {
				return i, end, true
			}
			// Nothing starts here; a later group of this run may still be a
			// card number, and the scan reaches it as a start of its own.
		}
		i += size
	}
	return 0, 0, false
}

// cardFrom collects the digits of the run starting at i and returns where
// the longest card number in it ends, or 0.
func cardFrom(s string, i int) int {
	var digits [19]byte
	count, found, j := 0, 0, i
	for {
		group := 0 // digits in this group
		for j < len(s) {
			r, size := utf8.DecodeRuneInString(s[j:])
			v, isDigit := digitValue(r)
			if !isDigit {
				break
			}
			if count == len(digits) {
				return found // longer than any card number
			}
			digits[count] = '0' + v
			count++
			group++
			j += size
		}
		// The end of a group is a possible end of the card number.
		if count >= 13 && luhn(digits[:count]) {
			found = j
		}
		if j == len(s) {
			return found
		}
		next, simple, joins := separator(s, j)
		if !joins || !simple && (group < 3 || groupLen(s, next) < 3) {
			return found
		}
		j = next
	}
}

// separator reports whether the text at j (just after a digit) is a
// separator between groups of a card number: one to three separator
// characters followed by a digit. next is that digit's index; simple means a
// single ASCII space or dash, which may join groups of any length.
func separator(s string, j int) (next int, simple, joins bool) {
	k := j
	for n := 0; n < 3 && k < len(s); n++ {
		r, size := utf8.DecodeRuneInString(s[k:])
		if !isSeparator(r) {
			break
		}
		k += size
		if digitAt(s, k) {
			return k, k == j+1 && (s[j] == ' ' || s[j] == '-'), true
		}
	}
	return 0, false, false
}

func isSeparator(r rune) bool {
	switch r {
	case '.', '_', '/', '\\', '·', '．', '／', '＿':
		return true
	}
	return unicode.IsSpace(r) || unicode.In(r, unicode.Pd, unicode.Cf)
}

// groupLen counts the digits starting at k, up to 3.
func groupLen(s string, k int) int {
	n := 0
	for n < 3 && digitAt(s, k) {
		_, size := utf8.DecodeRuneInString(s[k:])
		k += size
		n++
	}
	return n
}

func digitAt(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	_, ok := digitValue(r)
	return ok
}

func digitBefore(s string, i int) bool {
	if i == 0 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	_, ok := digitValue(r)
	return ok
}

// digitValue returns the value of a decimal digit of any script: every
// range of Unicode's Nd category is made of whole runs of ten digits, each
// starting at zero.
func digitValue(r rune) (byte, bool) {
	if r >= '0' && r <= '9' {
		return byte(r - '0'), true
	}
	if r < 0x80 || !unicode.IsDigit(r) {
		return 0, false
	}
	for _, rg := range unicode.Nd.R16 {
		if r >= rune(rg.Lo) && r <= rune(rg.Hi) {
			return byte((r - rune(rg.Lo)) % 10), true
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if r >= rune(rg.Lo) && r <= rune(rg.Hi) {
			return byte((r - rune(rg.Lo)) % 10), true
		}
	}
	return 0, false
}

func luhn(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}
