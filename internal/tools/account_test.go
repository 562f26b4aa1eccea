package tools_test

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stripe/stripe-go/v85"

	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

func TestGetAccount(t *testing.T) {
	cs, rec := connectStripeMock(t, defaultOptions())
	out := testutil.Structured(t, testutil.Call(t, cs, "stripe_get_account", map[string]any{}))
	raw := rawOf(t, testutil.Call(t, cs, "stripe_get_account", map[string]any{"full": true}), "account")
	checkWire(t, rec.Requests(),
		wire{method: "GET", path: "/v1/account", absent: []string{"full"}},
		wire{method: "GET", path: "/v1/account", absent: []string{"full"}})

	if id := fieldOf[string](t, out, "id"); !strings.HasPrefix(id, "acct_") {
		t.Errorf("id = %q, want acct_…", id)
	}
	for compact, rawKey := range map[string]string{
		"chargesEnabled": "charges_enabled", "payoutsEnabled": "payouts_enabled", "detailsSubmitted": "details_submitted",
		"country": "country", "defaultCurrency": "default_currency", "email": "email", "type": "type",
	} {
		if out[compact] != raw[rawKey] {
			t.Errorf("%s = %v, raw %s = %v", compact, out[compact], rawKey, raw[rawKey])
		}
	}
	// Whether or not they are true, the flags are always shown.
	for _, k := range []string{"chargesEnabled", "payoutsEnabled", "detailsSubmitted"} {
		fieldOf[bool](t, out, k)
	}
	if _, ok := out["object"]; ok {
		t.Errorf("compact result carries Stripe's object field: %v", out)
	}
}

// TestGetAccountName checks where the business name comes from: the business
// profile, else the dashboard's display name.
func TestGetAccountName(t *testing.T) {
	bodies := map[string]string{
		"profile":   `{"id":"acct_1","object":"account","charges_enabled":true,"payouts_enabled":true,"details_submitted":true,"business_profile":{"name":"Rocket Rides"},"settings":{"dashboard":{"display_name":"RR"}}}`,
		"dashboard": `{"id":"acct_1","object":"account","charges_enabled":true,"payouts_enabled":false,"details_submitted":true,"business_profile":{"name":null},"settings":{"dashboard":{"display_name":"RR"}}}`,
	}
	want := map[string]string{"profile": "Rocket Rides", "dashboard": "RR"}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cs, rec := connectFake(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, body)
			}))
			out := testutil.Structured(t, testutil.Call(t, cs, "stripe_get_account", nil))
			checkWire(t, rec.Requests(), wire{method: "GET", path: "/v1/account"})
			if out["businessName"] != want[name] || out["chargesEnabled"] != true {
				t.Errorf("got %v, want businessName %s and chargesEnabled", out, want[name])
			}
			if name == "dashboard" && out["payoutsEnabled"] != false {
				t.Errorf("payoutsEnabled = %v, want false shown", out["payoutsEnabled"])
			}
		})
	}
}

// diagnosisOf reads a diagnosis: a successful tool result whatever it found,
// which never shows the key.
func diagnosisOf(t *testing.T, res *mcp.CallToolResult) map[string]any {
	t.Helper()
	if res.IsError {
		t.Fatalf("diagnosis is an error result: %s", testutil.Text(res))
	}
	text := testutil.Text(res)
	// The key in full, or its secret part.
	for _, secret := range []string{testutil.TestKey, strings.TrimPrefix(testutil.TestKey, "sk_test_")} {
		if strings.Contains(text, secret) {
			t.Errorf("diagnosis shows the key: %s", text)
		}
	}
	out := testutil.Structured(t, res)
	if fieldOf[float64](t, out, "latencyMs") < 0 {
		t.Errorf("latencyMs = %v", out["latencyMs"])
	}
	if fieldOf[string](t, out, "message") == "" {
		t.Error("no message")
	}
	return out
}

func TestDiagnoseConnection(t *testing.T) {
	cs, rec := connectStripeMock(t, defaultOptions())
	out := diagnosisOf(t, testutil.Call(t, cs, "stripe_diagnose_connection", map[string]any{}))
	checkWire(t, rec.Requests(), wire{method: "GET", path: "/v1/account"})
	if !fieldOf[bool](t, out, "success") {
		t.Fatalf("success false: %v", out)
	}
	if id := fieldOf[string](t, out, "accountId"); !strings.HasPrefix(id, "acct_") {
		t.Errorf("accountId = %q", id)
	}
	if got := fieldOf[string](t, out, "apiVersion"); got != stripe.APIVersion {
		t.Errorf("apiVersion = %q, want %s", got, stripe.APIVersion)
	}
	if got := fieldOf[string](t, out, "keyMode"); got != "test" {
		t.Errorf("keyMode = %q, want test", got)
	}
	for _, k := range []string{"problem", "fix"} {
		if _, ok := out[k]; ok {
			t.Errorf("%s on success: %v", k, out[k])
		}
	}
	// Its only argument-free input refuses arguments it does not take.
	refusedUnsent(t, cs, rec, "stripe_diagnose_connection", map[string]any{"apiKey": testutil.TestKey}, "apiKey")
}

