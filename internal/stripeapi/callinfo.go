package stripeapi

import (
	"context"
	"net/http"
	"sync"
)

// CallInfo collects what Stripe said about the requests one tool call made:
// the request ids, the idempotency keys sent, and whether Stripe answered a
// write from an earlier request with the same key. The HTTP transport fills
// it in for requests whose context carries it.
type CallInfo struct {
	mu              sync.Mutex
	requestIDs      []string
	idempotencyKeys []string
	replayed        bool
	attempts        int
	// wrote: a request other than a GET was attempted; writeStatus is the
	// HTTP status of the last such attempt (0: no answer came).
	wrote       bool
	writeStatus int
	// What the call is about, for the audit log.
	amount   int64
	currency string
	awaiting bool
	stopped  bool
}

type callInfoKey struct{}

// WithCallInfo returns ctx carrying a fresh CallInfo.
func WithCallInfo(ctx context.Context) (context.Context, *CallInfo) {
	info := &CallInfo{}
	return context.WithValue(ctx, callInfoKey{}, info), info
}

// CallInfoFrom returns the CallInfo in ctx, or nil.
func CallInfoFrom(ctx context.Context) *CallInfo {
	info, _ := ctx.Value(callInfoKey{}).(*CallInfo)
	return info
}

func (c *CallInfo) record(req *http.Request, resp *http.Response) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.attempts++
	if req.Method != http.MethodGet {
		c.wrote, c.writeStatus = true, 0
		if resp != nil {
			c.writeStatus = resp.StatusCode
		}
	}
	if key := req.Header.Get("Idempotency-Key"); key != "" && (len(c.idempotencyKeys) == 0 || c.idempotencyKeys[len(c.idempotencyKeys)-1] != key) {
		c.idempotencyKeys = append(c.idempotencyKeys, key)
	}
	if resp == nil {
		return
	}
	if id := resp.Header.Get("Request-Id"); id != "" {
		c.requestIDs = append(c.requestIDs, id)
	}
	if resp.Header.Get("Idempotent-Replayed") == "true" {
		c.replayed = true
	}
}

// RequestIDs are Stripe's request ids, in order.
func (c *CallInfo) RequestIDs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.requestIDs...)
}

// IdempotencyKeys are the keys sent with writes, in order, each once.
func (c *CallInfo) IdempotencyKeys() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.idempotencyKeys...)
}

// Sent reports whether any request reached Stripe (or was attempted).
func (c *CallInfo) Sent() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.attempts > 0
}

// LastWrite reports whether a write (any request but a GET) was attempted,
// and the HTTP status of the last attempt: 0 when no answer came (a timeout,
// a broken connection), so that whether it took effect is unknown.
func (c *CallInfo) LastWrite() (wrote bool, status int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wrote, c.writeStatus
}

// Replayed reports whether Stripe answered a write from an earlier request
// with the same idempotency key.
func (c *CallInfo) Replayed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.replayed
}

// SetMoney records the amount a call names or implies.
func (c *CallInfo) SetMoney(amount int64, currency string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.amount, c.currency = amount, currency
}

// Money is the amount recorded by SetMoney ("" currency for none).
func (c *CallInfo) Money() (int64, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.amount, c.currency
}

// SetAwaitingConfirmation records that the call stopped to ask a person.
func (c *CallInfo) SetAwaitingConfirmation() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.awaiting = true
}

// ConfirmationAnswered records that the person answered: the call goes on,
// or stops, but no longer waits.
func (c *CallInfo) ConfirmationAnswered() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.awaiting = false
}

// SetStopped records that the server stopped the call before any write: a
// guardrail refused it, or a person did not approve it.
func (c *CallInfo) SetStopped() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
}

// Stopped reports whether SetStopped was called.
func (c *CallInfo) Stopped() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopped
}

// AwaitingConfirmation reports whether the call stopped to ask a person.
func (c *CallInfo) AwaitingConfirmation() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.awaiting
}
