package webhook_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	stripewebhook "github.com/stripe/stripe-go/v85/webhook"

	"github.com/stripe-mcp/stripe-mcp/internal/store"
	"github.com/stripe-mcp/stripe-mcp/internal/stripeapi"
	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
	"github.com/stripe-mcp/stripe-mcp/internal/webhook"
)

const (
	secret      = "whsec_test_secret_aaaaaaaaaaaaaaaaaaaa"
	otherSecret = "whsec_test_secret_bbbbbbbbbbbbbbbbbbbb"
)

// now is far from the real clock, so a test passes only if the receiver
// judges timestamps by Receiver.Now.
var now = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

type harness struct {
	r     *webhook.Receiver
	store store.Store
	logs  *testutil.SyncBuffer

	mu       sync.Mutex
	notified []string
}

func newHarness(t *testing.T, secrets ...string) *harness {
	t.Helper()
	return newHarnessWith(t, testutil.OpenStore(t), secrets...)
}

func newHarnessWith(t *testing.T, st store.Store, secrets ...string) *harness {
	t.Helper()
	h := &harness{store: st, logs: &testutil.SyncBuffer{}}
	h.r = &webhook.Receiver{
		Secrets: secrets,
		Store:   st,
		Logger:  slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:     func() time.Time { return now },
		Notify: func(ctx context.Context, e *store.Event) {
			// The event is stored before anyone is told about it.
			if _, err := st.Event(ctx, e.ID); err != nil {
				t.Errorf("notified of %s before it was stored: %v", e.ID, err)
			}
			h.mu.Lock()
			h.notified = append(h.notified, e.ID)
			h.mu.Unlock()
		},
	}
	return h
}

func (h *harness) notifications() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.notified)
}

// event is a Stripe event's JSON.
func event(id, typ string, created time.Time, object map[string]any, extra ...any) []byte {
	e := map[string]any{
		"id":               id,
		"object":           "event",
		"type":             typ,
		"created":          created.Unix(),
		"api_version":      "2025-03-31.basil",
		"livemode":         false,
		"pending_webhooks": 1,
		"request":          map[string]any{"id": nil, "idempotency_key": nil},
		"data":             map[string]any{"object": object},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		e[extra[i].(string)] = extra[i+1]
	}
	b, err := json.Marshal(e)
	if err != nil {
		panic(err)
	}
	return b
}

func sign(body []byte, secret string, at time.Time) string {
	return stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: at}).Header
}

func post(h http.Handler, body []byte, header string) *httptest.ResponseRecorder {
	return send(h, http.MethodPost, body, header, "application/json; charset=utf-8")
}

