package redact

import (
	"strings"
	"testing"
)

const (
	testKey   = "sk_test_abcdefghijklmnopqrstuvwxyz1234" // 30 characters after the prefix
	liveRKey  = "rk_live_ABCDEFGHIJKLMNOPQRSTUVWX5678"
	pubKey    = "pk_test_0123456789abcdefghijWXYZ"
	whsec     = "whsec_0123456789abcdefghijklmnopqrstuv9999"
	luhn19    = "6011000990139424124" // 19 digits, passes Luhn
	visa16    = "4242424242424242"
	removedPN = "[card number removed]"
)

func TestMask(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"secret test key", testKey, "sk_test_…1234"},
		{"secret live key", "sk_live_" + strings.Repeat("a", 24) + "wxyz", "sk_live_…wxyz"},
		{"restricted live key", liveRKey, "rk_live_…5678"},
		{"restricted test key", "rk_test_" + strings.Repeat("Z", 28) + "QRST", "rk_test_…QRST"},
		{"publishable key", pubKey, "pk_test_…WXYZ"},
		{"publishable live key", "pk_live_" + strings.Repeat("9", 30), "pk_live_…9999"},
		{"webhook secret", whsec, "whsec_…9999"},
		{"short key hides everything after the prefix", "sk_test_abc", "sk_test_…"},
		{"eleven characters are still too short", "sk_test_abcdefghijk", "sk_test_…"},
		{"twelve characters show the last four", "sk_test_abcdefghijkl", "sk_test_…ijkl"},
		{"bare prefix", "sk_test_", "sk_test_…"},
		{"bare webhook prefix", "whsec_", "whsec_…"},
		{"empty", "", ""},
		{"unknown long value", "supersecretvalue1234", "…1234"},
		{"unknown short value", "hunter2", "…"},
		{"single character", "x", "…"},
		{"bearer token", "0123456789abcdefABCDEF", "…CDEF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Mask(tt.in)
			if got != tt.want {
				t.Fatalf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if tt.in != "" && got == tt.in {
				t.Fatalf("Mask(%q) returned the value unchanged", tt.in)
			}
			// Nothing of the secret part beyond its last four characters
			// may survive.
			rest := tt.in
			for _, p := range []string{"sk_test_", "sk_live_", "rk_test_", "rk_live_", "pk_test_", "pk_live_", "whsec_"} {
				rest = strings.TrimPrefix(rest, p)
			}
			if len(rest) > 4 && strings.Contains(got, rest[len(rest)-5:]) {
				t.Fatalf("Mask(%q) = %q shows more than four characters", tt.in, got)
			}
		})
	}
}

