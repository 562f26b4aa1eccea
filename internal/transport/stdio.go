// Package transport carries MCP messages: stdio here; the HTTP endpoints
// beside it.
package transport

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// MaxLineBytes bounds one JSON-RPC message on stdio.
const MaxLineBytes = 4 << 20

// Stdio is newline-delimited JSON-RPC over a reader and a writer. Unlike the
// SDK's stdio transport, a malformed line does not end the session: it gets
// a JSON-RPC error reply (-32700 for unparseable JSON, -32600 for JSON that
// is not a JSON-RPC message) and the next line is read. Messages are decoded
// here with the standard library, which allocates a fraction of what the
// SDK's decoder does per message.
//
// When the input ends, the requests already read are answered before the
// connection reports the end (for at most Drain): a client that writes its
// requests and closes stdin still gets every answer.
type Stdio struct {
	In     io.Reader
	Out    io.Writer
	Logger *slog.Logger
	// Drain bounds the wait for unanswered requests at the end of the
	// input; 0 means 30 seconds.
	Drain time.Duration
}

// Connect implements mcp.Transport.
func (t *Stdio) Connect(context.Context) (mcp.Connection, error) {
	logger := t.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	drain := t.Drain
	if drain <= 0 {
		drain = 30 * time.Second
	}
	c := &stdioConn{
		out:      t.Out,
		in:       t.In,
		logger:   logger,
		incoming: make(chan incoming),
		closed:   make(chan struct{}),
		drain:    drain,
		open:     map[any]bool{},
	}
	// readLoop gathers a longer line in chunks, so the buffer only sets
	// the read size: 8 KiB holds a typical message whole and stays that
	// small for the session's life.
	go c.readLoop(bufio.NewReaderSize(t.In, 8<<10))
	return c, nil
}

type incoming struct {
	msgs []jsonrpc.Message
	err  error
}

// stdioConn is an mcp.Connection over newline-delimited JSON.
type stdioConn struct {
	in       io.Reader
	logger   *slog.Logger
	incoming chan incoming
	queue    []jsonrpc.Message // the rest of a batch, for the next Reads

	writeMu sync.Mutex
	out     io.Writer
	batches map[any]*batch // request id → the batch it came in

	closeOnce sync.Once
	closed    chan struct{}

	// open are the ids of requests read and not yet answered; answered is
	// signalled when the last one is.
	openMu   sync.Mutex
	open     map[any]bool
	answered chan struct{}
	drain    time.Duration
}

// opened records a request read from the client.
func (c *stdioConn) opened(m jsonrpc.Message) {
	if r, ok := m.(*jsonrpc.Request); ok && r.ID.IsValid() {
		c.openMu.Lock()
		c.open[r.ID.Raw()] = true
		c.openMu.Unlock()
	}
}

// answeredOne records a response written to the client.
func (c *stdioConn) answeredOne(m jsonrpc.Message) {
	r, ok := m.(*jsonrpc.Response)
	if !ok {
		return
	}
	c.openMu.Lock()
	delete(c.open, r.ID.Raw())
	if len(c.open) == 0 && c.answered != nil {
		close(c.answered)
		c.answered = nil
	}
	c.openMu.Unlock()
}

// waitAnswered waits until every request read has been answered, the drain
// time has passed, or ctx ends.
func (c *stdioConn) waitAnswered(ctx context.Context) {
	c.openMu.Lock()
	if len(c.open) == 0 {
		c.openMu.Unlock()
		return
	}
	if c.answered == nil {
		c.answered = make(chan struct{})
	}
	ch, n := c.answered, len(c.open)
	c.openMu.Unlock()
	t := time.NewTimer(c.drain)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
		c.logger.Warn("stdin closed; gave up waiting for requests to finish", "unanswered", n, "waited", c.drain)
	case <-ctx.Done():
	case <-c.closed:
	}
}

// batch collects the responses to the requests of one incoming batch
// (protocol 2025-03-26 and older); the reply goes out when all are in.
type batch struct {
	pending   int
	responses []*jsonrpc.Response
	index     map[any]int
}

func (c *stdioConn) SessionID() string { return "" }

func (c *stdioConn) Read(ctx context.Context) (jsonrpc.Message, error) {
	if len(c.queue) > 0 {
		m := c.queue[0]
		c.queue = c.queue[1:]
		c.opened(m)
		return m, nil
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.closed:
		return nil, io.EOF
	case in := <-c.incoming:
		if in.err != nil {
			if errors.Is(in.err, io.EOF) {
				c.waitAnswered(ctx)
			}
			return nil, in.err
		}
		c.queue = in.msgs[1:]
		c.opened(in.msgs[0])
		return in.msgs[0], nil
	}
}