func send(h http.Handler, method string, body []byte, header, contentType string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "/webhooks/stripe", bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if header != "" {
		req.Header.Set("Stripe-Signature", header)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func pi(id string) map[string]any {
	return map[string]any{"id": id, "object": "payment_intent", "amount": 2000, "currency": "usd", "status": "succeeded", "customer": "cus_A"}
}

func wantStatus(t *testing.T, rec *httptest.ResponseRecorder, status int, bodyContains string) {
	t.Helper()
	if rec.Code != status || !strings.Contains(rec.Body.String(), bodyContains) {
		t.Fatalf("answer %d %q; want %d containing %q", rec.Code, rec.Body.String(), status, bodyContains)
	}
}

func countEvents(t *testing.T, st store.Store) int {
	t.Helper()
	evs, err := st.Events(context.Background(), store.EventQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

func TestValidEventIsStored(t *testing.T) {
	h := newHarness(t, secret)
	h.r.Account, h.r.Live = "acct_9", true // a live server acting for acct_9
	created := now.Add(-time.Minute)
	obj := map[string]any{
		"id": "pi_1", "object": "payment_intent", "amount": 2000, "currency": "usd", "status": "succeeded",
		"customer":       map[string]any{"id": "cus_1", "object": "customer", "email": "jenny@example.com"},
		"invoice":        "in_1",
		"latest_charge":  map[string]any{"id": "ch_1", "object": "charge"},
		"payment_intent": "pi_1", // the object itself again: not repeated
		"subscription":   "",     // empty: skipped
		"charge":         nil,
	}
	body := event("evt_1", "payment_intent.succeeded", created, obj, "account", "acct_9", "livemode", true)
	rec := post(h.r, body, sign(body, secret, now))
	wantStatus(t, rec, http.StatusOK, "")
	if got := rec.Body.String(); got != `{"received":true}` {
		t.Errorf("body %s", got)
	}

	e, err := h.store.Event(context.Background(), "evt_1")
	if err != nil {
		t.Fatal(err)
	}
	if e.Type != "payment_intent.succeeded" || !e.Created.Equal(created) || !e.Received.Equal(now) ||
		e.APIVersion != "2025-03-31.basil" || !e.Livemode || e.Account != "acct_9" || e.ObjectID != "pi_1" {
		t.Errorf("stored %+v", e)
	}
	if want := []string{"pi_1", "cus_1", "in_1", "ch_1"}; !slices.Equal(e.ObjectIDs, want) {
		t.Errorf("object ids %v; want %v", e.ObjectIDs, want)
	}
	if !bytes.Equal(e.Payload, body) {
		t.Errorf("payload not stored as received")
	}
	if got := h.notifications(); !slices.Equal(got, []string{"evt_1"}) {
		t.Errorf("notified %v", got)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "webhook event") || !strings.Contains(logs, "evt_1") || !strings.Contains(logs, "payment_intent.succeeded") {
		t.Errorf("log lacks the event: %s", logs)
	}
	if strings.Contains(logs, "jenny@example.com") {
		t.Errorf("log holds the payload: %s", logs)
	}
}

// TestSignatures covers every way a signature is accepted or refused.
func TestSignatures(t *testing.T) {
	body := event("evt_sig", "customer.created", now, map[string]any{"id": "cus_1", "object": "customer"})
	good := sign(body, secret, now)
	forgedSig := hex.EncodeToString(stripewebhook.ComputeSignature(now, body, otherSecret))
	goodSig := hex.EncodeToString(stripewebhook.ComputeSignature(now, body, secret))
	ts := fmt.Sprintf("t=%d", now.Unix())
	tests := []struct {
		name    string
		secrets []string
		header  string
		status  int
		reason  string
	}{
		{"valid", []string{secret}, good, 200, "received"},
		{"forged", []string{secret}, sign(body, otherSecret, now), 400, "no valid signature"},
		{"body changed", []string{secret}, sign([]byte(strings.Replace(string(body), "cus_1", "cus_2", 1)), secret, now), 400, "no valid signature"},
		{"stale", []string{secret}, sign(body, secret, now.Add(-301*time.Second)), 400, "300 s"},
		{"future", []string{secret}, sign(body, secret, now.Add(301*time.Second)), 400, "300 s"},
		{"just old enough", []string{secret}, sign(body, secret, now.Add(-299*time.Second)), 200, "received"},
		{"just early enough", []string{secret}, sign(body, secret, now.Add(299*time.Second)), 200, "received"},
		{"missing header", []string{secret}, "", 400, "missing Stripe-Signature"},
		{"malformed: garbage", []string{secret}, "garbage", 400, "malformed"},
		{"malformed: no timestamp", []string{secret}, "v1=" + goodSig, 400, "malformed"},
		{"malformed: bad timestamp", []string{secret}, "t=soon,v1=" + goodSig, 400, "malformed"},
		{"malformed: no v1", []string{secret}, ts + ",v0=" + goodSig, 400, "malformed"},
		{"malformed: two timestamps", []string{secret}, ts + "," + ts + ",v1=" + goodSig, 400, "malformed"},
		{"v1 not hex", []string{secret}, ts + ",v1=zz", 400, "no valid signature"},
		{"rotated: second secret", []string{otherSecret, secret}, good, 200, "received"},
		{"rotated: neither secret", []string{otherSecret, "whsec_third"}, sign(body, "whsec_fourth", now), 400, "no valid signature"},
		{"two v1, second valid", []string{secret}, ts + ",v1=" + forgedSig + ",v1=" + goodSig, 200, "received"},
		{"two v1, first valid", []string{secret}, ts + ",v1=" + goodSig + ",v1=" + forgedSig, 200, "received"},
		{"v0 and unknown keys ignored", []string{secret}, ts + ",v0=abc,x=1,v1=" + goodSig, 200, "received"},
		{"empty secrets ignored", []string{"", secret}, good, 200, "received"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.secrets...)
			rec := post(h.r, body, tt.header)
			wantStatus(t, rec, tt.status, tt.reason)
			answer := rec.Body.String()
			for _, s := range append(slices.Clone(tt.secrets), goodSig, forgedSig, secret, otherSecret) {
				if s != "" && strings.Contains(answer, s) {
					t.Errorf("answer %q echoes a secret or signature", answer)
				}
			}
			_, err := h.store.Event(context.Background(), "evt_sig")
			if stored := err == nil; stored != (tt.status == 200) {
				t.Errorf("stored = %v (err %v) for status %d", stored, err, tt.status)
			}
			if n := len(h.notifications()); n != 0 && tt.status != 200 {
				t.Errorf("notified %d times for a refused event", n)
			}
		})
	}
}

func TestDuplicateIsStoredAndNotifiedOnce(t *testing.T) {
	h := newHarness(t, secret)
	body := event("evt_dup", "payment_intent.succeeded", now, pi("pi_dup"))
	first := post(h.r, body, sign(body, secret, now))
	wantStatus(t, first, 200, "")
	// Stripe retries with a fresh signature and timestamp.
	second := post(h.r, body, sign(body, secret, now.Add(time.Minute)))
	wantStatus(t, second, 200, "")
	if got := second.Body.String(); got != `{"received":true,"duplicate":true}` {
		t.Errorf("second answer %s", got)
	}
	if n := countEvents(t, h.store); n != 1 {
		t.Errorf("%d events stored", n)
	}
	if got := h.notifications(); !slices.Equal(got, []string{"evt_dup"}) {
		t.Errorf("notified %v", got)
	}
}

func TestRequestChecks(t *testing.T) {
	body := event("evt_req", "customer.created", now, map[string]any{"id": "cus_1", "object": "customer"})
	header := sign(body, secret, now)

	t.Run("wrong method", func(t *testing.T) {
		h := newHarness(t, secret)
		for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodHead} {
			rec := send(h.r, m, body, header, "application/json")
			if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "POST" {
				t.Errorf("%s: %d, Allow %q", m, rec.Code, rec.Header().Get("Allow"))
			}
		}
		if n := countEvents(t, h.store); n != 0 {
			t.Errorf("%d events stored", n)
		}
	})
	t.Run("no secret", func(t *testing.T) {
		for _, secrets := range [][]string{nil, {""}, {"  "}} {
			h := newHarness(t, secrets...)
			rec := post(h.r, body, header)
			wantStatus(t, rec, http.StatusServiceUnavailable, "STRIPE_WEBHOOK_SECRET")
			wantStatus(t, rec, http.StatusServiceUnavailable, "api.webhookSecret")
			if n := countEvents(t, h.store); n != 0 {
				t.Errorf("%d events stored", n)
			}
		}
	})
	t.Run("content type", func(t *testing.T) {
		h := newHarness(t, secret)
		for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "application/jsonx", "application/json; charset"} {
			rec := send(h.r, http.MethodPost, body, header, ct)
			wantStatus(t, rec, http.StatusUnsupportedMediaType, "application/json")
		}
		if n := countEvents(t, h.store); n != 0 {
			t.Errorf("%d events stored", n)
		}
		for _, ct := range []string{"application/json", "Application/JSON; charset=UTF-8"} {
			h := newHarness(t, secret)
			wantStatus(t, send(h.r, http.MethodPost, body, header, ct), 200, "received")
		}
	})
	t.Run("huge body", func(t *testing.T) {
		h := newHarness(t, secret)
		big := event("evt_big", "customer.created", now, map[string]any{"id": "cus_1", "object": "customer", "description": strings.Repeat("x", 600<<10)})
		wantStatus(t, post(h.r, big, sign(big, secret, now)), http.StatusRequestEntityTooLarge, "larger than")

		h.r.MaxBody = 100
		wantStatus(t, post(h.r, body, header), http.StatusRequestEntityTooLarge, "larger than 100 bytes")
		h.r.MaxBody = int64(len(body))
		wantStatus(t, post(h.r, body, header), 200, "received")
		if n := countEvents(t, h.store); n != 1 {
			t.Errorf("%d events stored", n)
		}
	})
}

