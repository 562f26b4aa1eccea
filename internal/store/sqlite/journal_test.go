package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
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
// finished calls complete, calls cut short stay pending, torn lines (the
// last one, or one whose place in a mapped journal was left part NULs) are
// ignored, and the file is removed.
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
	for i, e := range lines {
		j, _ := json.Marshal(e)
		b.Write(j)
		b.WriteByte('\n')
		if i == 0 {
			// Torn in a mapped journal: the rest of its place is NULs,
			// and lines after it were written whole.
			b.WriteString(`{"op":"start","id":14,"call":{"Tool":"stripe_cre` + strings.Repeat("\x00", 40))
		}
	}
	b.WriteString(`{"op":"start","id":13,"call":{"Tool":"stripe_cre`) // torn
	b.WriteString(strings.Repeat("\x00", 4096))                       // a mapped journal's unwritten part
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
	bothJournals(t, testJournalStaysSmall)
}

// bothJournals runs test with mapped journal files and with written ones.
func bothJournals(t *testing.T, test func(t *testing.T)) {
	t.Run("mapped", test)
	t.Run("written", func(t *testing.T) {
		mapJournals = false
		defer func() { mapJournals = true }()
		test(t)
	})
}

// linesIn is the number of bytes of a journal file that are not NULs.
func linesIn(t *testing.T, name string) int {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return len(b) - strings.Count(string(b), "\x00")
}

