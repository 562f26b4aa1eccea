package stripeapi

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-mock/embedded"
)

// fixtureTypes are stripe-go's types for stripe-mock's fixtures, by object
// name: every object this server's tools, resources and webhooks read, and
// more.
var fixtureTypes = map[string]func() any{
	"account":                           func() any { return new(stripe.Account) },
	"application_fee":                   func() any { return new(stripe.ApplicationFee) },
	"balance":                           func() any { return new(stripe.Balance) },
	"balance_transaction":               func() any { return new(stripe.BalanceTransaction) },
	"bank_account":                      func() any { return new(stripe.BankAccount) },
	"capability":                        func() any { return new(stripe.Capability) },
	"card":                              func() any { return new(stripe.Card) },
	"charge":                            func() any { return new(stripe.Charge) },
	"checkout.session":                  func() any { return new(stripe.CheckoutSession) },
	"coupon":                            func() any { return new(stripe.Coupon) },
	"credit_note":                       func() any { return new(stripe.CreditNote) },
	"customer":                          func() any { return new(stripe.Customer) },
	"customer_balance_transaction":      func() any { return new(stripe.CustomerBalanceTransaction) },
	"customer_cash_balance_transaction": func() any { return new(stripe.CustomerCashBalanceTransaction) },
	"discount":                          func() any { return new(stripe.Discount) },
	"dispute":                           func() any { return new(stripe.Dispute) },
	"ephemeral_key":                     func() any { return new(stripe.EphemeralKey) },
	"event":                             func() any { return new(stripe.Event) },
	"fee_refund":                        func() any { return new(stripe.FeeRefund) },
	"file":                              func() any { return new(stripe.File) },
	"invoice":                           func() any { return new(stripe.Invoice) },
	"invoiceitem":                       func() any { return new(stripe.InvoiceItem) },
	"issuing.authorization":             func() any { return new(stripe.IssuingAuthorization) },
	"issuing.transaction":               func() any { return new(stripe.IssuingTransaction) },
	"line_item":                         func() any { return new(stripe.LineItem) },
	"mandate":                           func() any { return new(stripe.Mandate) },
	"payment_intent":                    func() any { return new(stripe.PaymentIntent) },
	"payment_link":                      func() any { return new(stripe.PaymentLink) },
	"payment_method":                    func() any { return new(stripe.PaymentMethod) },
	"payment_source":                    func() any { return new(stripe.PaymentSource) },
	"payout":                            func() any { return new(stripe.Payout) },
	"person":                            func() any { return new(stripe.Person) },
	"plan":                              func() any { return new(stripe.Plan) },
	"price":                             func() any { return new(stripe.Price) },
	"product":                           func() any { return new(stripe.Product) },
	"promotion_code":                    func() any { return new(stripe.PromotionCode) },
	"quote":                             func() any { return new(stripe.Quote) },
	"refund":                            func() any { return new(stripe.Refund) },
	"review":                            func() any { return new(stripe.Review) },
	"setup_attempt":                     func() any { return new(stripe.SetupAttempt) },
	"setup_intent":                      func() any { return new(stripe.SetupIntent) },
	"shipping_rate":                     func() any { return new(stripe.ShippingRate) },
	"source":                            func() any { return new(stripe.Source) },
	"subscription":                      func() any { return new(stripe.Subscription) },
	"subscription_item":                 func() any { return new(stripe.SubscriptionItem) },
	"subscription_schedule":             func() any { return new(stripe.SubscriptionSchedule) },
	"tax_id":                            func() any { return new(stripe.TaxID) },
	"tax_rate":                          func() any { return new(stripe.TaxRate) },
	"topup":                             func() any { return new(stripe.Topup) },
	"transfer":                          func() any { return new(stripe.Transfer) },
	"transfer_reversal":                 func() any { return new(stripe.TransferReversal) },
	"webhook_endpoint":                  func() any { return new(stripe.WebhookEndpoint) },
}

func fixtures(t testing.TB) map[string]json.RawMessage {
	t.Helper()
	var f struct {
		Resources map[string]json.RawMessage `json:"resources"`
	}
	if err := json.Unmarshal(embedded.OpenAPIFixtures, &f); err != nil {
		t.Fatal(err)
	}
	return f.Resources
}