func TestAnyAPIVersionIsAccepted(t *testing.T) {
	h := newHarness(t, secret)
	for i, v := range []string{"2020-08-27", "2026-03-25.dahlia", "2025-03-31.basil", "2024-09-30.acacia"} {
		id := fmt.Sprintf("evt_v%d", i)
		body := event(id, "payment_intent.succeeded", now, pi("pi_v"), "api_version", v)
		wantStatus(t, post(h.r, body, sign(body, secret, now)), 200, "received")
		e, err := h.store.Event(context.Background(), id)
		if err != nil || e.APIVersion != v {
			t.Errorf("%s: stored %q, %v", v, e.APIVersion, err)
		}
	}
}

func TestNotAnEvent(t *testing.T) {
	h := newHarness(t, secret)
	tests := []struct{ name, body, reason string }{
		{"not JSON", `{"id": "evt_1",`, "invalid JSON"},
		{"array", `[1, 2]`, "want a JSON object"},
		{"null", `null`, "evt_"},
		{"no id", `{"object":"event","type":"x.y","created":1,"data":{"object":{"id":"x"}}}`, "evt_"},
		{"wrong id", `{"id":"ch_1","object":"event","type":"x.y","created":1,"data":{"object":{"id":"x"}}}`, "evt_"},
		{"id not a string", `{"id":5,"type":"x.y","created":1,"data":{"object":{"id":"x"}}}`, "id has the wrong type"},
		{"no type", `{"id":"evt_1","object":"event","created":1,"data":{"object":{"id":"x"}}}`, "type"},
		{"no created", `{"id":"evt_1","object":"event","type":"x.y","data":{"object":{"id":"x"}}}`, "created"},
		{"created a string", `{"id":"evt_1","object":"event","type":"x.y","created":"2024-01-01T00:00:00Z","data":{"object":{"id":"x"}}}`, "created"},
		{"no data", `{"id":"evt_1","object":"event","type":"x.y","created":1}`, "data"},
		{"data.object null", `{"id":"evt_1","object":"event","type":"x.y","created":1,"data":{"object":null}}`, "data.object"},
		{"data.object a string", `{"id":"evt_1","object":"event","type":"x.y","created":1,"data":{"object":"pi_1"}}`, "data.object"},
		{"data.object.id a number", `{"id":"evt_1","object":"event","type":"x.y","created":1,"data":{"object":{"id":1}}}`, "data.object.id"},
		{"thin event", `{"id":"evt_1","object":"v2.core.event","type":"x.y","created":1,"data":{"object":{"id":"x"}}}`, "thin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := post(h.r, []byte(tt.body), sign([]byte(tt.body), secret, now))
			wantStatus(t, rec, http.StatusBadRequest, tt.reason)
		})
	}
	if n := countEvents(t, h.store); n != 0 {
		t.Errorf("%d events stored", n)
	}

	// An event whose object has no id (balance.available) is stored.
	body := event("evt_bal", "balance.available", now, map[string]any{"object": "balance", "available": []any{}})
	wantStatus(t, post(h.r, body, sign(body, secret, now)), 200, "received")
	if e, err := h.store.Event(context.Background(), "evt_bal"); err != nil || e.ObjectID != "" || len(e.ObjectIDs) != 0 {
		t.Errorf("stored %+v, %v", e, err)
	}
}

