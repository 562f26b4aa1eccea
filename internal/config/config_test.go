package config

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPrecedence(t *testing.T) {
	type layer struct{ flag, env, file string }
	tests := []struct {
		key, env string
		// file is the JSON value for the key in the config file; "" leaves it out.
		set  layer
		want func(*Config) string
		// wantByLayer is the expected rendering for flag, env, file and default.
		wantByLayer [4]string
	}{
		{
			key: "api.timeout", env: "STRIPE_REQUEST_TIMEOUT",
			set:         layer{"3000", "2000", "1000"},
			want:        func(c *Config) string { return c.Timeout.String() },
			wantByLayer: [4]string{"3s", "2s", "1s", "30s"},
		},
		{
			key: "defaults.currency", env: "STRIPE_CURRENCY",
			set:         layer{"gbp", "EUR", `"jpy"`},
			want:        func(c *Config) string { return c.Currency },
			wantByLayer: [4]string{"gbp", "eur", "jpy", "usd"},
		},
		{
			key: "security.readOnly", env: "STRIPE_READ_ONLY",
			set:         layer{"false", "yes", "true"},
			want:        func(c *Config) string { return fmt.Sprint(c.ReadOnly) },
			wantByLayer: [4]string{"false", "true", "true", "false"},
		},
		{
			key: "defaults.autoCapture", env: "STRIPE_AUTO_CAPTURE",
			set:         layer{"true", "0", "false"},
			want:        func(c *Config) string { return fmt.Sprint(c.AutoCapture) },
			wantByLayer: [4]string{"true", "false", "false", "true"},
		},
		{
			key: "security.maxAmount", env: "STRIPE_MAX_AMOUNT",
			set:         layer{"300", "usd:200,eur:150", `{"gbp": 100}`},
			want:        func(c *Config) string { return c.MaxAmount.String() },
			wantByLayer: [4]string{"usd:300", "eur:150,usd:200", "gbp:100", ""},
		},
		{
			key: "server.dataDir", env: "STRIPE_MCP_DATA_DIR",
			set:         layer{"/from/flag", "/from/env", `"/from/file"`},
			want:        func(c *Config) string { return filepath.ToSlash(c.DataDir) },
			wantByLayer: [4]string{"/from/flag", "/from/env", "/from/file", "/state/stripe-mcp"},
		},
		{
			key: "security.allowedOperations", env: "STRIPE_ALLOWED_OPERATIONS",
			set:         layer{"payments.read", "refunds,customers", `["balance"]`},
			want:        func(c *Config) string { return strings.Join(c.AllowedOperations, ",") },
			wantByLayer: [4]string{"payments.read", "refunds,customers", "balance", ""},
		},
	}
	sources := [4]string{"flag", "env", "file", "default"}
	for _, tt := range tests {
		for from := range 4 {
			t.Run(tt.key+"/"+sources[from], func(t *testing.T) {
				opts := LoadOptions{Flags: map[string]string{}}
				env := []string{"STRIPE_API_KEY", testKey, "XDG_STATE_HOME", "/state"}
				if from <= 0 {
					opts.Flags[tt.key] = tt.set.flag
				}
				if from <= 1 {
					env = append(env, tt.env, tt.set.env)
				}
				if from <= 2 {
					sec, leaf, _ := strings.Cut(tt.key, ".")
					opts.ConfigFile = writeFile(t, "c.json", fmt.Sprintf(`{%q: {%q: %s}}`, sec, leaf, tt.set.file))
				}
				opts.Getenv = environ(env...)
				c := mustLoad(t, opts)
				if got := tt.want(c); got != tt.wantByLayer[from] {
					t.Errorf("value = %q, want %q", got, tt.wantByLayer[from])
				}
				wantSource := sources[from]
				if from == 1 {
					wantSource = "env " + tt.env
				}
				if got := c.Sources[tt.key]; got != wantSource {
					t.Errorf("Sources[%q] = %q, want %q", tt.key, got, wantSource)
				}
			})
		}
	}
}

func TestFlagOnlySettings(t *testing.T) {
	tests := []struct {
		name    string
		flags   map[string]string
		env     []string
		sandbox bool
		level   slog.Level
		source  string
	}{
		{"defaults", nil, nil, false, slog.LevelInfo, "default"},
		{"env", nil, []string{"STRIPE_MCP_SANDBOX", "1", "STRIPE_MCP_LOG_LEVEL", "DEBUG"}, true, slog.LevelDebug, "env STRIPE_MCP_LOG_LEVEL"},
		{"flag beats env", map[string]string{"sandbox": "false", "logLevel": "error"}, []string{"STRIPE_MCP_SANDBOX", "yes", "STRIPE_MCP_LOG_LEVEL", "debug"}, false, slog.LevelError, "flag"},
		{"warning", map[string]string{"logLevel": "warning"}, nil, false, slog.LevelWarn, "flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, LoadOptions{Flags: tt.flags, Getenv: environ(append(tt.env, "STRIPE_API_KEY", testKey)...)})
			if c.Sandbox != tt.sandbox || c.LogLevel != tt.level || c.Sources["logLevel"] != tt.source {
				t.Errorf("sandbox=%v level=%v source=%q, want %v %v %q", c.Sandbox, c.LogLevel, c.Sources["logLevel"], tt.sandbox, tt.level, tt.source)
			}
		})
	}
	// These settings are not config file keys.
	p := writeFile(t, "c.json", `{"logLevel": "debug"}`)
	msg := loadErr(t, LoadOptions{ConfigFile: p, Getenv: environ("STRIPE_API_KEY", testKey)})
	wantContains(t, msg, `unknown key "logLevel"`)
}

