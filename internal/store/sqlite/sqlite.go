// Package sqlite implements store.Store on SQLite (pure Go, no cgo) in the
// data directory: WAL journal, schema migrations, one writer at a time.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/stripe-mcp/stripe-mcp/internal/store"
)

// FileName is the database file in the data directory.
const FileName = "stripe-mcp.db"

// DB is a store.Store on SQLite.
type DB struct {
	db *sql.DB
	// The statements that record calls, parsed once.
	startCall, finishCall, wholeCall *sql.Stmt
	// journal makes call rows durable cheaply and batches them into the
	// database; nil where files cannot be locked (rows go straight in).
	journal *journal

	// stopPrune ends the pruning of old events (Open starts it); pruned is
	// closed once it has stopped.
	stopPrune context.CancelFunc
	pruned    chan struct{}

	// Audit row ids: [nextID, endID) is the block this process took.
	idMu          sync.Mutex
	nextID, endID int64
}

// Open opens (creating if needed) the database in dir, readable only by its
// owner, brings its schema up to date, copies in the audit journals of
// servers that died, and starts a journal of its own.
func Open(ctx context.Context, dir string) (*DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data dir %s: %w", dir, err)
	}
	f.Close()
	d, err := OpenFile(ctx, path)
	if err != nil {
		return nil, err
	}
	if err := recoverJournals(ctx, dir, d.apply); err != nil {
		d.Close()
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	probe, err := os.CreateTemp(dir, "lock-probe-*")
	if err == nil {
		supported := lockFile(probe, false) == nil
		probe.Close()
		os.Remove(probe.Name())
		if supported {
			if d.journal, err = newJournal(dir, d.apply); err != nil {
				d.Close()
				return nil, err
			}
		}
	}
	// Old events go now, before anything is added; then every few hours
	// while the server runs. A failure only leaves them for the next pass.
	d.pruneEvents(ctx, time.Now().Add(-eventRetention))
	pruneCtx, stopPrune := context.WithCancel(context.Background())
	d.stopPrune, d.pruned = stopPrune, make(chan struct{})
	go func() {
		defer close(d.pruned)
		d.pruneLoop(pruneCtx)
	}()
	return d, nil
}