func (c *stdioConn) Write(ctx context.Context, msg jsonrpc.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	defer c.answeredOne(msg)
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if resp, ok := msg.(*jsonrpc.Response); ok && c.batches != nil {
		if b, ok := c.batches[resp.ID.Raw()]; ok {
			delete(c.batches, resp.ID.Raw())
			b.responses[b.index[resp.ID.Raw()]] = resp
			if b.pending--; b.pending > 0 {
				return nil
			}
			parts := make([]json.RawMessage, len(b.responses))
			for i, r := range b.responses {
				data, err := encodeMessage(r)
				if err != nil {
					return err
				}
				parts[i] = data
			}
			data, err := json.Marshal(parts)
			if err != nil {
				return err
			}
			return c.writeLine(data)
		}
	}
	data, err := encodeMessage(msg)
	if err != nil {
		return fmt.Errorf("encoding a message: %w", err)
	}
	return c.writeLine(data)
}

// writeLine writes one message and its newline in a single Write; the
// caller holds writeMu.
func (c *stdioConn) writeLine(data []byte) error {
	_, err := c.out.Write(append(data, '\n'))
	return err
}

func (c *stdioConn) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		if cl, ok := c.in.(io.Closer); ok {
			cl.Close()
		}
	})
	return nil
}

// readLoop reads lines until the input ends, answering the ones that are not
// JSON-RPC messages and handing the others to Read.
func (c *stdioConn) readLoop(r *bufio.Reader) {
	var (
		line    []byte
		batchOK bool // whether the client's protocol still has batches
	)
	deliver := func(in incoming) bool {
		select {
		case c.incoming <- in:
			return true
		case <-c.closed:
			return false
		}
	}
	for {
		line = line[:0]
		tooLong := false
		var err error
		for {
			var chunk []byte
			chunk, err = r.ReadSlice('\n')
			if !tooLong {
				line = append(line, chunk...)
				if len(line) > MaxLineBytes {
					tooLong, line = true, line[:0]
				}
			}
			if !errors.Is(err, bufio.ErrBufferFull) {
				break
			}
		}
		if tooLong {
			c.reply(nil, jsonrpc.CodeInvalidRequest, "Invalid Request: message larger than 4 MiB")
		} else if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 {
			msgs := c.decodeLine(trimmed, &batchOK)
			if len(msgs) > 0 && !deliver(incoming{msgs: msgs}) {
				return
			}
		}
		if err != nil {
			// End of input: the client has gone; the session ends cleanly.
			deliver(incoming{err: io.EOF})
			return
		}
	}
}

// decodeLine returns the messages of one line, or nil after answering a line
// that holds none.
func (c *stdioConn) decodeLine(line []byte, batchOK *bool) []jsonrpc.Message {
	if !json.Valid(line) {
		c.logger.Warn("stdio: unparseable line answered with a parse error", "bytes", len(line))
		c.reply(nil, jsonrpc.CodeParseError, "Parse error: the line is not valid JSON")
		return nil
	}
	switch line[0] {
	case '{':
		msg, err := decodeMessage(line)
		if err != nil {
			c.reply(idOf(line), jsonrpc.CodeInvalidRequest, "Invalid Request: "+err.Error())
			return nil
		}
		if req, ok := msg.(*jsonrpc.Request); ok && req.Method == "initialize" {
			var p struct {
				ProtocolVersion string `json:"protocolVersion"`
			}
			_ = json.Unmarshal(req.Params, &p)
			*batchOK = p.ProtocolVersion != "" && p.ProtocolVersion < "2025-06-18"
		}
		return []jsonrpc.Message{msg}
	case '[':
		msgs, err := c.decodeBatch(line, *batchOK)
		if err != nil {
			c.reply(nil, jsonrpc.CodeInvalidRequest, "Invalid Request: "+err.Error())
			return nil
		}
		return msgs
	default:
		c.reply(nil, jsonrpc.CodeInvalidRequest, "Invalid Request: a message must be a JSON object")
		return nil
	}
}

