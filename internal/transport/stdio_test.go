package transport

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// pipeServer runs an MCP server over Stdio on pipes and returns the client
// ends.
func pipeServer(t *testing.T) (in io.WriteCloser, out *bufio.Scanner, done chan error) {
	t.Helper()
	s := mcp.NewServer(&mcp.Implementation{Name: "t", Version: "1"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "echo"}, func(ctx context.Context, req *mcp.CallToolRequest, in struct {
		Text string `json:"text"`
	}) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: in.Text}}}, nil, nil
	})
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done = make(chan error, 1)
	go func() {
		done <- s.Run(context.Background(), &Stdio{In: inR, Out: outW})
		outW.Close()
	}()
	sc := bufio.NewScanner(outR)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	t.Cleanup(func() { inW.Close() })
	return inW, sc, done
}

func send(t *testing.T, w io.Writer, line string) {
	t.Helper()
	if _, err := io.WriteString(w, line+"\n"); err != nil {
		t.Fatal(err)
	}
}

func recv(t *testing.T, sc *bufio.Scanner) map[string]any {
	t.Helper()
	ch := make(chan bool, 1)
	go func() { ch <- sc.Scan() }()
	select {
	case ok := <-ch:
		if !ok {
			t.Fatalf("output closed: %v", sc.Err())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no reply")
	}
	var m map[string]any
	if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
		t.Fatalf("non-JSON output %q", sc.Text())
	}
	return m
}

func errCode(m map[string]any) float64 {
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(float64)
	return c
}

func initialize(t *testing.T, w io.Writer, sc *bufio.Scanner, version string) {
	t.Helper()
	send(t, w, `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"`+version+`","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	if m := recv(t, sc); m["result"] == nil {
		t.Fatalf("initialize: %v", m)
	}
	send(t, w, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
}

func TestMalformedInputKeepsSession(t *testing.T) {
	w, sc, done := pipeServer(t)
	initialize(t, w, sc, "2025-06-18")
	cases := []struct {
		line string
		code float64
		id   any
	}{
		{"{not json", -32700, nil},
		{`{"jsonrpc":"2.0","id":5,"method":"tools/list"`, -32700, nil},
		{`{"jsonrpc":"1.0","id":6,"method":"tools/list"}`, -32600, float64(6)},
		{`{"jsonrpc":"2.0","id":"abc","method":7}`, -32600, "abc"},
		{`{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}`, -32600, nil},
		{`42`, -32600, nil},
		{`[{"jsonrpc":"2.0","id":9,"method":"ping"}]`, -32600, nil}, // no batches after 2025-03-26
		{strings.Repeat("x", MaxLineBytes+10), -32600, nil},
	}
	for _, c := range cases {
		send(t, w, c.line)
		m := recv(t, sc)
		if errCode(m) != c.code || m["id"] != c.id {
			t.Errorf("%.40q: got %v, want code %v id %v", c.line, m, c.code, c.id)
		}
	}
	// Blank lines are ignored; the session still works.
	send(t, w, "")
	send(t, w, `{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"echo","arguments":{"text":"still here"}}}`)
	m := recv(t, sc)
	if m["id"] != float64(10) || !strings.Contains(sc.Text(), "still here") {
		t.Fatalf("after malformed input: %v", m)
	}
	w.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after stdin closed: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return when input closed")
	}
}

// A message many times the read buffer's size arrives whole.
func TestLongMessage(t *testing.T) {
	w, sc, _ := pipeServer(t)
	initialize(t, w, sc, "2025-06-18")
	text := strings.Repeat("0123456789", 50_000) // 500 kB
	// Written from another goroutine: a server that answered part of the
	// line would block on its reply while this one blocks on the write.
	go io.WriteString(w, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"`+text+`"}}}`+"\n")
	m := recv(t, sc)
	res, _ := m["result"].(map[string]any)
	content, _ := res["content"].([]any)
	if m["id"] != float64(1) || len(content) != 1 || content[0].(map[string]any)["text"] != text {
		t.Fatalf("reply %.200q", sc.Text())
	}
}

func TestBatchesOnOldProtocol(t *testing.T) {
	w, sc, _ := pipeServer(t)
	initialize(t, w, sc, "2025-03-26")
	send(t, w, `[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}]`)
	if !sc.Scan() {
		t.Fatal("no reply to batch")
	}
	var batch []map[string]any
	if err := json.Unmarshal(sc.Bytes(), &batch); err != nil || len(batch) != 2 {
		t.Fatalf("batch reply %q", sc.Text())
	}
	send(t, w, `[{"jsonrpc":"2.0","id":3,"method":"ping"},{"jsonrpc":"2.0","id":3,"method":"ping"}]`)
	if m := recv(t, sc); errCode(m) != -32600 {
		t.Fatalf("duplicate ids in a batch: %v", m)
	}
	send(t, w, `{"jsonrpc":"2.0","id":4,"method":"ping"}`)
	if m := recv(t, sc); m["id"] != float64(4) {
		t.Fatalf("after batch: %v", m)
	}
}