// OpenFile opens the database at path.
func OpenFile(ctx context.Context, path string) (*DB, error) {
	q := url.Values{}
	for _, p := range []string{
		// First, so that the statements below wait for other processes
		// (and openers) instead of failing with SQLITE_BUSY.
		"busy_timeout(10000)",
		"journal_mode(WAL)",
		// In WAL mode NORMAL makes every commit durable against the process
		// being killed (the WAL is written before the commit returns); only
		// an operating-system crash can lose the last commits.
		"synchronous(NORMAL)",
		// Rows are appended and rarely read back: a small page cache is
		// enough and keeps the server's memory small.
		"cache_size(-128)",
		"foreign_keys(ON)",
	} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	// SQLite has one writer at a time; a single connection serialises
	// writers in the process instead of letting them meet SQLITE_BUSY.
	db.SetMaxOpenConns(1)
	d := &DB{db: db}
	if err := d.migrateRetrying(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	if d.startCall, err = db.PrepareContext(ctx, startCallSQL); err == nil {
		if d.finishCall, err = db.PrepareContext(ctx, finishCallSQL); err == nil {
			d.wholeCall, err = db.PrepareContext(ctx, wholeCallSQL)
		}
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	return d, nil
}

// migrations are applied in order, each once; a new one is appended, never
// edited.
var migrations = []string{
	`CREATE TABLE audit (
		id              INTEGER PRIMARY KEY,
		started_us      INTEGER NOT NULL,
		finished_us     INTEGER,
		session_id      TEXT NOT NULL,
		principal       TEXT NOT NULL,
		client          TEXT NOT NULL,
		transport       TEXT NOT NULL,
		tool            TEXT NOT NULL,
		arguments       TEXT NOT NULL,
		outcome         TEXT NOT NULL,
		message         TEXT NOT NULL DEFAULT '',
		amount          INTEGER NOT NULL DEFAULT 0,
		currency        TEXT NOT NULL DEFAULT '',
		request_ids     TEXT NOT NULL DEFAULT '',
		idempotency_key TEXT NOT NULL DEFAULT '',
		replayed        INTEGER NOT NULL DEFAULT 0,
		duration_us     INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX audit_by_time ON audit (started_us);
	CREATE TABLE idempotency_generations (
		scope      TEXT PRIMARY KEY,
		generation INTEGER NOT NULL,
		updated_us INTEGER NOT NULL
	);`,
	`CREATE TABLE spend (
		id        INTEGER PRIMARY KEY,
		currency  TEXT NOT NULL,
		amount    INTEGER NOT NULL,
		at_us     INTEGER NOT NULL,
		note      TEXT NOT NULL DEFAULT '',
		released  INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX spend_by_currency ON spend (currency, at_us);
	CREATE TABLE confirmation_tokens (
		id          TEXT PRIMARY KEY,
		fingerprint TEXT NOT NULL,
		expires_us  INTEGER NOT NULL,
		used_us     INTEGER
	);`,
	`CREATE TABLE events (
		id          TEXT PRIMARY KEY,
		type        TEXT NOT NULL,
		created_us  INTEGER NOT NULL,
		received_us INTEGER NOT NULL,
		api_version TEXT NOT NULL DEFAULT '',
		livemode    INTEGER NOT NULL DEFAULT 0,
		account     TEXT NOT NULL DEFAULT '',
		object_id   TEXT NOT NULL DEFAULT '',
		object_ids  TEXT NOT NULL DEFAULT '',
		payload     BLOB NOT NULL
	);
	CREATE INDEX events_by_time ON events (created_us, received_us);
	CREATE TABLE event_objects (
		object_id  TEXT NOT NULL,
		event_id   TEXT NOT NULL,
		created_us INTEGER NOT NULL,
		PRIMARY KEY (object_id, event_id)
	) WITHOUT ROWID;
	CREATE TABLE object_views (
		object_id  TEXT PRIMARY KEY,
		object     TEXT NOT NULL,
		status     TEXT NOT NULL DEFAULT '',
		amount     INTEGER NOT NULL DEFAULT 0,
		currency   TEXT NOT NULL DEFAULT '',
		customer   TEXT NOT NULL DEFAULT '',
		refunded   INTEGER NOT NULL DEFAULT 0,
		last_error TEXT NOT NULL DEFAULT '',
		analysis   TEXT NOT NULL DEFAULT '',
		event_id   TEXT NOT NULL DEFAULT '',
		event_type TEXT NOT NULL DEFAULT '',
		updated_us INTEGER NOT NULL
	);`,
	// Audit row ids are handed out in blocks from here (see newID), after
	// the random ids earlier versions used.
	`CREATE TABLE audit_ids (next_id INTEGER NOT NULL);
	INSERT INTO audit_ids (next_id) SELECT COALESCE(MAX(id), 0) + 1 FROM audit;`,
	// Received events are pruned by age (retention.go).
	`CREATE INDEX event_objects_by_time ON event_objects (created_us);
	CREATE INDEX object_views_by_time ON object_views (updated_us);`,
	// A request repeated with its idempotency key holds one reservation.
	`ALTER TABLE spend ADD COLUMN request_key TEXT NOT NULL DEFAULT '';
	CREATE INDEX spend_by_key ON spend (request_key) WHERE request_key != '';`,
}

// migrateRetrying migrates, waiting out other processes that open the same
// new database at the same moment: switching it to WAL takes a lock for
// which SQLite does not always wait.
func (d *DB) migrateRetrying(ctx context.Context) error {
	deadline := time.Now().Add(10 * time.Second)
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 200*time.Millisecond) {
		err := d.migrate(ctx)
		if err == nil || !strings.Contains(err.Error(), "SQLITE_BUSY") || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
	}
}

func (d *DB) migrate(ctx context.Context) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_us INTEGER NOT NULL)`); err != nil {
		return err
	}
	var applied int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&applied); err != nil {
		return err
	}
	if applied > len(migrations) {
		return fmt.Errorf("the database has schema version %d; this build knows %d: use a newer stripe-mcp", applied, len(migrations))
	}
	for v := applied + 1; v <= len(migrations); v++ {
		if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_us) VALUES (?, ?)`, v, time.Now().UnixMicro()); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Close writes out the journal and closes the database.
func (d *DB) Close() error {
	if d.stopPrune != nil {
		d.stopPrune()
		<-d.pruned
		d.stopPrune = nil
	}
	var err error
	if d.journal != nil {
		err = d.journal.close()
	}
	return errors.Join(err, d.db.Close())
}