func deliver(t *testing.T, h *harness, id, typ string, created time.Time, obj map[string]any) {
	t.Helper()
	body := event(id, typ, created, obj)
	wantStatus(t, post(h.r, body, sign(body, secret, now)), 200, "received")
}

func view(t *testing.T, st store.Store, id string) store.View {
	t.Helper()
	v, err := st.View(context.Background(), id)
	if err != nil {
		t.Fatalf("view of %s: %v", id, err)
	}
	return v
}

func TestViews(t *testing.T) {
	created := now.Add(-time.Hour).Truncate(time.Second)

	t.Run("payment intent failed", func(t *testing.T) {
		h := newHarness(t, secret)
		deliver(t, h, "evt_pf", "payment_intent.payment_failed", created, map[string]any{
			"id": "pi_f", "object": "payment_intent", "amount": 4200, "currency": "eur", "status": "requires_payment_method",
			"customer": "cus_f",
			"last_payment_error": map[string]any{
				"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds",
				"message": "Your card has insufficient funds.",
			},
		})
		v := view(t, h.store, "pi_f")
		if v.Object != "payment_intent" || v.Status != "requires_payment_method" || v.Amount != 4200 || v.Currency != "eur" ||
			v.Customer != "cus_f" || v.EventID != "evt_pf" || v.EventType != "payment_intent.payment_failed" || !v.Updated.Equal(created) {
			t.Errorf("view %+v", v)
		}
		for _, s := range []string{"Your card has insufficient funds.", "card_declined", "insufficient_funds"} {
			if !strings.Contains(v.LastError, s) {
				t.Errorf("last error %q lacks %q", v.LastError, s)
			}
		}
		var a stripeapi.FailureAnalysis
		if err := json.Unmarshal([]byte(v.Analysis), &a); err != nil {
			t.Fatalf("analysis %q: %v", v.Analysis, err)
		}
		if want := stripeapi.AnalyzeFailure("insufficient_funds", "card_declined", "card_error"); a != want {
			t.Errorf("analysis %+v; want %+v", a, want)
		}

		// It succeeds later: the newer view has no error left.
		deliver(t, h, "evt_ps", "payment_intent.succeeded", created.Add(time.Minute), map[string]any{
			"id": "pi_f", "object": "payment_intent", "amount": 4200, "currency": "eur", "status": "succeeded", "last_payment_error": nil,
		})
		if v := view(t, h.store, "pi_f"); v.Status != "succeeded" || v.LastError != "" || v.Analysis != "" {
			t.Errorf("after success %+v", v)
		}
	})

	t.Run("charge refunded", func(t *testing.T) {
		h := newHarness(t, secret)
		deliver(t, h, "evt_cr1", "charge.refunded", created, map[string]any{
			"id": "ch_p", "object": "charge", "amount": 2000, "amount_refunded": 500, "refunded": false,
			"currency": "usd", "status": "succeeded", "customer": "cus_c", "payment_intent": "pi_c",
		})
		v := view(t, h.store, "ch_p")
		if v.Object != "charge" || v.Status != "partially_refunded" || v.Amount != 2000 || v.Customer != "cus_c" ||
			v.Refunded != 500 || v.LastError != "" {
			t.Errorf("partial refund view %+v", v)
		}
		deliver(t, h, "evt_cr2", "charge.refunded", created, map[string]any{
			"id": "ch_f", "object": "charge", "amount": 2000, "amount_refunded": 2000, "refunded": true, "currency": "usd", "status": "succeeded",
		})
		if v := view(t, h.store, "ch_f"); v.Status != "refunded" || v.Amount != 2000 || v.Refunded != 2000 {
			t.Errorf("full refund view %+v", v)
		}
		deliver(t, h, "evt_cf", "charge.failed", created, map[string]any{
			"id": "ch_x", "object": "charge", "amount": 300, "amount_refunded": 0, "currency": "usd", "status": "failed",
			"failure_code": "card_declined", "failure_message": "Your card was declined.",
		})
		if v := view(t, h.store, "ch_x"); v.Status != "failed" || !strings.Contains(v.LastError, "Your card was declined.") {
			t.Errorf("failed charge view %+v", v)
		}
	})

	t.Run("subscription", func(t *testing.T) {
		h := newHarness(t, secret)
		sub := func(status string) map[string]any {
			return map[string]any{
				"id": "sub_1", "object": "subscription", "status": status, "customer": "cus_s", "currency": "usd",
				"items": map[string]any{"object": "list", "data": []any{
					map[string]any{"id": "si_1", "quantity": 2, "price": map[string]any{"unit_amount": 1500, "currency": "usd"}},
					map[string]any{"id": "si_2", "quantity": 1, "price": map[string]any{"unit_amount": 300, "currency": "usd"}},
					map[string]any{"id": "si_3", "price": map[string]any{"unit_amount": 7, "currency": "usd", "recurring": map[string]any{"usage_type": "metered"}}},
				}},
			}
		}
		deliver(t, h, "evt_s1", "customer.subscription.created", created, sub("active"))
		if v := view(t, h.store, "sub_1"); v.Object != "subscription" || v.Status != "active" || v.Amount != 3300 || v.Currency != "usd" || v.Customer != "cus_s" {
			t.Errorf("created view %+v", v)
		}
		deliver(t, h, "evt_s2", "customer.subscription.deleted", created.Add(time.Hour), sub("canceled"))
		if v := view(t, h.store, "sub_1"); v.Status != "canceled" || v.EventID != "evt_s2" || v.EventType != "customer.subscription.deleted" {
			t.Errorf("deleted view %+v", v)
		}
		// An older event arriving late leaves the newer view alone, and is
		// stored all the same.
		deliver(t, h, "evt_s0", "customer.subscription.updated", created.Add(30*time.Minute), sub("past_due"))
		if v := view(t, h.store, "sub_1"); v.Status != "canceled" || v.EventID != "evt_s2" {
			t.Errorf("an older event overwrote the view: %+v", v)
		}
		if _, err := h.store.Event(context.Background(), "evt_s0"); err != nil {
			t.Errorf("late event not stored: %v", err)
		}
		// Without unit amounts or quantities the amount is 0.
		deliver(t, h, "evt_s3", "customer.subscription.created", created, map[string]any{
			"id": "sub_2", "object": "subscription", "status": "trialing", "customer": "cus_s",
			"items": map[string]any{"data": []any{map[string]any{"price": map[string]any{"unit_amount": nil, "currency": "gbp"}, "quantity": 1}}},
		})
		if v := view(t, h.store, "sub_2"); v.Amount != 0 || v.Currency != "gbp" || v.Status != "trialing" {
			t.Errorf("tiered view %+v", v)
		}
	})

	t.Run("invoice payment failed", func(t *testing.T) {
		h := newHarness(t, secret)
		next := time.Date(2024, 3, 4, 9, 30, 0, 0, time.UTC)
		deliver(t, h, "evt_i1", "invoice.payment_failed", created, map[string]any{
			"id": "in_1", "object": "invoice", "status": "open", "amount_due": 3300, "currency": "usd", "customer": "cus_i",
			"subscription": "sub_i", "attempt_count": 2, "next_payment_attempt": next.Unix(),
		})
		v := view(t, h.store, "in_1")
		if v.Object != "invoice" || v.Status != "open" || v.Amount != 3300 || v.Customer != "cus_i" ||
			v.LastError != "payment failed (attempt 2); next attempt 2024-03-04T09:30:00Z" {
			t.Errorf("view %+v", v)
		}
		e, err := h.store.Event(context.Background(), "evt_i1")
		if err != nil || !slices.Equal(e.ObjectIDs, []string{"in_1", "cus_i", "sub_i"}) {
			t.Errorf("event %v, %v", e.ObjectIDs, err)
		}
		deliver(t, h, "evt_i2", "invoice.payment_failed", created.Add(time.Hour), map[string]any{
			"id": "in_1", "object": "invoice", "status": "open", "amount_due": 3300, "currency": "usd",
			"attempt_count": 4, "next_payment_attempt": nil,
		})
		if v := view(t, h.store, "in_1"); v.LastError != "payment failed (attempt 4); no further attempts" {
			t.Errorf("last attempt view %+v", v)
		}
	})

	t.Run("other events are stored only", func(t *testing.T) {
		h := newHarness(t, secret)
		deliver(t, h, "evt_o1", "customer.created", created, map[string]any{"id": "cus_o", "object": "customer"})
		deliver(t, h, "evt_o2", "charge.dispute.created", created, map[string]any{"id": "dp_1", "object": "dispute", "charge": "ch_d", "amount": 100, "status": "needs_response"})
		deliver(t, h, "evt_o3", "invoice.upcoming", created, map[string]any{"object": "invoice", "amount_due": 100})
		for _, id := range []string{"cus_o", "dp_1", "ch_d"} {
			if _, err := h.store.View(context.Background(), id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("view of %s: %v", id, err)
			}
		}
		if n := countEvents(t, h.store); n != 3 {
			t.Errorf("%d events stored", n)
		}
	})

	t.Run("other events of the same objects", func(t *testing.T) {
		h := newHarness(t, secret)
		deliver(t, h, "evt_c", "payment_intent.created", created, map[string]any{"id": "pi_n", "object": "payment_intent", "amount": 100, "currency": "usd", "status": "requires_payment_method"})
		if v := view(t, h.store, "pi_n"); v.Status != "requires_payment_method" || v.EventType != "payment_intent.created" {
			t.Errorf("view %+v", v)
		}
	})
}