func (c *stdioConn) decodeBatch(line []byte, batchOK bool) ([]jsonrpc.Message, error) {
	if !batchOK {
		return nil, errors.New("JSON-RPC batches are not part of this protocol version")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(line, &items); err != nil || len(items) == 0 {
		return nil, errors.New("empty or malformed batch")
	}
	msgs := make([]jsonrpc.Message, len(items))
	b := &batch{index: map[any]int{}}
	for i, item := range items {
		msg, err := decodeMessage(item)
		if err != nil {
			return nil, err
		}
		msgs[i] = msg
		if req, ok := msg.(*jsonrpc.Request); ok && req.ID.IsValid() {
			if _, dup := b.index[req.ID.Raw()]; dup {
				return nil, errors.New("duplicate id in batch")
			}
			b.index[req.ID.Raw()] = len(b.responses)
			b.responses = append(b.responses, nil)
		}
	}
	if len(b.responses) > 0 {
		b.pending = len(b.responses)
		c.writeMu.Lock()
		if c.batches == nil {
			c.batches = map[any]*batch{}
		}
		for id := range b.index {
			if _, inFlight := c.batches[id]; inFlight {
				c.writeMu.Unlock()
				return nil, errors.New("batch reuses the id of a request in progress")
			}
		}
		for id := range b.index {
			c.batches[id] = b
		}
		c.writeMu.Unlock()
	}
	return msgs, nil
}

// decodeMessage decodes one JSON-RPC message by the SDK's rules (version
// "2.0"; a "method" key makes a request, otherwise it is a response and
// needs an id) and MCP's (an id is a string or an integer, never null).
// Keys match exactly, as the protocol requires.
func decodeMessage(data []byte) (jsonrpc.Message, error) {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return nil, errors.New("a message must be a JSON object")
	}
	var version string
	if json.Unmarshal(keys["jsonrpc"], &version) != nil || version != "2.0" {
		return nil, errors.New(`"jsonrpc" must be "2.0"`)
	}
	var id jsonrpc.ID
	if b, ok := keys["id"]; ok {
		v, err := parseID(b)
		if err != nil {
			return nil, err
		}
		id = sdkID(v)
	}
	if b, ok := keys["method"]; ok {
		var method string
		if err := json.Unmarshal(b, &method); err != nil {
			return nil, errors.New("method must be a string")
		}
		params := keys["params"]
		if method == "notifications/cancelled" {
			params = cancelledParams(params)
		}
		return &jsonrpc.Request{ID: id, Method: method, Params: params}, nil
	}
	if !id.IsValid() {
		return nil, errors.New("a message needs a method or an id")
	}
	resp := &jsonrpc.Response{ID: id, Result: keys["result"]}
	if b, ok := keys["error"]; ok && string(b) != "null" {
		var we jsonrpc.Error
		if err := json.Unmarshal(b, &we); err != nil {
			return nil, fmt.Errorf("malformed error object: %v", err)
		}
		resp.Error = &we
	}
	return resp, nil
}

// parseID reads an id as the client wrote it: a string, or an integer
// (int64) taken from its digits, never through a float64.
func parseID(raw json.RawMessage) (any, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0:
	case raw[0] == '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s, nil
		}
	case string(raw) == "null":
		return nil, errors.New("id must be a string or an integer, not null")
	case raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'):
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return nil, errors.New("id must be a string or an integer of at most 64 bits")
		}
		return n, nil
	}
	return nil, errors.New("id must be a string or an integer")
}

// maxExactID bounds the integers a jsonrpc.ID holds exactly: the SDK makes
// one from a float64.
const maxExactID = 1<<53 - 1

// standIn begins the id the SDK is given for a request whose integer id it
// cannot hold exactly; the integer follows in decimal, and the response
// goes out with the integer again (see encodeMessage). It is random, so no
// client's string id is taken for one.
var standIn = "stripe-mcp-id:" + rand.Text() + ":"

// sdkID is the SDK's id for a client's id v (a string or an int64).
func sdkID(v any) jsonrpc.ID {
	switch v := v.(type) {
	case int64:
		if v < -maxExactID || v > maxExactID {
			id, _ := jsonrpc.MakeID(standIn + strconv.FormatInt(v, 10))
			return id
		}
		id, _ := jsonrpc.MakeID(float64(v))
		return id
	default:
		id, _ := jsonrpc.MakeID(v)
		return id
	}
}

// cancelledParams are the params of a cancellation, naming the request by
// the id the SDK knows it by: its stand-in, if it got one.
func cancelledParams(params json.RawMessage) json.RawMessage {
	var fields map[string]json.RawMessage
	if json.Unmarshal(params, &fields) != nil {
		return params
	}
	v, err := parseID(fields["requestId"])
	if n, ok := v.(int64); err != nil || !ok || (n >= -maxExactID && n <= maxExactID) {
		return params
	}
	fields["requestId"], _ = json.Marshal(sdkID(v).Raw())
	out, err := json.Marshal(fields)
	if err != nil {
		return params
	}
	return out
}

// encodeMessage encodes msg for the client, with the client's own id in a
// response whose request had a stand-in.
func encodeMessage(msg jsonrpc.Message) ([]byte, error) {
	data, err := jsonrpc.EncodeMessage(msg)
	if err != nil {
		return nil, err
	}
	resp, ok := msg.(*jsonrpc.Response)
	if !ok {
		return data, nil
	}
	s, ok := resp.ID.Raw().(string)
	if !ok {
		return data, nil
	}
	digits, ok := strings.CutPrefix(s, standIn)
	if !ok {
		return data, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, err
	}
	fields["id"] = json.RawMessage(digits)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(fields); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// idOf recovers the id of a message that failed to decode, so the error
// reply can be matched; nil when there is none or it is not a valid id.
func idOf(line []byte) any {
	var probe map[string]json.RawMessage
	if json.Unmarshal(line, &probe) != nil {
		return nil
	}
	id, err := parseID(probe["id"])
	if err != nil {
		return nil
	}
	return id
}

// reply answers a line the SDK never sees.
func (c *stdioConn) reply(id any, code int64, message string) {
	type errObj struct {
		Code    int64  `json:"code"`
		Message string `json:"message"`
	}
	b, err := json.Marshal(struct {
		JSONRPC string `json:"jsonrpc"`
		ID      any    `json:"id"`
		Error   errObj `json:"error"`
	}{"2.0", id, errObj{code, message}})
	if err != nil {
		return
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_ = c.writeLine(b)
}