// apply copies journalled entries into the database, in one transaction.
// Applying an entry twice changes nothing (a journal may be copied again if
// a process died between the copy and removing the file). A call whose start
// and finish are both in the batch is written as one complete row.
func (d *DB) apply(ctx context.Context, batch []entry) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	finished := make(map[int64]*store.Result, len(batch)/2)
	for _, e := range batch {
		if e.Op == "finish" && e.Result != nil {
			finished[e.ID] = e.Result
		}
	}
	var start, finish, whole *sql.Stmt
	stmt := func(s **sql.Stmt, prepared *sql.Stmt) *sql.Stmt {
		if *s == nil {
			*s = tx.StmtContext(ctx, prepared)
		}
		return *s
	}
	written := make(map[int64]bool, len(finished))
	for _, e := range batch {
		switch {
		case e.Op == "start" && e.Call != nil:
			if r := finished[e.ID]; r != nil {
				_, err = stmt(&whole, d.wholeCall).ExecContext(ctx, wholeArgs(e.ID, e.Call, *r)...)
				written[e.ID] = true
			} else {
				_, err = stmt(&start, d.startCall).ExecContext(ctx, startArgs(e.ID, e.Call)...)
			}
		case e.Op == "finish" && e.Result != nil && !written[e.ID]:
			_, err = stmt(&finish, d.finishCall).ExecContext(ctx, finishArgs(e.ID, *e.Result)...)
		}
		if err != nil {
			return fmt.Errorf("audit: writing the journal to the database: %w", err)
		}
	}
	return tx.Commit()
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

