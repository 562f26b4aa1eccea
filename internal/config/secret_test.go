package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestMaskKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"sk_test_abcdefghijklmnopqrstuvwxyz", "sk_test_…wxyz"},
		{"rk_live_abcdefghijklmnopqrstuvwxyz", "rk_live_…wxyz"},
		{"pk_test_abcdefghijklmnopqrstuvwxyz", "pk_test_…wxyz"},
		{"whsec_abcdefghijklmnopqrstuvwxyz", "whsec_…wxyz"},
		{"sk_test_abc", "sk_test_…"},
		{"abcd", "…"},
		{"0123456789abcdef0123", "…0123"},
		{"short-token", "…"},
		{"postgres://app:hunter2@db.internal:5432/stripe?sslmode=require&password=x", "postgres://…@db.internal:5432/stripe?…"},
		{"postgresql://db.internal/stripe", "postgresql://db.internal/stripe"},
		{"postgres://app:hun ter2@db/%zz", "postgres://…"},
	}
	for _, tt := range tests {
		if got := MaskKey(tt.in); got != tt.want {
			t.Errorf("MaskKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestValidateKey(t *testing.T) {
	const body = "abcdefghijklmnopqrstuvwx" // 24 characters, the minimum
	tests := []struct {
		key       string
		allowLive bool
		want      KeyInfo
		err       []string
	}{
		{key: "sk_test_" + body, want: KeyInfo{Kind: "secret"}},
		{key: "sk_test_51HxYz" + body + "0123456789", want: KeyInfo{Kind: "secret"}},
		{key: "rk_test_" + body, want: KeyInfo{Kind: "restricted"}},
		{key: "rk_live_" + body, allowLive: true, want: KeyInfo{Kind: "restricted", Live: true}},
		{key: "sk_live_" + body, allowLive: true, want: KeyInfo{Kind: "secret", Live: true}},
		{key: "sk_live_" + body, err: []string{"is a live key", "live keys move real money", "STRIPE_ALLOW_LIVE=true", "security.allowLive"}},
		{key: "rk_live_" + body, err: []string{"is a live key"}},
		{key: "pk_test_" + body, err: []string{"publishable key", "cannot be used", "secret (sk_…) or restricted (rk_…)"}},
		{key: "pk_live_" + body, allowLive: true, err: []string{"publishable key"}},
		{key: "whsec_" + body, err: []string{"webhook signing secret", "STRIPE_WEBHOOK_SECRET"}},
		{key: "sk_test_" + body[:23], err: []string{"malformed", "at least 24 letters or digits"}},
		{key: "sk_prod_" + body, err: []string{"malformed"}},
		{key: "sk_test_" + body + "-", err: []string{"malformed"}},
		{key: "sk_test_" + body + "\n", err: []string{"malformed (it has surrounding spaces or a newline)"}},
		{key: "SK_TEST_" + body, err: []string{"malformed"}},
		{key: "hunter2", err: []string{"malformed"}},
		{key: "", err: []string{"empty"}},
	}
	for _, tt := range tests {
		info, err := ValidateKey(tt.key, tt.allowLive)
		if tt.err == nil {
			if err != nil || info != tt.want {
				t.Errorf("ValidateKey(%q, %v) = %+v, %v; want %+v", tt.key, tt.allowLive, info, err, tt.want)
			}
			continue
		}
		if err == nil {
			t.Errorf("ValidateKey(%q, %v) = %+v, nil; want an error", tt.key, tt.allowLive, info)
			continue
		}
		msg := err.Error()
		checkMessage(t, msg)
		wantContains(t, msg, tt.err...)
		if tt.key != "" {
			wantNotContains(t, msg, tt.key, strings.TrimSpace(tt.key), body)
		}
	}
}

// TestSecretsNeverPrinted loads every secret and prints the Config every
// way a program might.
func TestSecretsNeverPrinted(t *testing.T) {
	const (
		key      = "sk_test_TOPSECRETabcdefghijklmnop9876"
		webhook  = "whsec_TOPSECRETwebhookabcdef5432"
		webhook2 = "whsec_TOPSECRETcliabcdefghij1098"
		token    = "TOPSECRETtokenabcdef7777"
		dbURL    = "postgres://app:TOPSECRETpw@db.internal:5432/stripe"
	)
	c := mustLoad(t, LoadOptions{Getenv: environ(
		"STRIPE_API_KEY", key,
		"STRIPE_WEBHOOK_SECRET", webhook+","+webhook2,
		"STRIPE_MCP_AUTH_TOKEN", token,
		"STRIPE_MCP_DATABASE_URL", dbURL,
	)})
	if c.APIKey.Reveal() != key || c.AuthToken.Reveal() != token || c.DatabaseURL.Reveal() != dbURL || c.WebhookSecrets[1].Reveal() != webhook2 {
		t.Fatal("secrets not loaded")
	}

	var outputs []string
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		outputs = append(outputs, fmt.Sprintf(format, c), fmt.Sprintf(format, *c), fmt.Sprintf(format, c.APIKey), fmt.Sprintf(format, c.WebhookSecrets))
	}
	outputs = append(outputs, fmt.Sprint(c.AuthToken), c.DatabaseURL.String())

	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, string(js))

	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		log := slog.New(h)
		log.Info("config", "config", c, "value", *c, "key", c.APIKey, "secrets", c.WebhookSecrets)
		log.Info("attrs", slog.Any("token", c.AuthToken), slog.Any("db", c.DatabaseURL))
	}
	outputs = append(outputs, buf.String())

	for _, l := range c.Summary() {
		outputs = append(outputs, l.Key+"="+l.Value+" ("+l.Source+")")
	}

	all := strings.Join(outputs, "\n")
	if strings.Contains(all, "TOPSECRET") {
		for _, o := range outputs {
			if strings.Contains(o, "TOPSECRET") {
				t.Errorf("secret printed: %s", o)
			}
		}
	}
	wantContains(t, all, "sk_test_…9876", "whsec_…5432", "whsec_…1098", "…7777", "postgres://…@db.internal:5432/stripe")
	if !strings.Contains(buf.String(), "api.key=sk_test_…9876") {
		t.Errorf("slog text output does not show the Config's summary: %s", buf.String())
	}
}

