// Package redact finds and masks what must never leave the process whole:
// Stripe keys, webhook secrets, bearer tokens and card numbers.
package redact

import (
	"regexp"
	"strings"
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

// CardNumber reports whether s contains a run of 13 to 19 digits (optionally
// grouped by single spaces or dashes) that passes the Luhn check: a primary
// account number that must never be sent to Stripe through this server nor
// stored. A grouped run may go on after the card number ("4242 4242 4242 4242
// 12/34" carries an expiry), so every group boundary is a possible end; an
// ungrouped run longer than 19 digits is not a card number.
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
	n := len(s)
	for i := 0; i < n; i++ {
		if !isDigit(s[i]) || (i > 0 && isDigit(s[i-1])) {
			continue
		}
		// Collect digits from i, allowing single separators between digits;
		// each end of a group of digits is a candidate end of a card number.
		var digits [19]byte
		count := 0
		found := 0
		for j := i; j < n; {
			c := s[j]
			if isDigit(c) {
				if count == len(digits) {
					break // longer than any card number
				}
				digits[count] = c
				count++
				j++
				if (j == n || !isDigit(s[j])) && count >= 13 && luhn(digits[:count]) {
					found = j
				}
				continue
			}
			if (c == ' ' || c == '-') && j+1 < n && isDigit(s[j+1]) {
				j++
				continue
			}
			break
		}
		if found > 0 {
			return i, found, true
		}
		// Nothing starts here; a later group of this run may still be a card
		// number, and the scan reaches it as a start of its own.
	}
	return 0, 0, false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

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
