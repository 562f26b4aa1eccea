// Package storetest is the contract every store.Store implementation passes.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stripe-mcp/stripe-mcp/internal/store"
)

// Open opens the store called name; opening the same name again (after
// Close) opens the same data, as a restarted server would.
type Open func(t *testing.T, name string) store.Store

// Run runs the contract against the stores open makes.
func Run(t *testing.T, open Open) {
	t.Run("AuditRoundTrip", func(t *testing.T) { auditRoundTrip(t, open) })
	t.Run("AuditQuery", func(t *testing.T) { auditQuery(t, open) })
	t.Run("ConcurrentCalls", func(t *testing.T) { concurrentCalls(t, open) })
	t.Run("Generations", func(t *testing.T) { generations(t, open) })
	t.Run("SurvivesReopen", func(t *testing.T) { survivesReopen(t, open) })
}

func mustOpen(t *testing.T, open Open, name string) store.Store {
	t.Helper()
	s := open(t, name)
	t.Cleanup(func() { s.Close() })
	return s
}

func auditRoundTrip(t *testing.T, open Open) {
	s := mustOpen(t, open, "roundtrip")
	ctx := context.Background()
	started := time.Now().Add(-time.Second).UTC().Truncate(time.Microsecond)
	id, err := s.StartCall(ctx, &store.Call{
		Started: started, SessionID: "ses_1", Principal: "local-operator", Client: "claude",
		Transport: "stdio", Tool: "stripe_create_payment", Arguments: `{"amount":2500}`,
		Amount: 2500, Currency: "usd",
	})
	if err != nil {
		t.Fatal(err)
	}
	pending, err := s.Calls(ctx, store.Query{})
	if err != nil || len(pending) != 1 {
		t.Fatalf("calls: %v %v", pending, err)
	}
	if p := pending[0]; p.Outcome != store.OutcomePending || !p.Finished.IsZero() || p.ID != id || !p.Started.Equal(started) {
		t.Fatalf("pending row: %+v", p)
	}
	finished := started.Add(350 * time.Millisecond)
	err = s.FinishCall(ctx, id, store.Result{
		Outcome: store.OutcomeOK, Amount: 2500, Currency: "usd", RequestIDs: []string{"req_1", "req_2"},
		IdempotencyKey: "key-1", Replayed: true, Duration: 350 * time.Millisecond, Finished: finished,
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Calls(ctx, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	c := got[0]
	want := store.Call{
		ID: id, Started: started, Finished: finished, SessionID: "ses_1", Principal: "local-operator", Client: "claude",
		Transport: "stdio", Tool: "stripe_create_payment", Arguments: `{"amount":2500}`, Outcome: store.OutcomeOK,
		Amount: 2500, Currency: "usd", RequestIDs: []string{"req_1", "req_2"}, IdempotencyKey: "key-1",
		Replayed: true, Duration: 350 * time.Millisecond,
	}
	if fmt.Sprintf("%+v", c) != fmt.Sprintf("%+v", want) {
		t.Fatalf("row\n got %+v\nwant %+v", c, want)
	}
	if err := s.FinishCall(ctx, id+1000, store.Result{Outcome: store.OutcomeOK}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("finishing an unknown call: %v", err)
	}
}

func auditQuery(t *testing.T, open Open) {
	s := mustOpen(t, open, "query")
	ctx := context.Background()
	base := time.Now().Add(-time.Hour)
	for i := range 30 {
		tool := "stripe_get_customer"
		if i%3 == 0 {
			tool = "stripe_create_refund"
		}
		if _, err := s.StartCall(ctx, &store.Call{Started: base.Add(time.Duration(i) * time.Millisecond), Tool: tool, Arguments: fmt.Sprintf(`{"n":%d}`, i)}); err != nil {
			t.Fatal(err)
		}
	}
	all, _ := s.Calls(ctx, store.Query{Limit: 1000})
	if len(all) != 30 {
		t.Fatalf("%d rows", len(all))
	}
	for i := 1; i < len(all); i++ {
		if !all[i].Started.Before(all[i-1].Started) {
			t.Fatal("not newest first")
		}
	}
	if all[0].Arguments != `{"n":29}` {
		t.Fatalf("newest is %s", all[0].Arguments)
	}
	five, _ := s.Calls(ctx, store.Query{Limit: 5})
	if len(five) != 5 || five[0].ID != all[0].ID {
		t.Fatalf("limit: %d rows", len(five))
	}
	refunds, _ := s.Calls(ctx, store.Query{Tool: "stripe_create_refund", Limit: 1000})
	if len(refunds) != 10 {
		t.Fatalf("tool filter: %d rows", len(refunds))
	}
	def, _ := s.Calls(ctx, store.Query{})
	if len(def) != 30 {
		t.Fatalf("default limit returned %d", len(def))
	}
}

func concurrentCalls(t *testing.T, open Open) {
	s := mustOpen(t, open, "concurrent")
	ctx := context.Background()
	const workers, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id, err := s.StartCall(ctx, &store.Call{SessionID: fmt.Sprintf("ses_%d", w), Tool: "t", Arguments: fmt.Sprint(i)})
				if err == nil {
					err = s.FinishCall(ctx, id, store.Result{Outcome: store.OutcomeOK})
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	rows, err := s.Calls(ctx, store.Query{Limit: workers * each * 2})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int64]bool{}
	for _, r := range rows {
		if r.ID <= 0 {
			t.Fatalf("id %d", r.ID)
		}
		if r.Outcome != store.OutcomeOK || ids[r.ID] {
			t.Fatalf("row %+v", r)
		}
		ids[r.ID] = true
	}
	if len(rows) != workers*each {
		t.Fatalf("%d rows, want %d", len(rows), workers*each)
	}
}

func generations(t *testing.T, open Open) {
	s := mustOpen(t, open, "generations")
	ctx := context.Background()
	if g, err := s.Generation(ctx, "scope-a"); err != nil || g != 0 {
		t.Fatalf("new scope: %d %v", g, err)
	}
	for want := int64(1); want <= 3; want++ {
		if g, err := s.AdvanceGeneration(ctx, "scope-a"); err != nil || g != want {
			t.Fatalf("advance: %d %v, want %d", g, err, want)
		}
	}
	if g, _ := s.Generation(ctx, "scope-a"); g != 3 {
		t.Fatalf("generation %d", g)
	}
	if g, _ := s.Generation(ctx, "scope-b"); g != 0 {
		t.Fatalf("scopes are not separate: %d", g)
	}
	// Concurrent advances: each sees a distinct generation, none is lost.
	const n = 40
	var wg sync.WaitGroup
	seen := make(chan int64, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g, err := s.AdvanceGeneration(ctx, "scope-c")
			if err != nil {
				t.Error(err)
			}
			seen <- g
		}()
	}
	wg.Wait()
	close(seen)
	distinct := map[int64]bool{}
	for g := range seen {
		distinct[g] = true
	}
	if g, _ := s.Generation(ctx, "scope-c"); g != n || len(distinct) != n {
		t.Fatalf("after %d concurrent advances: generation %d, %d distinct", n, g, len(distinct))
	}
}

func survivesReopen(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t, "reopen")
	id, err := s.StartCall(ctx, &store.Call{Tool: "stripe_capture_payment", Arguments: "{}"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartCall(ctx, &store.Call{Tool: "stripe_create_refund", Arguments: "{}"}); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishCall(ctx, id, store.Result{Outcome: store.OutcomeOK}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AdvanceGeneration(ctx, "scope"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := mustOpen(t, open, "reopen")
	rows, err := s2.Calls(ctx, store.Query{})
	if err != nil || len(rows) != 2 {
		t.Fatalf("after reopening: %v %v", rows, err)
	}
	if rows[0].Outcome != store.OutcomePending || rows[1].Outcome != store.OutcomeOK {
		t.Fatalf("outcomes after reopening: %s, %s", rows[0].Outcome, rows[1].Outcome)
	}
	if g, _ := s2.Generation(ctx, "scope"); g != 1 {
		t.Fatalf("generation after reopening: %d", g)
	}
}