func TestSummary(t *testing.T) {
	c := mustLoad(t, LoadOptions{
		Flags: map[string]string{"security.readOnly": "true"},
		Getenv: environ("STRIPE_API_KEY", testKey, "STRIPE_MAX_AMOUNT", "usd:10000,jpy:5000",
			"STRIPE_VERIFICATION_THRESHOLD", "0"),
	})
	got := map[string]SummaryLine{}
	for _, l := range c.Summary() {
		got[l.Key] = l
	}
	tests := []SummaryLine{
		{"api.key", "sk_test_…0123", "env STRIPE_API_KEY"},
		{"security.readOnly", "true", "flag"},
		{"security.maxAmount", "¥5,000 (jpy 5000), $100.00 (usd 10000)", "env STRIPE_MAX_AMOUNT"},
		{"security.verificationThreshold", "$0.00 (usd 0)", "env STRIPE_VERIFICATION_THRESHOLD"},
		{"security.dailyLimit", "(none)", "default"},
		{"api.timeout", "30000 ms", "default"},
		{"server.authToken", "(not set)", "default"},
		{"config", "(none)", "default"},
	}
	for _, want := range tests {
		if got[want.Key] != want {
			t.Errorf("Summary %s = %+v, want %+v", want.Key, got[want.Key], want)
		}
	}
	sb := mustLoad(t, LoadOptions{Flags: map[string]string{"sandbox": "1"}, Getenv: environ("STRIPE_API_KEY", testKey)})
	for _, l := range sb.Summary() {
		if l.Key == "api.key" && !strings.Contains(l.Value, "sandbox") {
			t.Errorf("sandbox api.key row = %+v", l)
		}
	}
}