func TestConfigFilePath(t *testing.T) {
	p := writeFile(t, "c.json", `{"defaults": {"currency": "eur"}}`)
	other := writeFile(t, "d.json", `{"defaults": {"currency": "gbp"}}`)
	tests := []struct {
		name     string
		opts     LoadOptions
		env      []string
		currency string
		source   string
	}{
		{"none", LoadOptions{}, nil, "usd", "default"},
		{"env", LoadOptions{}, []string{"STRIPE_MCP_CONFIG", p}, "eur", "env STRIPE_MCP_CONFIG"},
		{"flag beats env", LoadOptions{ConfigFile: other}, []string{"STRIPE_MCP_CONFIG", p}, "gbp", "flag"},
		{"config in flags", LoadOptions{Flags: map[string]string{"config": other}}, nil, "gbp", "flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Getenv = environ(append(tt.env, "STRIPE_API_KEY", testKey)...)
			c := mustLoad(t, tt.opts)
			if c.Currency != tt.currency || c.Sources["config"] != tt.source {
				t.Errorf("currency %q source %q, want %q %q", c.Currency, c.Sources["config"], tt.currency, tt.source)
			}
		})
	}
	msg := loadErr(t, LoadOptions{ConfigFile: filepath.Join(t.TempDir(), "missing.json"), Getenv: environ()})
	wantContains(t, msg, "cannot read config file", "missing.json", "no such file")
}

func TestSecretFromFile(t *testing.T) {
	keyFile := writeFile(t, "key", "\n  "+testKey+"\n\n")
	emptyFile := writeFile(t, "empty", " \n")
	whFile := writeFile(t, "wh", "whsec_aaaaaaaaaaaaaaaaaaaa,whsec_bbbbbbbbbbbbbbbbbbbb\n")
	tokFile := writeFile(t, "tok", "0123456789abcdef0123\n")
	missing := filepath.Join(t.TempDir(), "nope")

	t.Run("api key", func(t *testing.T) {
		c := mustLoad(t, LoadOptions{Getenv: environ("STRIPE_API_KEY_FILE", keyFile)})
		if c.APIKey.Reveal() != testKey || c.Sources["api.key"] != "env STRIPE_API_KEY_FILE" {
			t.Errorf("key %q from %q", c.APIKey, c.Sources["api.key"])
		}
	})
	t.Run("alias file", func(t *testing.T) {
		c := mustLoad(t, LoadOptions{Getenv: environ("STRIPE_SECRET_KEY_FILE", keyFile)})
		if c.APIKey.Reveal() != testKey || c.Sources["api.key"] != "env STRIPE_SECRET_KEY_FILE" {
			t.Errorf("key %q from %q", c.APIKey, c.Sources["api.key"])
		}
	})
	t.Run("webhook secrets and token", func(t *testing.T) {
		c := mustLoad(t, LoadOptions{Getenv: environ("STRIPE_API_KEY", testKey,
			"STRIPE_WEBHOOK_SECRET_FILE", whFile, "STRIPE_MCP_AUTH_TOKEN_FILE", tokFile)})
		if len(c.WebhookSecrets) != 2 || c.WebhookSecrets[1].Reveal() != "whsec_bbbbbbbbbbbbbbbbbbbb" {
			t.Errorf("webhook secrets %v", c.WebhookSecrets)
		}
		if c.AuthToken.Reveal() != "0123456789abcdef0123" || c.Sources["server.authToken"] != "env STRIPE_MCP_AUTH_TOKEN_FILE" {
			t.Errorf("token %q from %q", c.AuthToken, c.Sources["server.authToken"])
		}
	})
	errs := []struct {
		name string
		env  []string
		want []string
	}{
		{"both set", []string{"STRIPE_API_KEY", testKey, "STRIPE_API_KEY_FILE", keyFile},
			[]string{"env STRIPE_API_KEY and STRIPE_API_KEY_FILE are both set", "set only one"}},
		{"missing file", []string{"STRIPE_API_KEY_FILE", missing},
			[]string{"env STRIPE_API_KEY_FILE", "cannot read", "nope", "no such file"}},
		{"empty file", []string{"STRIPE_API_KEY_FILE", emptyFile},
			[]string{"env STRIPE_API_KEY_FILE", "is empty"}},
		{"token both set", []string{"STRIPE_API_KEY", testKey, "STRIPE_MCP_AUTH_TOKEN", "0123456789abcdef0123", "STRIPE_MCP_AUTH_TOKEN_FILE", tokFile},
			[]string{"STRIPE_MCP_AUTH_TOKEN and STRIPE_MCP_AUTH_TOKEN_FILE are both set"}},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			msg := loadErr(t, LoadOptions{Getenv: environ(tt.env...)})
			wantContains(t, msg, tt.want...)
			wantNotContains(t, msg, testKey, "0123456789abcdef0123")
		})
	}
}

