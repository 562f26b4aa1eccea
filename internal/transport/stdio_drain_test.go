package transport

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// drainServer serves a tool that takes wait to answer (or until its session
// ends), over Stdio with the given drain bound.
func drainServer(t *testing.T, wait time.Duration, drain time.Duration) (io.WriteCloser, *bufio.Scanner, chan error) {
	t.Helper()
	s := mcp.NewServer(&mcp.Implementation{Name: "t", Version: "1"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "slow"}, func(ctx context.Context, _ *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
		select {
		case <-time.After(wait):
		case <-ctx.Done(): // the session ended
			return nil, nil, ctx.Err()
		}
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "done"}}}, nil, nil
	})
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- s.Run(context.Background(), &Stdio{In: inR, Out: outW, Drain: drain})
		outW.Close()
	}()
	sc := bufio.NewScanner(outR)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	return inW, sc, done
}

// TestEndOfInputAnswersWhatWasRead: requests written just before stdin
// closes are all answered, then the server ends without an error.
func TestEndOfInputAnswersWhatWasRead(t *testing.T) {
	in, sc, done := drainServer(t, 300*time.Millisecond, 0)
	initialize(t, in, sc, "2025-06-18")
	for id := 2; id <= 4; id++ {
		send(t, in, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"slow","arguments":{}}}`, id))
	}
	in.Close()
	got := map[float64]bool{}
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("non-JSON output %q", sc.Text())
		}
		if _, ok := m["result"]; ok {
			got[m["id"].(float64)] = true
		}
	}
	if len(got) != 3 || !got[2] || !got[3] || !got[4] {
		t.Fatalf("answered %v, want 2, 3 and 4", got)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the server did not end after answering")
	}
}

// TestEndOfInputDrainIsBounded: a request that does not finish within the
// drain bound does not keep the server alive.
func TestEndOfInputDrainIsBounded(t *testing.T) {
	in, sc, done := drainServer(t, time.Hour, 200*time.Millisecond)
	initialize(t, in, sc, "2025-06-18")
	send(t, in, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"slow","arguments":{}}}`)
	start := time.Now()
	in.Close()
	go func() {
		for sc.Scan() {
		}
	}()
	select {
	case <-done:
		if d := time.Since(start); d < 150*time.Millisecond {
			t.Errorf("ended after %v, before the drain bound", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("an unfinished request kept the server alive past the drain bound")
	}
}