func TestSecrets(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"no secrets", "nothing to see here", "nothing to see here"},
		{"no underscore fast path", "plain text 1234", "plain text 1234"},
		{"identifiers are not secrets", "customer cus_Rm2dtdWQdWW9kUq paid pi_3Abc", "customer cus_Rm2dtdWQdWW9kUq paid pi_3Abc"},
		{"stripe's own masked key", "Invalid API Key provided: sk_test_****1234", "Invalid API Key provided: sk_test_****1234"},
		{"stripe message with full key", "Invalid API Key provided: " + testKey, "Invalid API Key provided: sk_test_…1234"},
		{
			"several keys in one string",
			"secret " + testKey + ", restricted " + liveRKey + ", public " + pubKey + " and " + whsec + ".",
			"secret sk_test_…1234, restricted rk_live_…5678, public pk_test_…WXYZ and whsec_…9999.",
		},
		{"same key twice", testKey + " " + testKey, "sk_test_…1234 sk_test_…1234"},
		{"adjacent keys", testKey + "," + liveRKey, "sk_test_…1234,rk_live_…5678"},
		{"json", `{"key":"` + testKey + `"}`, `{"key":"sk_test_…1234"}`},
		{"env assignment", "STRIPE_API_KEY=" + testKey, "STRIPE_API_KEY=sk_test_…1234"},
		{"bearer header", "Authorization: Bearer " + testKey, "Authorization: Bearer sk_test_…1234"},
		{"in parentheses", "(" + whsec + ")", "(whsec_…9999)"},
		{"start and end of text", testKey, "sk_test_…1234"},
		{"multi-line", "a\n" + testKey + "\nb", "a\nsk_test_…1234\nb"},
		// Text that was escaped (JSON, URL encoding) puts a letter or digit
		// right before the key; it must still be masked.
		{"after an escaped newline", `"line\n` + testKey + `"`, `"line\nsk_test_…1234"`},
		{"url encoded", "key%3D" + testKey + "%26x", "key%3Dsk_test_…1234%26x"},
		{"after an underscore", "api_key_" + testKey, "api_key_sk_test_…1234"},
		{"short key", "sk_test_abc rest", "sk_test_… rest"},
		{"a mode that is not test or live is left alone", "sk_prod_" + strings.Repeat("a", 30), "sk_prod_" + strings.Repeat("a", 30)},
		{"ephemeral key", "ek_live_" + strings.Repeat("b", 24) + "ek99", "ek_live_…ek99"},
		{"payment intent client secret", `"client_secret": "pi_3Abc_secret_Dm43xiq1k0ywrRRjDoi8y1gkM"`, `"client_secret": "pi_3Abc_secret_…1gkM"`},
		{"setup intent client secret", "seti_1Pg_secret_QXg2AQLdBxJwtY51IkwvUaBVsnCqPSp", "seti_1Pg_secret_…qPSp"},
		{"source client secret", "src_client_secret_HIJKLMNOPQRSTUVW", "src_client_secret_…TUVW"},
		{"words about secrets are left alone", "client_secret webhook_secret_set STRIPE_WEBHOOK_SECRET_FILE", "client_secret webhook_secret_set STRIPE_WEBHOOK_SECRET_FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Secrets(tt.in)
			if got != tt.want {
				t.Fatalf("Secrets(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			for _, k := range []string{testKey, liveRKey, pubKey, whsec} {
				if strings.Contains(got, k) {
					t.Fatalf("Secrets(%q) = %q still contains %q", tt.in, got, k)
				}
			}
		})
	}
}

func TestCardNumber(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"visa", visa16, true},
		{"visa grouped by spaces", "4242 4242 4242 4242", true},
		{"visa grouped by dashes", "4242-4242-4242-4242", true},
		{"amex 15 digits", "378282246310005", true},
		{"amex grouped 4-6-5", "3782 822463 10005", true},
		{"discover", "6011111111111117", true},
		{"visa 13 digits", "4222222222222", true},
		{"19 digits", luhn19, true},
		{"embedded in text", "card 4242424242424242 please", true},
		{"at the end of text", "pay with 4242424242424242", true},
		{"after a letter", "pm_4242424242424242", true},
		{"followed by punctuation", "(4242424242424242).", true},
		{"followed by an expiry", "4242 4242 4242 4242 12/34", true},
		{"followed by expiry and cvc", "4242424242424242 12 34 123", true},
		{"followed by a year", "4242-4242-4242-4242-2034", true},
		{"after other numbers", "order 12 4242 4242 4242 4242", true},
		{"second of two numbers", "ref 1234567890 card 6011111111111117", true},
		{"grouped by dots", "4242.4242.4242.4242", true},
		{"grouped by line breaks", "4242\n4242\n4242\n4242", true},
		{"grouped by tabs", "4242\t4242\t4242\t4242", true},
		{"grouped by two spaces", "4242  4242  4242  4242", true},
		{"grouped by underscores", "4242_4242_4242_4242", true},
		{"grouped by slashes", "4242/4242/4242/4242", true},
		{"grouped by spaced dashes", "4242 - 4242 - 4242 - 4242", true},
		{"grouped by an em dash", "4242—4242—4242—4242", true},
		{"grouped by no-break spaces", "4242\u00a04242\u00a04242\u00a04242", true},
		{"grouped by zero-width spaces", "4242\u200b4242\u200b4242\u200b4242", true},
		{"full-width digits", "４２４２４２４２４２４２４２４２", true},
		{"full-width digits grouped", "４２４２　４２４２　４２４２　４２４２", true},
		{"arabic-indic digits", "٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢", true},
		{"amex grouped by dots", "3782.822463.10005", true},
		{"luhn fails grouped by dots", "4242.4242.4242.4241", false},
		{"dates with slashes", "2024/01/15 - 2024/01/23", false}, // the 16 digits pass Luhn
		{"dates with dots", "15.01.2024 - 23.01.2024", false},    // likewise
		{"four separators", "4242 -- 4242 -- 4242 -- 4242", false},
		{"two-digit groups by dots", "42.42.42.42.42.42.42.42", false},
		{"luhn fails", "4242424242424241", false},
		{"luhn fails grouped", "4242 4242 4242 4241", false},
		{"12 digits", "424242424242", false},
		{"12 digits luhn valid", "555555555554", false},
		{"20 digits luhn valid", "42424242424242420000", false},
		{"20 digits", "42424242424242424242", false},
		{"25 digits", "4242424242424242424242424", false},
		{"long digit run with a card inside", "x" + strings.Repeat("0", 10) + visa16 + "y", false},
		{"unix timestamp", "1700000000", false},
		{"millisecond timestamp", "1700000000000", false},
		{"customer id", "cus_Rm2dtdWQdWW9kUq", false},
		{"phone e164", "+15555555555", false},
		{"phone formatted", "+1 (555) 555-5555", false},
		{"amount", "amount 2000 usd", false},
		{"empty", "", false},
		{"no digits", "hello world", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CardNumber(tt.in); got != tt.want {
				t.Fatalf("CardNumber(%q) = %t, want %t", tt.in, got, tt.want)
			}
		})
	}
}

