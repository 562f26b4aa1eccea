package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stripe-mcp/stripe-mcp/internal/store"
)

// Two processes (two handles on one file) recording calls at once never
// share an id, and each one's ids increase.
func TestAuditIDsUniqueAcrossProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	ctx := context.Background()
	const perHandle = 3 * idBlock / 2 // each handle takes a second block
	ids := make([][]int64, 2)
	var wg sync.WaitGroup
	for h := range ids {
		d, err := OpenFile(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		wg.Go(func() {
			for range perHandle {
				id, err := d.newID(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				ids[h] = append(ids[h], id)
			}
		})
	}
	wg.Wait()
	seen := map[int64]bool{}
	for h, list := range ids {
		for i, id := range list {
			if seen[id] {
				t.Fatalf("id %d handed out twice", id)
			}
			seen[id] = true
			if i > 0 && id <= list[i-1] {
				t.Fatalf("handle %d: id %d after %d", h, id, list[i-1])
			}
		}
	}
	if len(seen) != 2*perHandle {
		t.Fatalf("%d ids, want %d", len(seen), 2*perHandle)
	}
}

// A database of an earlier version, whose rows have random ids, hands out
// ids above all of them, and its rows stay readable.
func TestAuditIDsAfterRandomIDs(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	ctx := context.Background()
	old, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	const highest = int64(4_000_000_000_000_000_000)
	for v, m := range migrations[:3] {
		if _, err := old.Exec(m); err != nil {
			t.Fatal(err)
		}
		if _, err := old.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_us INTEGER NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		if _, err := old.Exec(`INSERT INTO schema_migrations VALUES (?, 0)`, v+1); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []int64{12345, highest} {
		if _, err := old.Exec(`INSERT INTO audit (id, started_us, session_id, principal, client, transport, tool, arguments, outcome) VALUES (?, 1, 's', 'p', 'c', 'stdio', 'stripe_get_balance', '{}', 'ok')`, id); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()

	d, err := OpenFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	id, err := d.StartCall(ctx, &store.Call{Started: time.Now(), SessionID: "s", Principal: "p", Transport: "stdio", Tool: "stripe_get_customer", Arguments: "{}"})
	if err != nil {
		t.Fatal(err)
	}
	if id != highest+1 {
		t.Fatalf("first id %d, want %d", id, highest+1)
	}
	rows, err := d.Calls(ctx, store.Query{})
	if err != nil || len(rows) != 3 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
}
