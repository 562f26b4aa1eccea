package sqlite

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/stripe-mcp/stripe-mcp/internal/store"
)

// The audit journal makes an audit row durable with one append to a file,
// instead of an SQLite transaction, on the path of every tool call: once the
// append returns, the row survives the process being killed. A background
// flusher copies journalled rows into the database in batches; a journal
// left by a process that died is copied in by the next one to open the
// store. Each process writes its own journal and holds a lock on it, so a
// live server's journal is never taken over.

const (
	journalPattern = "audit-*.journal"
	// flushDelay is how long a journalled row may wait for its batch.
	flushDelay = 20 * time.Millisecond
	// flushRows flushes at once when this many rows are waiting.
	flushRows = 256
	// maxJournal rotates the journal file when it grows past this size.
	maxJournal = 4 << 20
	// truncateAt empties the journal file once all of it is in the
	// database and it has grown past this size.
	truncateAt = 256 << 10
)

// entry is one journal line: a call started or finished.
type entry struct {
	Op     string        `json:"op"` // "start" or "finish"
	ID     int64         `json:"id"`
	Call   *store.Call   `json:"call,omitempty"`
	Result *store.Result `json:"result,omitempty"`
}

type journal struct {
	dir   string
	apply func(ctx context.Context, batch []entry) error

	// fileMu is held shared while a row is appended to the file and queued,
	// and exclusively to swap, truncate or close the file: then no append
	// is half done, and every line in the file is queued or in the
	// database. mu guards the fields below for short moments only (never
	// across a write), so concurrent calls do not queue behind each
	// other's writes.
	fileMu   sync.RWMutex
	mu       sync.Mutex
	f        *os.File
	size     int64
	pending  []entry
	retiring []*os.File // rotated journals whose rows are not all in the database yet
	open     map[int64]bool
	closed   bool

	wake chan struct{}
	done chan struct{}
	// flushMu serialises flushes (the flusher, Calls and Close).
	flushMu sync.Mutex
}

func newJournal(dir string, apply func(context.Context, []entry) error) (*journal, error) {
	j := &journal{dir: dir, apply: apply, open: map[int64]bool{}, wake: make(chan struct{}, 1), done: make(chan struct{})}
	f, err := createJournal(dir)
	if err != nil {
		return nil, err
	}
	j.f = f
	go j.flusher()
	return j, nil
}

func createJournal(dir string) (*os.File, error) {
	name := filepath.Join(dir, fmt.Sprintf("audit-%d-%s.journal", os.Getpid(), rand.Text()[:8]))
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit journal: %w", err)
	}
	if err := lockFile(f, true); err != nil {
		f.Close()
		os.Remove(name)
		return nil, fmt.Errorf("audit journal: %w", err)
	}
	return f, nil
}

