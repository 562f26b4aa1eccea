package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stripe-mcp/stripe-mcp/internal/store"
)

func addEvent(t *testing.T, d *DB, id string, created, received time.Time, objects ...string) {
	t.Helper()
	if _, err := d.AddEvent(context.Background(), &store.Event{ID: id, Type: "payment_intent.succeeded", Created: created, Received: received,
		ObjectID: objects[0], ObjectIDs: objects, Payload: []byte(`{"id":"` + id + `"}`)}); err != nil {
		t.Fatal(err)
	}
}

func TestPruneEvents(t *testing.T) {
	ctx := context.Background()
	// OpenFile: no pruning of its own in the background.
	d, err := OpenFile(ctx, filepath.Join(t.TempDir(), FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	now := time.Now()
	old, recent := now.Add(-40*24*time.Hour), now.Add(-time.Hour)
	addEvent(t, d, "evt_old", old, old, "pi_old", "cus_1")
	addEvent(t, d, "evt_recent", recent, recent, "pi_recent", "cus_1")
	// Created long ago, received now (a late delivery): kept until it is
	// old here too.
	addEvent(t, d, "evt_late", old, recent, "pi_late")
	for i := range 1234 {
		addEvent(t, d, fmt.Sprint("evt_bulk", i), old, old, fmt.Sprint("pi_bulk", i))
	}
	for _, v := range []store.View{
		{ObjectID: "pi_old", Object: "payment_intent", Status: "succeeded", Updated: old},
		{ObjectID: "pi_recent", Object: "payment_intent", Status: "succeeded", Updated: recent},
	} {
		if err := d.PutView(ctx, v); err != nil {
			t.Fatal(err)
		}
	}

	n, err := d.pruneEvents(ctx, now.Add(-eventRetention))
	if err != nil || n != 1235 {
		t.Fatalf("pruned %d events, %v; want 1235", n, err)
	}
	for id, kept := range map[string]bool{"evt_old": false, "evt_bulk7": false, "evt_recent": true, "evt_late": true} {
		_, err := d.Event(ctx, id)
		if kept != (err == nil) || (!kept && !errors.Is(err, store.ErrNotFound)) {
			t.Errorf("%s: %v (kept: %v)", id, err, kept)
		}
	}
	for object, want := range map[string]int{"cus_1": 1, "pi_old": 0, "pi_late": 1, "pi_bulk3": 0} {
		evs, err := d.Events(ctx, store.EventQuery{ObjectID: object})
		if err != nil || len(evs) != want {
			t.Errorf("events touching %s: %d, %v; want %d", object, len(evs), err, want)
		}
	}
	if _, err := d.View(ctx, "pi_old"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("old view: %v", err)
	}
	if _, err := d.View(ctx, "pi_recent"); err != nil {
		t.Errorf("recent view: %v", err)
	}
	var index int
	if err := d.db.QueryRow(`SELECT COUNT(*) FROM event_objects`).Scan(&index); err != nil || index != 3 {
		t.Errorf("%d object index rows, %v; want 3 (cus_1, pi_recent, pi_late)", index, err)
	}
}

// A server prunes when it opens the store, before it adds anything.
func TestOpenPrunes(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-40 * 24 * time.Hour)
	addEvent(t, d, "evt_old", old, old, "pi_old")
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d, err = Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Event(context.Background(), "evt_old"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an event received 40 days ago, after the store opened: %v", err)
	}
	// Nothing added after opening goes before the next pass, hours later.
	addEvent(t, d, "evt_old2", old, old, "pi_old2")
	time.Sleep(50 * time.Millisecond)
	if _, err := d.Event(context.Background(), "evt_old2"); err != nil {
		t.Fatalf("added after opening: %v", err)
	}
}
