package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stripe-mcp/stripe-mcp/internal/store"
	"github.com/stripe-mcp/stripe-mcp/internal/store/sqlite"
)

func TestOpenLater(t *testing.T) {
	var opened atomic.Int32
	dir := t.TempDir()
	o := store.OpenLater(func() (store.Store, error) {
		opened.Add(1)
		return sqlite.Open(context.Background(), filepath.Join(dir, "db"))
	})
	if opened.Load() != 0 {
		t.Fatal("opened before use")
	}
	o.Start()
	o.Start()
	if _, err := o.StartCall(context.Background(), &store.Call{Tool: "t", Arguments: "{}"}); err != nil {
		t.Fatal(err)
	}
	if g, err := o.AdvanceGeneration(context.Background(), "s"); err != nil || g != 1 {
		t.Fatalf("%d %v", g, err)
	}
	if opened.Load() != 1 {
		t.Fatalf("opened %d times", opened.Load())
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}

	failing := store.OpenLater(func() (store.Store, error) { return nil, errors.New("disk full") })
	if _, err := failing.Calls(context.Background(), store.Query{}); err == nil || err.Error() != "disk full" {
		t.Fatalf("error: %v", err)
	}
	if err := failing.Close(); err != nil {
		t.Fatal(err)
	}
	unused := store.OpenLater(func() (store.Store, error) { t.Error("opened"); return nil, nil })
	if err := unused.Close(); err != nil {
		t.Fatal(err)
	}
}
