package webhook

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/stripe-mcp/stripe-mcp/internal/store"
	"github.com/stripe-mcp/stripe-mcp/internal/stripeapi"
)

// projections turn the data.object of an event into a view, by the object's
// type. Every event about one of these objects carries the whole object, so
// payment_intent.created and charge.captured update the view as well as the
// events the server cares most about (payment_intent.succeeded,
// payment_intent.payment_failed, charge.refunded, customer.subscription.*,
// invoice.payment_failed).
var projections = map[string]func(e *store.Event, o map[string]any) store.View{
	"payment_intent": paymentIntentView,
	"charge":         chargeView,
	"subscription":   subscriptionView,
	"invoice":        invoiceView,
}

// project is the view an event shows of its data.object, if that object is
// one that views are kept for.
func project(e *store.Event, o map[string]any) (store.View, bool) {
	f := projections[objectKind(e.Type, o)]
	if f == nil || e.ObjectID == "" {
		// invoice.upcoming shows an invoice that has no id yet.
		return store.View{}, false
	}
	v := f(e, o)
	v.ObjectID = e.ObjectID
	if c := str(o, "currency"); c != "" {
		v.Currency = c
	}
	v.Customer = idOf(o["customer"])
	v.EventID = e.ID
	v.EventType = e.Type
	v.Updated = e.Created
	if v.Status == "" {
		v.Status = str(o, "status")
	}
	return v, true
}

// objectKind is data.object's type. Stripe always sends its "object" field;
// without it, the event type decides, but only for events directly about the
// object (charge.refunded, not charge.dispute.created, whose object is a
// dispute).
func objectKind(eventType string, o map[string]any) string {
	if k, ok := o["object"].(string); ok {
		return k
	}
	parts := strings.Split(eventType, ".")
	switch {
	case len(parts) == 2 && (parts[0] == "payment_intent" || parts[0] == "charge" || parts[0] == "invoice"):
		return parts[0]
	case len(parts) == 3 && parts[0] == "customer" && parts[1] == "subscription":
		return "subscription"
	}
	return ""
}

func paymentIntentView(e *store.Event, o map[string]any) store.View {
	v := store.View{Object: "payment_intent", Amount: num(o, "amount")}
	lpe, ok := o["last_payment_error"].(map[string]any)
	if !ok {
		return v
	}
	code, decline, typ := str(lpe, "code"), str(lpe, "decline_code"), str(lpe, "type")
	v.LastError = describeError(str(lpe, "message"), code, decline)
	if a, err := json.Marshal(stripeapi.AnalyzeFailure(decline, code, typ)); err == nil {
		v.Analysis = string(a)
	}
	return v
}

func chargeView(e *store.Event, o map[string]any) store.View {
	amount := num(o, "amount")
	v := store.View{Object: "charge", Amount: amount}
	if msg := str(o, "failure_message"); msg != "" || str(o, "failure_code") != "" {
		v.LastError = describeError(msg, str(o, "failure_code"), "")
	}
	// charge.refunded comes for partial refunds too, with refunded false.
	if refunded := num(o, "amount_refunded"); refunded > 0 {
		v.Status = "refunded"
		v.Refunded = refunded
		if b, _ := o["refunded"].(bool); !b && refunded < amount {
			v.Status = "partially_refunded"
		}
	}
	return v
}

// subscriptionView's amount is what one period of the licensed items costs;
// metered items (no quantity) and tiered prices (no unit_amount) count 0.
func subscriptionView(e *store.Event, o map[string]any) store.View {
	v := store.View{Object: "subscription"}
	items, _ := o["items"].(map[string]any)
	data, _ := items["data"].([]any)
	for _, it := range data {
		item, _ := it.(map[string]any)
		price, _ := item["price"].(map[string]any)
		unit, okUnit := number(price, "unit_amount")
		qty, okQty := number(item, "quantity")
		if okUnit && okQty {
			v.Amount += unit * qty
		}
		if v.Currency == "" {
			v.Currency = str(price, "currency")
		}
	}
	return v
}

func invoiceView(e *store.Event, o map[string]any) store.View {
	v := store.View{Object: "invoice", Amount: num(o, "amount_due")}
	if e.Type == "invoice.payment_failed" {
		msg := fmt.Sprintf("payment failed (attempt %d)", num(o, "attempt_count"))
		if next, ok := number(o, "next_payment_attempt"); ok && next > 0 {
			msg += "; next attempt " + time.Unix(next, 0).UTC().Format(time.RFC3339)
		} else {
			msg += "; no further attempts"
		}
		v.LastError = msg
	}
	return v
}

// describeError is Stripe's message followed by its codes, e.g.
// "Your card has insufficient funds. (code card_declined, decline_code
// insufficient_funds)".
func describeError(msg, code, decline string) string {
	var codes []string
	if code != "" {
		codes = append(codes, "code "+code)
	}
	if decline != "" {
		codes = append(codes, "decline_code "+decline)
	}
	switch {
	case len(codes) == 0:
		return msg
	case msg == "":
		return strings.Join(codes, ", ")
	}
	return msg + " (" + strings.Join(codes, ", ") + ")"
}

func str(o map[string]any, key string) string {
	s, _ := o[key].(string)
	return s
}

func num(o map[string]any, key string) int64 {
	n, _ := number(o, key)
	return n
}

// number reads an integer field; null, absent and non-integers are not ok.
func number(o map[string]any, key string) (int64, bool) {
	n, ok := o[key].(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}