const (
	startCallSQL = `INSERT OR IGNORE INTO audit
		(id, started_us, session_id, principal, client, transport, tool, arguments, outcome, amount, currency, request_ids, idempotency_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	finishCallSQL = `UPDATE audit SET finished_us = ?, outcome = ?, message = ?, amount = ?, currency = ?,
		request_ids = ?, idempotency_key = ?, replayed = ?, duration_us = ? WHERE id = ?`
	// wholeCallSQL writes a call's start and finish at once; a row already
	// there (its start copied earlier) gets the finish, as finishCallSQL.
	wholeCallSQL = `INSERT INTO audit
		(id, started_us, session_id, principal, client, transport, tool, arguments,
		 finished_us, outcome, message, amount, currency, request_ids, idempotency_key, replayed, duration_us)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET finished_us = excluded.finished_us, outcome = excluded.outcome,
		message = excluded.message, amount = excluded.amount, currency = excluded.currency,
		request_ids = excluded.request_ids, idempotency_key = excluded.idempotency_key,
		replayed = excluded.replayed, duration_us = excluded.duration_us`
)

func startArgs(id int64, c *store.Call) []any {
	return []any{id, micros(c.Started), c.SessionID, c.Principal, c.Client, c.Transport, c.Tool, c.Arguments,
		store.OutcomePending, c.Amount, c.Currency, strings.Join(c.RequestIDs, ","), c.IdempotencyKey}
}

func wholeArgs(id int64, c *store.Call, r store.Result) []any {
	return []any{id, micros(c.Started), c.SessionID, c.Principal, c.Client, c.Transport, c.Tool, c.Arguments,
		micros(r.Finished), r.Outcome, r.Message, r.Amount, r.Currency, strings.Join(r.RequestIDs, ","),
		r.IdempotencyKey, r.Replayed, r.Duration.Microseconds()}
}

func finishArgs(id int64, r store.Result) []any {
	return []any{micros(r.Finished), r.Outcome, r.Message, r.Amount, r.Currency, strings.Join(r.RequestIDs, ","),
		r.IdempotencyKey, r.Replayed, r.Duration.Microseconds(), id}
}

// idBlock is how many audit row ids a process takes from the database at a
// time.
const idBlock = 1 << 16

// newID returns an audit row id. Ids are unique across the processes that
// share the database (each takes blocks of them in a transaction) and
// increase within a process, so that rows are appended to the table's
// B-tree: a random id per row, as earlier versions used, made every insert
// write another page, six times the cost at 200,000 rows and growing with
// the table (BenchmarkApply/random-ids).
func (d *DB) newID(ctx context.Context) (int64, error) {
	d.idMu.Lock()
	defer d.idMu.Unlock()
	if d.nextID == d.endID {
		var next int64
		err := d.db.QueryRowContext(context.WithoutCancel(ctx), `UPDATE audit_ids SET next_id = next_id + ? RETURNING next_id`, idBlock).Scan(&next)
		if err != nil {
			return 0, fmt.Errorf("taking audit row ids: %w", err)
		}
		d.nextID, d.endID = next-idBlock, next
	}
	id := d.nextID
	d.nextID++
	return id, nil
}

// StartCall implements store.Store.
func (d *DB) StartCall(ctx context.Context, c *store.Call) (int64, error) {
	cc := *c
	if cc.Started.IsZero() {
		cc.Started = time.Now()
	}
	id, err := d.newID(ctx)
	if err != nil {
		return 0, fmt.Errorf("audit: recording the call: %w", err)
	}
	if d.journal != nil {
		if err := d.journal.add(entry{Op: "start", ID: id, Call: &cc}); err != nil {
			return 0, fmt.Errorf("audit: recording the call: %w", err)
		}
		return id, nil
	}
	if _, err := d.startCall.ExecContext(ctx, startArgs(id, &cc)...); err != nil {
		return 0, fmt.Errorf("audit: recording the call: %w", err)
	}
	return id, nil
}

// FinishCall implements store.Store.
func (d *DB) FinishCall(ctx context.Context, id int64, r store.Result) error {
	if r.Finished.IsZero() {
		r.Finished = time.Now()
	}
	if d.journal != nil && d.journal.isOpen(id) {
		if err := d.journal.add(entry{Op: "finish", ID: id, Result: &r}); err != nil {
			return fmt.Errorf("audit: completing call %d: %w", id, err)
		}
		return nil
	}
	res, err := d.finishCall.ExecContext(ctx, finishArgs(id, r)...)
	if err != nil {
		return fmt.Errorf("audit: completing call %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("audit: call %d: %w", id, store.ErrNotFound)
	}
	return nil
}

// Calls implements store.Store.
func (d *DB) Calls(ctx context.Context, q store.Query) ([]store.Call, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	if d.journal != nil {
		// This process's own rows are in the database before it answers.
		if err := d.journal.flush(ctx); err != nil {
			return nil, err
		}
	}
	query := `SELECT id, started_us, COALESCE(finished_us, 0), session_id, principal, client, transport, tool, arguments,
		outcome, message, amount, currency, request_ids, idempotency_key, replayed, duration_us FROM audit`
	var args []any
	if q.Tool != "" {
		query += ` WHERE tool = ?`
		args = append(args, q.Tool)
	}
	query += ` ORDER BY started_us DESC, id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := d.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: reading: %w", err)
	}
	defer rows.Close()
	var out []store.Call
	for rows.Next() {
		var (
			c                 store.Call
			started, finished int64
			requestIDs        string
			durationMicros    int64
		)
		if err := rows.Scan(&c.ID, &started, &finished, &c.SessionID, &c.Principal, &c.Client, &c.Transport, &c.Tool,
			&c.Arguments, &c.Outcome, &c.Message, &c.Amount, &c.Currency, &requestIDs, &c.IdempotencyKey,
			&c.Replayed, &durationMicros); err != nil {
			return nil, err
		}
		c.Started = time.UnixMicro(started).UTC()
		if finished != 0 {
			c.Finished = time.UnixMicro(finished).UTC()
		}
		if requestIDs != "" {
			c.RequestIDs = strings.Split(requestIDs, ",")
		}
		c.Duration = time.Duration(durationMicros) * time.Microsecond
		out = append(out, c)
	}
	return out, rows.Err()
}

// Generation implements store.Store.
func (d *DB) Generation(ctx context.Context, scope string) (int64, error) {
	var g int64
	err := d.db.QueryRowContext(ctx, `SELECT generation FROM idempotency_generations WHERE scope = ?`, scope).Scan(&g)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return g, err
}

// AdvanceGeneration implements store.Store.
func (d *DB) AdvanceGeneration(ctx context.Context, scope string) (int64, error) {
	var g int64
	err := d.db.QueryRowContext(ctx, `INSERT INTO idempotency_generations (scope, generation, updated_us) VALUES (?, 1, ?)
		ON CONFLICT (scope) DO UPDATE SET generation = generation + 1, updated_us = excluded.updated_us
		RETURNING generation`, scope, time.Now().UnixMicro()).Scan(&g)
	return g, err
}

