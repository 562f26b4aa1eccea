package tools_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stripe-mcp/stripe-mcp/internal/store"
	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

// storedEvents puts events into a store as the webhook receiver would.
func storedEvents(t *testing.T, s store.Store) {
	t.Helper()
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	add := func(id, typ string, at time.Duration, status string, objects ...string) {
		payload := fmt.Sprintf(`{"id":%q,"object":"event","type":%q,"data":{"object":{"id":%q,"status":%q}}}`, id, typ, objects[0], status)
		if _, err := s.AddEvent(context.Background(), &store.Event{ID: id, Type: typ, Created: t0.Add(at), ObjectID: objects[0], ObjectIDs: objects, Payload: []byte(payload)}); err != nil {
			t.Fatal(err)
		}
	}
	add("evt_1", "payment_intent.created", 0, "requires_payment_method", "pi_1", "cus_1")
	add("evt_2", "payment_intent.payment_failed", time.Minute, "requires_payment_method", "pi_1", "cus_1")
	add("evt_3", "payment_intent.succeeded", 2*time.Minute, "succeeded", "pi_1", "cus_1", "ch_1")
	add("evt_4", "customer.subscription.created", 3*time.Minute, "active", "sub_1", "cus_2")
}

func TestListEventsReceived(t *testing.T) {
	o := defaultOptions()
	o.Store = testutil.OpenStore(t)
	storedEvents(t, o.Store)
	cs, rec := connectStripeMock(t, o)
	call := func(args map[string]any) map[string]any {
		t.Helper()
		out := testutil.Structured(t, testutil.Call(t, cs, "stripe_list_events", args))
		if out["source"] != "received" {
			t.Fatalf("source = %v, want received: %v", out["source"], out)
		}
		return out
	}
	idsOf := func(data []map[string]any) []any {
		var out []any
		for _, d := range data {
			out = append(out, d["id"])
		}
		return out
	}
	out := call(map[string]any{})
	data := pageOf(t, out)
	if got := fmt.Sprint(idsOf(data)); got != "[evt_4 evt_3 evt_2 evt_1]" {
		t.Fatalf("newest first: %s", got)
	}
	if data[1]["type"] != "payment_intent.succeeded" || data[1]["objectId"] != "pi_1" || data[1]["status"] != "succeeded" ||
		fmt.Sprint(data[1]["related"]) != "[cus_1 ch_1]" || data[1]["created"] != "2026-11-20T10:02:00Z" {
		t.Errorf("compact event: %v", data[1])
	}
	out = call(map[string]any{"type": "payment_intent.*", "limit": 2})
	if got := fmt.Sprint(idsOf(pageOf(t, out))); got != "[evt_3 evt_2]" || out["nextCursor"] != "evt_2" {
		t.Errorf("type prefix, first page: %s %v", got, out)
	}
	out = call(map[string]any{"type": "payment_intent.*", "limit": 2, "startingAfter": "evt_2"})
	if got := fmt.Sprint(idsOf(pageOf(t, out))); got != "[evt_1]" || out["hasMore"] != false {
		t.Errorf("second page: %s %v", got, out)
	}
	if got := fmt.Sprint(idsOf(pageOf(t, call(map[string]any{"objectId": "cus_2"})))); got != "[evt_4]" {
		t.Errorf("by object: %s", got)
	}
	// An object no received event touched, asked of received only: empty,
	// and Stripe is not asked.
	if data := pageOf(t, call(map[string]any{"objectId": "pi_none", "source": "received"})); len(data) != 0 {
		t.Errorf("unknown object: %v", data)
	}
	// full: the events as received.
	res := testutil.Call(t, cs, "stripe_list_events", map[string]any{"type": "customer.subscription.created", "full": true})
	var raw struct {
		Data []map[string]any `json:"data"`
	}
	if err := json.Unmarshal([]byte(testutil.Text(res)), &raw); err != nil || len(raw.Data) != 1 || raw.Data[0]["object"] != "event" {
		t.Errorf("full: %v %v", raw, err)
	}
	if n := len(rec.Requests()); n != 0 {
		t.Errorf("received events asked Stripe %d times", n)
	}
	refusedUnsent(t, cs, rec, "stripe_list_events", map[string]any{"type": "payment_*.created"}, "wildcard")
	refusedUnsent(t, cs, rec, "stripe_list_events", map[string]any{"type": "DROP TABLE"}, "not an event type")
	refusedUnsent(t, cs, rec, "stripe_list_events", map[string]any{"objectId": "pi_1/../x"}, "objectId")
	// Named as received, an unknown cursor is refused (left to choose, it
	// is taken for the Events API's: TestListEventsAPI).
	refusedUnsent(t, cs, rec, "stripe_list_events", map[string]any{"startingAfter": "evt_none", "source": "received"}, "not a received event")
	refusedUnsent(t, cs, rec, "stripe_list_events", map[string]any{"startingAfter": "pi_1"}, "evt_")
}

