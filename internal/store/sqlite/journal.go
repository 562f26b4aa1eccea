package sqlite

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
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
	// database and it has grown past this size; truncateMappedAt likewise
	// for a mapped journal.
	truncateAt       = 256 << 10
	truncateMappedAt = 64 << 10
	// mappedJournal is the size of a mapped journal file: lines go to a new
	// file once it is full (the flusher has fallen behind).
	mappedJournal = 1 << 20
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
	// and exclusively to swap, empty or close the file: then no append is
	// half done, and every line in the file is queued or in the database.
	// mu guards the fields below for short moments only (never across an
	// append's write; only across swapping or emptying the file, which are
	// rare and done with fileMu held exclusively), so concurrent calls do
	// not queue behind each other's writes.
	fileMu   sync.RWMutex
	mu       sync.Mutex
	f        *journalFile
	size     int64 // bytes of f taken by lines written or being written
	pending  []entry
	retiring []*journalFile // rotated journals whose rows are not all in the database yet
	open     map[int64]bool
	closed   bool

	wake chan struct{}
	done chan struct{}
	// flushMu serialises flushes (the flusher, Calls and Close).
	flushMu sync.Mutex
}

func newJournal(dir string, apply func(context.Context, []entry) error) (*journal, error) {
	j := &journal{dir: dir, apply: apply, open: map[int64]bool{}, wake: make(chan struct{}, 1), done: make(chan struct{})}
	f, err := createJournal(dir, 0)
	if err != nil {
		return nil, err
	}
	j.f = f
	go j.flusher()
	return j, nil
}

// mapJournals says whether journal files are mapped where they can be; tests
// turn it off to exercise the written ones.
var mapJournals = true

// journalFile is a journal being written. Where the file can be mapped
// (Linux), lines are copied into the mapping: a process killed afterwards
// leaves them in the file all the same, as a write(2) would, for the cost of
// a copy instead of a system call on the path of every call. Elsewhere each
// line is one write at its offset.
type journalFile struct {
	*os.File
	mem []byte // the file's blocks, allocated and mapped; nil where not mapped
}

// createJournal creates and locks a journal file; capacity is what a mapped
// one holds (at least mappedJournal).
func createJournal(dir string, capacity int) (*journalFile, error) {
	name := filepath.Join(dir, fmt.Sprintf("audit-%d-%s.journal", os.Getpid(), rand.Text()[:8]))
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit journal: %w", err)
	}
	if err := lockFile(f, true); err != nil {
		f.Close()
		os.Remove(name)
		return nil, fmt.Errorf("audit journal: %w", err)
	}
	jf := &journalFile{File: f}
	if mapJournals {
		// Where it cannot be mapped (or its blocks allocated up front, so
		// that a full disk is an error here rather than a fault later)
		// lines are written instead.
		jf.mem, _ = mapFile(f, max(capacity, mappedJournal))
	}
	return jf, nil
}

// room reports whether n more bytes fit after the first size.
func (f *journalFile) room(size int64, n int) bool {
	return f.mem == nil || size+int64(n) <= int64(len(f.mem))
}

// write puts line at off, which the caller has taken for it: lines written
// at the same time go to different places.
func (f *journalFile) write(line []byte, off int64) (err error) {
	if f.mem == nil {
		_, err = f.WriteAt(line, off)
		return err
	}
	// The blocks were allocated when the file was created, but a fault on
	// the mapping (an I/O error) is an error for this call, not a crash.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("writing to the mapped file: %v", r)
		}
	}()
	copy(f.mem[off:], line)
	return nil
}

// empty discards the first size bytes: all their lines are in the database.
func (f *journalFile) empty(size int64) error {
	if f.mem == nil {
		return f.Truncate(0)
	}
	clear(f.mem[:size])
	return nil
}

// release unmaps and closes the file.
func (f *journalFile) release() {
	if f.mem != nil {
		unmapFile(f.mem)
		f.mem = nil
	}
	f.Close()
}