func testJournalStaysSmall(t *testing.T) {
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
	// 12 MB went through it; once all is in the database it is emptied
	// whenever it is past truncateAt.
	if n := linesIn(t, names[0]); n > truncateAt {
		t.Fatalf("journal after everything was flushed: %d bytes of lines", n)
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

// TestApplyWholeRow checks that a call whose start and finish are copied in
// one batch (one statement) gives the row they give in separate batches, and
// that a start already copied still gets its finish.
func TestApplyWholeRow(t *testing.T) {
	ctx := context.Background()
	started := time.UnixMicro(1_700_000_000_000_000)
	call := &store.Call{Started: started, SessionID: "ses_1", Principal: "p", Client: "c", Transport: "http", Tool: "stripe_capture_payment",
		Arguments: `{"paymentIntentId":"pi_1"}`, Amount: 100, Currency: "usd", IdempotencyKey: "k0"}
	res := &store.Result{Finished: started.Add(time.Second), Outcome: store.OutcomeOK, Message: "m", Amount: 7500, Currency: "eur",
		RequestIDs: []string{"req_1", "req_2"}, IdempotencyKey: "k1", Replayed: true, Duration: 1500 * time.Microsecond}
	rowsAfter := func(batches ...[]entry) []store.Call {
		d := mustOpen(t, t.TempDir())
		defer d.Close()
		for _, b := range batches {
			if err := d.apply(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := d.Calls(ctx, store.Query{})
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	start := entry{Op: "start", ID: 9, Call: call}
	finish := entry{Op: "finish", ID: 9, Result: res}
	split := rowsAfter([]entry{start}, []entry{finish})
	if len(split) != 1 || split[0].Outcome != store.OutcomeOK || split[0].Amount != 7500 || !split[0].Replayed {
		t.Fatalf("split batches: %+v", split)
	}
	for name, batches := range map[string][][]entry{
		"one batch":               {{start, finish}},
		"start copied, then both": {{start}, {start, finish}},
		"one batch twice":         {{start, finish}, {start, finish}},
		"finish, then start":      {{start, finish}, {start}},
	} {
		got := rowsAfter(batches...)
		if len(got) != 1 || !reflect.DeepEqual(got[0], split[0]) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, split[0])
		}
	}
}

// BenchmarkApply measures copying journalled calls into the database, per
// call (a start and a finish in the same batch, as a busy server's batches
// mostly hold), with ids as newID hands them out and, as the baseline, with
// the random ids earlier versions used (each insert lands on another page).
func BenchmarkApply(b *testing.B) {
	for _, calls := range []int{16, 64, 256} {
		b.Run(fmt.Sprintf("batch=%d", calls), func(b *testing.B) { benchmarkApply(b, calls, false) })
	}
	b.Run("batch=64/random-ids", func(b *testing.B) { benchmarkApply(b, 64, true) })
}

func benchmarkApply(b *testing.B, calls int, random bool) {
	d, err := OpenFile(context.Background(), filepath.Join(b.TempDir(), "audit.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	var id int64
	b.ReportAllocs()
	for b.Loop() {
		batch := make([]entry, 0, 2*calls)
		for range calls {
			id++
			if random {
				id = mrand.Int64N(1<<62) + 1
			}
			batch = append(batch, entry{Op: "start", ID: id, Call: &store.Call{Started: time.Now(), SessionID: "ses_1", Principal: "p", Transport: "http", Tool: "stripe_get_customer", Arguments: `{"customerId":"cus_123"}`}})
		}
		for i := range calls {
			batch = append(batch, entry{Op: "finish", ID: batch[i].ID, Result: &store.Result{Finished: time.Now(), Outcome: store.OutcomeOK, RequestIDs: []string{"req_1"}, Duration: time.Millisecond}})
		}
		if err := d.apply(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*calls), "ns/call")
}

// Calls recorded from many goroutines while the journal rotates and is
// truncated all end up complete in the database, and no journal is left.
func TestJournalConcurrentRotation(t *testing.T) {
	bothJournals(t, testJournalConcurrentRotation)
}

func testJournalConcurrentRotation(t *testing.T) {
	dir := t.TempDir()
	d := mustOpen(t, dir)
	ctx := context.Background()
	big := `{"description":"` + strings.Repeat("x", 20000) + `"}` // 4 MiB of journal every ~100 calls
	const workers, calls = 8, 150
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range calls {
				id, err := d.StartCall(ctx, &store.Call{Tool: "stripe_create_customer", Arguments: big})
				if err != nil {
					t.Error(err)
					return
				}
				if err := d.FinishCall(ctx, id, store.Result{Outcome: store.OutcomeOK}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if names := journals(t, dir); len(names) != 0 {
		t.Fatalf("journals left: %v", names)
	}
	d = mustOpen(t, dir)
	defer d.Close()
	rows, err := d.Calls(ctx, store.Query{Limit: 5000})
	if err != nil || len(rows) != workers*calls {
		t.Fatalf("%d rows, %v; want %d", len(rows), err, workers*calls)
	}
	for _, r := range rows {
		if r.Outcome != store.OutcomeOK || r.Finished.IsZero() {
			t.Fatalf("row %+v", r)
		}
	}
}

// TestMappedJournalFault: a fault while writing to a mapped journal (here the
// file shrunk under the mapping: SIGBUS) is an error for that call, and the
// process goes on.
func TestMappedJournalFault(t *testing.T) {
	f, err := createJournal(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.release()
	if f.mem == nil {
		t.Skip("journal files are not mapped on this system")
	}
	if err := f.write([]byte("{}\n"), 0); err != nil {
		t.Fatalf("write to the mapping: %v", err)
	}
	if err := f.Truncate(0); err != nil {
		t.Fatal(err)
	}
	if err := f.write([]byte("{}\n"), 8192); err == nil {
		t.Fatal("a write past the end of the file reported no error")
	}
}

// FuzzReadJournal: any bytes in a journal file (torn, NUL-filled, garbage)
// read without error, and only whole start/finish lines come back.
func FuzzReadJournal(f *testing.F) {
	line, _ := json.Marshal(entry{Op: "start", ID: 1, Call: &store.Call{Tool: "stripe_get_balance"}})
	for _, seed := range [][]byte{line, append(append([]byte{}, line...), '\n'), append(line[:10:10], 0, 0, '\n'), {0, 0, 0}, []byte("{}\n{\"op\":\"finish\",\"id\":2}\n")} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		name := filepath.Join(t.TempDir(), "j")
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
		jf, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer jf.Close()
		entries, err := readJournal(jf)
		if err != nil {
			t.Fatalf("read %q: %v", data, err)
		}
		for _, e := range entries {
			if e.Op != "start" && e.Op != "finish" {
				t.Fatalf("read %q: entry %+v", data, e)
			}
		}
	})
}
