package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "stripe-mcp-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "stripe-mcp")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("building the binary: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// env is a clean environment for the binary: nothing from the developer's
// shell leaks into the test.
func env(t *testing.T, kv ...string) []string {
	t.Helper()
	e := []string{"HOME=" + t.TempDir(), "STRIPE_MCP_DATA_DIR=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	return append(e, kv...)
}

// connect starts the binary over stdio with a real MCP client.
func connect(t *testing.T, environ []string, args ...string) (*mcp.ClientSession, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = environ
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	client := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connect: %v\nstderr:\n%s", err, stderr.String())
	}
	t.Cleanup(func() { cs.Close() })
	return cs, &stderr
}

func call(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) map[string]any {
	t.Helper()
	res := testutil.Call(t, cs, name, args)
	return testutil.Structured(t, res)
}

// TestCompletePaymentFlow runs the design article's "Complete Payment Flow"
// over stdio against the built binary and a stateful fake Stripe: customer →
// payment intent with manual capture → attach pm_card_visa as default →
// confirm → capture.
func TestCompletePaymentFlow(t *testing.T) {
	fake := testutil.NewFakeStripe()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	key := testutil.TestKey
	cs, stderr := connect(t, env(t, "STRIPE_API_KEY="+key, "STRIPE_API_BASE="+srv.URL))

	customer := call(t, cs, "stripe_create_customer", map[string]any{
		"email": "customer@example.com", "name": "John Doe", "phone": "+15555555555",
		"description": "New customer from MCP integration",
	})
	cusID := customer["id"].(string)
	if !strings.HasPrefix(cusID, "cus_") || customer["email"] != "customer@example.com" {
		t.Fatalf("customer: %v", customer)
	}

	pi := call(t, cs, "stripe_create_payment", map[string]any{
		"amount": 2500, "currency": "usd", "customerId": cusID,
		"description":  "Purchase of premium service",
		"metadata":     map[string]any{"orderId": "order_12345", "product": "premium-subscription"},
		"receiptEmail": "customer@example.com", "capture": false,
	})
	piID := pi["id"].(string)
	if pi["status"] != "requires_payment_method" || pi["captureMethod"] != "manual" || pi["amountDisplay"] != "$25.00" {
		t.Fatalf("payment: %v", pi)
	}

	pm := call(t, cs, "stripe_attach_payment_method", map[string]any{
		"customerId": cusID, "paymentMethodId": "pm_card_visa", "setAsDefault": true,
	})
	if pm["isDefault"] != true || pm["customerId"] != cusID {
		t.Fatalf("attach: %v", pm)
	}
	if def := fake.Object(cusID)["invoice_settings"].(map[string]any)["default_payment_method"]; def != pm["id"] {
		t.Fatalf("default payment method in Stripe is %v, want %v", def, pm["id"])
	}

	confirmed := call(t, cs, "stripe_confirm_payment", map[string]any{"paymentIntentId": piID, "paymentMethodId": "pm_card_visa"})
	if confirmed["status"] != "requires_capture" || confirmed["amountCapturable"] != float64(2500) {
		t.Fatalf("confirm: %v", confirmed)
	}

	captured := call(t, cs, "stripe_capture_payment", map[string]any{"paymentIntentId": piID, "amountToCapture": confirmed["amount"]})
	if captured["status"] != "succeeded" || captured["amountReceived"] != float64(2500) {
		t.Fatalf("capture: %v", captured)
	}
	if got := fake.Object(piID); got["status"] != "succeeded" {
		t.Fatalf("Stripe holds %v", got["status"])
	}

	// Reading it back gives the same state.
	got := call(t, cs, "stripe_get_payment", map[string]any{"paymentIntentId": piID})
	if got["status"] != "succeeded" || got["customerId"] != cusID {
		t.Fatalf("get: %v", got)
	}
	cs.Close()
	if strings.Contains(stderr.String(), key) {
		t.Fatal("the API key appeared on stderr")
	}
}

