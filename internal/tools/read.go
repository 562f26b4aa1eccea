package tools

import (
	"context"
	"fmt"
)

// Kinds of object Read fetches, with the prefix of their ids.
var readable = map[string]string{
	"account":        "",
	"balance":        "",
	"customer":       "cus_",
	"payment_intent": "pi_",
	"subscription":   "sub_",
}

// Read fetches one object as its get tool shows it (the compact
// projection), for resources. kind is account, balance, customer,
// payment_intent or subscription; id is checked as the tool checks it. A bad
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
	case "payment_intent":
		return getPayment(c, &getPaymentIn{paymentIntentIn: paymentIntentIn{PaymentIntentID: id}})
	default:
		return getSubscription(c, &getSubscriptionIn{subscriptionIn: subscriptionIn{SubscriptionID: id}})
	}
}

// IsInvalidInput reports whether err refuses arguments (nothing was sent to
// Stripe).
func IsInvalidInput(err error) bool {
	_, ok := err.(invalidInput)
	return ok
}
