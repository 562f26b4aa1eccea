package sqlite

import (
	"context"
	"time"
)

// Received webhook events are kept as long as Stripe keeps events (30
// days), with the object index and the object views built from them; the
// audit log is kept whole. Without this a server receiving webhooks grows
// its database by every event's payload, for ever.
const (
	eventRetention = 30 * 24 * time.Hour
	// pruneEvery is how often a server that stays up prunes again.
	pruneEvery = 6 * time.Hour
	// pruneBatch bounds each delete, so that the connection the audit log
	// also uses is never held long.
	pruneBatch = 500
)

// pruneEvents deletes what was received before cutoff: events (created and
// received before it), index rows of events no longer kept, and object
// views last updated before it. It reports how many events went.
func (d *DB) pruneEvents(ctx context.Context, cutoff time.Time) (int64, error) {
	cut := cutoff.UnixMicro()
	var events int64
	for _, q := range []struct {
		sql    string
		args   []any
		events bool
	}{
		{`DELETE FROM events WHERE rowid IN
			(SELECT rowid FROM events WHERE created_us < ? AND received_us < ? LIMIT ?)`, []any{cut, cut, pruneBatch}, true},
		{`DELETE FROM event_objects WHERE (object_id, event_id) IN
			(SELECT object_id, event_id FROM event_objects
			 WHERE created_us < ? AND event_id NOT IN (SELECT id FROM events) LIMIT ?)`, []any{cut, pruneBatch}, false},
		{`DELETE FROM object_views WHERE object_id IN
			(SELECT object_id FROM object_views WHERE updated_us < ? LIMIT ?)`, []any{cut, pruneBatch}, false},
	} {
		for {
			res, err := d.db.ExecContext(ctx, q.sql, q.args...)
			if err != nil {
				return events, err
			}
			n, _ := res.RowsAffected()
			if q.events {
				events += n
			}
			if n < pruneBatch {
				break
			}
		}
	}
	return events, nil
}

// pruneLoop prunes every pruneEvery until ctx ends (Open prunes once
// itself, before anything is added). A failed pass is tried again at the
// next one.
func (d *DB) pruneLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(pruneEvery):
		}
		d.pruneEvents(ctx, time.Now().Add(-eventRetention))
	}
}