// TestDeclineOverStdio: a declined confirmation is an error result with the
// failure analysis, and the session goes on.
func TestDeclineOverStdio(t *testing.T) {
	fake := testutil.NewFakeStripe()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	cs, _ := connect(t, env(t, "STRIPE_API_KEY="+testutil.TestKey, "STRIPE_API_BASE="+srv.URL))
	pi := call(t, cs, "stripe_create_payment", map[string]any{"amount": 1000})
	res := testutil.Call(t, cs, "stripe_confirm_payment", map[string]any{"paymentIntentId": pi["id"], "paymentMethodId": "pm_card_chargeDeclinedInsufficientFunds"})
	if !res.IsError {
		t.Fatalf("decline is not an error result: %s", testutil.Text(res))
	}
	text := testutil.Text(res)
	for _, want := range []string{"declined", "insufficient_funds", "different payment method"} {
		if !strings.Contains(text, want) {
			t.Errorf("decline message lacks %q: %s", want, text)
		}
	}
	if strings.Contains(text, `{"`) {
		t.Errorf("decline message contains raw JSON: %s", text)
	}
	// The session is still usable.
	call(t, cs, "stripe_get_payment", map[string]any{"paymentIntentId": pi["id"]})
}

// rawSession drives the binary with hand-written lines.
type rawSession struct {
	t      *testing.T
	cmd    *exec.Cmd
	in     *os.File
	out    *bufio.Scanner
	stderr *bytes.Buffer
}

func startRaw(t *testing.T, environ []string, args ...string) *rawSession {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = environ
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 8<<20)
	r := &rawSession{t: t, cmd: cmd, out: sc, stderr: &stderr}
	r.in = stdin.(*os.File)
	return r
}

func (r *rawSession) send(line string) {
	r.t.Helper()
	if _, err := r.in.WriteString(line + "\n"); err != nil {
		r.t.Fatal(err)
	}
}

// read returns the next message on stdout; every line must be JSON-RPC.
func (r *rawSession) read() map[string]any {
	r.t.Helper()
	if !r.out.Scan() {
		r.t.Fatalf("stdout closed: %v\nstderr:\n%s", r.out.Err(), r.stderr)
	}
	var m map[string]any
	if err := json.Unmarshal(r.out.Bytes(), &m); err != nil || m["jsonrpc"] != "2.0" {
		r.t.Fatalf("stdout carried a non-JSON-RPC line: %q", r.out.Text())
	}
	return m
}

const initLine = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}`

// TestMalformedLines: a malformed line gets -32700 (or -32600 for JSON that
// is not JSON-RPC) and the session goes on; exit 0 when stdin closes.
func TestMalformedLines(t *testing.T) {
	r := startRaw(t, env(t), "--sandbox")
	r.send(initLine)
	if m := r.read(); m["id"] != float64(1) || m["result"] == nil {
		t.Fatalf("initialize: %v", m)
	}
	r.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	cases := []struct {
		line string
		code float64
	}{
		{`this is not json`, -32700},
		{`{"jsonrpc":"2.0","id":7,"method":`, -32700},
		{`{"id":8,"method":"tools/list"}`, -32600},
		{`[1,2,3]`, -32600},
		{`"just a string"`, -32600},
	}
	for _, c := range cases {
		r.send(c.line)
		m := r.read()
		e, _ := m["error"].(map[string]any)
		if e == nil || e["code"] != c.code {
			t.Errorf("%q: got %v, want error %v", c.line, m, c.code)
		}
	}
	r.send(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	m := r.read()
	if m["id"] != float64(2) || m["result"] == nil {
		t.Fatalf("tools/list after malformed lines: %v", m)
	}
	r.send(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"stripe_create_customer","arguments":{"email":"a@example.com"}}}`)
	m = r.read()
	if m["id"] != float64(3) {
		t.Fatalf("tools/call: %v", m)
	}
	r.in.Close()
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after stdin closed: %v\nstderr:\n%s", err, r.stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not exit when stdin closed")
	}
	if !strings.Contains(r.stderr.String(), "SANDBOX") {
		t.Errorf("sandbox banner missing from stderr: %s", r.stderr)
	}
}

