package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stripe-mcp/stripe-mcp/internal/store"
	"github.com/stripe-mcp/stripe-mcp/internal/store/sqlite"
	"github.com/stripe-mcp/stripe-mcp/internal/store/storetest"
)

func TestContract(t *testing.T) {
	root := t.TempDir()
	storetest.Run(t, func(t *testing.T, name string) store.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestPrivateFiles: the data directory and database are the owner's only.
func TestPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, sqlite.FileName): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", path, fi.Mode().Perm(), want)
		}
	}
}

// TestConcurrentOpen: processes starting together migrate the schema once.
func TestConcurrentOpen(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := sqlite.Open(context.Background(), dir)
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := s.StartCall(context.Background(), &store.Call{Tool: "t", Arguments: "{}"}); err != nil {
				t.Error(err)
			}
			s.Close()
		}()
	}
	wg.Wait()
}

// BenchmarkCallRow is the cost the audit log adds to every tool call: one
// row started and finished.
func BenchmarkCallRow(b *testing.B) {
	s, err := sqlite.Open(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		id, err := s.StartCall(ctx, &store.Call{SessionID: "ses_1", Principal: "p", Transport: "stdio", Tool: "stripe_get_customer", Arguments: `{"customerId":"cus_123"}`})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.FinishCall(ctx, id, store.Result{Outcome: store.OutcomeOK, RequestIDs: []string{"req_1"}}); err != nil {
			b.Fatal(err)
		}
	}
}
