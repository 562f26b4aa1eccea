package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"unicode"
)

// Secret holds a credential. Every way of printing it (String, fmt verbs
// including %#v, JSON, text and slog) shows only MaskKey's form; Reveal is
// the one way to get the value, so uses of the real value are easy to find.
type Secret string

// Reveal returns the secret itself, for the places that must send it.
func (s Secret) Reveal() string { return string(s) }

// IsSet reports whether the secret is non-empty.
func (s Secret) IsSet() bool { return s != "" }

// String returns the masked form.
func (s Secret) String() string { return MaskKey(string(s)) }

// GoString returns the masked form, quoted, so %#v does not reveal it either.
func (s Secret) GoString() string { return fmt.Sprintf("%q", s.String()) }

// Format prints the masked form for every verb.
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'q':
		fmt.Fprintf(f, "%q", s.String())
	case 'v':
		if f.Flag('#') {
			fmt.Fprint(f, s.GoString())
			return
		}
		fmt.Fprint(f, s.String())
	default:
		fmt.Fprint(f, s.String())
	}
}

// MarshalJSON encodes the masked form.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText encodes the masked form.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LogValue makes slog print the masked form.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// maskPrefixes are the parts of a Stripe credential that say what it is and
// are safe to show.
var maskPrefixes = []string{"sk_test_", "sk_live_", "rk_test_", "rk_live_", "pk_test_", "pk_live_", "whsec_"}

// MaskKey shows at most a credential's kind and its last four characters:
// "sk_test_…abcd". Values without a known prefix become "…" and their last
// four characters; values too short to hide their bulk show no characters at
// all ("sk_test_…", "…"). Surrounding space is ignored and other
// unprintable characters show as "?". A PostgreSQL URL keeps its scheme and host but
// loses user, password and query. The empty string stays empty.
func MaskKey(key string) string {
	key = strings.TrimSpace(key)
	if key == "" {
		return ""
	}
	if m, ok := maskDatabaseURL(key); ok {
		return m
	}
	prefix := ""
	for _, p := range maskPrefixes {
		if strings.HasPrefix(key, p) {
			prefix = p
			break
		}
	}
	rest := []rune(key[len(prefix):])
	// Show the last four only when they are at most a third of the rest, so
	// short or mistyped values are never printed whole (the same rule as the
	// redaction of free text, so a key looks the same everywhere).
	if len(rest) < 12 {
		return prefix + "…"
	}
	return prefix + "…" + strings.Map(printable, string(rest[len(rest)-4:]))
}

// printable keeps masked output on one line.
func printable(r rune) rune {
	if unicode.IsPrint(r) {
		return r
	}
	return '?'
}

func maskDatabaseURL(s string) (string, bool) {
	if !strings.HasPrefix(s, "postgres://") && !strings.HasPrefix(s, "postgresql://") {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return schemeOf(s) + "://…", true
	}
	out := u.Scheme + "://"
	if u.User != nil {
		out += "…@"
	}
	out += u.Host + u.EscapedPath()
	if u.RawQuery != "" {
		out += "?…"
	}
	return out, true
}

// schemeOf returns the scheme of a URL-looking string.
func schemeOf(s string) string {
	i := strings.Index(s, "://")
	if i < 0 {
		return ""
	}
	return s[:i]
}

// KeyInfo says what kind of API key ValidateKey accepted.
type KeyInfo struct {
	Kind string // "secret" (sk_) or "restricted" (rk_)
	Live bool
}

var apiKeyRE = regexp.MustCompile(`^(sk|rk)_(test|live)_[A-Za-z0-9]{24,}$`)

// ValidateKey checks a Stripe API key: a secret (sk_) or restricted (rk_) key,
// test or live, with at least 24 letters or digits after the mode. Live keys
// are refused unless allowLive. Error messages show only the masked key.
func ValidateKey(key string, allowLive bool) (KeyInfo, error) {
	masked := MaskKey(key)
	switch {
	case key == "":
		return KeyInfo{}, fmt.Errorf("the Stripe API key is empty: set a secret (sk_test_…) or restricted (rk_test_…) key from https://dashboard.stripe.com/apikeys")
	case strings.HasPrefix(key, "pk_"):
		return KeyInfo{}, fmt.Errorf("api key %s is a publishable key, which cannot be used by a server: use a secret (sk_…) or restricted (rk_…) key from https://dashboard.stripe.com/apikeys", masked)
	case strings.HasPrefix(key, "whsec_"):
		return KeyInfo{}, fmt.Errorf("api key %s is a webhook signing secret, not an API key: put it in STRIPE_WEBHOOK_SECRET (api.webhookSecret) and use a secret (sk_…) or restricted (rk_…) key as the API key", masked)
	}
	m := apiKeyRE.FindStringSubmatch(key)
	if m == nil {
		hint := ""
		if strings.TrimSpace(key) != key {
			hint = " (it has surrounding spaces or a newline)"
		}
		return KeyInfo{}, fmt.Errorf("api key %s is malformed%s: want sk_ or rk_, then test_ or live_, then at least 24 letters or digits; copy it again from https://dashboard.stripe.com/apikeys", masked, hint)
	}
	info := KeyInfo{Kind: "secret", Live: m[2] == "live"}
	if m[1] == "rk" {
		info.Kind = "restricted"
	}
	if info.Live && !allowLive {
		return info, fmt.Errorf("api key %s is a live key, and live keys move real money: use a test key (sk_test_… or rk_test_…), or allow live keys with STRIPE_ALLOW_LIVE=true or security.allowLive: true in the config file", masked)
	}
	return info, nil
}