// TestStartupRefusals: bad keys stop startup with one clear line on stderr
// and a non-zero exit, and the key is never printed whole.
func TestStartupRefusals(t *testing.T) {
	live := "sk_live_" + strings.Repeat("A1b2", 8)
	cases := []struct {
		name string
		env  []string
		want string
	}{
		{"publishable", []string{"STRIPE_API_KEY=pk_test_" + strings.Repeat("x", 30)}, "publishable"},
		{"malformed", []string{"STRIPE_API_KEY=sk_test_short"}, "sk_"},
		{"live without allowLive", []string{"STRIPE_API_KEY=" + live}, "STRIPE_ALLOW_LIVE"},
		{"missing", nil, "STRIPE_API_KEY"},
		{"bad api version", []string{"STRIPE_API_KEY=" + testutil.TestKey, "STRIPE_API_VERSION=2023-10-16"}, "2026-03-25.dahlia"},
		{"unknown toolset in the allow-list", []string{"STRIPE_API_KEY=" + testutil.TestKey, "STRIPE_ALLOWED_OPERATIONS=payments,paymnets"}, "paymnets"},
		{"unknown tool in the allow-list", []string{"STRIPE_API_KEY=" + testutil.TestKey, "STRIPE_ALLOWED_OPERATIONS=stripe_delete_account"}, "stripe_delete_account"},
		{"allow-list of a comma", []string{"STRIPE_API_KEY=" + testutil.TestKey, "STRIPE_ALLOWED_OPERATIONS=,"}, "STRIPE_ALLOWED_OPERATIONS \",\" names no toolset or tool"},
		{"allow-list of a space", []string{"STRIPE_API_KEY=" + testutil.TestKey, "STRIPE_ALLOWED_OPERATIONS= "}, "STRIPE_ALLOWED_OPERATIONS \"\" names no toolset or tool"},
		{"malformed amount cap", []string{"STRIPE_API_KEY=" + testutil.TestKey, "STRIPE_MAX_AMOUNT=ten dollars"}, "STRIPE_MAX_AMOUNT"},
		{"remote http base", []string{"STRIPE_API_KEY=" + testutil.TestKey, "STRIPE_API_BASE=http://example.com"}, "https"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(binary)
			cmd.Env = env(t, c.env...)
			cmd.Stdin = strings.NewReader("")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if err == nil {
				t.Fatal("startup was not refused")
			}
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], c.want) {
				t.Errorf("stderr = %q, want one line mentioning %q", stderr.String(), c.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
			for _, kv := range c.env {
				if v, ok := strings.CutPrefix(kv, "STRIPE_API_KEY="); ok && len(v) > 20 && strings.Contains(stderr.String(), v) {
					t.Errorf("stderr shows the whole key: %s", stderr.String())
				}
			}
		})
	}
	t.Run("live allowed", func(t *testing.T) {
		cmd := exec.Command(binary)
		cmd.Env = env(t, "STRIPE_API_KEY="+live, "STRIPE_ALLOW_LIVE=true")
		cmd.Stdin = strings.NewReader("")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("live key with allowLive: %v: %s", err, stderr.String())
		}
		if !strings.Contains(stderr.String(), "LIVE") || strings.Contains(stderr.String(), live) {
			t.Errorf("want a live warning with the key masked, got %q", stderr.String())
		}
	})
}