func TestKeyAlias(t *testing.T) {
	other := "sk_test_ZYXWVUTSRQPONMLKJIHGFEDCBA987"
	tests := []struct {
		name   string
		env    []string
		source string
		err    string
	}{
		{"alias alone", []string{"STRIPE_SECRET_KEY", testKey}, "env STRIPE_SECRET_KEY", ""},
		{"both equal", []string{"STRIPE_API_KEY", testKey, "STRIPE_SECRET_KEY", testKey}, "env STRIPE_API_KEY", ""},
		{"both different", []string{"STRIPE_API_KEY", testKey, "STRIPE_SECRET_KEY", other}, "",
			"env STRIPE_API_KEY and STRIPE_SECRET_KEY are both set, to different values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err != "" {
				msg := loadErr(t, LoadOptions{Getenv: environ(tt.env...)})
				wantContains(t, msg, tt.err)
				wantNotContains(t, msg, testKey, other)
				return
			}
			c := mustLoad(t, LoadOptions{Getenv: environ(tt.env...)})
			if c.APIKey.Reveal() != testKey || c.Sources["api.key"] != tt.source {
				t.Errorf("key from %q, want %q", c.Sources["api.key"], tt.source)
			}
		})
	}
}

func TestFlags(t *testing.T) {
	tests := []struct {
		flags map[string]string
		want  []string
	}{
		{map[string]string{"api.key": testKey}, []string{"api.key cannot be set by a flag", "STRIPE_API_KEY_FILE"}},
		{map[string]string{"server.authToken": "0123456789abcdef0123"}, []string{"server.authToken cannot be set by a flag"}},
		{map[string]string{"api.webhookSecret": "whsec_aaaaaaaaaaaaaaaaaaaa"}, []string{"api.webhookSecret cannot be set by a flag"}},
		{map[string]string{"server.databaseUrl": "postgres://u:hunter2@db/x"}, []string{"server.databaseUrl cannot be set by a flag"}},
		{map[string]string{"security.maxAmt": "1"}, []string{`unknown setting "security.maxAmt" passed as a flag`}},
		{map[string]string{"api.timeout": "soon"}, []string{`flag api.timeout "soon" is not a whole number of milliseconds; want milliseconds`}},
		// Named as typed: --log-level, not the setting's key.
		{map[string]string{"logLevel": "trace"}, []string{`flag --log-level "trace" is not a log level`}},
	}
	for _, tt := range tests {
		msg := loadErr(t, LoadOptions{Flags: tt.flags, Getenv: environ("STRIPE_API_KEY", testKey)})
		wantContains(t, msg, tt.want...)
		wantNotContains(t, msg, testKey, "0123456789abcdef0123", "whsec_aaaaaaaaaaaaaaaaaaaa", "hunter2")
	}
}

func TestBoolForms(t *testing.T) {
	for _, v := range []string{"true", "TRUE", "True", "1", "yes", "YES", " yes "} {
		c := mustLoad(t, LoadOptions{Getenv: environ("STRIPE_API_KEY", testKey, "STRIPE_READ_ONLY", v)})
		if !c.ReadOnly {
			t.Errorf("STRIPE_READ_ONLY=%q gave false", v)
		}
	}
	for _, v := range []string{"false", "FALSE", "0", "no", "No"} {
		c := mustLoad(t, LoadOptions{Getenv: environ("STRIPE_API_KEY", testKey, "STRIPE_IDEMPOTENCY_ENABLED", v)})
		if c.IdempotencyEnabled {
			t.Errorf("STRIPE_IDEMPOTENCY_ENABLED=%q gave true", v)
		}
	}
	for _, v := range []string{"on", "off", "y", "2", "truee"} {
		msg := loadErr(t, LoadOptions{Getenv: environ("STRIPE_API_KEY", testKey, "STRIPE_VERIFICATION_REQUIRED", v)})
		wantContains(t, msg, "env STRIPE_VERIFICATION_REQUIRED", fmt.Sprintf("%q is not a boolean", v), "want true or false (also 1/0, yes/no)")
	}
	// Empty counts as unset.
	c := mustLoad(t, LoadOptions{Getenv: environ("STRIPE_API_KEY", testKey, "STRIPE_AUTO_CAPTURE", "")})
	if !c.AutoCapture {
		t.Error("empty STRIPE_AUTO_CAPTURE changed the default")
	}
}

