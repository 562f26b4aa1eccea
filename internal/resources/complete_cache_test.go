package resources

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripe-mcp/stripe-mcp/internal/stripeapi"
	"github.com/stripe-mcp/stripe-mcp/internal/tools"
)

// customersStripe answers GET /v1/customers with cus_1, or fails it with a
// 500 (which is not retried), counting requests; hold, when set, keeps each
// request until it is closed.
type customersStripe struct {
	requests atomic.Int32
	failing  atomic.Bool
	hold     chan struct{}
}

func (s *customersStripe) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if s.hold != nil {
		<-s.hold
	}
	w.Header().Set("Content-Type", "application/json")
	if s.failing.Load() || r.URL.Path != "/v1/customers" {
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"error":{"type":"api_error","message":"An unknown error occurred"}}`)
		return
	}
	fmt.Fprint(w, `{"object":"list","url":"/v1/customers","has_more":false,"data":[{"id":"cus_1","object":"customer"}]}`)
}

func testCompleter(t *testing.T, s *customersStripe) (*Completer, *time.Time) {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	sc, err := stripeapi.New(stripeapi.Options{Key: "sk_test_0123456789abcdefghijklmnopqrstuv", BaseURL: srv.URL, NoRetrySleep: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	c := NewCompleter(Deps{Tools: &tools.Deps{Stripe: sc}})
	c.now = func() time.Time { return now }
	return c, &now
}

// TestCompletionListFailureKept: while Stripe fails, keystrokes do not each
// send it a request: a failure is kept 10 seconds, a list a minute.
func TestCompletionListFailureKept(t *testing.T) {
	s := &customersStripe{}
	s.failing.Store(true)
	c, now := testCompleter(t, s)
	ctx := context.Background()
	check := func(when string, wantIDs []string, wantRequests int32) {
		t.Helper()
		if ids := c.fromAPI(ctx, "cus_"); !slices.Equal(ids, wantIDs) {
			t.Errorf("%s: ids %v, want %v", when, ids, wantIDs)
		}
		if n := s.requests.Load(); n != wantRequests {
			t.Errorf("%s: %d requests to Stripe, want %d", when, n, wantRequests)
		}
	}
	check("Stripe failing", nil, 1)
	for range 5 {
		check("keystrokes within 10 s of the failure", nil, 1)
	}
	s.failing.Store(false)
	*now = now.Add(failTTL - time.Second)
	check("Stripe back, 9 s after the failure", nil, 1)
	*now = now.Add(2 * time.Second)
	check("11 s after the failure", []string{"cus_1"}, 2)
	*now = now.Add(apiTTL - time.Second)
	check("59 s after the list", []string{"cus_1"}, 2)
	*now = now.Add(2 * time.Second)
	check("61 s after the list", []string{"cus_1"}, 3)
}

// TestCompletionListOneFetchAtATime: completions asked for while the list is
// fetched wait for that fetch instead of sending their own; one the client
// cancels stops waiting, and the fetch still serves the others.
func TestCompletionListOneFetchAtATime(t *testing.T) {
	s := &customersStripe{hold: make(chan struct{})}
	c, _ := testCompleter(t, s)
	cancelled, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	results := make([][]string, 8)
	for i := range results {
		wg.Go(func() {
			ctx := context.Background()
			if i == 0 {
				ctx = cancelled
			}
			results[i] = c.fromAPI(ctx, "cus_")
		})
	}
	for deadline := time.Now().Add(5 * time.Second); s.requests.Load() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("Stripe was not asked")
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // the others are waiting by now
	cancel()
	time.Sleep(20 * time.Millisecond)
	close(s.hold)
	wg.Wait()
	if n := s.requests.Load(); n != 1 {
		t.Errorf("%d requests to Stripe for 8 concurrent completions, want 1", n)
	}
	if results[0] != nil {
		t.Errorf("the cancelled completion got %v", results[0])
	}
	for i, r := range results[1:] {
		if !slices.Equal(r, []string{"cus_1"}) {
			t.Errorf("completion %d: %v", i+1, r)
		}
	}
}