// TestDoctor covers a healthy configuration, a rejected key, an unreachable
// API and a broken config file.
func TestDoctor(t *testing.T) {
	fake := httptest.NewServer(testutil.NewFakeStripe())
	defer fake.Close()
	reject := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		w.Write([]byte(`{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: sk_test_****stuv"}}`))
	}))
	defer reject.Close()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + l.Addr().String()
	l.Close()
	live := "sk_live_" + strings.Repeat("Z9y8", 8)
	anyKey := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"id":"acct_live0001","object":"account","country":"US","charges_enabled":true}`))
	}))
	defer anyKey.Close()
	badFile := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(badFile, []byte(`{"security":{"maxAmt":5}}`), 0o600)

	cases := []struct {
		name   string
		env    []string
		args   []string
		exit   int
		output []string
	}{
		{"healthy", []string{"STRIPE_API_KEY=" + testutil.TestKey, "STRIPE_API_BASE=" + fake.URL}, nil, 0, []string{"acct_fake000001", "sk_test_…stuv", "test mode", "All checks passed"}},
		{"live allowed", []string{"STRIPE_API_KEY=" + live, "STRIPE_ALLOW_LIVE=true", "STRIPE_API_BASE=" + anyKey.URL}, nil, 0, []string{"LIVE mode", "sk_live_…"}},
		{"live refused", []string{"STRIPE_API_KEY=" + live, "STRIPE_API_BASE=" + anyKey.URL}, nil, 1, []string{"STRIPE_ALLOW_LIVE"}},
		{"sandbox", nil, []string{"--sandbox"}, 0, []string{"in-process stripe-mock answered", "All checks passed", string(filepath.Separator) + "sandbox\n"}},
		{"401", []string{"STRIPE_API_KEY=" + testutil.TestKey, "STRIPE_API_BASE=" + reject.URL}, nil, 1, []string{"401", "fix:", "dashboard.stripe.com/apikeys"}},
		{"unreachable", []string{"STRIPE_API_KEY=" + testutil.TestKey, "STRIPE_API_BASE=" + closed}, nil, 1, []string{"not reachable", "connection refused\n", "fix:"}},
		{"bad config", []string{"STRIPE_API_KEY=" + testutil.TestKey}, []string{"--config", badFile}, 1, []string{"maxAmt", "FAIL"}},
		// The server refuses to start on an allow-list naming no toolset or
		// tool: so does doctor.
		{"misspelt allow-list", []string{"STRIPE_ALLOWED_OPERATIONS=payments,stripe_get_paymnt"}, []string{"--sandbox"}, 1, []string{"stripe_get_paymnt", "FAIL", "STRIPE_ALLOWED_OPERATIONS"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(binary, append([]string{"doctor"}, c.args...)...)
			cmd.Env = env(t, c.env...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != c.exit {
				t.Errorf("exit %d, want %d\n%s", code, c.exit, out.String())
			}
			for _, want := range c.output {
				if !strings.Contains(out.String(), want) {
					t.Errorf("report lacks %q:\n%s", want, out.String())
				}
			}
			if strings.Contains(out.String(), testutil.TestKey) || strings.Contains(out.String(), live) {
				t.Errorf("report shows the whole key")
			}
			if strings.Contains(out.String(), "Request: GET") {
				t.Errorf("stripe-mock's request log leaked into the report")
			}
		})
	}
}

// TestSubscriptionManagementFlow runs the design article's "Subscription
// Management" flow over stdio: customer with a payment method →
// subscription with a trial → quantity 2 with proration → cancel at period
// end.
func TestSubscriptionManagementFlow(t *testing.T) {
	fake := testutil.NewFakeStripe()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	cs, _ := connect(t, env(t, "STRIPE_API_KEY="+testutil.TestKey, "STRIPE_API_BASE="+srv.URL))

	customer := call(t, cs, "stripe_create_customer", map[string]any{
		"email": "subscriber@example.com", "name": "Jane Doe", "paymentMethodId": "pm_card_visa",
	})
	cusID := customer["id"].(string)
	if customer["defaultPaymentMethodId"] == nil {
		t.Fatalf("customer has no default payment method: %v", customer)
	}

	sub := call(t, cs, "stripe_create_subscription", map[string]any{
		"customerId": cusID, "priceId": testutil.FakePriceID, "trialPeriodDays": 14,
		"metadata": map[string]any{"referralSource": "mcp_demo", "campaignId": "spring_2023"},
	})
	subID := sub["id"].(string)
	if sub["status"] != "trialing" || sub["trialEnd"] == nil || sub["currentPeriodEnd"] == nil {
		t.Fatalf("subscription: %v", sub)
	}
	trialEnd, err := time.Parse(time.RFC3339, sub["trialEnd"].(string))
	if err != nil || trialEnd.Sub(time.Now()) < 13*24*time.Hour || trialEnd.Sub(time.Now()) > 15*24*time.Hour {
		t.Fatalf("trial ends %v (%v), want in 14 days", sub["trialEnd"], err)
	}

	updated := call(t, cs, "stripe_update_subscription", map[string]any{"subscriptionId": subID, "quantity": 2, "proration": true})
	item := updated["items"].([]any)[0].(map[string]any)
	if item["quantity"] != float64(2) || item["amountDisplay"] != "$20.00/month" {
		t.Fatalf("update: %v", updated)
	}
	if got := fake.LastProration(); got != "create_prorations" {
		t.Fatalf("proration_behavior sent: %q", got)
	}

	canceled := call(t, cs, "stripe_cancel_subscription", map[string]any{"subscriptionId": subID, "cancelAtPeriodEnd": true})
	if canceled["cancelAtPeriodEnd"] != true || canceled["cancelAt"] != sub["currentPeriodEnd"] || canceled["status"] != "trialing" {
		t.Fatalf("cancel at period end: %v", canceled)
	}
	if got := fake.Object(subID); got["status"] != "trialing" || got["cancel_at_period_end"] != true {
		t.Fatalf("Stripe holds %v", got)
	}
}

// auditRows runs `stripe-mcp audit --json` on a data dir.
func auditRows(t *testing.T, environ []string, args ...string) []map[string]any {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"audit", "--json"}, args...)...)
	cmd.Env = environ
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("audit: %v: %s", err, stderr.String())
	}
	var rows []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		rows = append(rows, m)
	}
	return rows
}

// TestAuditSurvivesKill: a call that was answered is in the log, complete,
// even when the server is killed with SIGKILL right after answering; a call
// in flight when the server dies leaves its pending row.
func TestAuditSurvivesKill(t *testing.T) {
	fake := testutil.NewFakeStripe()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	environ := env(t, "STRIPE_API_KEY="+testutil.TestKey, "STRIPE_API_BASE="+srv.URL)

	r := startRaw(t, environ)
	r.send(initLine)
	r.read()
	r.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	r.send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"stripe_create_payment","arguments":{"amount":7700,"currency":"eur"}}}`)
	if m := r.read(); m["id"] != float64(2) {
		t.Fatalf("answer: %v", m)
	}
	r.cmd.Process.Kill() // SIGKILL, at once after the answer
	r.cmd.Wait()
	rows := auditRows(t, environ)
	if len(rows) != 1 || rows[0]["outcome"] != "ok" || rows[0]["finished"] == nil || rows[0]["amount"] != float64(7700) ||
		rows[0]["currency"] != "eur" || rows[0]["idempotencyKey"] == nil || rows[0]["stripeRequestIds"] == nil {
		t.Fatalf("after SIGKILL: %v", rows)
	}

	// A call in flight: Stripe has it, the server dies before answering.
	release := fake.Hold("/v1/refunds")
	defer release()
	r2 := startRaw(t, environ)
	r2.send(initLine)
	r2.read()
	r2.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	before := fake.RequestCount()
	r2.send(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"stripe_create_refund","arguments":{"paymentIntentId":"pi_123","amount":500}}}`)
	deadline := time.Now().Add(5 * time.Second)
	for fake.RequestCount() == before {
		if time.Now().After(deadline) {
			t.Fatal("the refund never reached Stripe")
		}
		time.Sleep(5 * time.Millisecond)
	}
	r2.cmd.Process.Kill()
	r2.cmd.Wait()
	rows = auditRows(t, environ, "--tool", "stripe_create_refund")
	if len(rows) != 1 || rows[0]["outcome"] != "pending" || rows[0]["finished"] != nil || rows[0]["amount"] != float64(500) {
		t.Fatalf("crash mid-call: %v", rows)
	}
}

// TestAuditCallWithoutArguments: a tools/call that leaves out arguments is
// recorded with none, {}, not as unparseable.
func TestAuditCallWithoutArguments(t *testing.T) {
	environ := env(t)
	r := startRaw(t, environ, "--sandbox")
	r.send(initLine)
	r.read()
	r.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	r.send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"stripe_get_balance"}}`)
	if m := r.read(); m["id"] != float64(2) || m["result"] == nil {
		t.Fatalf("answer: %v", m)
	}
	r.in.Close()
	r.cmd.Wait()
	rows := auditRows(t, environ, "--sandbox")
	if len(rows) != 1 {
		t.Fatalf("rows: %v", rows)
	}
	if args, ok := rows[0]["arguments"].(map[string]any); !ok || len(args) != 0 {
		t.Fatalf("arguments recorded as %v, want {}", rows[0]["arguments"])
	}
}

