package transport

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func after(t *testing.T, s *EventStore, session, stream string, index int) ([]string, error) {
	t.Helper()
	var out []string
	for d, err := range s.After(context.Background(), session, stream, index) {
		if err != nil {
			return out, err
		}
		out = append(out, string(d))
	}
	return out, nil
}

// emptiedBy returns a store of session "ses" with room for one 10-byte
// event, which stream first held (its index 0) until an event appended to
// stream by took its place: first is empty. maxEmpty is the store's.
func emptiedBy(maxEmpty int, first, by string) *EventStore {
	ctx := context.Background()
	s := NewEventStore(eventOverhead + 10)
	s.maxEmpty = maxEmpty
	s.Open(ctx, "ses", first)
	s.Append(ctx, "ses", first, []byte("0123456789"))
	s.Open(ctx, "ses", by)
	s.Append(ctx, "ses", by, []byte("x"))
	return s
}

func TestEventStoreReplays(t *testing.T) {
	ctx := context.Background()
	s := NewEventStore(0)
	s.Open(ctx, "ses", "a")
	s.Open(ctx, "ses", "b")
	for i := range 3 {
		s.Append(ctx, "ses", "a", fmt.Appendf(nil, "a%d", i))
	}
	s.Append(ctx, "ses", "b", nil) // a priming event
	s.Append(ctx, "ses", "b", []byte("b1"))
	for _, tc := range []struct {
		stream string
		index  int
		want   string
	}{
		{"a", -1, "a0 a1 a2"}, {"a", 0, "a1 a2"}, {"a", 2, ""}, {"a", 7, ""}, {"b", 0, "b1"},
	} {
		got, err := after(t, s, "ses", tc.stream, tc.index)
		if err != nil || strings.Join(got, " ") != tc.want {
			t.Errorf("%s after %d: %q, %v; want %q", tc.stream, tc.index, got, err, tc.want)
		}
	}
	if _, err := after(t, s, "nope", "a", -1); err == nil {
		t.Error("unknown session: no error")
	}
	if _, err := after(t, s, "ses", "nope", -1); !errors.Is(err, mcp.ErrEventsPurged) {
		t.Errorf("unknown stream: %v", err)
	}
}

// A full store drops the oldest events first, refuses to replay across
// what it dropped, and forgets the streams left empty longest ago.
func TestEventStorePurgesOldestFirst(t *testing.T) {
	ctx := context.Background()
	const data = 36 // + eventOverhead = 100 bytes an event
	s := NewEventStore(500)
	s.maxEmpty = 1
	ev := func(name string) []byte { return []byte(name + strings.Repeat(".", data-len(name))) }
	for i := range 3 {
		s.Open(ctx, "ses", fmt.Sprint("post", i))
		s.Append(ctx, "ses", fmt.Sprint("post", i), ev(fmt.Sprint("r", i)))
	}
	s.Open(ctx, "ses", "get")
	s.Append(ctx, "ses", "get", ev("g0"))
	s.Append(ctx, "ses", "get", ev("g1"))
	if b, n, q := s.usage(); b != 500 || n != 5 || q != 5 {
		t.Fatalf("usage %d bytes, %d events, %d queued", b, n, q)
	}
	s.Append(ctx, "ses", "get", ev("g2")) // 600 bytes: post0's response goes
	if b, n, _ := s.usage(); b != 500 || n != 5 {
		t.Fatalf("usage %d bytes, %d events", b, n)
	}
	if _, err := after(t, s, "ses", "post0", -1); !errors.Is(err, mcp.ErrEventsPurged) {
		t.Errorf("purged stream: %v", err)
	}
	if got, err := after(t, s, "ses", "post0", 0); err != nil || len(got) != 0 {
		t.Errorf("emptied stream after its last event: %q, %v", got, err)
	}
	s.Append(ctx, "ses", "get", ev("g3")) // post1 goes, and post0 is forgotten
	if s.sessions["ses"]["post0"] != nil || s.sessions["ses"]["post1"] == nil {
		t.Errorf("streams kept: %v", s.sessions["ses"])
	}
	s.Append(ctx, "ses", "get", ev("g4")) // post2 goes
	s.Append(ctx, "ses", "get", ev("g5")) // g0 goes
	if _, err := after(t, s, "ses", "get", -1); !errors.Is(err, mcp.ErrEventsPurged) {
		t.Errorf("replay across a dropped event: %v", err)
	}
	got, err := after(t, s, "ses", "get", 0)
	if err != nil || len(got) != 5 || got[0][:2] != "g1" || got[4][:2] != "g5" {
		t.Errorf("after 0: %q, %v", got, err)
	}
}