// Reserve implements store.Store. The transaction takes SQLite's write lock
// first (BEGIN IMMEDIATE), so reservations from every process sharing the
// database are counted one after another.
func (d *DB) Reserve(ctx context.Context, r store.Reservation) (store.Reserved, error) {
	if r.Amount <= 0 || r.Limit <= 0 || r.Window <= 0 {
		return store.Reserved{}, fmt.Errorf("spend: bad reservation %+v", r)
	}
	now := r.Now
	if now.IsZero() {
		now = time.Now()
	}
	since := now.Add(-r.Window).UnixMicro()
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return store.Reserved{}, fmt.Errorf("spend: %w", err)
	}
	defer tx.Rollback()
	if r.Key != "" {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM spend WHERE request_key = ? AND currency = ? AND amount = ? AND released = 0 AND at_us > ? ORDER BY id LIMIT 1`, r.Key, r.Currency, r.Amount, since).Scan(&id)
		switch {
		case err == nil:
			return store.Reserved{OK: true, ID: id, Shared: true}, nil
		case !errors.Is(err, sql.ErrNoRows):
			return store.Reserved{}, fmt.Errorf("spend: %w", err)
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT at_us, amount FROM spend WHERE currency = ? AND released = 0 AND at_us > ? ORDER BY at_us`, r.Currency, since)
	if err != nil {
		return store.Reserved{}, fmt.Errorf("spend: %w", err)
	}
	type row struct{ at, amount int64 }
	var (
		held []row
		used int64
	)
	for rows.Next() {
		var x row
		if err := rows.Scan(&x.at, &x.amount); err != nil {
			rows.Close()
			return store.Reserved{}, err
		}
		held = append(held, x)
		used += x.amount
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return store.Reserved{}, err
	}
	if used+r.Amount > r.Limit {
		out := store.Reserved{Used: used}
		if r.Amount <= r.Limit {
			// The oldest reservations expire first; find when enough have.
			left := used
			for _, x := range held {
				left -= x.amount
				if left+r.Amount <= r.Limit {
					out.FreesAt = time.UnixMicro(x.at).Add(r.Window).UTC()
					break
				}
			}
		}
		return out, nil
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO spend (currency, amount, at_us, note, request_key) VALUES (?, ?, ?, ?, ?)`, r.Currency, r.Amount, now.UnixMicro(), r.Note, r.Key)
	if err != nil {
		return store.Reserved{}, fmt.Errorf("spend: %w", err)
	}
	id, _ := res.LastInsertId()
	if err := tx.Commit(); err != nil {
		return store.Reserved{}, fmt.Errorf("spend: %w", err)
	}
	return store.Reserved{OK: true, ID: id, Used: used}, nil
}

// Release implements store.Store.
func (d *DB) Release(ctx context.Context, id int64) error {
	res, err := d.db.ExecContext(ctx, `UPDATE spend SET released = 1 WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("spend: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("spend: reservation %d: %w", id, store.ErrNotFound)
	}
	return nil
}

// IssueToken implements store.Store.
func (d *DB) IssueToken(ctx context.Context, t store.Token) error {
	_, err := d.db.ExecContext(ctx, `INSERT INTO confirmation_tokens (id, fingerprint, expires_us) VALUES (?, ?, ?)`, t.ID, t.Fingerprint, t.Expires.UnixMicro())
	if err != nil {
		return fmt.Errorf("confirmation token: %w", err)
	}
	return nil
}

// UseToken implements store.Store.
func (d *DB) UseToken(ctx context.Context, id, fingerprint string, now time.Time) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("confirmation token: %w", err)
	}
	defer tx.Rollback()
	var (
		fp      string
		expires int64
		used    sql.NullInt64
	)
	err = tx.QueryRowContext(ctx, `SELECT fingerprint, expires_us, used_us FROM confirmation_tokens WHERE id = ?`, id).Scan(&fp, &expires, &used)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.ErrNotFound
	case err != nil:
		return fmt.Errorf("confirmation token: %w", err)
	case used.Valid:
		return store.ErrTokenUsed
	case now.UnixMicro() >= expires:
		return store.ErrTokenExpired
	case fp != fingerprint:
		return store.ErrTokenMismatch
	}
	if _, err := tx.ExecContext(ctx, `UPDATE confirmation_tokens SET used_us = ? WHERE id = ? AND used_us IS NULL`, now.UnixMicro(), id); err != nil {
		return fmt.Errorf("confirmation token: %w", err)
	}
	return tx.Commit()
}

var _ store.Store = (*DB)(nil)