// TestRepeatAfterRestart: the same call made again by a restarted server
// carries the same idempotency key, so Stripe replays it: one customer.
func TestRepeatAfterRestart(t *testing.T) {
	fake := testutil.NewFakeStripe()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	environ := env(t, "STRIPE_API_KEY="+testutil.TestKey, "STRIPE_API_BASE="+srv.URL)
	args := map[string]any{"email": "restart@example.com", "name": "Re Start"}
	cs, _ := connect(t, environ)
	first := call(t, cs, "stripe_create_customer", args)
	cs.Close()
	cs2, _ := connect(t, environ)
	second := call(t, cs2, "stripe_create_customer", args)
	if second["replayed"] != true || second["id"] != first["id"] {
		t.Fatalf("after restart: %v (first %v)", second, first)
	}
	if n := fake.CountObjects("customer"); n != 1 {
		t.Fatalf("%d customers", n)
	}
	cs2.Close() // its journal is written out when it exits
	rows := auditRows(t, environ, "--limit", "1")
	if len(rows) != 1 || rows[0]["replayed"] != true {
		t.Fatalf("audit: %v", rows)
	}
}

// TestAuditCommand: the table, the filters and bad flags.
func TestAuditCommand(t *testing.T) {
	environ := env(t)
	cs, _ := connect(t, environ, "--sandbox")
	call(t, cs, "stripe_get_balance", map[string]any{})
	call(t, cs, "stripe_create_customer", map[string]any{"email": "x@example.com"})
	testutil.Call(t, cs, "stripe_create_payment", map[string]any{"amount": 0})
	cs.Close()
	all := auditRows(t, environ, "--sandbox")
	if len(all) != 3 || all[0]["outcome"] != "refused" || all[2]["tool"] != "stripe_get_balance" {
		t.Fatalf("rows: %v", all)
	}
	if rows := auditRows(t, environ, "--sandbox", "--tool", "stripe_create_customer"); len(rows) != 1 {
		t.Fatalf("--tool: %v", rows)
	}
	if rows := auditRows(t, environ, "--sandbox", "--limit", "2"); len(rows) != 2 {
		t.Fatalf("--limit: %v", rows)
	}
	// The real account's log is separate from the sandbox's.
	if rows := auditRows(t, environ); len(rows) != 0 {
		t.Fatalf("sandbox calls in the account's log: %v", rows)
	}
	cmd := exec.Command(binary, "audit", "--sandbox")
	cmd.Env = environ
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "TOOL") || !strings.Contains(string(out), "stripe_create_customer") {
		t.Fatalf("table: %v\n%s", err, out)
	}
	cmd = exec.Command(binary, "audit", "--limit", "0")
	cmd.Env = environ
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "--limit") {
		t.Fatalf("--limit 0: %v %s", err, out)
	}
}

