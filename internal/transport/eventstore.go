package transport

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// EventStore keeps the SSE events of Streamable HTTP sessions, so that a
// client that lost a stream can resume it with Last-Event-ID. It holds at
// most maxBytes, counting eventOverhead per event on top of its data (the
// empty priming events are bounded too); when it is full the oldest events
// go first, each in constant time. A stream whose events have all gone is
// remembered (where its indexes stand, so that it can go on) until
// maxEmpty streams have emptied after it; a session's standalone stream
// ("") is remembered as long as the session.
//
// The SDK's MemoryEventStore keeps an entry for every stream until its
// session closes, and scans all of them whenever it is full. With a stream
// per POST, a long session's entries grow without bound, and once the store
// is full every event appended pays that scan, under the lock all responses
// take (see BenchmarkEventStore).
type EventStore struct {
	mu       sync.Mutex
	maxBytes int
	nBytes   int
	live     int // events held
	sessions map[string]map[string]*streamLog
	// queue holds every event held (and some of closed sessions), oldest
	// first from head.
	queue []queued
	head  int
	// empties are the streams emptied by purging, oldest first from
	// emptyHead; beyond maxEmpty the oldest are forgotten.
	empties   []queued
	emptyHead int
	maxEmpty  int
}

// streamLog is what is kept of one stream.
type streamLog struct {
	first int      // the stream index of data[0]
	data  [][]byte // the events still held, in order
	// lost: the stream was forgotten while still in use, so the indexes of
	// its later events are unknown and it cannot be replayed.
	lost bool
}

type queued struct {
	session, stream string
	cost            int
}

const (
	// DefaultEventBytes is how much event data a store holds by default.
	DefaultEventBytes = 10 << 20
	// eventOverhead is what an event is counted for beyond its data.
	eventOverhead = 64
	// defaultMaxEmpty is how many emptied streams are remembered.
	defaultMaxEmpty = 10000
)

var _ mcp.EventStore = (*EventStore)(nil)

// NewEventStore returns a store holding at most maxBytes (≤ 0: the
// default).
func NewEventStore(maxBytes int) *EventStore {
	if maxBytes <= 0 {
		maxBytes = DefaultEventBytes
	}
	return &EventStore{maxBytes: maxBytes, maxEmpty: defaultMaxEmpty, sessions: map[string]map[string]*streamLog{}}
}

// Open implements mcp.EventStore: the SDK opens a stream before it appends
// to it.
func (s *EventStore) Open(_ context.Context, sessionID, streamID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	streams := s.streamsOf(sessionID)
	if streams[streamID] == nil {
		streams[streamID] = &streamLog{}
	}
	return nil
}

// streamsOf returns the streams of a session, adding the session if it is
// new. s.mu must be held.
func (s *EventStore) streamsOf(sessionID string) map[string]*streamLog {
	streams := s.sessions[sessionID]
	if streams == nil {
		streams = map[string]*streamLog{}
		s.sessions[sessionID] = streams
	}
	return streams
}

// Append implements mcp.EventStore.
func (s *EventStore) Append(_ context.Context, sessionID, streamID string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	streams := s.streamsOf(sessionID)
	log := streams[streamID]
	if log == nil {
		// Opened, then forgotten long after its events aged out: its
		// indexes are no longer known.
		log = &streamLog{lost: true}
		streams[streamID] = log
	}
	log.data = append(log.data, data)
	cost := len(data) + eventOverhead
	s.nBytes += cost
	s.live++
	s.queue = append(s.queue, queued{session: sessionID, stream: streamID, cost: cost})
	s.purge()
	return nil
}

// purge drops the oldest events until the store is within its budget, and
// keeps the queue from growing with entries of closed sessions.
// s.mu must be held.
func (s *EventStore) purge() {
	for s.nBytes > s.maxBytes && s.head < len(s.queue) {
		q := s.queue[s.head]
		s.queue[s.head] = queued{}
		s.head++
		streams := s.sessions[q.session]
		log := streams[q.stream]
		if log == nil || len(log.data) == 0 {
			continue // its session closed: already accounted for
		}
		log.data[0] = nil
		log.data = log.data[1:]
		log.first++
		s.nBytes -= q.cost
		s.live--
		if len(log.data) == 0 && q.stream != "" {
			s.empties = append(s.empties, queued{session: q.session, stream: q.stream})
		}
	}
	for len(s.empties)-s.emptyHead > s.maxEmpty {
		e := s.empties[s.emptyHead]
		s.empties[s.emptyHead] = queued{}
		s.emptyHead++
		// Still empty (it may have had events since, and emptied again:
		// then it is further back in the queue too).
		if log := s.sessions[e.session][e.stream]; log != nil && len(log.data) == 0 {
			delete(s.sessions[e.session], e.stream)
		}
	}
	if s.emptyHead > 0 && s.emptyHead >= len(s.empties)-s.emptyHead {
		s.empties = slices.Delete(s.empties, 0, s.emptyHead)
		s.emptyHead = 0
	}
	if pending := len(s.queue) - s.head; (s.head > 0 && s.head >= pending) || pending > 2*s.live+1024 {
		kept := s.queue[:0]
		for _, q := range s.queue[s.head:] {
			if s.sessions[q.session][q.stream] != nil {
				kept = append(kept, q)
			}
		}
		clear(s.queue[len(kept):])
		s.queue, s.head = kept, 0
	}
}

// After implements mcp.EventStore.
func (s *EventStore) After(_ context.Context, sessionID, streamID string, index int) iter.Seq2[[]byte, error] {
	s.mu.Lock()
	var (
		events [][]byte
		err    error
	)
	streams, ok := s.sessions[sessionID]
	log := streams[streamID]
	switch {
	case !ok:
		err = fmt.Errorf("event store: unknown session %q", sessionID)
	case log == nil || log.lost || index+1 < log.first:
		err = fmt.Errorf("event store: session %q, stream %q after %d: %w", sessionID, streamID, index, mcp.ErrEventsPurged)
	case index+1-log.first < len(log.data):
		// Copied: purging clears the slots of dropped events.
		events = slices.Clone(log.data[index+1-log.first:])
	}
	s.mu.Unlock()
	return func(yield func([]byte, error) bool) {
		if err != nil {
			yield(nil, err)
			return
		}
		for _, e := range events {
			if !yield(e, nil) {
				return
			}
		}
	}
}

// SessionClosed implements mcp.EventStore.
func (s *EventStore) SessionClosed(_ context.Context, sessionID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, log := range s.sessions[sessionID] {
		for _, d := range log.data {
			s.nBytes -= len(d) + eventOverhead
			s.live--
		}
	}
	delete(s.sessions, sessionID)
	s.purge()
	return nil
}

// usage reports the bytes counted and the events held (for tests).
func (s *EventStore) usage() (bytes, events, queued int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nBytes, s.live, len(s.queue) - s.head
}
