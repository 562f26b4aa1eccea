package tools_test

import (
	"context"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
	"github.com/stripe-mcp/stripe-mcp/internal/tools"
)

// BenchmarkRevenueSummary runs stripe_revenue_summary over 10,000 and
// 100,000 balance transactions served in process by the generated fake
// (one call each: the page cap is lifted for the benchmark) and reports,
// besides ns/op and B/op:
//
//	live-B       the peak live heap of the process during one extra call:
//	             the heap after a full collection forced every 10 pages
//	growth-B     how much that live heap grew from page 10 to its peak
//	live-ratio   live-B at 100k over live-B at 10k, in the same run:
//	             1 when memory does not grow with the objects read
//	peak-heap-B  the largest heap, garbage included, sampled during the
//	             timed calls, above the heap before them
//
// B/op grows with the pages decoded; the live heap must not.
//
//	go test ./internal/tools -run '^$' -bench BenchmarkRevenueSummary -benchtime 5x
func BenchmarkRevenueSummary(b *testing.B) {
	var baseline float64
	for _, n := range []int{10_000, 100_000} {
		b.Run(strconv.Itoa(n/1000)+"k", func(b *testing.B) {
			tools.SetScanPages(b, n/100+1)
			f := &analyticsStripe{txns: txnListing(n), quiet: true}
			cs := connectInProcess(b, inProcess{f})
			args := map[string]any{"since": stamp(n - 1), "until": dataEpoch + 1}
			if r := testutil.Call(b, cs, "stripe_revenue_summary", args); r.IsError || !strings.Contains(testutil.Text(r), `"objects":`+strconv.Itoa(n)+`,"complete":true`) {
				b.Fatalf("not a complete summary of %d: %.300s", n, testutil.Text(r))
			}
			peak := watchHeap()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				testutil.Call(b, cs, "stripe_revenue_summary", args)
			}
			b.StopTimer()
			b.ReportMetric(peak(), "peak-heap-B")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/txn")
			live, growth := liveHeap(f, func() { testutil.Call(b, cs, "stripe_revenue_summary", args) })
			b.ReportMetric(live, "live-B")
			b.ReportMetric(growth, "growth-B")
			switch {
			case n == 10_000:
				baseline = live
			case baseline > 0:
				b.ReportMetric(live/baseline, "live-ratio")
			}
		})
	}
}

// liveHeap runs call while the fake collects garbage every 10 pages, and
// returns the largest heap left after a collection, and its growth since
// the first.
func liveHeap(f *analyticsStripe, call func()) (peak, growth float64) {
	var first, most uint64
	f.onPage = func(_ *http.Request, page int) {
		if page%10 == 0 {
			var m runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m)
			if first == 0 {
				first = m.HeapAlloc
			}
			most = max(most, m.HeapAlloc)
		}
	}
	defer func() { f.onPage = nil }()
	call()
	return float64(most), float64(most - first)
}

// watchHeap samples the heap until the returned function is called, which
// gives the peak above the heap at the start (after a collection).
func watchHeap() (stop func() float64) {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	var (
		mu   sync.Mutex
		most uint64
	)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(200 * time.Microsecond)
		defer tick.Stop()
		for {
			metrics.Read(s)
			mu.Lock()
			most = max(most, s[0].Value.Uint64())
			mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() float64 {
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		if most < base {
			return 0
		}
		return float64(most - base)
	}
}

func label(n int) string { return strconv.Itoa(n/1000) + "k" }