// sameAsStripeGo decodes data into a fresh value with stripe-go's own
// decoding and with decode, and fails unless they are deeply equal.
func sameAsStripeGo(t *testing.T, name string, data []byte, newValue func() any) {
	t.Helper()
	want, got := newValue(), newValue()
	if err := json.Unmarshal(data, want); err != nil {
		t.Fatalf("%s: stripe-go: %v", name, err)
	}
	if err := decode(data, got); err != nil {
		t.Fatalf("%s: decode: %v", name, err)
	}
	if !reflect.DeepEqual(want, got) {
		w, _ := json.Marshal(want)
		g, _ := json.Marshal(got)
		t.Errorf("%s: decoded differently\nstripe-go %.600s\ndecode    %.600s", name, w, g)
	}
}

// TestDecodeAsStripeGo: every fixture decodes to exactly what stripe-go's
// decoding gives, also as a list, expanded where an id usually stands, and
// with its fields as JSON null.
func TestDecodeAsStripeGo(t *testing.T) {
	fx := fixtures(t)
	for name, newValue := range fixtureTypes {
		data, ok := fx[name]
		if !ok {
			t.Errorf("no fixture %q", name)
			continue
		}
		sameAsStripeGo(t, name, data, newValue)
		// Every field null (encoding/json leaves the field as it was).
		var m map[string]any
		json.Unmarshal(data, &m)
		for k := range m {
			m[k] = nil
		}
		nulls, _ := json.Marshal(m)
		sameAsStripeGo(t, name+" with null fields", nulls, newValue)
		// A bare id, as an unexpanded reference.
		if v, ok := newValue().(json.Unmarshaler); ok && v != nil {
			sameAsStripeGo(t, name+" as an id", []byte(`"`+strings.ReplaceAll(name, ".", "_")+`_123"`), newValue)
		}
	}

	// Lists and search results.
	list := func(object string, items ...json.RawMessage) []byte {
		b, _ := json.Marshal(map[string]any{"object": object, "url": "/v1/x", "has_more": true, "data": items, "next_page": "page_2"})
		return b
	}
	sameAsStripeGo(t, "customer list", list("list", fx["customer"], fx["customer"]), func() any { return new(stripe.CustomerList) })
	sameAsStripeGo(t, "payment intent list", list("list", fx["payment_intent"]), func() any { return new(stripe.PaymentIntentList) })
	sameAsStripeGo(t, "balance transaction list", list("list", fx["balance_transaction"]), func() any { return new(stripe.BalanceTransactionList) })
	sameAsStripeGo(t, "empty event list", list("list"), func() any { return new(stripe.EventList) })
	sameAsStripeGo(t, "customer search", list("search_result", fx["customer"]), func() any { return new(stripe.CustomerSearchResult) })

	// Expanded references, and the types that pick a variant by object.
	expand := func(base string, path []string, with json.RawMessage) []byte {
		var m map[string]any
		json.Unmarshal(fx[base], &m)
		var w any
		json.Unmarshal(with, &w)
		at := m
		for _, p := range path[:len(path)-1] {
			next, ok := at[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				at[p] = next
			}
			at = next
		}
		at[path[len(path)-1]] = w
		b, _ := json.Marshal(m)
		return b
	}
	for _, c := range []struct {
		base string
		path []string
		with string
	}{
		{"payment_intent", []string{"customer"}, "customer"},
		{"payment_intent", []string{"latest_charge"}, "charge"},
		{"payment_intent", []string{"payment_method"}, "payment_method"},
		{"customer", []string{"invoice_settings", "default_payment_method"}, "payment_method"},
		{"customer", []string{"default_source"}, "card"},
		{"balance_transaction", []string{"source"}, "charge"},
		{"balance_transaction", []string{"source"}, "refund"},
		{"balance_transaction", []string{"source"}, "payout"},
		{"refund", []string{"charge"}, "charge"},
		{"refund", []string{"payment_intent"}, "payment_intent"},
		{"subscription", []string{"latest_invoice"}, "invoice"},
		{"subscription", []string{"default_payment_method"}, "payment_method"},
		{"invoice", []string{"customer"}, "customer"},
		{"dispute", []string{"charge"}, "charge"},
		{"charge", []string{"balance_transaction"}, "balance_transaction"},
		{"payout", []string{"destination"}, "bank_account"},
		{"payout", []string{"destination"}, "card"},
		{"event", []string{"data", "object"}, "customer"},
		{"event", []string{"data", "previous_attributes"}, "customer"},
		{"price", []string{"product"}, "product"},
	} {
		name := fmt.Sprintf("%s with %s expanded as a %s", c.base, strings.Join(c.path, "."), c.with)
		sameAsStripeGo(t, name, expand(c.base, c.path, fx[c.with]), fixtureTypes[c.base])
	}
}