// recvNumbers is recv with numbers kept as the server wrote them.
func recvNumbers(t *testing.T, sc *bufio.Scanner) map[string]any {
	t.Helper()
	recv(t, sc)
	dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRequestIDs: a request is answered with its id exactly as the client
// wrote it — a string, or any integer of 64 bits, beyond the 2^53 a
// float64 holds — in a batch too; an id that is null, fractional, out of
// range or neither a string nor a number gets -32600 with a null id (a
// null id is not a notification), and the session goes on.
func TestRequestIDs(t *testing.T) {
	w, sc, _ := pipeServer(t)
	initialize(t, w, sc, "2025-03-26")
	for _, id := range []string{"9007199254740993", "9223372036854775807", "-9223372036854775808", "-9007199254740993", "9007199254740991", "0", `"9007199254740993"`, `"x"`} {
		send(t, w, `{"jsonrpc":"2.0","id":`+id+`,"method":"ping"}`)
		m := recvNumbers(t, sc)
		got, _ := json.Marshal(m["id"])
		if string(got) != id || m["result"] == nil {
			t.Errorf("id %s: answered %s", id, sc.Text())
		}
	}
	send(t, w, `[{"jsonrpc":"2.0","id":9007199254740993,"method":"ping"},{"jsonrpc":"2.0","id":9007199254740995,"method":"ping"}]`)
	if !sc.Scan() {
		t.Fatal("no reply to the batch")
	}
	var batch []struct {
		ID     json.RawMessage `json:"id"`
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(sc.Bytes(), &batch); err != nil || len(batch) != 2 ||
		string(batch[0].ID) != "9007199254740993" || string(batch[1].ID) != "9007199254740995" || batch[0].Result == nil {
		t.Errorf("batch answered %s", sc.Text())
	}
	for _, id := range []string{"null", "1.5", "1.0", "1e3", "9223372036854775808", "-9223372036854775809", "true", `{"x":1}`, "[1]"} {
		send(t, w, `{"jsonrpc":"2.0","id":`+id+`,"method":"ping"}`)
		m := recv(t, sc)
		if errCode(m) != -32600 || m["id"] != nil || !strings.Contains(sc.Text(), `"id":null`) {
			t.Errorf("id %s: answered %s, want -32600 with a null id", id, sc.Text())
		}
	}
	send(t, w, `{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"echo","arguments":{"text":"goes on"}}}`)
	if m := recv(t, sc); m["id"] != float64(11) || !strings.Contains(sc.Text(), "goes on") {
		t.Fatalf("after bad ids: %v", m)
	}
}

// TestCancelByExactID: notifications/cancelled reaches the request it
// names by an integer id beyond 2^53 (not the one a float64 rounds it to).
func TestCancelByExactID(t *testing.T) {
	s := mcp.NewServer(&mcp.Implementation{Name: "t", Version: "1"}, nil)
	started, cancelled, done := make(chan string, 4), make(chan string, 4), make(chan struct{})
	t.Cleanup(func() { close(done) })
	mcp.AddTool(s, &mcp.Tool{Name: "wait"}, func(ctx context.Context, req *mcp.CallToolRequest, in struct {
		Name string `json:"name"`
	}) (*mcp.CallToolResult, any, error) {
		started <- in.Name
		select {
		case <-ctx.Done():
			cancelled <- in.Name
		case <-done:
		}
		return &mcp.CallToolResult{}, nil, nil
	})
	inR, w := io.Pipe()
	outR, outW := io.Pipe()
	go s.Run(context.Background(), &Stdio{In: inR, Out: outW})
	t.Cleanup(func() { w.Close() })
	sc := bufio.NewScanner(outR)
	go func() {
		for sc.Scan() {
		}
	}()
	send(t, w, `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	send(t, w, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	// Two calls in progress: the id a float64 makes of the one cancelled,
	// and that one.
	for _, c := range []struct{ id, name string }{{"9007199254740992", "rounded"}, {"9007199254740993", "exact"}} {
		send(t, w, `{"jsonrpc":"2.0","id":`+c.id+`,"method":"tools/call","params":{"name":"wait","arguments":{"name":"`+c.name+`"}}}`)
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			t.Fatalf("call %s did not start", c.name)
		}
	}
	send(t, w, `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":9007199254740993,"reason":"test"}}`)
	select {
	case name := <-cancelled:
		if name != "exact" {
			t.Fatalf("cancelled the call %s", name)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the call was not cancelled")
	}
}
