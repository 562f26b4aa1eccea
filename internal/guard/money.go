package guard

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stripe-mcp/stripe-mcp/internal/money"
	"github.com/stripe-mcp/stripe-mcp/internal/store"
)

// Window is the span of the daily limit: a rolling 24 hours.
const Window = 24 * time.Hour

// TokenTTL is how long a confirmation token stays usable.
const TokenTTL = 10 * time.Minute

// Limits is a per-currency money setting (maxAmount, dailyLimit,
// verificationThreshold).
type Limits interface {
	IsSet() bool
	Limit(currency string) (int64, bool)
	Currencies() []string
}

// Movement is the money a call names or implies.
type Movement struct {
	Amount   int64
	Currency string
	// Known is false when the amount cannot be told (a tiered price); a
	// call whose amount must be checked is then refused.
	Known bool
	// Capped: maxAmount applies (creating, confirming or capturing a
	// payment, refunds, subscriptions and payment links by price ×
	// quantity, invoice items, finalizing an auto-charging invoice).
	Capped bool
	// Moves: money actually moves now, in either direction; it counts
	// toward the daily limit and always needs confirmation when that is on.
	Moves bool
	// Deferred: the call lets money move later without another call
	// through this server (each customer who pays a payment link pays
	// Amount). Nothing has moved, so it counts toward no daily limit; but no
	// later call can be asked about, so it needs confirmation as if it moved.
	Deferred bool
	// Summary says what will happen, for the person asked to confirm:
	// what, how much, to whom.
	Summary string
}

// Display is the amount as people read it.
func (m *Movement) Display() string {
	if m == nil || !m.Known {
		return "an amount that cannot be determined"
	}
	return money.Format(m.Amount, m.Currency)
}

// Refusal is a guardrail's no: which rule, why, and how to change it.
// Nothing moving money was sent to Stripe.
type Refusal struct {
	Rule    string // the setting, e.g. "security.maxAmount"
	Message string
}

func (r *Refusal) Error() string {
	return "refused by " + r.Rule + ": " + r.Message + " (nothing was charged, refunded or changed)"
}

// Policy holds the money guardrails (SPEC §5).
type Policy struct {
	MaxAmount            Limits
	DailyLimit           Limits
	VerificationRequired bool
	Threshold            Limits // unset: every money-moving or destructive call
	Fallback             string // "refuse" (default) or "token"
	Store                store.Store
	Now                  func() time.Time
}