func TestCards(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"none", "nothing here 1234", "nothing here 1234"},
		{"empty", "", ""},
		{"bare number", visa16, removedPN},
		{"embedded", "card 4242424242424242 please", "card " + removedPN + " please"},
		{"grouped", "use 4242 4242 4242 4242 now", "use " + removedPN + " now"},
		{"dashes", "4242-4242-4242-4242", removedPN},
		{"two cards", "a 4242424242424242 b 378282246310005 c", "a " + removedPN + " b " + removedPN + " c"},
		{"card then expiry", "4242 4242 4242 4242 12/34", removedPN + " 12/34"},
		{"card then year", "4242424242424242 2034 ok", removedPN + " 2034 ok"},
		{"dots", "pan 4242.4242.4242.4242.", "pan " + removedPN + "."},
		{"line breaks", "a\n4242\n4242\n4242\n4242\nb", "a\n" + removedPN + "\nb"},
		{"full-width", "カード４２４２４２４２４２４２４２４２です", "カード" + removedPN + "です"},
		{"dates kept", "2024/01/15 - 2024/01/23", "2024/01/15 - 2024/01/23"},
		{"luhn failure kept", "4242424242424241", "4242424242424241"},
		{"timestamp kept", "created 1700000000", "created 1700000000"},
		{"long run kept", "42424242424242420000", "42424242424242420000"},
		{"phone kept", "+15555555555", "+15555555555"},
		{"message from stripe", "Your card number 4242424242424242 is incorrect.", "Your card number " + removedPN + " is incorrect."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Cards(tt.in)
			if got != tt.want {
				t.Fatalf("Cards(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if CardNumber(got) {
				t.Fatalf("Cards(%q) = %q still holds a card number", tt.in, got)
			}
		})
	}
}

func FuzzCardNumber(f *testing.F) {
	for _, s := range []string{
		"",
		visa16,
		"4242 4242 4242 4242",
		"4242-4242-4242-4242",
		"378282246310005",
		"6011111111111117",
		luhn19,
		"card 4242424242424242 please",
		"4242424242424241",
		"42424242424242420000",
		"1700000000",
		"+15555555555",
		"cus_Rm2dtdWQdWW9kUq",
		"4242 4242 4242 4242 12/34 123",
		"1 4242424242424242 4000056655665556",
		"4242424242424242 4242424242424242",
		"- 1-2 3 -4",
		"9" + strings.Repeat(" 9", 40),
		"[card number removed]4242424242424242",
		"4242.4242.4242.4242",
		"4242 - 4242\n4242\t4242",
		"４２４２４２４２４２４２４２４２",
		"2024/01/15 - 2024/02/15",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		found := CardNumber(s)
		out := Cards(s)
		if CardNumber(out) {
			t.Fatalf("Cards(%q) = %q still holds a card number", s, out)
		}
		if !found && out != s {
			t.Fatalf("CardNumber(%q) is false but Cards changed it to %q", s, out)
		}
		if found && out == s {
			t.Fatalf("CardNumber(%q) is true but Cards left it unchanged", s)
		}
		if again := Cards(out); again != out {
			t.Fatalf("Cards is not idempotent: %q -> %q -> %q", s, out, again)
		}
	})
}
