package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/stripe/stripe-go/v85"

	"github.com/stripe-mcp/stripe-mcp/internal/store"
)

// Kinds of object Read fetches, with the prefix of their ids.
var readable = map[string]string{
	"account":        "",
	"balance":        "",
	"customer":       "cus_",
	"payment_intent": "pi_",
	"subscription":   "sub_",
	"events":         "",
	"event":          "evt_",
}

// Read fetches one object as its get tool shows it (the compact
// projection), for resources. kind is account, balance, customer,
// payment_intent, subscription, events (the latest received) or event (one
// received event, else from the Events API); id is checked as the tool checks it. A bad
// id is an invalid-input error (nothing was sent); a Stripe failure is a
// *stripeapi.Failure.
func Read(ctx context.Context, d *Deps, kind, id string) (any, error) {
	prefix, ok := readable[kind]
	if !ok {
		return nil, fmt.Errorf("tools.Read: unknown kind %q", kind)
	}
	c := &call{Context: ctx, d: d}
	if prefix != "" {
		if id == "" {
			return nil, badInput("an id starting with %s is required", prefix)
		}
		if err := checkID(kind+" id", id, prefix); err != nil {
			return nil, err
		}
	}
	switch kind {
	case "account":
		return getAccount(c, &getAccountIn{})
	case "balance":
		return getBalance(c, &getBalanceIn{})
	case "customer":
		return getCustomer(c, &getCustomerIn{customerIn: customerIn{CustomerID: id}})
	case "events":
		if d.Store == nil {
			return newList([]eventView{}, false, ""), nil
		}
		res, _, err := receivedEvents(c, &listEventsIn{Limit: 20})
		return res, err
	case "event":
		return readEvent(c, id)
	case "payment_intent":
		return getPayment(c, &getPaymentIn{paymentIntentIn: paymentIntentIn{PaymentIntentID: id}})
	default:
		return getSubscription(c, &getSubscriptionIn{subscriptionIn: subscriptionIn{SubscriptionID: id}})
	}
}

// CheckID checks an id as the tools check their id arguments: it must start
// with prefix, have more after it, and hold only the characters Stripe ids
// hold. An empty id is an error here.
func CheckID(field, id, prefix string) error {
	if id == "" {
		return badInput("%s is empty", field)
	}
	return checkID(field, id, prefix)
}

// IsInvalidInput reports whether err refuses arguments (nothing was sent to
// Stripe).
func IsInvalidInput(err error) bool {
	var in invalidInput
	return errors.As(err, &in)
}

// eventDetail is one event with its object, compact where the object is a
// kind the tools project.
type eventDetail struct {
	eventView
	Object any `json:"object,omitempty"`
}

func readEvent(c *call, id string) (any, error) {
	if c.d.Store != nil {
		e, err := c.d.Store.Event(c, id)
		if err == nil {
			var p struct {
				Data struct {
					Object json.RawMessage `json:"object"`
				} `json:"data"`
			}
			_ = json.Unmarshal(e.Payload, &p)
			return &eventDetail{eventView: viewStoredEvent(e), Object: compactObject(p.Data.Object)}, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	e, err := c.d.Stripe.V1Events.Retrieve(c, id, nil)
	if err != nil {
		return nil, stripeErr(err)
	}
	var raw json.RawMessage
	if e.Data != nil {
		raw = e.Data.Raw
	}
	return &eventDetail{eventView: viewEvent(e), Object: compactObject(raw)}, nil
}

// compactObject projects an event's object as its tool would show it; kinds
// without a projection stay as Stripe sent them.
func compactObject(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	var head struct {
		Object string `json:"object"`
	}
	_ = json.Unmarshal(raw, &head)
	project := func(v any, view func() any) any {
		if err := json.Unmarshal(raw, v); err != nil {
			return raw
		}
		return view()
	}
	switch head.Object {
	case "payment_intent":
		var pi stripe.PaymentIntent
		return project(&pi, func() any { return viewPaymentIntent(&pi) })
	case "customer":
		var cu stripe.Customer
		return project(&cu, func() any { return viewCustomer(&cu) })
	case "subscription":
		var sub stripe.Subscription
		return project(&sub, func() any { return viewSubscription(&sub) })
	case "refund":
		var r stripe.Refund
		return project(&r, func() any { return viewRefund(&r) })
	case "payment_method":
		var pm stripe.PaymentMethod
		return project(&pm, func() any { return viewPaymentMethod(&pm) })
	}
	return raw
}
