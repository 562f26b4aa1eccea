package sqlite

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stripe-mcp/stripe-mcp/internal/store"
)

func mustOpen(t *testing.T, dir string) *DB {
	t.Helper()
	d, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func journals(t *testing.T, dir string) []string {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(dir, journalPattern))
	return names
}

// TestRecoverDeadJournal: a journal left by a process that died (its lock
// is free) is copied in by the next process to open the store: started and
// finished calls complete, calls cut short stay pending, a torn last line
// is ignored, and the file is removed.
func TestRecoverDeadJournal(t *testing.T) {
	dir := t.TempDir()
	mustOpen(t, dir).Close() // creates the database
	started := time.Now().Add(-time.Minute).UTC().Truncate(time.Microsecond)
	lines := []entry{
		{Op: "start", ID: 11, Call: &store.Call{Started: started, Tool: "stripe_create_refund", Arguments: `{"amount":500}`, Amount: 500, Currency: "usd"}},
		{Op: "start", ID: 12, Call: &store.Call{Started: started.Add(time.Second), Tool: "stripe_get_balance", Arguments: `{}`}},
		{Op: "finish", ID: 12, Result: &store.Result{Outcome: store.OutcomeOK, Finished: started.Add(2 * time.Second), Duration: time.Second}},
	}
	var b strings.Builder
	for _, e := range lines {
		j, _ := json.Marshal(e)
		b.Write(j)
		b.WriteByte('\n')
	}
	b.WriteString(`{"op":"start","id":13,"call":{"Tool":"stripe_cre`) // torn
	if err := os.WriteFile(filepath.Join(dir, "audit-999-dead.journal"), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	d := mustOpen(t, dir)
	defer d.Close()
	rows, err := d.Calls(context.Background(), store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows: %+v", len(rows), rows)
	}
	if rows[0].ID != 12 || rows[0].Outcome != store.OutcomeOK || rows[0].Duration != time.Second {
		t.Errorf("finished call: %+v", rows[0])
	}
	if rows[1].ID != 11 || rows[1].Outcome != store.OutcomePending || rows[1].Amount != 500 {
		t.Errorf("call cut short: %+v", rows[1])
	}
	for _, name := range journals(t, dir) {
		if strings.Contains(name, "dead") {
			t.Errorf("the dead journal was not removed: %s", name)
		}
	}
}

// TestLiveJournalIsLeftAlone: a store opened beside a live one does not take
// its journal; the live one's rows reach the database when it flushes.
func TestLiveJournalIsLeftAlone(t *testing.T) {
	dir := t.TempDir()
	a := mustOpen(t, dir)
	id, err := a.StartCall(context.Background(), &store.Call{Tool: "stripe_create_payment", Arguments: "{}"})
	if err != nil {
		t.Fatal(err)
	}
	b := mustOpen(t, dir)
	defer b.Close()
	if len(journals(t, dir)) != 2 {
		t.Fatalf("journals: %v", journals(t, dir))
	}
	if err := a.FinishCall(context.Background(), id, store.Result{Outcome: store.OutcomeOK}); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	rows, err := b.Calls(context.Background(), store.Query{})
	if err != nil || len(rows) != 1 || rows[0].ID != id || rows[0].Outcome != store.OutcomeOK {
		t.Fatalf("rows %+v %v", rows, err)
	}
	if len(journals(t, dir)) != 1 {
		t.Fatalf("journals after close: %v", journals(t, dir))
	}
}

// TestJournalStaysSmall: the journal is emptied once its rows are in the
// database, and rotated when it grows large between flushes.
func TestJournalStaysSmall(t *testing.T) {
	dir := t.TempDir()
	d := mustOpen(t, dir)
	defer d.Close()
	ctx := context.Background()
	big := `{"description":"` + strings.Repeat("x", 6000) + `"}`
	for range 1000 {
		id, err := d.StartCall(ctx, &store.Call{Tool: "stripe_create_customer", Arguments: big})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.FinishCall(ctx, id, store.Result{Outcome: store.OutcomeOK}); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := d.Calls(ctx, store.Query{Limit: 5000})
	if err != nil || len(rows) != 1000 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	for _, r := range rows {
		if r.Outcome != store.OutcomeOK {
			t.Fatalf("row %+v", r)
		}
	}
	names := journals(t, dir)
	if len(names) != 1 {
		t.Fatalf("journals: %v", names)
	}
	if fi, err := os.Stat(names[0]); err != nil || fi.Size() != 0 {
		t.Fatalf("journal after everything was flushed: %v %v", fi.Size(), err)
	}
}

// TestApplyTwice: copying a journal again (a process died after the copy,
// before removing the file) changes nothing.
func TestApplyTwice(t *testing.T) {
	d := mustOpen(t, t.TempDir())
	defer d.Close()
	batch := []entry{
		{Op: "start", ID: 7, Call: &store.Call{Tool: "t", Arguments: "{}"}},
		{Op: "finish", ID: 7, Result: &store.Result{Outcome: store.OutcomeError, Message: "declined"}},
	}
	for range 2 {
		if err := d.apply(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
	}
	rows, _ := d.Calls(context.Background(), store.Query{})
	if len(rows) != 1 || rows[0].Outcome != store.OutcomeError {
		t.Fatalf("rows %+v", rows)
	}
}