func (p *Policy) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Active reports whether any money guardrail is on (tools fetch implied
// amounts only then).
func (p *Policy) Active() bool {
	return p != nil && (set(p.MaxAmount) || set(p.DailyLimit) || p.VerificationRequired)
}

func set(l Limits) bool { return l != nil && l.IsSet() }

// Check applies maxAmount, and refuses money in a currency a set limit does
// not cover, before anything moves.
func (p *Policy) Check(m *Movement) error {
	if m == nil || (!m.Capped && !m.Moves) {
		return nil
	}
	if set(p.MaxAmount) && m.Capped {
		if !m.Known {
			return &Refusal{"security.maxAmount", "the amount of this call cannot be determined (a tiered, metered or customer-chosen price), so it cannot be checked against the cap; make this change in the Stripe Dashboard"}
		}
		limit, ok := p.MaxAmount.Limit(m.Currency)
		if !ok {
			return noLimitFor("security.maxAmount", "STRIPE_MAX_AMOUNT", p.MaxAmount, m.Currency)
		}
		if m.Amount > limit {
			return &Refusal{"security.maxAmount", fmt.Sprintf("%s is above the cap of %s per operation; raise the %s cap in STRIPE_MAX_AMOUNT (security.maxAmount) if this is intended",
				money.Format(m.Amount, m.Currency), money.Format(limit, m.Currency), m.Currency)}
		}
	}
	if set(p.DailyLimit) && m.Moves {
		if !m.Known {
			return &Refusal{"security.dailyLimit", "the amount of this call cannot be determined, so it cannot be counted against the daily limit"}
		}
		if _, ok := p.DailyLimit.Limit(m.Currency); !ok {
			return noLimitFor("security.dailyLimit", "STRIPE_DAILY_LIMIT", p.DailyLimit, m.Currency)
		}
	}
	if p.VerificationRequired && set(p.Threshold) && m.Known {
		if _, ok := p.Threshold.Limit(m.Currency); !ok {
			return noLimitFor("security.verificationThreshold", "STRIPE_VERIFICATION_THRESHOLD", p.Threshold, m.Currency)
		}
	}
	return nil
}

func noLimitFor(rule, env string, l Limits, currency string) error {
	return &Refusal{rule, fmt.Sprintf("it sets amounts for %s only, and money in %s is refused while it is set; add %s:AMOUNT to %s (%s) to allow %s",
		strings.Join(l.Currencies(), ", "), currency, currency, env, rule, currency)}
}

// NeedsConfirmation reports whether a person must approve the call:
// verification is on, the call moves money or is destructive, and its
// amount is at or above the threshold (calls without an amount always ask).
func (p *Policy) NeedsConfirmation(m *Movement, destructive bool) bool {
	if p == nil || !p.VerificationRequired {
		return false
	}
	if m == nil || !m.Known {
		return destructive || (m != nil && (m.Moves || m.Deferred))
	}
	if !m.Moves && !m.Deferred && !destructive {
		return false
	}
	if !set(p.Threshold) {
		return true
	}
	limit, ok := p.Threshold.Limit(m.Currency)
	return !ok || m.Amount >= limit
}

// Reserve takes room under the daily limit for money that moves now. key
// names the request (its idempotency key, with the tool and principal): a
// request repeated under the same key moves the money at most once, so it
// shares the reservation its first attempt made instead of counting again.
// The returned release gives the room back if the call fails; it is a no-op
// when nothing was reserved, or the reservation is another attempt's.
func (p *Policy) Reserve(ctx context.Context, m *Movement, note, key string) (release func(context.Context) error, err error) {
	noop := func(context.Context) error { return nil }
	if m == nil || !m.Moves || m.Amount <= 0 || !set(p.DailyLimit) {
		// Nothing to count (a capture of a payment already captured moves
		// nothing more).
		return noop, nil
	}
	limit, ok := p.DailyLimit.Limit(m.Currency)
	if !ok {
		return nil, noLimitFor("security.dailyLimit", "STRIPE_DAILY_LIMIT", p.DailyLimit, m.Currency)
	}
	now := p.now()
	r, err := p.Store.Reserve(ctx, store.Reservation{Currency: m.Currency, Amount: m.Amount, Limit: limit, Window: Window, Now: now, Note: note, Key: key})
	if err != nil {
		return nil, fmt.Errorf("daily limit: %w", err)
	}
	if !r.OK {
		left := max(limit-r.Used, 0)
		msg := fmt.Sprintf("%s would take the money moved in the last 24 hours past the daily limit of %s: %s is left",
			money.Format(m.Amount, m.Currency), money.Format(limit, m.Currency), money.Format(left, m.Currency))
		if !r.FreesAt.IsZero() {
			msg += fmt.Sprintf(", and enough frees up at %s (in %s)", r.FreesAt.UTC().Format(time.RFC3339), r.FreesAt.Sub(now).Round(time.Minute))
		} else {
			msg += "; the amount is above the daily limit itself"
		}
		msg += "; raise STRIPE_DAILY_LIMIT (security.dailyLimit) if this is intended"
		return nil, &Refusal{"security.dailyLimit", msg}
	}
	if r.Shared {
		return noop, nil
	}
	id := r.ID
	return func(ctx context.Context) error { return p.Store.Release(ctx, id) }, nil
}

// IssueToken records a confirmation token for the call with fingerprint.
func (p *Policy) IssueToken(ctx context.Context, fingerprint string) (id string, expires time.Time, err error) {
	id = "ctok_" + rand.Text()
	expires = p.now().Add(TokenTTL)
	if err := p.Store.IssueToken(ctx, store.Token{ID: id, Fingerprint: fingerprint, Expires: expires}); err != nil {
		return "", time.Time{}, err
	}
	return id, expires, nil
}

// UseToken spends a confirmation token on the call with fingerprint.
func (p *Policy) UseToken(ctx context.Context, id, fingerprint string) error {
	err := p.Store.UseToken(ctx, id, fingerprint, p.now())
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return &Refusal{"security.verificationRequired", "the confirmationToken is unknown; call the tool without it to get a new one, and ask the user again"}
	case errors.Is(err, store.ErrTokenUsed):
		return &Refusal{"security.verificationRequired", "the confirmationToken was already used (tokens are single-use); call the tool without it for a new one, after asking the user again"}
	case errors.Is(err, store.ErrTokenExpired):
		return &Refusal{"security.verificationRequired", "the confirmationToken has expired (tokens last 10 minutes); call the tool without it for a new one, after asking the user again"}
	case errors.Is(err, store.ErrTokenMismatch):
		return &Refusal{"security.verificationRequired", "the confirmationToken was issued for another call: different arguments, or an amount that has changed since the user was asked; the user approved that call, not this one — repeat exactly the approved call, or call the tool without the token for a new one and ask the user again"}
	}
	return err
}

// NamedAmount is the amount a call's arguments name ("amount", else
// "amountToCapture"), with its currency ("currency", else def), when it is a
// positive whole number of the smallest unit.
func NamedAmount(args map[string]any, def string) (amount int64, currency string, ok bool) {
	for _, name := range []string{"amount", "amountToCapture"} {
		f, isNum := args[name].(float64)
		if !isNum || f <= 0 || f > money.MaxAmount || f != float64(int64(f)) {
			continue
		}
		cur, _ := args["currency"].(string)
		if cur == "" {
			cur = def
		}
		cur = money.Normalize(cur)
		if !money.ValidCurrency(cur) {
			return 0, "", false
		}
		return int64(f), cur, true
	}
	return 0, "", false
}
