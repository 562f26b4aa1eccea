package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	stripewebhook "github.com/stripe/stripe-go/v85/webhook"

	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

const whsec = "whsec_e2etestsecret0123456789abcdef"

// paymentEvent is a signed payment_intent event for pi.
func paymentEvent(id, typ, pi, status string) (body []byte, header string) {
	body = fmt.Appendf(nil, `{"id":%q,"object":"event","api_version":"2026-03-25.dahlia","created":%d,"livemode":false,"type":%q,`+
		`"data":{"object":{"id":%q,"object":"payment_intent","amount":2500,"currency":"usd","status":%q,"customer":"cus_E2E"}}}`,
		id, time.Now().Unix(), typ, pi, status)
	p := stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{Payload: body, Secret: whsec, Timestamp: time.Now()})
	return body, p.Header
}

// deliver posts a signed event and returns the status and body; edit, if
// given, changes the request first.
func deliver(t *testing.T, url string, body []byte, header string, edit ...func(*http.Request)) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if header != "" {
		req.Header.Set("Stripe-Signature", header)
	}
	for _, e := range edit {
		e(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// updates collects a client's notifications/resources/updated.
type updates chan string

func (u updates) options() *mcp.ClientOptions {
	return &mcp.ClientOptions{ResourceUpdatedHandler: func(_ context.Context, r *mcp.ResourceUpdatedNotificationRequest) {
		u <- r.Params.URI
	}}
}

// expect waits for uri, failing on any other URI first.
func (u updates) expect(t *testing.T, uri string) {
	t.Helper()
	select {
	case got := <-u:
		if got != uri {
			t.Fatalf("notified of %s, want %s", got, uri)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no notification for %s", uri)
	}
}

// none checks nothing arrives for a moment.
func (u updates) none(t *testing.T) {
	t.Helper()
	select {
	case got := <-u:
		t.Fatalf("unexpected notification for %s", got)
	case <-time.After(300 * time.Millisecond):
	}
}

// TestWebhooksOverStdio: `stripe-mcp --webhook-listen` receives signed
// events; the client subscribed to a payment intent is told when an event
// touches it, and not after unsubscribing; events are kept across restarts.
func TestWebhooksOverStdio(t *testing.T) {
	addr := freeAddr(t)
	environ := env(t, "STRIPE_MCP_SANDBOX=1", "STRIPE_WEBHOOK_SECRET="+whsec)
	u := make(updates, 16)
	cmd := exec.Command(binary, "--webhook-listen", addr)
	cmd.Env = environ
	var stderr testutil.SyncBuffer
	cmd.Stderr = &stderr
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1"}, u.options()).Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connect: %v\n%s", err, stderr.String())
	}
	url := "http://" + addr + "/webhooks/stripe"
	if err := cs.Subscribe(ctx, &mcp.SubscribeParams{URI: "stripe://payment_intents/pi_E2E"}); err != nil {
		t.Fatal(err)
	}
	// Unsigned and forged deliveries are refused and notify no one.
	if code, body := deliver(t, url, []byte(`{"id":"evt_x"}`), ""); code != 400 || !strings.Contains(body, "Stripe-Signature") {
		t.Fatalf("unsigned: %d %s", code, body)
	}
	body, header := paymentEvent("evt_E2E1", "payment_intent.succeeded", "pi_E2E", "succeeded")
	forged := bytes.Replace(body, []byte("2500"), []byte("9999"), 1)
	if code, _ := deliver(t, url, forged, header); code != 400 {
		t.Fatalf("forged: %d", code)
	}
	u.none(t)
	if code, out := deliver(t, url, body, header); code != 200 || !strings.Contains(out, `"received":true`) {
		t.Fatalf("valid: %d %s", code, out)
	}
	u.expect(t, "stripe://payment_intents/pi_E2E")
	// A duplicate is acknowledged and notifies no one again.
	if code, out := deliver(t, url, body, header); code != 200 || !strings.Contains(out, "duplicate") {
		t.Fatalf("duplicate: %d %s", code, out)
	}
	u.none(t)
	// Another payment intent: not subscribed, nothing.
	b2, h2 := paymentEvent("evt_E2E2", "payment_intent.created", "pi_OTHER", "requires_payment_method")
	if code, _ := deliver(t, url, b2, h2); code != 200 {
		t.Fatalf("second event: %d", code)
	}
	u.none(t)
	if err := cs.Unsubscribe(ctx, &mcp.UnsubscribeParams{URI: "stripe://payment_intents/pi_E2E"}); err != nil {
		t.Fatal(err)
	}
	// Under the current protocol unsubscribing cancels a listening request,
	// which the server learns a moment later: events keep coming until it
	// has, and then none.
	stopped := false
	for i := range 20 {
		b, h := paymentEvent(fmt.Sprintf("evt_E2EU%02d", i), "payment_intent.canceled", "pi_E2E", "canceled")
		if code, _ := deliver(t, url, b, h); code != 200 {
			t.Fatalf("event after unsubscribing: %d", code)
		}
		select {
		case <-u:
			continue
		case <-time.After(300 * time.Millisecond):
		}
		stopped = true
		break
	}
	if !stopped {
		t.Fatal("still notified after unsubscribing")
	}
	u.none(t)
	// The received events are listed, newest first.
	out := call(t, cs, "stripe_list_events", map[string]any{"objectId": "pi_E2E"})
	if got := ids(out); out["source"] != "received" || len(got) < 2 || got[len(got)-1] != "evt_E2E1" || !strings.HasPrefix(fmt.Sprint(got[0]), "evt_E2EU") {
		t.Fatalf("events: %v", out)
	}
	cs.Close()

	// After a restart (same data dir) the events are still there.
	cs2, _ := connect(t, environ)
	out = call(t, cs2, "stripe_list_events", map[string]any{"type": "payment_intent.*"})
	if got := fmt.Sprint(ids(out)); !strings.Contains(got, "evt_E2E1") || !strings.Contains(got, "evt_E2E2") {
		t.Fatalf("after restart: %v", out)
	}
	// The resource of a received event is read from the store.
	res, err := cs2.ReadResource(ctx, &mcp.ReadResourceParams{URI: "stripe://events/evt_E2E1"})
	if err != nil || len(res.Contents) != 1 || !strings.Contains(res.Contents[0].Text, `"pi_E2E"`) {
		t.Fatalf("event resource: %v %v", res, err)
	}
	if strings.Contains(stderr.String(), whsec) {
		t.Fatal("the webhook secret was logged")
	}
}

// TestWebhookListenChecksHostAndOrigin: the receiver of --webhook-listen
// refuses, as every HTTP endpoint does, a Host it does not answer to (DNS
// rebinding) and a browser Origin that is not allowed, before the event is
// looked at: the same signed event sent as it should be is then received,
// not taken for a duplicate.
func TestWebhookListenChecksHostAndOrigin(t *testing.T) {
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	r := startRaw(t, env(t, "STRIPE_WEBHOOK_SECRET="+whsec), "--sandbox", "--webhook-listen", addr)
	r.send(initLine)
	if m := r.read(); m["result"] == nil {
		t.Fatalf("initialize: %v", m)
	}
	body, header := paymentEvent("evt_HOST1", "payment_intent.succeeded", "pi_HOST", "succeeded")
	send := func(host, origin string) (int, string) {
		t.Helper()
		return deliver(t, "http://"+addr+"/webhooks/stripe", body, header, func(req *http.Request) {
			if host != "" {
				req.Host = host
			}
			if origin != "" {
				req.Header.Set("Origin", origin)
			}
		})
	}
	for _, c := range []struct{ host, origin string }{
		{"evil.com", ""},
		{"evil.com:" + port, ""},
		{"127.0.0.1:1", ""},
		{"", "https://evil.example"},
	} {
		if code, out := send(c.host, c.origin); code != http.StatusForbidden || !strings.Contains(out, "not allowed") {
			t.Errorf("Host %q, Origin %q: %d %s, want 403", c.host, c.origin, code, out)
		}
	}
	if code, out := send("localhost:"+port, ""); code != 200 || !strings.Contains(out, `"received":true`) || strings.Contains(out, "duplicate") {
		t.Fatalf("delivery to localhost:%s: %d %s, want it received for the first time", port, code, out)
	}
}

func ids(out map[string]any) []any {
	data, _ := out["data"].([]any)
	var got []any
	for _, d := range data {
		if m, ok := d.(map[string]any); ok {
			got = append(got, m["id"])
		}
	}
	return got
}

// TestWebhooksOverHTTP: on `stripe-mcp http`, /webhooks/stripe needs no
// bearer token (the signature is the proof), and a subscribed /mcp client is
// notified while an unsubscribed one is not; without a secret, 503.
func TestWebhooksOverHTTP(t *testing.T) {
	const token = "e2e-token-0123456789abcdef"
	environ := env(t, "STRIPE_MCP_SANDBOX=1", "STRIPE_WEBHOOK_SECRET="+whsec, "STRIPE_MCP_AUTH_TOKEN="+token)
	p := startHTTP(t, environ, "http", "--listen", "127.0.0.1:0")
	subscribed, quiet := make(updates, 16), make(updates, 16)
	a := connectHTTPWith(t, p.url, token, subscribed.options())
	logs := make(chan *mcp.LoggingMessageParams, 16)
	qo := quiet.options()
	qo.LoggingMessageHandler = func(_ context.Context, r *mcp.LoggingMessageRequest) { logs <- r.Params }
	b := connectHTTPWith(t, p.url, token, qo)
	ctx := context.Background()
	if err := a.Subscribe(ctx, &mcp.SubscribeParams{URI: "stripe://events"}); err != nil {
		t.Fatal(err)
	}
	if err := b.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: "info"}); err != nil {
		t.Fatal(err)
	}
	body, header := paymentEvent("evt_H1", "payment_intent.payment_failed", "pi_H1", "requires_payment_method")
	if code, out := deliver(t, p.url+"/webhooks/stripe", body, header); code != 200 {
		t.Fatalf("delivery: %d %s", code, out)
	}
	subscribed.expect(t, "stripe://events")
	quiet.none(t)
	subscribed.none(t) // one event, one notification for the URI subscribed
	// The client that asked for logs is told of the event at info level.
	select {
	case l := <-logs:
		data, _ := l.Data.(map[string]any)
		if l.Level != "info" || data["event"] != "evt_H1" || data["type"] != "payment_intent.payment_failed" || data["object"] != "pi_H1" {
			t.Fatalf("log message: %+v", l)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no log message for the event")
	}

	// Without a signing secret every delivery is refused.
	p2 := startHTTP(t, env(t, "STRIPE_MCP_SANDBOX=1", "STRIPE_MCP_AUTH_TOKEN="+token), "http", "--listen", "127.0.0.1:0")
	if code, out := deliver(t, p2.url+"/webhooks/stripe", body, header); code != 503 || !strings.Contains(out, "STRIPE_WEBHOOK_SECRET") {
		t.Fatalf("no secret: %d %s", code, out)
	}
}

// TestStatelessSubscribe: a --stateless server refuses resources/subscribe
// with the reason (there is no session to notify).
func TestStatelessSubscribe(t *testing.T) {
	const token = "e2e-token-0123456789abcdef"
	p := startHTTP(t, env(t, "STRIPE_MCP_SANDBOX=1", "STRIPE_MCP_AUTH_TOKEN="+token), "http", "--listen", "127.0.0.1:0", "--stateless")
	req, _ := http.NewRequest(http.MethodPost, p.url+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":2,"method":"resources/subscribe","params":{"uri":"stripe://events"}}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-06-18")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), `"error"`) || !strings.Contains(string(body), "--stateless") {
		t.Fatalf("subscribe on a stateless server: %s", body)
	}
}
