package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

const (
	testVersion = "2026-03-25.dahlia"
	testKey     = "sk_test_abcdefghijklmnopqrstuvwxyz0123"
)

// environ returns a Getenv over kv pairs, with HOME set so the default data
// dir does not depend on the machine.
func environ(kv ...string) func(string) string {
	m := map[string]string{"HOME": "/home/tester"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// writeFile writes content to name in a fresh temporary directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// mustLoad loads with the test version and fails the test on error.
func mustLoad(t *testing.T, opts LoadOptions) *Config {
	t.Helper()
	opts.APIVersion = testVersion
	c, err := Load(opts)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

// loadErr loads with the test version, wants an error, checks its shape
// and returns its message.
func loadErr(t *testing.T, opts LoadOptions) string {
	t.Helper()
	opts.APIVersion = testVersion
	c, err := Load(opts)
	if err == nil {
		t.Fatalf("Load succeeded (%+v), want an error", c)
	}
	checkMessage(t, err.Error())
	return err.Error()
}

// checkMessage enforces the house style of error messages: one line, lower
// case start, no trailing period.
func checkMessage(t *testing.T, msg string) {
	t.Helper()
	if strings.ContainsAny(msg, "\n\r") {
		t.Errorf("message has several lines: %q", msg)
	}
	if msg == "" || unicode.IsUpper([]rune(msg)[0]) {
		t.Errorf("message does not start in lower case: %q", msg)
	}
	if strings.HasSuffix(msg, ".") {
		t.Errorf("message ends with a period: %q", msg)
	}
}

func wantContains(t *testing.T, got string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(got, s) {
			t.Errorf("%q does not contain %q", got, s)
		}
	}
}

func wantNotContains(t *testing.T, got string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if s != "" && strings.Contains(got, s) {
			t.Errorf("%q contains %q", got, s)
		}
	}
}
