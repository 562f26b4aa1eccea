package transport

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// sseIdle closes /sse sessions that no message has been POSTed to for
// idle, as /mcp and /ws sessions are closed: the SDK's handler keeps a
// session for as long as its stream is open, and a client that went away
// without closing it would hold a place under the session cap for good.
//
// A session is known by the sessionid of its endpoint, which the SDK
// chooses and writes as the stream's first event; its stream ends when the
// GET's context does.
type sseIdle struct {
	next   http.Handler
	idle   time.Duration
	logger *slog.Logger

	mu     sync.Mutex
	timers map[string]*time.Timer // session id → ends its stream
}

func newSSEIdle(next http.Handler, idle time.Duration, logger *slog.Logger) *sseIdle {
	return &sseIdle{next: next, idle: idle, logger: logger, timers: map[string]*time.Timer{}}
}

func (s *sseIdle) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		s.touch(r.URL.Query().Get("sessionid"))
	case http.MethodGet:
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		ew := &endpointWriter{ResponseWriter: w, started: func(id string) {
			s.mu.Lock()
			s.timers[id] = time.AfterFunc(s.idle, func() {
				s.logger.Info("sse: session idle for too long; closed", "idle", s.idle)
				cancel()
			})
			s.mu.Unlock()
		}}
		defer ew.stop(s)
		r = r.WithContext(ctx)
		w = ew
	}
	s.next.ServeHTTP(w, r)
}

// touch restarts the idle time of session id.
func (s *sseIdle) touch(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.timers[id]; ok {
		t.Reset(s.idle)
	}
}

// endpointWriter is the stream of a GET /sse: it finds the session id in
// the endpoint event, the first thing written.
type endpointWriter struct {
	http.ResponseWriter
	started func(id string)
	id      string
	seen    bool
}

func (e *endpointWriter) Write(b []byte) (int, error) {
	if !e.seen {
		e.seen = true
		// The timer is set before the client can learn where to POST.
		if id := endpointSession(b); id != "" {
			e.id = id
			e.started(id)
		}
	}
	return e.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController flush the stream.
func (e *endpointWriter) Unwrap() http.ResponseWriter { return e.ResponseWriter }

// stop forgets the session once its stream has ended.
func (e *endpointWriter) stop(s *sseIdle) {
	if e.id == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.timers[e.id]; ok {
		t.Stop()
		delete(s.timers, e.id)
	}
}

// endpointSession is the sessionid of an "endpoint" event
// ("event: endpoint\ndata: /sse?sessionid=…\n\n"), or "".
func endpointSession(event []byte) string {
	name, rest, _ := bytes.Cut(event, []byte("\n"))
	if string(name) != "event: endpoint" {
		return ""
	}
	data, _, _ := bytes.Cut(rest, []byte("\n"))
	endpoint, ok := bytes.CutPrefix(data, []byte("data: "))
	if !ok {
		return ""
	}
	u, err := url.Parse(string(endpoint))
	if err != nil {
		return ""
	}
	return u.Query().Get("sessionid")
}