// TestUnopenableStore: a data dir that cannot be opened refuses every call
// (nothing unrecorded reaches Stripe), and the session still ends cleanly,
// exit 0, when stdin closes.
func TestUnopenableStore(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r := startRaw(t, append(env(t), "STRIPE_MCP_DATA_DIR="+file), "--sandbox")
	r.send(initLine)
	if m := r.read(); m["result"] == nil {
		t.Fatalf("initialize: %v", m)
	}
	r.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	r.send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"stripe_create_customer","arguments":{"email":"a@example.com"}}}`)
	m := r.read()
	if res, _ := m["result"].(map[string]any); res == nil || res["isError"] != true || !strings.Contains(fmt.Sprint(res["content"]), "audit log could not be written") {
		t.Fatalf("a call without a store: %v", m)
	}
	r.in.Close()
	if err := r.cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\nstderr:\n%s", err, r.stderr)
	}
	if strings.Contains(r.stderr.String(), "panic") {
		t.Fatalf("stderr:\n%s", r.stderr)
	}
}

// TestSecondInitialize: a second initialize is an invalid request (-32600),
// not an error without a code, and the session goes on.
func TestSecondInitialize(t *testing.T) {
	r := startRaw(t, env(t), "--sandbox")
	r.send(initLine)
	if m := r.read(); m["result"] == nil {
		t.Fatalf("initialize: %v", m)
	}
	r.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	r.send(strings.Replace(initLine, `"id":1`, `"id":2`, 1))
	m := r.read()
	if e, _ := m["error"].(map[string]any); m["id"] != float64(2) || e == nil || e["code"] != float64(-32600) || !strings.Contains(fmt.Sprint(e["message"]), "initialize") {
		t.Fatalf("second initialize: %v", m)
	}
	r.send(`{"jsonrpc":"2.0","id":3,"method":"ping"}`)
	if m := r.read(); m["id"] != float64(3) || m["result"] == nil {
		t.Fatalf("ping after: %v", m)
	}
}