// A stream emptied while still in use goes on with the right indexes; one
// forgotten meanwhile is not replayed with indexes that would not match.
func TestEventStoreEmptiedStreamGoesOn(t *testing.T) {
	ctx := context.Background()
	s := emptiedBy(defaultMaxEmpty, "long", "other")
	s.Append(ctx, "ses", "long", []byte("1")) // index 1; "other" is emptied
	if got, err := after(t, s, "ses", "long", 0); err != nil || strings.Join(got, " ") != "1" {
		t.Errorf("after 0: %q, %v", got, err)
	}
	if _, err := after(t, s, "ses", "long", -1); !errors.Is(err, mcp.ErrEventsPurged) {
		t.Errorf("replay across the dropped event: %v", err)
	}
}

// A session's standalone stream ("") is remembered however many streams
// empty after it.
func TestEventStoreKeepsStandaloneStream(t *testing.T) {
	ctx := context.Background()
	s := emptiedBy(0, "", "post")
	s.Append(ctx, "ses", "", []byte("1")) // "post" is emptied and forgotten
	if s.sessions["ses"]["post"] != nil {
		t.Error("an emptied POST stream is kept with maxEmpty 0")
	}
	if got, err := after(t, s, "ses", "", 0); err != nil || strings.Join(got, " ") != "1" {
		t.Errorf("standalone stream after 0: %q, %v", got, err)
	}
}

func TestEventStoreLostStream(t *testing.T) {
	ctx := context.Background()
	s := emptiedBy(0, "long", "other")        // "long" is forgotten too
	s.Append(ctx, "ses", "long", []byte("1")) // its event 1, which the store cannot place
	if _, err := after(t, s, "ses", "long", 0); !errors.Is(err, mcp.ErrEventsPurged) {
		t.Errorf("lost stream replayed: %v", err)
	}
}

// Closing sessions frees what they held, and the queue does not keep
// growing with their events when the store never fills.
func TestEventStoreSessionsClose(t *testing.T) {
	ctx := context.Background()
	s := NewEventStore(0)
	for i := range 10000 {
		ses := fmt.Sprint("ses", i)
		for j := range 3 {
			s.Open(ctx, ses, fmt.Sprint(j))
			s.Append(ctx, ses, fmt.Sprint(j), []byte("response"))
		}
		s.SessionClosed(ctx, ses)
	}
	b, n, q := s.usage()
	if b != 0 || n != 0 || q > 1024+3 || len(s.sessions) != 0 {
		t.Fatalf("after every session closed: %d bytes, %d events, %d queued, %d sessions", b, n, q, len(s.sessions))
	}
}

func TestEventStoreConcurrent(t *testing.T) {
	ctx := context.Background()
	s := NewEventStore(64 << 10)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			ses := fmt.Sprint("ses", w)
			for i := range 2000 {
				stream := fmt.Sprint(i)
				s.Open(ctx, ses, stream)
				s.Append(ctx, ses, stream, []byte(`{"jsonrpc":"2.0","id":1,"result":{}}`))
				for range s.After(ctx, ses, stream, -1) {
				}
			}
			s.SessionClosed(ctx, ses)
		})
	}
	wg.Wait()
	if b, n, _ := s.usage(); b != 0 || n != 0 {
		t.Fatalf("%d bytes, %d events left", b, n)
	}
}

// BenchmarkEventStore appends a response event to a new stream per call
// (as the SDK does for each POST) across 50 sessions, with the store full:
// this store against the SDK's MemoryEventStore, the same budget. worst-µs
// is the longest single append: every other response waits for it.
func BenchmarkEventStore(b *testing.B) {
	event := []byte(strings.Repeat("x", 600))
	for _, c := range []struct {
		name  string
		store func() mcp.EventStore
	}{
		{"sdk-memory", func() mcp.EventStore { return mcp.NewMemoryEventStore(nil) }},
		{"ours", func() mcp.EventStore { return NewEventStore(0) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			s := c.store()
			i := 0
			call := func() {
				ses, stream := fmt.Sprint("ses", i%50), fmt.Sprint(i)
				s.Open(ctx, ses, stream)
				s.Append(ctx, ses, stream, event)
				i++
			}
			for range 40000 { // fill it: 24 MB of events through a 10 MiB store
				call()
			}
			var worst time.Duration
			for b.Loop() {
				t0 := time.Now()
				call()
				worst = max(worst, time.Since(t0))
			}
			b.ReportMetric(float64(worst.Microseconds()), "worst-µs")
		})
	}
}
