package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stripe-mcp/stripe-mcp/internal/store"
)

// AddEvent implements store.Store: the event and the objects it touches go
// in one transaction, committed before it returns.
func (d *DB) AddEvent(ctx context.Context, e *store.Event) (bool, error) {
	if e.ID == "" {
		return false, errors.New("events: an event needs an id")
	}
	received := e.Received
	if received.IsZero() {
		received = time.Now()
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("events: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO events
		(id, type, created_us, received_us, api_version, livemode, account, object_id, object_ids, payload)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.Type, micros(e.Created), received.UnixMicro(), e.APIVersion, e.Livemode, e.Account,
		e.ObjectID, strings.Join(e.ObjectIDs, ","), e.Payload)
	if err != nil {
		return false, fmt.Errorf("events: storing %s: %w", e.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	for _, id := range e.ObjectIDs {
		if id == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO event_objects (object_id, event_id, created_us) VALUES (?, ?, ?)`,
			id, e.ID, micros(e.Created)); err != nil {
			return false, fmt.Errorf("events: storing %s: %w", e.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("events: storing %s: %w", e.ID, err)
	}
	return true, nil
}

const eventColumns = `id, type, created_us, received_us, api_version, livemode, account, object_id, object_ids, payload`

func scanEvent(row interface{ Scan(...any) error }) (store.Event, error) {
	var (
		e                 store.Event
		created, received int64
		ids               string
	)
	if err := row.Scan(&e.ID, &e.Type, &created, &received, &e.APIVersion, &e.Livemode, &e.Account, &e.ObjectID, &ids, &e.Payload); err != nil {
		return store.Event{}, err
	}
	if created != 0 {
		e.Created = time.UnixMicro(created)
	}
	e.Received = time.UnixMicro(received)
	if ids != "" {
		e.ObjectIDs = strings.Split(ids, ",")
	}
	return e, nil
}

// Events implements store.Store.
func (d *DB) Events(ctx context.Context, q store.EventQuery) ([]store.Event, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	var (
		where []string
		args  []any
	)
	if q.Type != "" {
		if prefix, ok := strings.CutSuffix(q.Type, "*"); ok {
			where = append(where, `substr(type, 1, ?) = ?`)
			args = append(args, len(prefix), prefix)
		} else {
			where = append(where, `type = ?`)
			args = append(args, q.Type)
		}
	}
	if q.ObjectID != "" {
		where = append(where, `id IN (SELECT event_id FROM event_objects WHERE object_id = ?)`)
		args = append(args, q.ObjectID)
	}
	if q.StartingAfter != "" {
		var created, received, rowid int64
		err := d.db.QueryRowContext(ctx, `SELECT created_us, received_us, rowid FROM events WHERE id = ?`, q.StartingAfter).Scan(&created, &received, &rowid)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("events: startingAfter %s: %w", q.StartingAfter, store.ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("events: %w", err)
		}
		where = append(where, `(created_us, received_us, rowid) < (?, ?, ?)`)
		args = append(args, created, received, rowid)
	}
	query := `SELECT ` + eventColumns + ` FROM events`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY created_us DESC, received_us DESC, rowid DESC LIMIT ?`
	args = append(args, limit)
	rows, err := d.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("events: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Event implements store.Store.
func (d *DB) Event(ctx context.Context, id string) (store.Event, error) {
	e, err := scanEvent(d.db.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Event{}, store.ErrNotFound
	}
	if err != nil {
		return store.Event{}, fmt.Errorf("events: %w", err)
	}
	return e, nil
}

// PutView implements store.Store. A view from an older event than the one
// stored changes nothing; one from an event of the same second replaces it
// (it arrived later).
func (d *DB) PutView(ctx context.Context, v store.View) error {
	if v.ObjectID == "" || v.Object == "" {
		return errors.New("views: a view needs an object id and type")
	}
	_, err := d.db.ExecContext(ctx, `INSERT INTO object_views
		(object_id, object, status, amount, currency, customer, refunded, last_error, analysis, event_id, event_type, updated_us)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (object_id) DO UPDATE SET object = excluded.object, status = excluded.status,
			amount = excluded.amount, currency = excluded.currency, customer = excluded.customer,
			refunded = excluded.refunded, last_error = excluded.last_error, analysis = excluded.analysis, event_id = excluded.event_id,
			event_type = excluded.event_type, updated_us = excluded.updated_us
		WHERE excluded.updated_us >= object_views.updated_us`,
		v.ObjectID, v.Object, v.Status, v.Amount, v.Currency, v.Customer, v.Refunded, v.LastError, v.Analysis, v.EventID, v.EventType, micros(v.Updated))
	if err != nil {
		return fmt.Errorf("views: %s: %w", v.ObjectID, err)
	}
	return nil
}

// View implements store.Store.
func (d *DB) View(ctx context.Context, objectID string) (store.View, error) {
	var (
		v       store.View
		updated int64
	)
	err := d.db.QueryRowContext(ctx, `SELECT object_id, object, status, amount, currency, customer, refunded, last_error, analysis, event_id, event_type, updated_us
		FROM object_views WHERE object_id = ?`, objectID).Scan(&v.ObjectID, &v.Object, &v.Status, &v.Amount, &v.Currency, &v.Customer, &v.Refunded, &v.LastError, &v.Analysis, &v.EventID, &v.EventType, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return store.View{}, store.ErrNotFound
	}
	if err != nil {
		return store.View{}, fmt.Errorf("views: %w", err)
	}
	if updated != 0 {
		v.Updated = time.UnixMicro(updated)
	}
	return v, nil
}

// RecentIDs implements store.Store. Ids are ASCII: every id beginning with
// prefix sorts between prefix and prefix followed by the highest code point.
func (d *DB) RecentIDs(ctx context.Context, prefix string, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, nil
	}
	hi := prefix + "\U0010FFFF"
	query := `SELECT object_id FROM event_objects WHERE object_id >= ? AND object_id < ?
		GROUP BY object_id ORDER BY MAX(created_us) DESC, object_id LIMIT ?`
	if strings.HasPrefix(prefix, "evt_") || strings.HasPrefix("evt_", prefix) && prefix != "" {
		query = `SELECT id FROM events WHERE id >= ? AND id < ? ORDER BY created_us DESC, received_us DESC LIMIT ?`
	}
	rows, err := d.db.QueryContext(ctx, query, prefix, hi, limit)
	if err != nil {
		return nil, fmt.Errorf("recent ids: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("recent ids: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