// TestListEventsAPI: with nothing received that matches, or source api, the
// Events API answers.
func TestListEventsAPI(t *testing.T) {
	o := defaultOptions()
	o.Store = testutil.OpenStore(t)
	cs, rec := connectStripeMock(t, o)
	out := testutil.Structured(t, testutil.Call(t, cs, "stripe_list_events", map[string]any{"type": "charge.*", "limit": 3}))
	if out["source"] != "api" || out["note"] == nil {
		t.Errorf("fallback: %v", out)
	}
	data := pageOf(t, out)
	if len(data) == 0 || data[0]["id"] == nil || data[0]["type"] == nil {
		t.Errorf("api events: %v", data)
	}
	checkWire(t, rec.Requests(), wire{method: "GET", path: "/v1/events", params: map[string]string{"type": "charge.*", "limit": "3"}})
	// The next page of that fallback, from the cursor alone, continues at
	// the Events API (the cursor is no received event).
	n := len(rec.Requests())
	next := testutil.Structured(t, testutil.Call(t, cs, "stripe_list_events", map[string]any{"type": "charge.*", "limit": 3, "startingAfter": "evt_fromapi"}))
	if next["source"] != "api" {
		t.Errorf("next page: %v", next)
	}
	checkWire(t, rec.Requests()[n:], wire{method: "GET", path: "/v1/events", params: map[string]string{"starting_after": "evt_fromapi"}})
	// A received event's id still pages the received events.
	storedEvents(t, o.Store)
	if out := testutil.Structured(t, testutil.Call(t, cs, "stripe_list_events", map[string]any{"startingAfter": "evt_4", "limit": 2})); out["source"] != "received" {
		t.Errorf("received cursor: %v", out)
	}

	// Without a store, the API is the only source.
	o = defaultOptions()
	cs, _ = connectStripeMock(t, o)
	if out := testutil.Structured(t, testutil.Call(t, cs, "stripe_list_events", map[string]any{})); out["source"] != "api" {
		t.Errorf("no store: %v", out)
	}
	if res := testutil.Call(t, cs, "stripe_list_events", map[string]any{"source": "received"}); !res.IsError {
		t.Errorf("source received without a store: %v", testutil.Text(res))
	}
}

// TestListEventsAPIObjectScan: the Events API cannot filter by object, so
// pages are scanned for events touching it, within a bound.
func TestListEventsAPIObjectScan(t *testing.T) {
	pages := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pages++
		var data []string
		for i := range 100 {
			n := (pages-1)*100 + i
			obj := fmt.Sprintf(`{"id":"ch_%d","object":"charge","payment_intent":"pi_%d","status":"succeeded"}`, n, n%7)
			data = append(data, fmt.Sprintf(`{"id":"evt_%d","object":"event","type":"charge.succeeded","created":1700000000,"data":{"object":%s}}`, n, obj))
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"object":"list","url":"/v1/events","has_more":true,"data":[%s]}`, joinComma(data))
	})
	cs, rec := connectFake(t, h)
	out := testutil.Structured(t, testutil.Call(t, cs, "stripe_list_events", map[string]any{"objectId": "pi_3", "limit": 5, "source": "api"}))
	data := pageOf(t, out)
	if len(data) != 5 {
		t.Fatalf("matches: %v", out)
	}
	for _, d := range data {
		if fmt.Sprint(d["related"]) != "[pi_3]" {
			t.Errorf("an event not touching pi_3: %v", d)
		}
	}
	// A rare object: the scan stops at its bound and says so.
	out = testutil.Structured(t, testutil.Call(t, cs, "stripe_list_events", map[string]any{"objectId": "pi_none", "source": "api"}))
	if out["scanned"] != float64(500) || out["note"] == nil || len(pageOf(t, out)) != 0 {
		t.Errorf("bounded scan: %v", out)
	}
	if len(rec.Requests()) > 1+5+1 {
		t.Errorf("%d requests for two scans", len(rec.Requests()))
	}
}

func joinComma(parts []string) string {
	out := ""
	for i, p := range parts {
		if i > 0 {
			out += ","
		}
		out += p
	}
	return out
}