// failingStore fails the calls it is told to and passes the rest to the
// real store.
type failingStore struct {
	store.Store
	addEvent, putView error
}

func (f *failingStore) AddEvent(ctx context.Context, e *store.Event) (bool, error) {
	if f.addEvent != nil {
		return false, f.addEvent
	}
	return f.Store.AddEvent(ctx, e)
}

func (f *failingStore) PutView(ctx context.Context, v store.View) error {
	if f.putView != nil {
		return f.putView
	}
	return f.Store.PutView(ctx, v)
}

func TestStoreFailures(t *testing.T) {
	body := event("evt_sf", "payment_intent.succeeded", now, pi("pi_sf"))

	t.Run("event not stored answers 500", func(t *testing.T) {
		fs := &failingStore{Store: testutil.OpenStore(t), addEvent: errors.New("disk full")}
		h := newHarnessWith(t, fs, secret)
		wantStatus(t, post(h.r, body, sign(body, secret, now)), http.StatusInternalServerError, "deliver it again")
		if n := len(h.notifications()); n != 0 {
			t.Errorf("notified %d times", n)
		}
		if !strings.Contains(h.logs.String(), "disk full") {
			t.Errorf("error not logged: %s", h.logs.String())
		}
		// Stripe's retry, once the store works again, is stored.
		fs.addEvent = nil
		wantStatus(t, post(h.r, body, sign(body, secret, now)), 200, `{"received":true}`)
		if n := countEvents(t, fs); n != 1 {
			t.Errorf("%d events stored", n)
		}
	})

	t.Run("view not stored is logged only", func(t *testing.T) {
		fs := &failingStore{Store: testutil.OpenStore(t), putView: errors.New("views table locked")}
		h := newHarnessWith(t, fs, secret)
		wantStatus(t, post(h.r, body, sign(body, secret, now)), 200, `{"received":true}`)
		if _, err := fs.Event(context.Background(), "evt_sf"); err != nil {
			t.Errorf("event not stored: %v", err)
		}
		if got := h.notifications(); !slices.Equal(got, []string{"evt_sf"}) {
			t.Errorf("notified %v", got)
		}
		if !strings.Contains(h.logs.String(), "views table locked") {
			t.Errorf("error not logged: %s", h.logs.String())
		}
	})
}