// add makes e durable and queues it for the database.
func (j *journal) add(e entry) error {
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit journal: %w", err)
	}
	line = append(line, '\n')
	j.fileMu.RLock()
	defer j.fileMu.RUnlock()
	j.mu.Lock()
	closed, f := j.closed, j.f
	j.mu.Unlock()
	if closed {
		return fmt.Errorf("audit journal: the store is closed")
	}
	// One write of a whole line to a file opened with O_APPEND: lines
	// written at the same time do not interleave.
	if _, err := f.Write(line); err != nil {
		return fmt.Errorf("audit journal: %w", err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.size += int64(len(line))
	j.pending = append(j.pending, e)
	switch e.Op {
	case "start":
		j.open[e.ID] = true
	case "finish":
		delete(j.open, e.ID)
	}
	if n := len(j.pending); n == 1 || n >= flushRows {
		select {
		case j.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// isOpen reports whether this process started the call and has not
// finished it.
func (j *journal) isOpen(id int64) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.open[id]
}

func (j *journal) flusher() {
	defer close(j.done)
	for range j.wake {
		// Let a batch gather, unless it is already large.
		j.mu.Lock()
		n, closed := len(j.pending), j.closed
		j.mu.Unlock()
		if n < flushRows && !closed {
			time.Sleep(flushDelay)
		}
		if err := j.flush(context.Background()); err != nil {
			// The rows stay in the journal and in memory; the next flush
			// (or the next process) retries them.
			time.Sleep(time.Second)
			j.mu.Lock()
			if !j.closed {
				select {
				case j.wake <- struct{}{}:
				default:
				}
			}
			j.mu.Unlock()
		}
		j.mu.Lock()
		closed = j.closed
		j.mu.Unlock()
		if closed {
			return
		}
	}
}

// flush copies the waiting rows into the database.
func (j *journal) flush(ctx context.Context) error {
	j.flushMu.Lock()
	defer j.flushMu.Unlock()
	j.mu.Lock()
	rotate := j.size > maxJournal && !j.closed
	j.mu.Unlock()
	if rotate {
		// Swapping the file waits for appends in progress, so that every
		// line of the old file is in this batch: once it is in the
		// database the old file can go.
		j.fileMu.Lock()
	}
	j.mu.Lock()
	batch := j.pending
	j.pending = nil
	if rotate {
		if f, err := createJournal(j.dir); err == nil {
			j.retiring = append(j.retiring, j.f)
			j.f, j.size = f, 0
		}
	}
	j.mu.Unlock()
	if rotate {
		j.fileMu.Unlock()
	}
	if len(batch) == 0 {
		return nil
	}
	if err := j.apply(ctx, batch); err != nil {
		j.mu.Lock()
		j.pending = append(batch, j.pending...)
		j.mu.Unlock()
		return err
	}
	j.mu.Lock()
	retired := j.retiring
	j.retiring = nil
	truncate := len(j.pending) == 0 && j.size > truncateAt
	j.mu.Unlock()
	for _, f := range retired {
		removeJournal(f) // no longer written to
	}
	if truncate {
		// Truncating waits for appends in progress (a line half appended
		// would be cut), so it is done only once the file has grown.
		j.fileMu.Lock()
		j.mu.Lock()
		if len(j.pending) == 0 && j.size > 0 {
			// Everything in the file is in the database now.
			if err := j.f.Truncate(0); err == nil {
				j.size = 0
			}
		}
		j.mu.Unlock()
		j.fileMu.Unlock()
	}
	return nil
}

// close flushes what is left and removes the journal.
func (j *journal) close() error {
	j.fileMu.Lock() // no append half done: each is queued, or will see closed
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		j.fileMu.Unlock()
		return nil
	}
	j.closed = true
	close(j.wake)
	j.mu.Unlock()
	j.fileMu.Unlock()
	<-j.done
	err := j.flush(context.Background())
	j.mu.Lock()
	defer j.mu.Unlock()
	if err != nil {
		// Keep the journal: the next process to open the store copies it.
		unlockFile(j.f)
		j.f.Close()
		for _, f := range j.retiring {
			unlockFile(f)
			f.Close()
		}
		return err
	}
	removeJournal(j.f)
	return nil
}

func removeJournal(f *os.File) {
	os.Remove(f.Name())
	f.Close()
}

// recoverJournals copies into the database the journals of processes that
// are gone (their lock is free), then removes them.
func recoverJournals(ctx context.Context, dir string, apply func(context.Context, []entry) error) error {
	names, err := filepath.Glob(filepath.Join(dir, journalPattern))
	if err != nil {
		return err
	}
	for _, name := range names {
		f, err := os.OpenFile(name, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		if lockFile(f, false) != nil {
			f.Close() // a live process owns it
			continue
		}
		entries, err := readJournal(f)
		if err == nil {
			err = apply(ctx, entries)
		}
		if err != nil {
			unlockFile(f)
			f.Close()
			return fmt.Errorf("recovering %s: %w", filepath.Base(name), err)
		}
		removeJournal(f)
	}
	return nil
}

// readJournal reads the entries of a journal; a torn last line (the process
// died while writing it) is ignored.
func readJournal(f *os.File) ([]entry, error) {
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var out []entry
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var e entry
		if json.Unmarshal([]byte(line), &e) != nil || (e.Op != "start" && e.Op != "finish") {
			continue
		}
		out = append(out, e)
	}
	return out, sc.Err()
}