func TestMoneySettings(t *testing.T) {
	tests := []struct {
		name      string
		env       []string
		file      string
		max       string // MaxAmount.String()
		threshold string
		err       []string
	}{
		{name: "bare env", env: []string{"STRIPE_MAX_AMOUNT", "10000"}, max: "usd:10000"},
		{name: "bare env, env currency", env: []string{"STRIPE_MAX_AMOUNT", "10000", "STRIPE_CURRENCY", "EUR"}, max: "eur:10000"},
		{name: "bare env, file currency", env: []string{"STRIPE_MAX_AMOUNT", "500"}, file: `{"defaults": {"currency": "jpy"}}`, max: "jpy:500"},
		{name: "bare file, env currency", env: []string{"STRIPE_CURRENCY", "gbp"}, file: `{"security": {"maxAmount": 700}}`, max: "gbp:700"},
		{name: "per currency env", env: []string{"STRIPE_MAX_AMOUNT", " usd:10000, EUR:9000 ,"}, max: "eur:9000,usd:10000"},
		{name: "per currency json", file: `{"security": {"maxAmount": {"usd": 10000, "EUR": 9000}}}`, max: "eur:9000,usd:10000"},
		{name: "threshold zero env", env: []string{"STRIPE_VERIFICATION_THRESHOLD", "0"}, threshold: "usd:0"},
		{name: "threshold zero json", file: `{"security": {"verificationThreshold": {"usd": 0, "eur": 5000}}}`, threshold: "eur:5000,usd:0"},
		{name: "daily limit", env: []string{"STRIPE_DAILY_LIMIT", "jpy:100000"}},

		{name: "max zero", env: []string{"STRIPE_MAX_AMOUNT", "0"},
			err: []string{`env STRIPE_MAX_AMOUNT "0" is 0 (leave the setting out for no limit); want a positive whole number`}},
		{name: "negative", env: []string{"STRIPE_MAX_AMOUNT", "-5"}, err: []string{`"-5" is negative`}},
		{name: "words", env: []string{"STRIPE_DAILY_LIMIT", "lots"}, err: []string{"env STRIPE_DAILY_LIMIT", `"lots"`, "usd:10000,eur:9000"}},
		{name: "decimal", env: []string{"STRIPE_MAX_AMOUNT", "100.50"}, err: []string{`"100.50" is not a whole number`}},
		{name: "too large", env: []string{"STRIPE_MAX_AMOUNT", "99999999999999999999"}, err: []string{"is too large"}},
		{name: "mixed", env: []string{"STRIPE_MAX_AMOUNT", "100,eur:5"}, err: []string{"mixes a bare amount"}},
		{name: "bad currency", env: []string{"STRIPE_MAX_AMOUNT", "us:10"}, err: []string{`"us"`, "not a three-letter currency code"}},
		{name: "duplicate", env: []string{"STRIPE_MAX_AMOUNT", "usd:1,USD:2"}, err: []string{"sets usd twice"}},
		{name: "per currency zero", env: []string{"STRIPE_DAILY_LIMIT", "usd:0"}, err: []string{"the usd amount is 0"}},
		{name: "threshold negative", env: []string{"STRIPE_VERIFICATION_THRESHOLD", "-1"}, err: []string{`"-1" is negative; want a whole number, 0 or more,`}},
		{name: "json float", file: `{"security": {"maxAmount": 100.5}}`, err: []string{"line 1: security.maxAmount", `"100.5"`}},
		{name: "json string", file: `{"security": {"maxAmount": "10000"}}`, err: []string{"security.maxAmount is a string; want a positive whole number"}},
		{name: "json per currency string", file: "{\"security\": {\"maxAmount\": {\n\"usd\": \"5\"}}}", err: []string{"line 2: security.maxAmount.usd is a string"}},
		{name: "json bad currency", file: `{"security": {"maxAmount": {"dollars": 5}}}`, err: []string{`security.maxAmount has the key "dollars", which is not a three-letter currency code`}},
		{name: "json empty object", file: `{"security": {"dailyLimit": {}}}`, err: []string{"security.dailyLimit is an empty object"}},
		{name: "json zero", file: `{"security": {"maxAmount": {"usd": 0}}}`, err: []string{"security.maxAmount", "the usd amount is 0"}},
		{name: "json array", file: `{"security": {"maxAmount": [1]}}`, err: []string{"security.maxAmount is an array"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := LoadOptions{Getenv: environ(append(tt.env, "STRIPE_API_KEY", testKey)...)}
			if tt.file != "" {
				opts.ConfigFile = writeFile(t, "c.json", tt.file)
			}
			if tt.err != nil {
				wantContains(t, loadErr(t, opts), tt.err...)
				return
			}
			c := mustLoad(t, opts)
			if c.MaxAmount.String() != tt.max {
				t.Errorf("MaxAmount = %q, want %q", c.MaxAmount, tt.max)
			}
			if c.VerificationThreshold.String() != tt.threshold {
				t.Errorf("VerificationThreshold = %q, want %q", c.VerificationThreshold, tt.threshold)
			}
		})
	}
}

func TestMoney(t *testing.T) {
	m := NewMoney(map[string]int64{"USD": 10000, "eur": 9000})
	if !m.IsSet() {
		t.Error("IsSet = false")
	}
	if a, ok := m.Limit("usd"); !ok || a != 10000 {
		t.Errorf("Limit(usd) = %d, %v", a, ok)
	}
	if a, ok := m.Limit(" EUR "); !ok || a != 9000 {
		t.Errorf("Limit(EUR) = %d, %v", a, ok)
	}
	if _, ok := m.Limit("gbp"); ok {
		t.Error("Limit(gbp) ok")
	}
	if got := m.Currencies(); !slices.Equal(got, []string{"eur", "usd"}) {
		t.Errorf("Currencies = %v", got)
	}
	if got := m.String(); got != "eur:9000,usd:10000" {
		t.Errorf("String = %q", got)
	}
	if got := m.Display(); got != "€90.00 (eur 9000), $100.00 (usd 10000)" {
		t.Errorf("Display = %q", got)
	}
	if got := fmt.Sprint(m); got != "eur:9000,usd:10000" {
		t.Errorf("Sprint = %q", got)
	}
	var zero Money
	if zero.IsSet() || zero.String() != "" || len(zero.Currencies()) != 0 {
		t.Errorf("zero Money: %v %q %v", zero.IsSet(), zero.String(), zero.Currencies())
	}
	if _, ok := zero.Limit("usd"); ok {
		t.Error("zero Money has a limit")
	}
}