// TestHangUp: Stripe giving up on the request must not leave an event stored
// without its view or notification, as its retry would be a duplicate.
func TestHangUp(t *testing.T) {
	h := newHarness(t, secret)
	var notifyErr error
	notify := h.r.Notify
	h.r.Notify = func(ctx context.Context, e *store.Event) {
		notifyErr = ctx.Err()
		notify(ctx, e)
	}
	body := event("evt_hup", "payment_intent.succeeded", now, pi("pi_hup"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/webhooks/stripe", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", sign(body, secret, now))
	h.r.ServeHTTP(httptest.NewRecorder(), req)

	if _, err := h.store.Event(context.Background(), "evt_hup"); err != nil {
		t.Fatalf("event: %v", err)
	}
	if v := view(t, h.store, "pi_hup"); v.Status != "succeeded" {
		t.Errorf("view %+v", v)
	}
	if got := h.notifications(); !slices.Equal(got, []string{"evt_hup"}) || notifyErr != nil {
		t.Errorf("notified %v with context error %v", got, notifyErr)
	}
}

func TestNilNotifyAndLogger(t *testing.T) {
	st := testutil.OpenStore(t)
	r := &webhook.Receiver{Secrets: []string{secret}, Store: st}
	body := event("evt_nil", "customer.created", time.Now(), map[string]any{"id": "cus_1", "object": "customer"})
	// Now is nil: the real clock judges the timestamp.
	wantStatus(t, post(r, body, sign(body, secret, time.Now())), 200, "received")
	wantStatus(t, post(r, body, sign(body, secret, time.Now().Add(-10*time.Minute))), 400, "300 s")
	if n := countEvents(t, st); n != 1 {
		t.Errorf("%d events stored", n)
	}
}

func TestConcurrentDeliveries(t *testing.T) {
	h := newHarness(t, secret)
	const n = 200
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := event(fmt.Sprintf("evt_c%03d", i), "payment_intent.succeeded", now.Add(time.Duration(i)*time.Second), pi(fmt.Sprintf("pi_c%03d", i)))
			codes[i] = post(h.r, body, sign(body, secret, now)).Code
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Errorf("delivery %d answered %d", i, c)
		}
	}
	if got := countEvents(t, h.store); got != n {
		t.Errorf("%d events stored; want %d", got, n)
	}
	got := h.notifications()
	slices.Sort(got)
	if len(slices.Compact(got)) != n {
		t.Errorf("%d distinct notifications; want %d", len(got), n)
	}
	for i := range n {
		if _, err := h.store.View(context.Background(), fmt.Sprintf("pi_c%03d", i)); err != nil {
			t.Errorf("view %d: %v", i, err)
		}
	}
}

