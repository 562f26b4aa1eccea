package config

import (
	"testing"
)

func TestFileErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []string
	}{
		{"unknown nested", "{\"security\": {\n  \"maxAmt\": 5}}",
			[]string{"line 2: unknown key security.maxAmt (did you mean security.maxAmount?); security accepts allowedOperations, readOnly, maxAmount,"}},
		{"unknown top", `{"foo": 1}`,
			[]string{`line 1: unknown key "foo"; the top level accepts api, security, defaults, server`}},
		{"flat dotted key", `{"api.key": "x"}`, []string{`unknown key "api.key" (did you mean {"api": {"key": …}}?)`}},
		{"case", `{"api": {"Timeout": 5}}`, []string{"unknown key api.Timeout (did you mean api.timeout? keys are case-sensitive)"}},
		{"misspelt section", `{"securty": {}}`, []string{`unknown key "securty" (did you mean security?)`}},
		{"flag-only key", `{"sandbox": true}`, []string{`unknown key "sandbox"`}},
		{"section not object", `{"api": "sk_test_x"}`, []string{"api is a string; want an object with the keys key, webhookSecret, version, timeout, base, account"}},
		{"timeout string", "{\"api\": {\n\"timeout\": \"abc\"}}",
			[]string{"line 2: api.timeout is a string; want milliseconds, a whole number from 1 to 600000"}},
		{"timeout float", `{"api": {"timeout": 1.5}}`, []string{`api.timeout "1.5" is not a whole number of milliseconds`}},
		{"bool string", `{"security": {"readOnly": "yes"}}`, []string{"security.readOnly is a string; want true or false"}},
		{"bool number", `{"defaults": {"autoCapture": 1}}`, []string{"defaults.autoCapture is a number; want true or false"}},
		{"currency number", `{"defaults": {"currency": 840}}`, []string{"defaults.currency is a number; want a three-letter currency code"}},
		{"operations number", `{"security": {"allowedOperations": 5}}`, []string{"security.allowedOperations is a number; want comma list"}},
		{"operations item", `{"security": {"allowedOperations": ["payments", true]}}`, []string{"security.allowedOperations[1] is true/false"}},
		{"empty operations array", `{"security": {"allowedOperations": []}}`, []string{"security.allowedOperations", "names no toolset or tool", "leave the setting out", "want comma list"}},
		{"operations array of blanks", `{"security": {"allowedOperations": [" ", ""]}}`, []string{"security.allowedOperations", "names no toolset or tool"}},
		{"operations string of commas", `{"security": {"allowedOperations": ", ,"}}`, []string{"security.allowedOperations", "names no toolset or tool"}},
		{"key number, even when env overrides it", `{"api": {"key": 12345}}`, []string{"api.key is a number; want sk_test_…"}},
		{"top array", `[1, 2]`, []string{"the top level is an array; want a JSON object with the sections api, security, defaults, server"}},
		{"malformed", "{\n  \"api\": {\n    \"timeout\": 30000,\n  }\n}", []string{"invalid JSON at line 4, column 3", "invalid character '}'"}},
		{"truncated", "{\"api\": {\"timeout\": 30000", []string{"invalid JSON at line 1", "ends before the JSON is complete"}},
		{"empty", "", []string{"invalid JSON at line 1, column 1"}},
		{"trailing", `{} {}`, []string{"invalid JSON at line 1", "more data after the top-level object"}},
		{"comment", "{\n// key\n}", []string{"invalid JSON at line 2, column 1"}},
		{"duplicate", "{\"api\": {\"timeout\": 1,\n\"timeout\": 2}}", []string{`line 2: key "timeout" appears twice`}},
		{"empty data dir", `{"server": {"dataDir": ""}}`, []string{"server.dataDir", "is empty", "leave the setting out"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "stripe-config.json", tt.file)
			msg := loadErr(t, LoadOptions{ConfigFile: p, Getenv: environ("STRIPE_API_KEY", testKey)})
			wantContains(t, msg, append(tt.want, "config file "+p)...)
		})
	}
}

func TestFileForms(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		check func(*Config) bool
	}{
		{"null means unset", `{"api": {"timeout": null}, "security": null}`, func(c *Config) bool { return c.Timeout.Seconds() == 30 }},
		{"bom", "\xef\xbb\xbf{\"defaults\": {\"currency\": \"eur\"}}", func(c *Config) bool { return c.Currency == "eur" }},
		{"operations as string", `{"security": {"allowedOperations": "payments, refunds.read"}}`,
			func(c *Config) bool { return len(c.AllowedOperations) == 2 && c.AllowedOperations[1] == "refunds.read" }},
		{"webhook secrets as array", `{"api": {"webhookSecret": ["whsec_aaaaaaaaaaaaaaaaaaaa", "whsec_bbbbbbbbbbbbbbbbbbbb"]}}`,
			func(c *Config) bool { return len(c.WebhookSecrets) == 2 }},
		{"operations left out means all", `{"security": {"readOnly": false}}`, func(c *Config) bool { return len(c.AllowedOperations) == 0 }},
		{"null operations means all", `{"security": {"allowedOperations": null}}`, func(c *Config) bool { return len(c.AllowedOperations) == 0 }},
		{"origins array", `{"server": {"allowedOrigins": ["https://a.example.com"]}}`,
			func(c *Config) bool { return len(c.AllowedOrigins) == 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, LoadOptions{ConfigFile: writeFile(t, "c.json", tt.file), Getenv: environ("STRIPE_API_KEY", testKey)})
			if !tt.check(c) {
				t.Errorf("unexpected config %+v", c)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"allowedOperations", "readOnly", "maxAmount", "dailyLimit"}
	tests := map[string]string{
		"maxAmt":     " (did you mean maxAmount?)",
		"MaxAmount":  " (did you mean maxAmount? keys are case-sensitive)",
		"readonly":   " (did you mean readOnly? keys are case-sensitive)",
		"dailyLimt":  " (did you mean dailyLimit?)",
		"foo":        "",
		"xyzzyplugh": "",
	}
	for in, want := range tests {
		if got := suggest(in, keys, ""); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