func TestValues(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "conf", "c.json")
	if err := os.MkdirAll(filepath.Dir(cfgPath), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, []byte(`{"server": {"dataDir": "state"}}`), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		env   []string
		check func(*Config) bool
		err   []string
	}{
		// api.base
		{name: "base https", env: []string{"STRIPE_API_BASE", "https://proxy.example.com/stripe/"},
			check: func(c *Config) bool { return c.APIBase == "https://proxy.example.com/stripe" }},
		{name: "base http localhost", env: []string{"STRIPE_API_BASE", "http://localhost:12111"},
			check: func(c *Config) bool { return c.APIBase == "http://localhost:12111" }},
		{name: "base http 127/8", env: []string{"STRIPE_API_BASE", "http://127.0.0.5:8080"},
			check: func(c *Config) bool { return c.APIBase == "http://127.0.0.5:8080" }},
		{name: "base http ::1", env: []string{"STRIPE_API_BASE", "http://[::1]:12111"},
			check: func(c *Config) bool { return c.APIBase == "http://[::1]:12111" }},
		{name: "base http remote", env: []string{"STRIPE_API_BASE", "http://stripe-mock.internal:12111"},
			err: []string{"env STRIPE_API_BASE", "uses http:// on stripe-mock.internal, which is not a loopback host", "want https://"}},
		{name: "base http private ip", env: []string{"STRIPE_API_BASE", "http://10.0.0.1"}, err: []string{"not a loopback host"}},
		{name: "base http localhost lookalike", env: []string{"STRIPE_API_BASE", "http://localhost.evil.com"}, err: []string{"not a loopback host"}},
		{name: "base garbage", env: []string{"STRIPE_API_BASE", "not a url"}, err: []string{`"not a url" is not a URL`}},
		{name: "base no host", env: []string{"STRIPE_API_BASE", "https://"}, err: []string{"is not a URL"}},
		{name: "base ftp", env: []string{"STRIPE_API_BASE", "ftp://example.com"}, err: []string{`the scheme "ftp"`}},
		{name: "base credentials", env: []string{"STRIPE_API_BASE", "https://user:hunter2@example.com"}, err: []string{"contains a user name or password"}},
		{name: "base query", env: []string{"STRIPE_API_BASE", "https://example.com/?a=b"}, err: []string{"has a query"}},
		{name: "base bad port", env: []string{"STRIPE_API_BASE", "https://example.com:99999"}, err: []string{"bad port"}},

		// api.version
		{name: "version same", env: []string{"STRIPE_API_VERSION", testVersion}, check: func(c *Config) bool { return c.APIVersion == testVersion }},
		{name: "version other", env: []string{"STRIPE_API_VERSION", "2024-06-20"},
			err: []string{`env STRIPE_API_VERSION "2024-06-20" is not supported: this build speaks ` + testVersion, "unset STRIPE_API_VERSION"}},

		// api.timeout
		{name: "timeout max", env: []string{"STRIPE_REQUEST_TIMEOUT", "600000"}, check: func(c *Config) bool { return c.Timeout == 10*time.Minute }},
		{name: "timeout zero", env: []string{"STRIPE_REQUEST_TIMEOUT", "0"}, err: []string{"0 is out of range; want milliseconds, a whole number from 1 to 600000"}},
		{name: "timeout too big", env: []string{"STRIPE_REQUEST_TIMEOUT", "600001"}, err: []string{"out of range"}},
		{name: "timeout units", env: []string{"STRIPE_REQUEST_TIMEOUT", "30s"}, err: []string{`"30s" is not a whole number of milliseconds`}},

		// api.account
		{name: "account", env: []string{"STRIPE_ACCOUNT", "acct_1Hh1abcDEF"}, check: func(c *Config) bool { return c.Account == "acct_1Hh1abcDEF" }},
		{name: "account bad", env: []string{"STRIPE_ACCOUNT", "cus_123"}, err: []string{`env STRIPE_ACCOUNT "cus_123" is not a Stripe account id; want acct_`}},
		{name: "account empty id", env: []string{"STRIPE_ACCOUNT", "acct_"}, err: []string{"not a Stripe account id"}},

		// webhook secrets
		{name: "webhook list", env: []string{"STRIPE_WEBHOOK_SECRET", "whsec_aaaaaaaaaaaaaaaaaaaa, whsec_bbbbbbbbbbbbbbbbbbbb,whsec_aaaaaaaaaaaaaaaaaaaa"},
			check: func(c *Config) bool { return len(c.WebhookSecrets) == 2 }},
		{name: "webhook bad", env: []string{"STRIPE_WEBHOOK_SECRET", "whsec_aaaaaaaaaaaaaaaaaaaa,sk_test_notawebhooksecret123"},
			err: []string{"env STRIPE_WEBHOOK_SECRET has a value (sk_test_…t123) that is not a webhook signing secret; want whsec_"}},

		// operations
		{name: "operations", env: []string{"STRIPE_ALLOWED_OPERATIONS", "Payments, refunds.write,stripe_get_balance,payments"},
			check: func(c *Config) bool {
				return slices.Equal(c.AllowedOperations, []string{"payments", "refunds.write", "stripe_get_balance"})
			}},
		{name: "operations bad", env: []string{"STRIPE_ALLOWED_OPERATIONS", "payments.delete"},
			err: []string{`has "payments.delete", which is not a toolset`, "want comma list"}},
		{name: "operations space", env: []string{"STRIPE_ALLOWED_OPERATIONS", "get balance"}, err: []string{`"get balance"`}},
		{name: "operations comma", env: []string{"STRIPE_ALLOWED_OPERATIONS", ","},
			err: []string{`env STRIPE_ALLOWED_OPERATIONS "," names no toolset or tool`, "leave the setting out", "want comma list"}},
		{name: "operations blank", env: []string{"STRIPE_ALLOWED_OPERATIONS", " "},
			err: []string{`env STRIPE_ALLOWED_OPERATIONS "" names no toolset or tool`, "want comma list"}},
		{name: "operations blank with a tab", env: []string{"STRIPE_ALLOWED_OPERATIONS", " \t, "},
			err: []string{"env STRIPE_ALLOWED_OPERATIONS", "names no toolset or tool"}},
		{name: "operations empty is unset", env: []string{"STRIPE_ALLOWED_OPERATIONS", ""}, check: func(c *Config) bool { return c.AllowedOperations == nil }},
		{name: "other blank variables are unset", env: []string{"STRIPE_CURRENCY", " "}, check: func(c *Config) bool { return c.Currency == "usd" }},

		// currency and fallback
		{name: "currency", env: []string{"STRIPE_CURRENCY", "dollars"}, err: []string{`env STRIPE_CURRENCY "dollars" is not a currency code; want a three-letter`}},
		{name: "fallback token", env: []string{"STRIPE_VERIFICATION_FALLBACK", "TOKEN"}, check: func(c *Config) bool { return c.VerificationFallback == "token" }},
		{name: "fallback bad", env: []string{"STRIPE_VERIFICATION_FALLBACK", "allow"}, err: []string{`"allow" is not a fallback; want refuse or token`}},

		// auth token
		{name: "token short", env: []string{"STRIPE_MCP_AUTH_TOKEN", "secret"}, err: []string{"env STRIPE_MCP_AUTH_TOKEN (…) is 6 characters long; want at least 16"}},
		{name: "token space", env: []string{"STRIPE_MCP_AUTH_TOKEN", "correct horse battery staple"}, err: []string{"contains spaces"}},

		// origins
		{name: "origins", env: []string{"STRIPE_MCP_ALLOWED_ORIGINS", "https://App.Example.com, http://localhost:3000/,vscode-webview://abc"},
			check: func(c *Config) bool {
				return slices.Equal(c.AllowedOrigins, []string{"https://app.example.com", "http://localhost:3000", "vscode-webview://abc"})
			}},
		{name: "origins star", env: []string{"STRIPE_MCP_ALLOWED_ORIGINS", "*"},
			err: []string{`has "*", which is not allowed: it would let any web page`, "list each origin"}},
		{name: "origins no scheme", env: []string{"STRIPE_MCP_ALLOWED_ORIGINS", "app.example.com"}, err: []string{"not an origin scheme://host[:port]"}},
		{name: "origins path", env: []string{"STRIPE_MCP_ALLOWED_ORIGINS", "https://app.example.com/page"}, err: []string{"not an origin"}},

		// hosts
		{name: "hosts", env: []string{"STRIPE_MCP_ALLOWED_HOSTS", "MCP.example.com,10.0.0.5:8787,[::1]:8787,[::1],localhost"},
			check: func(c *Config) bool {
				return slices.Equal(c.AllowedHosts, []string{"mcp.example.com", "10.0.0.5:8787", "[::1]:8787", "[::1]", "localhost"})
			}},
		{name: "hosts star", env: []string{"STRIPE_MCP_ALLOWED_HOSTS", "*"}, err: []string{"DNS rebinding"}},
		{name: "hosts bare ipv6", env: []string{"STRIPE_MCP_ALLOWED_HOSTS", "::1"}, err: []string{"brackets"}},
		{name: "hosts bad port", env: []string{"STRIPE_MCP_ALLOWED_HOSTS", "example.com:0"}, err: []string{`"example.com:0"`}},
		{name: "hosts url", env: []string{"STRIPE_MCP_ALLOWED_HOSTS", "https://example.com"}, err: []string{"not host[:port]"}},

		// data dir
		{name: "data dir home", env: []string{"STRIPE_MCP_DATA_DIR", "~/stripe"},
			check: func(c *Config) bool { return c.DataDir == filepath.Join("/home/tester", "stripe") }},
		{name: "data dir relative to file", env: []string{"STRIPE_MCP_CONFIG", cfgPath},
			check: func(c *Config) bool { return c.DataDir == filepath.Join(dir, "conf", "state") }},
		{name: "data dir xdg", env: []string{"XDG_STATE_HOME", "/xdg"},
			check: func(c *Config) bool { return filepath.ToSlash(c.DataDir) == "/xdg/stripe-mcp" }},

		// database url
		{name: "postgres", env: []string{"STRIPE_MCP_DATABASE_URL", "postgresql://app:hunter2@db.internal:5432/stripe"},
			check: func(c *Config) bool {
				return c.DatabaseURL.Reveal() == "postgresql://app:hunter2@db.internal:5432/stripe"
			}},
		{name: "mysql", env: []string{"STRIPE_MCP_DATABASE_URL", "mysql://app:hunter2@db.internal/stripe"},
			err: []string{`env STRIPE_MCP_DATABASE_URL (…`, `has the scheme "mysql"; only PostgreSQL is supported; want postgres://`}},
		{name: "sqlite path", env: []string{"STRIPE_MCP_DATABASE_URL", "/var/lib/hunter2.db"}, err: []string{"has no scheme"}},

		// log level
		{name: "log level bad", env: []string{"STRIPE_MCP_LOG_LEVEL", "verbose"}, err: []string{`env STRIPE_MCP_LOG_LEVEL "verbose" is not a log level; want debug, info, warn or error`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := LoadOptions{Getenv: environ(append(tt.env, "STRIPE_API_KEY", testKey)...)}
			if tt.err != nil {
				msg := loadErr(t, opts)
				wantContains(t, msg, tt.err...)
				wantNotContains(t, msg, "hunter2", testKey)
				return
			}
			c := mustLoad(t, opts)
			if !tt.check(c) {
				t.Errorf("unexpected config: %+v", c)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	c := mustLoad(t, LoadOptions{Getenv: environ("STRIPE_API_KEY", testKey)})
	checks := []struct {
		name      string
		got, want any
	}{
		{"APIVersion", c.APIVersion, testVersion},
		{"Timeout", c.Timeout, 30 * time.Second},
		{"APIBase", c.APIBase, ""},
		{"AllowedOperations", len(c.AllowedOperations), 0},
		{"ReadOnly", c.ReadOnly, false},
		{"MaxAmount", c.MaxAmount.IsSet(), false},
		{"VerificationRequired", c.VerificationRequired, false},
		{"VerificationThreshold", c.VerificationThreshold.IsSet(), false},
		{"VerificationFallback", c.VerificationFallback, "refuse"},
		{"DailyLimit", c.DailyLimit.IsSet(), false},
		{"AllowLive", c.AllowLive, false},
		{"Currency", c.Currency, "usd"},
		{"IdempotencyEnabled", c.IdempotencyEnabled, true},
		{"AutoCapture", c.AutoCapture, true},
		{"AuthToken", c.AuthToken.IsSet(), false},
		{"Sandbox", c.Sandbox, false},
		{"LogLevel", c.LogLevel, slog.LevelInfo},
		{"ConfigFile", c.ConfigFile, ""},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	for _, s := range Reference() {
		want := "default"
		if s.Key == "api.key" {
			want = "env STRIPE_API_KEY"
		}
		if got := c.Sources[s.Key]; got != want {
			t.Errorf("Sources[%q] = %q, want %q", s.Key, got, want)
		}
	}
}

func TestDefaultDataDir(t *testing.T) {
	tests := []struct {
		goos string
		env  []string
		home string
		want string
	}{
		{"linux", []string{"XDG_STATE_HOME", "/xdg"}, "/home/u", "/xdg/stripe-mcp"},
		{"linux", []string{"XDG_STATE_HOME", "relative"}, "/home/u", "/home/u/.local/state/stripe-mcp"},
		{"linux", nil, "/home/u", "/home/u/.local/state/stripe-mcp"},
		{"freebsd", nil, "/home/u", "/home/u/.local/state/stripe-mcp"},
		{"darwin", []string{"XDG_STATE_HOME", "/xdg"}, "/Users/u", "/Users/u/Library/Application Support/stripe-mcp"},
		{"windows", []string{"LocalAppData", "/appdata"}, "/users/u", "/appdata/stripe-mcp"},
		{"linux", nil, "", ""},
	}
	for _, tt := range tests {
		m := map[string]string{}
		for i := 0; i+1 < len(tt.env); i += 2 {
			m[tt.env[i]] = tt.env[i+1]
		}
		got := filepath.ToSlash(defaultDataDir(tt.goos, func(k string) string { return m[k] }, tt.home))
		if got != tt.want {
			t.Errorf("defaultDataDir(%s, %v, %q) = %q, want %q", tt.goos, tt.env, tt.home, got, tt.want)
		}
	}
	// Without a home directory Load says how to fix it, unless PostgreSQL is used.
	noHome := func(k string) string {
		return map[string]string{"STRIPE_API_KEY": testKey}[k]
	}
	if _, err := Load(LoadOptions{Getenv: noHome, APIVersion: testVersion}); err == nil {
		t.Error("Load without a home directory succeeded")
	} else {
		checkMessage(t, err.Error())
		wantContains(t, err.Error(), "STRIPE_MCP_DATA_DIR")
	}
}

func TestAPIVersionRequired(t *testing.T) {
	if _, err := Load(LoadOptions{Getenv: environ("STRIPE_API_KEY", testKey)}); err == nil {
		t.Error("Load without LoadOptions.APIVersion succeeded")
	}
}

func TestArticleFile(t *testing.T) {
	const article = "testdata/article-stripe-config.json"
	msg := loadErr(t, LoadOptions{ConfigFile: article, Getenv: environ()})
	wantContains(t, msg, `api.version "2023-10-16" is not supported: this build speaks `+testVersion+` (remove the setting or set it to that version)`,
		article, "line 5")
	wantNotContains(t, msg, "abcdefghijklmnopqrstuvwxyz")

	data, err := os.ReadFile(article)
	if err != nil {
		t.Fatal(err)
	}
	without := strings.Replace(string(data), "\"version\": \"2023-10-16\",\n", "", 1)
	if without == string(data) {
		t.Fatal("could not remove api.version from the article's file")
	}
	c := mustLoad(t, LoadOptions{ConfigFile: writeFile(t, "stripe-config.json", without), Getenv: environ()})
	checks := []struct {
		name      string
		got, want any
	}{
		{"APIKey", c.APIKey.Reveal(), "sk_test_abcdefghijklmnopqrstuvwxyz"},
		{"WebhookSecrets", fmt.Sprintf("%d %s", len(c.WebhookSecrets), c.WebhookSecrets[0].Reveal()), "1 whsec_abcdefghijklmnopqrstuvwxyz"},
		{"APIVersion", c.APIVersion, testVersion},
		{"Timeout", c.Timeout, 30 * time.Second},
		{"AllowedOperations", strings.Join(c.AllowedOperations, ","), "payments,customers,subscriptions"},
		{"MaxAmount", c.MaxAmount.String(), "usd:10000"},
		{"VerificationRequired", c.VerificationRequired, true},
		{"Currency", c.Currency, "usd"},
		{"IdempotencyEnabled", c.IdempotencyEnabled, true},
		{"AutoCapture", c.AutoCapture, true},
		{"Sources api.key", c.Sources["api.key"], "file"},
		{"Sources api.version", c.Sources["api.version"], "default"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestSandboxIgnoresKey(t *testing.T) {
	for _, key := range []string{"", testKey, "pk_test_abcdefghijklmnopqrstuvwxyz", "garbage"} {
		c := mustLoad(t, LoadOptions{Flags: map[string]string{"sandbox": "true"}, Getenv: environ("STRIPE_API_KEY", key)})
		if c.APIKey != "" || !c.Sandbox {
			t.Errorf("sandbox with key %q: APIKey %q, Sandbox %v", key, c.APIKey, c.Sandbox)
		}
	}
}

func TestLoadKeyChecks(t *testing.T) {
	live := "sk_live_abcdefghijklmnopqrstuvwxyz0123"
	tests := []struct {
		name string
		env  []string
		file string
		err  []string
	}{
		{name: "missing", err: []string{"no Stripe API key", "STRIPE_API_KEY", "--sandbox"}},
		{name: "live refused", env: []string{"STRIPE_API_KEY", live},
			err: []string{"env STRIPE_API_KEY: api key sk_live_…0123 is a live key", "live keys move real money", "STRIPE_ALLOW_LIVE=true"}},
		{name: "live allowed", env: []string{"STRIPE_API_KEY", live, "STRIPE_ALLOW_LIVE", "true"}},
		{name: "live allowed by file", file: `{"api": {"key": "` + live + `"}, "security": {"allowLive": true}}`},
		{name: "publishable in file", file: "{\"api\": {\n\"key\": \"pk_test_abcdefghijklmnopqrstuvwxyz0123\"}}",
			err: []string{"line 2: api.key: api key pk_test_…0123 is a publishable key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := LoadOptions{Getenv: environ(tt.env...)}
			if tt.file != "" {
				opts.ConfigFile = writeFile(t, "c.json", tt.file)
			}
			if tt.err == nil {
				c := mustLoad(t, opts)
				if c.APIKey.Reveal() != live {
					t.Errorf("APIKey = %v", c.APIKey)
				}
				return
			}
			msg := loadErr(t, opts)
			wantContains(t, msg, tt.err...)
			wantNotContains(t, msg, live, "pk_test_abcdefghijklmnopqrstuvwxyz0123")
		})
	}
}

func TestReference(t *testing.T) {
	ref := Reference()
	seen := map[string]bool{}
	for _, s := range ref {
		if seen[s.Key] || seen[s.Env] {
			t.Errorf("duplicate key or env in %+v", s)
		}
		seen[s.Key], seen[s.Env] = true, true
		if s.Env == "" || s.Form == "" || s.Description == "" || s.Default == "" {
			t.Errorf("incomplete setting %+v", s)
		}
	}
	// Every variable of the specification's table is there.
	for _, env := range []string{
		"STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_VERSION", "STRIPE_REQUEST_TIMEOUT",
		"STRIPE_API_BASE", "STRIPE_ACCOUNT", "STRIPE_ALLOWED_OPERATIONS", "STRIPE_READ_ONLY",
		"STRIPE_MAX_AMOUNT", "STRIPE_VERIFICATION_REQUIRED", "STRIPE_VERIFICATION_THRESHOLD",
		"STRIPE_VERIFICATION_FALLBACK", "STRIPE_DAILY_LIMIT", "STRIPE_ALLOW_LIVE", "STRIPE_CURRENCY",
		"STRIPE_IDEMPOTENCY_ENABLED", "STRIPE_AUTO_CAPTURE", "STRIPE_MCP_AUTH_TOKEN",
		"STRIPE_MCP_ALLOWED_ORIGINS", "STRIPE_MCP_ALLOWED_HOSTS", "STRIPE_MCP_DATA_DIR",
		"STRIPE_MCP_DATABASE_URL", "STRIPE_MCP_CONFIG", "STRIPE_MCP_SANDBOX", "STRIPE_MCP_LOG_LEVEL",
	} {
		if !seen[env] {
			t.Errorf("Reference has no %s", env)
		}
	}
	// Reference returns a copy.
	ref[1].EnvAliases[0] = "CHANGED"
	if Reference()[1].EnvAliases[0] == "CHANGED" {
		t.Error("Reference exposes the table")
	}
	// Summary lists the same keys in the same order.
	c := mustLoad(t, LoadOptions{Getenv: environ("STRIPE_API_KEY", testKey)})
	lines := c.Summary()
	if len(lines) != len(ref) {
		t.Fatalf("Summary has %d lines, Reference %d", len(lines), len(ref))
	}
	for i := range lines {
		if lines[i].Key != ref[i].Key {
			t.Errorf("Summary[%d] = %s, Reference[%d] = %s", i, lines[i].Key, i, ref[i].Key)
		}
	}
}

// TestKeyOptional: commands that never call Stripe load without a key, but
// a key that is set is still checked.
func TestKeyOptional(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	if _, err := Load(LoadOptions{APIVersion: "2026-03-25.dahlia", KeyOptional: true, Getenv: env("HOME", t.TempDir())}); err != nil {
		t.Fatalf("no key, key optional: %v", err)
	}
	if _, err := Load(LoadOptions{APIVersion: "2026-03-25.dahlia", KeyOptional: true, Getenv: env("HOME", t.TempDir(), "STRIPE_API_KEY", "pk_test_0123456789abcdefghijklmnop")}); err == nil {
		t.Fatal("a publishable key was accepted because the key is optional")
	}
}