// TestDecodeErrors: JSON that does not fit the type is an error, not a
// panic or a half-filled value passed off as whole.
func TestDecodeErrors(t *testing.T) {
	for _, c := range []struct {
		data string
		into any
	}{
		{`{"amount":"12"}`, new(stripe.PaymentIntent)},
		{`{"amount":12.5}`, new(stripe.PaymentIntent)},
		{`{"amount":99999999999999999999}`, new(stripe.PaymentIntent)},
		{`{"livemode":"yes"}`, new(stripe.Customer)},
		{`{"metadata":["a"]}`, new(stripe.Customer)},
		{`{"data":{}}`, new(stripe.CustomerList)},
		{`[1]`, new(stripe.Customer)},
		{`7`, new(stripe.Customer)},
		{`{"id":`, new(stripe.Customer)},
		{`{"unit_amount_decimal":12}`, new(stripe.Price)},
	} {
		if err := decode([]byte(c.data), c.into); err == nil {
			t.Errorf("%s into %T: no error", c.data, c.into)
		}
		if err := json.Unmarshal([]byte(c.data), c.into); err == nil {
			t.Errorf("%s into %T: stripe-go takes it, so decode should too", c.data, c.into)
		}
	}
}

// BenchmarkDecode: a payment intent and a page of 10 customers, decoded by
// stripe-go (encoding/json, the baseline) and by decode.
func BenchmarkDecode(b *testing.B) {
	fx := fixtures(b)
	items := make([]json.RawMessage, 10)
	for i := range items {
		items[i] = fx["customer"]
	}
	page, _ := json.Marshal(map[string]any{"object": "list", "url": "/v1/customers", "has_more": true, "data": items})
	for _, c := range []struct {
		name string
		data []byte
		into func() any
	}{
		{"payment_intent", fx["payment_intent"], func() any { return new(stripe.PaymentIntent) }},
		{"customers", page, func() any { return new(stripe.CustomerList) }},
		// A decline as Stripe sends it, with its payment intent and method.
		{"decline", []byte(errorBodies(b)[0].body), func() any {
			return new(struct {
				Error *stripe.Error `json:"error"`
			})
		}},
	} {
		b.Run(c.name+"/stripe-go", func(b *testing.B) {
			for b.Loop() {
				if err := json.Unmarshal(c.data, c.into()); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/decode", func(b *testing.B) {
			for b.Loop() {
				if err := decode(c.data, c.into()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzDecode: any bytes decode without a panic, and whatever stripe-go's
// decoding takes, decode takes too, with the same result.
func FuzzDecode(f *testing.F) {
	fx := fixtures(f)
	for _, name := range []string{"customer", "balance_transaction", "price", "subscription"} {
		f.Add([]byte(fx[name]))
	}
	f.Add([]byte(`{"id":"cus_1","metadata":{"a":"b"},"balance":-5,"invoice_settings":{"default_payment_method":"pm_1"}}`))
	f.Add([]byte(`{"unit_amount_decimal":"12.5","tiers":[{"up_to":null}],"recurring":null}`))
	f.Add([]byte(`"cus_\u0041"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, newValue := range []func() any{
			func() any { return new(stripe.Customer) },
			func() any { return new(stripe.Price) },
			func() any { return new(stripe.BalanceTransaction) },
			func() any { return new(stripe.SubscriptionList) },
		} {
			want, got := newValue(), newValue()
			errGot := decode(data, got)
			if json.Unmarshal(data, want) == nil {
				if errGot != nil {
					t.Fatalf("%q into %T: stripe-go takes it, decode says %v", data, want, errGot)
				}
				if !reflect.DeepEqual(want, got) {
					t.Fatalf("%q into %T: decoded differently", data, want)
				}
			}
		}
	})
}
