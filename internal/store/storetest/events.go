package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stripe-mcp/stripe-mcp/internal/store"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func event(id, typ string, created time.Time, objects ...string) *store.Event {
	e := &store.Event{ID: id, Type: typ, Created: created, Received: created.Add(time.Second),
		APIVersion: "2026-03-25.dahlia", ObjectIDs: objects, Payload: []byte(`{"id":"` + id + `"}`)}
	if len(objects) > 0 {
		e.ObjectID = objects[0]
	}
	return e
}

func ids(es []store.Event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func mustAdd(t *testing.T, s store.Store, e *store.Event) {
	t.Helper()
	added, err := s.AddEvent(context.Background(), e)
	if err != nil || !added {
		t.Fatalf("adding %s: %v %v", e.ID, added, err)
	}
}

func events(t *testing.T, open Open) {
	s := mustOpen(t, open, "events")
	ctx := context.Background()
	mustAdd(t, s, event("evt_1", "payment_intent.created", t0, "pi_1", "cus_1"))
	mustAdd(t, s, event("evt_2", "payment_intent.succeeded", t0.Add(time.Minute), "pi_1", "cus_1", "ch_1"))
	mustAdd(t, s, event("evt_3", "customer.subscription.created", t0.Add(2*time.Minute), "sub_1", "cus_2"))
	// Same created second as evt_3, arrived later: it comes first.
	late := event("evt_4", "charge.refunded", t0.Add(2*time.Minute), "ch_1", "pi_1")
	late.Received = t0.Add(time.Hour)
	mustAdd(t, s, late)

	// A duplicate changes nothing, even with a different body.
	dup := event("evt_2", "payment_intent.succeeded", t0.Add(time.Minute), "pi_9")
	dup.Payload = []byte(`{"changed":true}`)
	if added, err := s.AddEvent(ctx, dup); err != nil || added {
		t.Fatalf("duplicate: added %v, %v", added, err)
	}
	got, err := s.Event(ctx, "evt_2")
	if err != nil || string(got.Payload) != `{"id":"evt_2"}` || !slices.Equal(got.ObjectIDs, []string{"pi_1", "cus_1", "ch_1"}) ||
		got.ObjectID != "pi_1" || !got.Created.Equal(t0.Add(time.Minute)) || got.APIVersion != "2026-03-25.dahlia" || got.Type != "payment_intent.succeeded" {
		t.Fatalf("evt_2 after a duplicate: %+v %v", got, err)
	}
	if _, err := s.Event(ctx, "evt_none"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown event: %v", err)
	}

	cases := []struct {
		q    store.EventQuery
		want []string
	}{
		{store.EventQuery{}, []string{"evt_4", "evt_3", "evt_2", "evt_1"}},
		{store.EventQuery{Limit: 2}, []string{"evt_4", "evt_3"}},
		{store.EventQuery{Limit: 2, StartingAfter: "evt_3"}, []string{"evt_2", "evt_1"}},
		{store.EventQuery{Type: "payment_intent.succeeded"}, []string{"evt_2"}},
		{store.EventQuery{Type: "payment_intent.*"}, []string{"evt_2", "evt_1"}},
		{store.EventQuery{Type: "payment_intent"}, nil},
		{store.EventQuery{ObjectID: "pi_1"}, []string{"evt_4", "evt_2", "evt_1"}},
		{store.EventQuery{ObjectID: "cus_2"}, []string{"evt_3"}},
		{store.EventQuery{ObjectID: "pi_9"}, nil},
		{store.EventQuery{ObjectID: "pi_1", Type: "payment_intent.*", StartingAfter: "evt_2"}, []string{"evt_1"}},
	}
	for _, c := range cases {
		got, err := s.Events(ctx, c.q)
		if err != nil || !slices.Equal(ids(got), c.want) {
			t.Errorf("Events(%+v) = %v, %v; want %v", c.q, ids(got), err, c.want)
		}
	}
	if _, err := s.Events(ctx, store.EventQuery{StartingAfter: "evt_none"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown cursor: %v", err)
	}
}

// concurrentEvents: many deliveries at once, each event twice; every event
// is stored exactly once.
func concurrentEvents(t *testing.T, open Open) {
	s := mustOpen(t, open, "concurrent-events")
	ctx := context.Background()
	const n = 200
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		added int
		errs  []error
	)
	for i := range 2 * n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("evt_c%03d", i%n)
			ok, err := s.AddEvent(ctx, event(id, "charge.succeeded", t0.Add(time.Duration(i%n)*time.Second), fmt.Sprintf("ch_%d", i%n)))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if ok {
				added++
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 || added != n {
		t.Fatalf("added %d of %d, errors %v", added, n, errs)
	}
	all, err := s.Events(ctx, store.EventQuery{Limit: 2 * n})
	if err != nil || len(all) != n {
		t.Fatalf("stored %d events, want %d (%v)", len(all), n, err)
	}
}

func eventsSurviveReopen(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, "events-reopen")
	mustAdd(t, s, event("evt_r1", "invoice.payment_failed", t0, "in_1", "cus_1", "sub_1"))
	if err := s.PutView(ctx, store.View{ObjectID: "in_1", Object: "invoice", Status: "open", Amount: 900, Currency: "usd", EventID: "evt_r1", Updated: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := mustOpen(t, open, "events-reopen")
	if e, err := s2.Event(ctx, "evt_r1"); err != nil || e.Type != "invoice.payment_failed" {
		t.Fatalf("event after reopening: %+v %v", e, err)
	}
	if added, err := s2.AddEvent(ctx, event("evt_r1", "invoice.payment_failed", t0, "in_1")); err != nil || added {
		t.Fatalf("a redelivery after a restart is a duplicate: %v %v", added, err)
	}
	if v, err := s2.View(ctx, "in_1"); err != nil || v.Amount != 900 || v.Status != "open" {
		t.Fatalf("view after reopening: %+v %v", v, err)
	}
}

func views(t *testing.T, open Open) {
	s := mustOpen(t, open, "views")
	ctx := context.Background()
	put := func(v store.View) {
		t.Helper()
		if err := s.PutView(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.View(ctx, "pi_1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no view yet: %v", err)
	}
	put(store.View{ObjectID: "pi_1", Object: "payment_intent", Status: "requires_payment_method", Amount: 2500, Currency: "usd",
		Customer: "cus_1", LastError: "Your card was declined. (card_declined/insufficient_funds)", Analysis: `{"retry":false}`,
		EventID: "evt_2", EventType: "payment_intent.payment_failed", Updated: t0.Add(time.Minute)})
	// An older event arriving late does not undo the newer one.
	put(store.View{ObjectID: "pi_1", Object: "payment_intent", Status: "processing", Amount: 2500, Currency: "usd", EventID: "evt_1", Updated: t0})
	v, err := s.View(ctx, "pi_1")
	if err != nil || v.Status != "requires_payment_method" || v.EventID != "evt_2" || v.Analysis != `{"retry":false}` ||
		v.LastError == "" || v.Customer != "cus_1" || v.EventType != "payment_intent.payment_failed" || !v.Updated.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after an older event: %+v %v", v, err)
	}
	// A newer one replaces it, clearing the error.
	put(store.View{ObjectID: "pi_1", Object: "payment_intent", Status: "succeeded", Amount: 2500, Currency: "usd", EventID: "evt_3", Updated: t0.Add(2 * time.Minute)})
	if v, _ := s.View(ctx, "pi_1"); v.Status != "succeeded" || v.LastError != "" || v.Analysis != "" {
		t.Fatalf("after a newer event: %+v", v)
	}
	put(store.View{ObjectID: "ch_1", Object: "charge", Status: "partially_refunded", Amount: 2000, Refunded: 500, Currency: "usd", Updated: t0})
	if v, _ := s.View(ctx, "ch_1"); v.Refunded != 500 || v.Status != "partially_refunded" {
		t.Fatalf("charge view: %+v", v)
	}
	if err := s.PutView(ctx, store.View{Object: "charge"}); err == nil {
		t.Fatal("a view without an object id was stored")
	}
}

func recentIDs(t *testing.T, open Open) {
	s := mustOpen(t, open, "recent")
	ctx := context.Background()
	mustAdd(t, s, event("evt_a", "customer.created", t0, "cus_Aaa"))
	mustAdd(t, s, event("evt_b", "payment_intent.created", t0.Add(time.Minute), "pi_B", "cus_Bbb"))
	mustAdd(t, s, event("evt_c", "payment_intent.succeeded", t0.Add(2*time.Minute), "pi_B", "cus_Aaa"))
	mustAdd(t, s, event("evt_d", "customer.subscription.created", t0.Add(3*time.Minute), "sub_D", "cus_Abc"))
	cases := []struct {
		prefix string
		limit  int
		want   []string
	}{
		{"cus_", 10, []string{"cus_Abc", "cus_Aaa", "cus_Bbb"}},
		{"cus_A", 10, []string{"cus_Abc", "cus_Aaa"}},
		{"cus_Aa", 10, []string{"cus_Aaa"}},
		{"cus_", 2, []string{"cus_Abc", "cus_Aaa"}},
		{"pi_", 10, []string{"pi_B"}},
		{"sub_", 10, []string{"sub_D"}},
		{"evt_", 10, []string{"evt_d", "evt_c", "evt_b", "evt_a"}},
		{"in_", 10, nil},
		{"cus_", 0, nil},
	}
	for _, c := range cases {
		got, err := s.RecentIDs(ctx, c.prefix, c.limit)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("RecentIDs(%q, %d) = %v, %v; want %v", c.prefix, c.limit, got, err, c.want)
		}
	}
}
