package store

import (
	"context"
	"sync"
	"time"
)

// Opening is a Store opened on demand: Start begins opening it in the
// background, and every method starts it if need be and waits. A server can
// so answer initialize before touching the database, and open it while the
// client gets ready for its first call.
type Opening struct {
	open      func() (Store, error)
	startOnce sync.Once
	done      chan struct{}
	s         Store
	err       error
	closeOnce sync.Once
}

// OpenLater returns a Store that open will give once started.
func OpenLater(open func() (Store, error)) *Opening {
	return &Opening{open: open, done: make(chan struct{})}
}

// Start begins opening the store, once.
func (o *Opening) Start() {
	o.startOnce.Do(func() {
		go func() {
			defer close(o.done)
			o.s, o.err = o.open()
		}()
	})
}

// Wait returns the opened store, or why it could not be opened.
func (o *Opening) Wait(ctx context.Context) (Store, error) {
	o.Start()
	select {
	case <-o.done:
		return o.s, o.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (o *Opening) StartCall(ctx context.Context, c *Call) (int64, error) {
	s, err := o.Wait(ctx)
	if err != nil {
		return 0, err
	}
	return s.StartCall(ctx, c)
}

func (o *Opening) FinishCall(ctx context.Context, id int64, r Result) error {
	s, err := o.Wait(ctx)
	if err != nil {
		return err
	}
	return s.FinishCall(ctx, id, r)
}

func (o *Opening) Calls(ctx context.Context, q Query) ([]Call, error) {
	s, err := o.Wait(ctx)
	if err != nil {
		return nil, err
	}
	return s.Calls(ctx, q)
}

func (o *Opening) Generation(ctx context.Context, scope string) (int64, error) {
	s, err := o.Wait(ctx)
	if err != nil {
		return 0, err
	}
	return s.Generation(ctx, scope)
}

func (o *Opening) AdvanceGeneration(ctx context.Context, scope string) (int64, error) {
	s, err := o.Wait(ctx)
	if err != nil {
		return 0, err
	}
	return s.AdvanceGeneration(ctx, scope)
}

func (o *Opening) Reserve(ctx context.Context, r Reservation) (Reserved, error) {
	s, err := o.Wait(ctx)
	if err != nil {
		return Reserved{}, err
	}
	return s.Reserve(ctx, r)
}

func (o *Opening) Release(ctx context.Context, id int64) error {
	s, err := o.Wait(ctx)
	if err != nil {
		return err
	}
	return s.Release(ctx, id)
}

func (o *Opening) IssueToken(ctx context.Context, t Token) error {
	s, err := o.Wait(ctx)
	if err != nil {
		return err
	}
	return s.IssueToken(ctx, t)
}

func (o *Opening) UseToken(ctx context.Context, id, fingerprint string, now time.Time) error {
	s, err := o.Wait(ctx)
	if err != nil {
		return err
	}
	return s.UseToken(ctx, id, fingerprint, now)
}

func (o *Opening) AddEvent(ctx context.Context, e *Event) (bool, error) {
	s, err := o.Wait(ctx)
	if err != nil {
		return false, err
	}
	return s.AddEvent(ctx, e)
}

func (o *Opening) Events(ctx context.Context, q EventQuery) ([]Event, error) {
	s, err := o.Wait(ctx)
	if err != nil {
		return nil, err
	}
	return s.Events(ctx, q)
}

func (o *Opening) Event(ctx context.Context, id string) (Event, error) {
	s, err := o.Wait(ctx)
	if err != nil {
		return Event{}, err
	}
	return s.Event(ctx, id)
}

func (o *Opening) PutView(ctx context.Context, v View) error {
	s, err := o.Wait(ctx)
	if err != nil {
		return err
	}
	return s.PutView(ctx, v)
}

func (o *Opening) View(ctx context.Context, objectID string) (View, error) {
	s, err := o.Wait(ctx)
	if err != nil {
		return View{}, err
	}
	return s.View(ctx, objectID)
}

func (o *Opening) RecentIDs(ctx context.Context, prefix string, limit int) ([]string, error) {
	s, err := o.Wait(ctx)
	if err != nil {
		return nil, err
	}
	return s.RecentIDs(ctx, prefix, limit)
}

// Close closes what was opened; a store never started is never opened.
func (o *Opening) Close() error {
	started := true
	o.startOnce.Do(func() { started = false; close(o.done) })
	if !started {
		return nil
	}
	<-o.done
	var err error
	o.closeOnce.Do(func() {
		if o.s != nil {
			err = o.s.Close()
		}
	})
	return err
}

var _ Store = (*Opening)(nil)
