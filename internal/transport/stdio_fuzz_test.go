package transport

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// FuzzStdioLine: whatever a line holds, decoding it either yields messages
// that encode again, or answers with exactly one JSON-RPC error line; it
// never panics. (A panic here would end the session of a stdio client.)
func FuzzStdioLine(f *testing.F) {
	for _, seed := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","id":"a","result":{}}`,
		`{"jsonrpc":"2.0","id":2,"error":{"code":-1,"message":"m"}}`,
		`[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}]`,
		`[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":1,"method":"ping"}]`,
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26"}}`,
		`{"jsonrpc":"1.0","id":1,"method":"ping"}`, `{"id":{},"method":"x"}`, `[]`, `"x"`, `{`, `null`, "\x00",
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	f.Fuzz(func(t *testing.T, line []byte, batchOK bool) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || bytes.IndexByte(line, '\n') >= 0 {
			return // the read loop never passes these
		}
		var out bytes.Buffer
		c := &stdioConn{out: &out, logger: slog.New(slog.DiscardHandler), open: map[any]bool{}}
		msgs := c.decodeLine(line, &batchOK)
		if msgs != nil {
			for _, m := range msgs {
				if _, err := jsonrpc.EncodeMessage(m); err != nil {
					t.Fatalf("%q gave a message that does not encode: %v", line, err)
				}
			}
			if out.Len() != 0 {
				t.Fatalf("%q gave messages and also answered %q", line, out.Bytes())
			}
			return
		}
		reply := bytes.TrimSuffix(out.Bytes(), []byte("\n"))
		if bytes.Count(out.Bytes(), []byte("\n")) != 1 {
			t.Fatalf("%q: want one error line, got %q", line, out.Bytes())
		}
		var r struct {
			JSONRPC string          `json:"jsonrpc"`
			ID      json.RawMessage `json:"id"`
			Error   *struct {
				Code    int64  `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(reply, &r); err != nil || r.JSONRPC != "2.0" || r.Error == nil || r.Error.Code >= 0 || r.Error.Message == "" || r.ID == nil {
			t.Fatalf("%q: the answer %q is not a JSON-RPC error", line, reply)
		}
	})
}