func TestDiagnoseConnectionFailures(t *testing.T) {
	tests := []struct {
		name    string
		handler http.Handler
		problem string
		fix     []string // the fix contains each
	}{
		{
			name: "401",
			handler: stripeErrorServer(http.StatusUnauthorized,
				`{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: `+testutil.TestKey+`"}}`),
			problem: "authentication",
			fix:     []string{"dashboard.stripe.com/apikeys", "STRIPE_API_KEY"},
		},
		{
			name: "403",
			handler: stripeErrorServer(http.StatusForbidden,
				`{"error":{"type":"invalid_request_error","code":"secret_key_required","message":"The provided key 'rk_test_abc***xyz' does not have the required permissions for this endpoint"}}`),
			problem: "permission",
			fix:     []string{"restricted key", "Account"},
		},
		{
			name: "connected account the key may not act on",
			handler: stripeErrorServer(http.StatusBadRequest,
				`{"error":{"type":"invalid_request_error","message":"The provided key does not have access to account 'acct_x'"}}`),
			problem: "invalid_request",
			fix:     []string{"STRIPE_ACCOUNT"},
		},
		{
			name: "account_invalid, answered 401",
			handler: stripeErrorServer(http.StatusUnauthorized,
				`{"error":{"type":"invalid_request_error","code":"account_invalid","message":"The provided key does not have access to account 'acct_x' (or that account does not exist). Application access may have been revoked."}}`),
			problem: "account",
			fix:     []string{"STRIPE_ACCOUNT", "connected account"},
		},
		{
			name: "account_invalid, answered 403",
			handler: stripeErrorServer(http.StatusForbidden,
				`{"error":{"type":"invalid_request_error","code":"account_invalid","message":"The provided key does not have access to account 'acct_x'."}}`),
			problem: "account",
			fix:     []string{"STRIPE_ACCOUNT"},
		},
		{
			name: "rate limited",
			handler: stripeErrorServer(http.StatusTooManyRequests,
				`{"error":{"type":"invalid_request_error","code":"rate_limit","message":"Too many requests hit the API too quickly."}}`),
			problem: "rate_limit",
			fix:     []string{"Wait", "retry"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs, rec := connectFake(t, tt.handler)
			out := diagnosisOf(t, testutil.Call(t, cs, "stripe_diagnose_connection", nil))
			if fieldOf[bool](t, out, "success") {
				t.Fatalf("success true: %v", out)
			}
			if got := fieldOf[string](t, out, "problem"); got != tt.problem {
				t.Errorf("problem = %q, want %q", got, tt.problem)
			}
			fix := fieldOf[string](t, out, "fix")
			for _, s := range tt.fix {
				if !strings.Contains(fix, s) {
					t.Errorf("fix %q does not mention %q", fix, s)
				}
			}
			if fieldOf[string](t, out, "details") == "" {
				t.Error("no details")
			}
			if _, ok := out["accountId"]; ok {
				t.Errorf("accountId on failure: %v", out["accountId"])
			}
			if out["keyMode"] != "test" || out["apiVersion"] != stripe.APIVersion {
				t.Errorf("keyMode %v, apiVersion %v", out["keyMode"], out["apiVersion"])
			}
			if rec.Count() == 0 {
				t.Error("nothing reached the fake")
			}
			for _, r := range rec.Requests() {
				if r.Method != "GET" || r.Path != "/v1/account" {
					t.Errorf("diagnosis sent %s %s", r.Method, r.Path)
				}
			}
		})
	}

	t.Run("closed port", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		base := "http://" + l.Addr().String()
		l.Close()
		o := defaultOptions()
		o.Stripe = testutil.Client(t, base)
		cs := testutil.Connect(t, o)
		out := diagnosisOf(t, testutil.Call(t, cs, "stripe_diagnose_connection", nil))
		if fieldOf[bool](t, out, "success") {
			t.Fatalf("success true: %v", out)
		}
		if got := fieldOf[string](t, out, "problem"); got != "connection" {
			t.Errorf("problem = %q, want connection", got)
		}
		if fix := fieldOf[string](t, out, "fix"); !strings.Contains(fix, "network") {
			t.Errorf("fix %q does not mention the network", fix)
		}
		if got := fieldOf[string](t, out, "apiBase"); got != base {
			t.Errorf("apiBase = %q, want %s", got, base)
		}
	})
}