// TestForeignEventsIgnored: an event from another account, or from the
// other mode, is acknowledged (Stripe need not deliver it again) but not
// stored, and no client is told of it; the same event from this account
// and mode is kept.
func TestForeignEventsIgnored(t *testing.T) {
	obj := map[string]any{"id": "pi_1", "object": "payment_intent", "amount": 2000, "currency": "usd", "status": "succeeded"}
	cases := []struct {
		name, account string
		live          bool
		event         []any
		why           string
	}{
		{"a connected account's, on the platform", "", false, []any{"account", "acct_other"}, "connected account acct_other"},
		{"another connected account's", "acct_mine", false, []any{"account", "acct_other"}, "not from acct_mine"},
		{"the platform's, for a connected account", "acct_mine", false, nil, "not from acct_mine"},
		{"live, with a test key", "", false, []any{"livemode", true}, "from live mode"},
		{"test, with a live key", "", true, nil, "from test mode"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, secret)
			h.r.Account, h.r.Live = c.account, c.live
			body := event("evt_x", "payment_intent.succeeded", now.Add(-time.Minute), obj, c.event...)
			rec := post(h.r, body, sign(body, secret, now))
			wantStatus(t, rec, http.StatusOK, c.why)
			if !strings.Contains(rec.Body.String(), `"received":true`) {
				t.Errorf("body %s", rec.Body)
			}
			if n := countEvents(t, h.store); n != 0 || len(h.notifications()) != 0 {
				t.Fatalf("%d events stored, notified %v", n, h.notifications())
			}
		})
	}
	h := newHarness(t, secret)
	h.r.Account = "acct_mine"
	body := event("evt_mine", "payment_intent.succeeded", now.Add(-time.Minute), obj, "account", "acct_mine")
	wantStatus(t, post(h.r, body, sign(body, secret, now)), http.StatusOK, "")
	if n := countEvents(t, h.store); n != 1 {
		t.Fatalf("%d events stored, want this account's", n)
	}
}
