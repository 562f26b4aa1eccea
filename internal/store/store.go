// Package store is what stripe-mcp keeps between calls and across restarts:
// the audit log, idempotency generations, and later spend counters and
// confirmation tokens. One interface; SQLite (store/sqlite) by default, and
// any other implementation passes the same contract tests (store/storetest).
package store

import (
	"context"
	"errors"
	"time"
)

// Outcomes of a recorded call.
const (
	OutcomePending  = "pending"  // started, never finished: the process died mid-call
	OutcomeOK       = "ok"       // Stripe answered and the tool succeeded
	OutcomeError    = "error"    // Stripe (or the network) refused or failed
	OutcomeRefused  = "refused"  // refused before anything was sent to Stripe
	OutcomeInternal = "internal" // a bug in the server
	// OutcomeConfirm: the call waits for a person's approval (a
	// confirmation token was issued, or the client was asked); nothing was
	// sent to Stripe.
	OutcomeConfirm = "confirmation_required"
)

// Call is one tool call in the audit log.
type Call struct {
	ID        int64
	Started   time.Time
	Finished  time.Time // zero while pending
	SessionID string
	Principal string
	Client    string
	Transport string
	Tool      string
	Arguments string // JSON with secrets and card data redacted
	Outcome   string
	Message   string // why a call was refused or failed, shortened
	Amount    int64  // meaningful when Currency is set
	Currency  string
	// RequestIDs are Stripe's request ids, in the order sent.
	RequestIDs     []string
	IdempotencyKey string // the first key sent, if any
	Replayed       bool   // Stripe answered from a previous request with the same key
	Duration       time.Duration
}

// Result is how a call ended.
type Result struct {
	Outcome        string
	Message        string
	Amount         int64
	Currency       string
	RequestIDs     []string
	IdempotencyKey string
	Replayed       bool
	Duration       time.Duration
	Finished       time.Time
}

// Query selects audit rows, newest first.
type Query struct {
	Limit int    // 0 means 100
	Tool  string // "" means every tool
}

// ErrNotFound is returned for an unknown row or key.
var ErrNotFound = errors.New("not found")

// Store is the server's durable state. Implementations are safe for
// concurrent use; every write is durable once the method returns (it
// survives the process being killed).
type Store interface {
	// StartCall records a call before anything is sent to Stripe and
	// returns its id.
	StartCall(ctx context.Context, c *Call) (int64, error)
	// FinishCall completes the row of a started call.
	FinishCall(ctx context.Context, id int64, r Result) error
	// Calls lists recorded calls, newest first.
	Calls(ctx context.Context, q Query) ([]Call, error)

	// Generation is the current idempotency generation of a scope (0 for a
	// scope never seen).
	Generation(ctx context.Context, scope string) (int64, error)
	// AdvanceGeneration moves a scope to its next generation and returns it.
	AdvanceGeneration(ctx context.Context, scope string) (int64, error)

	// Reserve counts amount against a rolling window's limit for a currency,
	// atomically with every other reservation: it succeeds only if the
	// reservations made since now-window plus amount stay within limit. A
	// reservation whose Key, currency and amount are already held (not
	// released) in the window is answered Shared, counting nothing more.
	Reserve(ctx context.Context, r Reservation) (Reserved, error)
	// Release gives a reservation back (the call it was for failed).
	Release(ctx context.Context, id int64) error

	// IssueToken stores a confirmation token.
	IssueToken(ctx context.Context, t Token) error
	// UseToken spends a token: it must exist, be unused, unexpired at now,
	// and match the call's fingerprint. A spent token is never usable again.
	UseToken(ctx context.Context, id, fingerprint string, now time.Time) error

	// AddEvent stores a received webhook event once: it reports false, and
	// changes nothing, when an event with the same id is already stored.
	AddEvent(ctx context.Context, e *Event) (bool, error)
	// Events lists stored events, newest first (by Stripe's created time,
	// then by arrival).
	Events(ctx context.Context, q EventQuery) ([]Event, error)
	// Event is one stored event, or ErrNotFound.
	Event(ctx context.Context, id string) (Event, error)
	// PutView stores what an event showed of an object, unless a view from
	// a later event (by Created) is already stored for it.
	PutView(ctx context.Context, v View) error
	// View is the stored view of an object, or ErrNotFound.
	View(ctx context.Context, objectID string) (View, error)
	// RecentIDs lists ids beginning with prefix ("cus_", "pi_", "sub_",
	// "evt_", "cus_Nf"…) that stored events touched, most recently seen
	// first, at most limit.
	RecentIDs(ctx context.Context, prefix string, limit int) ([]string, error)

	Close() error
}

// Event is a webhook event as it was received.
type Event struct {
	ID         string // evt_…
	Type       string // e.g. payment_intent.succeeded
	Created    time.Time
	Received   time.Time
	APIVersion string
	Livemode   bool
	Account    string // the connected account it came from, if any
	// ObjectID is the id of data.object; ObjectIDs are every object the
	// event touches (the object, its customer, payment intent, invoice,
	// subscription, charge), ObjectID first.
	ObjectID  string
	ObjectIDs []string
	Payload   []byte // the event's JSON as received
}

// EventQuery selects stored events.
type EventQuery struct {
	Limit int // 0 means 20
	// Type is an exact type, or a prefix ending in ".*" (payment_intent.*).
	Type string
	// ObjectID keeps events that touch this object.
	ObjectID string
	// StartingAfter continues a listing after this event id.
	StartingAfter string
}

// View is what webhook events have shown of one object: a payment intent,
// charge, subscription or invoice.
type View struct {
	ObjectID string
	Object   string // payment_intent, charge, subscription, invoice
	Status   string
	Amount   int64
	Currency string
	Customer string
	Refunded int64 // of a charge
	// LastError is the last failure Stripe reported for it; Analysis is the
	// failure analysis (JSON) of a failed payment.
	LastError string
	Analysis  string
	EventID   string    // the event this view comes from
	EventType string    // and its type
	Updated   time.Time // that event's created time
}

// Reservation asks for room under a limit.
type Reservation struct {
	Currency string
	Amount   int64
	Limit    int64
	Window   time.Duration
	Now      time.Time
	Note     string // what the money is for, e.g. "stripe_create_refund pi_123"
	// Key names the request the money is for (its idempotency key, with the
	// tool and principal): a request repeated with the same key moves the
	// money once, so a reservation of the same amount and currency already
	// held under Key within the window is answered again instead of
	// counting the amount twice. "" for none.
	Key string
}

// Reserved is the answer to a Reservation.
type Reserved struct {
	OK bool
	ID int64 // the reservation, when OK
	// Shared means an earlier reservation under the same Key answered: it
	// belongs to the call that made it, and only that call releases it.
	Shared bool
	// Used is what the window held before this reservation.
	Used int64
	// FreesAt is, when not OK, the earliest time at which enough of the
	// window's reservations expire for this one to fit (zero if it never
	// can, the amount being above the limit itself).
	FreesAt time.Time
}

// Token is a single-use confirmation token bound to one exact call.
type Token struct {
	ID          string
	Fingerprint string // the tool, principal and canonical arguments it approves
	Expires     time.Time
}

// Token errors.
var (
	ErrTokenUsed     = errors.New("this confirmation token was already used")
	ErrTokenExpired  = errors.New("this confirmation token has expired")
	ErrTokenMismatch = errors.New("this confirmation token was issued for a different call")
)
