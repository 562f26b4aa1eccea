// Package transport carries MCP messages: stdio here; the HTTP endpoints
// beside it.
package transport

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// MaxLineBytes bounds one JSON-RPC message on stdio.
const MaxLineBytes = 4 << 20

// Stdio is newline-delimited JSON-RPC over a reader and a writer. Unlike the
// SDK's stdio transport, a malformed line does not end the session: it gets
// a JSON-RPC error reply (-32700 for unparseable JSON, -32600 for JSON that
// is not a JSON-RPC message) and the next line is read.
type Stdio struct {
	In     io.Reader
	Out    io.Writer
	Logger *slog.Logger
}

// Connect implements mcp.Transport.
func (t *Stdio) Connect(ctx context.Context) (mcp.Connection, error) {
	logger := t.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	out := &lockedWriter{w: t.Out}
	f := &lineFilter{in: bufio.NewReaderSize(t.In, 64<<10), closer: t.In, out: out, logger: logger}
	return (&mcp.IOTransport{Reader: f, Writer: out}).Connect(ctx)
}

// lockedWriter serialises writes so that error replies written by the filter
// never interleave with the SDK's messages. The SDK writes each message,
// newline included, in one Write call.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) Close() error { return nil }

// lineFilter is the reader the SDK decodes from: it reads stdin a line at a
// time, in the SDK's own reading goroutine, answers lines that are not
// JSON-RPC messages itself, and hands on only those that are.
type lineFilter struct {
	in      *bufio.Reader
	closer  io.Reader
	out     *lockedWriter
	logger  *slog.Logger
	pending []byte // the rest of the current line, for the next Read
	line    []byte
	// batchOK is whether the client's protocol version still has JSON-RPC
	// batches (2025-03-26 and older); the SDK ends the session on a batch
	// otherwise, so the filter answers it instead.
	batchOK bool
}

func (f *lineFilter) Read(p []byte) (int, error) {
	for len(f.pending) == 0 {
		line, err := f.next()
		if err != nil {
			return 0, err
		}
		if f.accept(line) {
			f.pending = append(line, '\n')
		}
	}
	n := copy(p, f.pending)
	f.pending = f.pending[n:]
	return n, nil
}

// Close closes stdin when it can be closed, so that a pending read ends.
func (f *lineFilter) Close() error {
	if c, ok := f.closer.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// next returns the next non-empty line, without its newline, refusing lines
// longer than MaxLineBytes. At the end of input it returns io.EOF.
func (f *lineFilter) next() ([]byte, error) {
	for {
		f.line = f.line[:0]
		tooLong := false
		for {
			chunk, err := f.in.ReadSlice('\n')
			if !tooLong {
				f.line = append(f.line, chunk...)
				if len(f.line) > MaxLineBytes {
					tooLong = true
					f.line = f.line[:0]
				}
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if tooLong {
				f.reply(nil, jsonrpc.CodeInvalidRequest, "Invalid Request: message larger than 4 MiB")
				break
			}
			line := bytes.TrimSpace(f.line)
			if len(line) > 0 {
				return line, nil
			}
			if err != nil {
				return nil, io.EOF
			}
			break
		}
	}
}

// accept reports whether line goes on to the SDK; when it does not, it has
// been answered with a JSON-RPC error.
func (f *lineFilter) accept(line []byte) bool {
	if !json.Valid(line) {
		f.logger.Warn("stdio: unparseable line answered with a parse error", "bytes", len(line))
		f.reply(nil, jsonrpc.CodeParseError, "Parse error: the line is not valid JSON")
		return false
	}
	switch line[0] {
	case '{':
		msg, err := jsonrpc.DecodeMessage(line)
		if err != nil {
			f.reply(idOf(line), jsonrpc.CodeInvalidRequest, "Invalid Request: "+err.Error())
			return false
		}
		if req, ok := msg.(*jsonrpc.Request); ok && req.Method == "initialize" {
			var p struct {
				ProtocolVersion string `json:"protocolVersion"`
			}
			_ = json.Unmarshal(req.Params, &p)
			f.batchOK = p.ProtocolVersion != "" && p.ProtocolVersion < "2025-06-18"
		}
	case '[':
		if err := f.checkBatch(line); err != nil {
			f.reply(nil, jsonrpc.CodeInvalidRequest, "Invalid Request: "+err.Error())
			return false
		}
	default:
		f.reply(nil, jsonrpc.CodeInvalidRequest, "Invalid Request: a message must be a JSON object")
		return false
	}
	return true
}

func (f *lineFilter) checkBatch(line []byte) error {
	if !f.batchOK {
		return errors.New("JSON-RPC batches are not part of this protocol version")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(line, &items); err != nil || len(items) == 0 {
		return errors.New("empty or malformed batch")
	}
	seen := map[any]bool{}
	for _, item := range items {
		msg, err := jsonrpc.DecodeMessage(item)
		if err != nil {
			return err
		}
		if req, ok := msg.(*jsonrpc.Request); ok && req.ID.IsValid() {
			if seen[req.ID.Raw()] {
				return errors.New("duplicate id in batch")
			}
			seen[req.ID.Raw()] = true
		}
	}
	return nil
}

// idOf recovers the id of a message that failed to decode, so the error
// reply can be matched; nil when there is none.
func idOf(line []byte) any {
	var probe struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(line, &probe) != nil || len(probe.ID) == 0 {
		return nil
	}
	var id any
	if json.Unmarshal(probe.ID, &id) != nil {
		return nil
	}
	switch v := id.(type) {
	case string:
		return v
	case float64:
		return v
	}
	return nil
}

func (f *lineFilter) reply(id any, code int, message string) {
	b, err := json.Marshal(struct {
		JSONRPC string `json:"jsonrpc"`
		ID      any    `json:"id"`
		Error   struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}{JSONRPC: "2.0", ID: id, Error: struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}{code, strings.TrimSpace(message)}})
	if err != nil {
		return
	}
	_, _ = f.out.Write(append(b, '\n'))
}