// add makes e durable and queues it for the database.
func (j *journal) add(e entry) error {
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit journal: %w", err)
	}
	line = append(line, '\n')
	j.fileMu.RLock()
	j.mu.Lock()
	closed, f, off := j.closed, j.f, j.size
	if closed || !f.room(off, len(line)) {
		j.mu.Unlock()
		j.fileMu.RUnlock()
		// A mapped journal is full: the flusher has not kept up.
		return j.addAlone(line, e)
	}
	// The line's place is taken now, so that lines written at the same
	// time do not overlap; the write itself is done outside mu.
	j.size += int64(len(line))
	j.mu.Unlock()
	defer j.fileMu.RUnlock()
	if err := f.write(line, off); err != nil {
		// The place stays empty (or holds a torn line), which readJournal
		// skips.
		return fmt.Errorf("audit journal: %w", err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.queue(e)
	return nil
}

// addAlone adds line with no other append in progress, in a new file if
// the current one has no room for it.
func (j *journal) addAlone(line []byte, e entry) error {
	j.fileMu.Lock()
	defer j.fileMu.Unlock()
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return fmt.Errorf("audit journal: the store is closed")
	}
	if !j.f.room(j.size, len(line)) {
		if err := j.swapFile(len(line)); err != nil {
			return fmt.Errorf("audit journal: %w", err)
		}
	}
	if err := j.f.write(line, j.size); err != nil {
		return fmt.Errorf("audit journal: %w", err)
	}
	j.size += int64(len(line))
	j.queue(e)
	return nil
}

// swapFile goes on in a new journal file that holds at least n bytes; the
// caller holds fileMu (exclusively) and mu, so every line of the old file
// is queued: once the queue is in the database the old file can go.
func (j *journal) swapFile(n int) error {
	f, err := createJournal(j.dir, n)
	if err != nil {
		return err
	}
	j.retiring = append(j.retiring, j.f)
	j.f, j.size = f, 0
	return nil
}

// queue adds e to the rows waiting for the database; the caller holds mu.
func (j *journal) queue(e entry) {
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
		// line of the old file is in this batch.
		j.fileMu.Lock()
	}
	j.mu.Lock()
	batch := j.pending
	j.pending = nil
	if rotate {
		_ = j.swapFile(0) // keeps the file as it is if it cannot create another
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
	truncate := len(j.pending) == 0 && j.size > j.truncateAt()
	j.mu.Unlock()
	for _, f := range retired {
		removeJournal(f) // no longer written to
	}
	if truncate {
		// Emptying waits for appends in progress (a line half written
		// would be cut), so it is done only once the file has grown.
		j.fileMu.Lock()
		j.mu.Lock()
		if len(j.pending) == 0 && j.size > 0 {
			// Everything in the file is in the database now.
			if err := j.f.empty(j.size); err == nil {
				j.size = 0
			}
		}
		j.mu.Unlock()
		j.fileMu.Unlock()
	}
	return nil
}

// truncateAt is the size past which the journal is emptied once all of it
// is in the database. A mapped journal's written pages count as the
// process's resident memory, so it is emptied sooner (clearing 64 KiB of
// mapping costs microseconds; truncating a file costs a system call).
func (j *journal) truncateAt() int64 {
	if j.f.mem != nil {
		return truncateMappedAt
	}
	return truncateAt
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
		unlockFile(j.f.File)
		j.f.release()
		for _, f := range j.retiring {
			unlockFile(f.File)
			f.release()
		}
		return err
	}
	removeJournal(j.f)
	return nil
}

func removeJournal(f *journalFile) {
	os.Remove(f.Name())
	f.release()
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
		removeJournal(&journalFile{File: f})
	}
	return nil
}

// readJournal reads the entries of a journal. A line torn when the process
// died is ignored; so are NUL bytes, which fill the part of a mapped journal
// not yet written and the rest of a line's place when its process died
// before writing all of it (lines after it may be whole: places are taken
// in order, but filled at the same time). JSON escapes NUL in strings, so
// none is part of a line.
func readJournal(f *os.File) ([]entry, error) {
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	sc.Split(scanJournalLines)
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

// scanJournalLines splits at newlines and NUL bytes; a run of NULs (most of
// a mapped journal's file) is passed over at once.
func scanJournalLines(data []byte, atEOF bool) (int, []byte, error) {
	if n := len(data) - len(bytes.TrimLeft(data, "\x00")); n > 0 {
		return n, nil, nil // no token: the scanner goes on
	}
	if i := bytes.IndexAny(data, "\n\x00"); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}
