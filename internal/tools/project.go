package tools

import (
	"encoding/json"
	"time"

	"github.com/stripe/stripe-go/v85"

	"github.com/stripe-mcp/stripe-mcp/internal/money"
	"github.com/stripe-mcp/stripe-mcp/internal/stripeapi"
)

// Compact projections of Stripe objects: the ids, amounts, status and the
// fields a person reads, with every amount next to its display string.

// timestamp renders a Unix time as RFC 3339 in UTC ("" for zero).
func timestamp(unix int64) string {
	if unix == 0 {
		return ""
	}
	return time.Unix(unix, 0).UTC().Format(time.RFC3339)
}

func display(amount int64, currency stripe.Currency) string {
	return money.Format(amount, string(currency))
}

func nonEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

type paymentIntentView struct {
	ID                      string            `json:"id"`
	Status                  string            `json:"status"`
	Amount                  int64             `json:"amount"`
	Currency                string            `json:"currency"`
	AmountDisplay           string            `json:"amountDisplay"`
	AmountReceived          int64             `json:"amountReceived,omitempty"`
	AmountReceivedDisplay   string            `json:"amountReceivedDisplay,omitempty"`
	AmountCapturable        int64             `json:"amountCapturable,omitempty"`
	AmountCapturableDisplay string            `json:"amountCapturableDisplay,omitempty"`
	CaptureMethod           string            `json:"captureMethod,omitempty"`
	Customer                string            `json:"customerId,omitempty"`
	PaymentMethod           string            `json:"paymentMethodId,omitempty"`
	LatestCharge            string            `json:"latestChargeId,omitempty"`
	Description             string            `json:"description,omitempty"`
	ReceiptEmail            string            `json:"receiptEmail,omitempty"`
	Created                 string            `json:"created,omitempty"`
	CanceledAt              string            `json:"canceledAt,omitempty"`
	CancellationReason      string            `json:"cancellationReason,omitempty"`
	NextAction              *nextActionView   `json:"nextAction,omitempty"`
	LastPaymentError        *paymentErrorView `json:"lastPaymentError,omitempty"`
	Metadata                map[string]string `json:"metadata,omitempty"`
	Livemode                bool              `json:"livemode,omitempty"`
}

type nextActionView struct {
	Type        string `json:"type"`
	RedirectURL string `json:"redirectUrl,omitempty"`
}

type paymentErrorView struct {
	Type        string                     `json:"type,omitempty"`
	Code        string                     `json:"code,omitempty"`
	DeclineCode string                     `json:"declineCode,omitempty"`
	Message     string                     `json:"message,omitempty"`
	Analysis    *stripeapi.FailureAnalysis `json:"analysis,omitempty"`
}

func viewPaymentIntent(pi *stripe.PaymentIntent) *paymentIntentView {
	v := &paymentIntentView{
		ID:                 pi.ID,
		Status:             string(pi.Status),
		Amount:             pi.Amount,
		Currency:           string(pi.Currency),
		AmountDisplay:      display(pi.Amount, pi.Currency),
		AmountReceived:     pi.AmountReceived,
		AmountCapturable:   pi.AmountCapturable,
		CaptureMethod:      string(pi.CaptureMethod),
		Description:        pi.Description,
		ReceiptEmail:       pi.ReceiptEmail,
		Created:            timestamp(pi.Created),
		CanceledAt:         timestamp(pi.CanceledAt),
		CancellationReason: string(pi.CancellationReason),
		Metadata:           nonEmpty(pi.Metadata),
		Livemode:           pi.Livemode,
	}
	if pi.AmountReceived != 0 {
		v.AmountReceivedDisplay = display(pi.AmountReceived, pi.Currency)
	}
	if pi.AmountCapturable != 0 {
		v.AmountCapturableDisplay = display(pi.AmountCapturable, pi.Currency)
	}
	if pi.Customer != nil {
		v.Customer = pi.Customer.ID
	}
	if pi.PaymentMethod != nil {
		v.PaymentMethod = pi.PaymentMethod.ID
	}
	if pi.LatestCharge != nil {
		v.LatestCharge = pi.LatestCharge.ID
	}
	if na := pi.NextAction; na != nil {
		v.NextAction = &nextActionView{Type: string(na.Type)}
		if na.RedirectToURL != nil {
			v.NextAction.RedirectURL = na.RedirectToURL.URL
		}
	}
	if e := pi.LastPaymentError; e != nil {
		a := stripeapi.AnalyzeFailure(string(e.DeclineCode), string(e.Code), string(e.Type))
		v.LastPaymentError = &paymentErrorView{
			Type:        string(e.Type),
			Code:        string(e.Code),
			DeclineCode: string(e.DeclineCode),
			Message:     e.Msg,
			Analysis:    &a,
		}
	}
	return v
}

type addressView struct {
	Line1      string `json:"line1,omitempty"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city,omitempty"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postalCode,omitempty"`
	Country    string `json:"country,omitempty"`
}

func viewAddress(a *stripe.Address) *addressView {
	if a == nil || *a == (stripe.Address{}) {
		return nil
	}
	return &addressView{Line1: a.Line1, Line2: a.Line2, City: a.City, State: a.State, PostalCode: a.PostalCode, Country: a.Country}
}

type customerView struct {
	ID                   string            `json:"id"`
	Email                string            `json:"email,omitempty"`
	Name                 string            `json:"name,omitempty"`
	Phone                string            `json:"phone,omitempty"`
	Description          string            `json:"description,omitempty"`
	Address              *addressView      `json:"address,omitempty"`
	DefaultPaymentMethod string            `json:"defaultPaymentMethodId,omitempty"`
	Balance              int64             `json:"balance,omitempty"`
	BalanceDisplay       string            `json:"balanceDisplay,omitempty"`
	Currency             string            `json:"currency,omitempty"`
	Delinquent           bool              `json:"delinquent,omitempty"`
	Created              string            `json:"created,omitempty"`
	Metadata             map[string]string `json:"metadata,omitempty"`
	Deleted              bool              `json:"deleted,omitempty"`
	Livemode             bool              `json:"livemode,omitempty"`
}

func viewCustomer(c *stripe.Customer) *customerView {
	v := &customerView{
		ID:          c.ID,
		Email:       c.Email,
		Name:        c.Name,
		Phone:       c.Phone,
		Description: c.Description,
		Address:     viewAddress(c.Address),
		Currency:    string(c.Currency),
		Delinquent:  c.Delinquent,
		Created:     timestamp(c.Created),
		Metadata:    nonEmpty(c.Metadata),
		Deleted:     c.Deleted,
		Livemode:    c.Livemode,
	}
	if c.Balance != 0 {
		v.Balance = c.Balance
		cur := c.Currency
		if cur == "" {
			cur = stripe.CurrencyUSD
		}
		v.BalanceDisplay = display(c.Balance, cur)
	}
	if c.InvoiceSettings != nil && c.InvoiceSettings.DefaultPaymentMethod != nil {
		v.DefaultPaymentMethod = c.InvoiceSettings.DefaultPaymentMethod.ID
	}
	return v
}

type paymentMethodView struct {
	ID           string    `json:"id"`
	Type         string    `json:"type"`
	Card         *cardView `json:"card,omitempty"`
	Customer     string    `json:"customerId,omitempty"`
	BillingName  string    `json:"billingName,omitempty"`
	BillingEmail string    `json:"billingEmail,omitempty"`
	Created      string    `json:"created,omitempty"`
	IsDefault    bool      `json:"isDefault,omitempty"`
}

type cardView struct {
	Brand    string `json:"brand"`
	Last4    string `json:"last4"`
	ExpMonth int64  `json:"expMonth"`
	ExpYear  int64  `json:"expYear"`
	Funding  string `json:"funding,omitempty"`
	Country  string `json:"country,omitempty"`
	Wallet   string `json:"wallet,omitempty"`
}

func viewPaymentMethod(pm *stripe.PaymentMethod) *paymentMethodView {
	v := &paymentMethodView{ID: pm.ID, Type: string(pm.Type), Created: timestamp(pm.Created)}
	if pm.Customer != nil {
		v.Customer = pm.Customer.ID
	}
	if b := pm.BillingDetails; b != nil {
		v.BillingName, v.BillingEmail = b.Name, b.Email
	}
	if c := pm.Card; c != nil {
		v.Card = &cardView{Brand: string(c.Brand), Last4: c.Last4, ExpMonth: c.ExpMonth, ExpYear: c.ExpYear, Funding: string(c.Funding), Country: c.Country}
		if c.Wallet != nil {
			v.Card.Wallet = string(c.Wallet.Type)
		}
	}
	return v
}

// listView is one page of a list.
type listView[T any] struct {
	Data       []T    `json:"data"`
	Count      int    `json:"count"`
	HasMore    bool   `json:"hasMore"`
	NextCursor string `json:"nextCursor,omitempty"`
	Scanned    int    `json:"scanned,omitempty"`
	Note       string `json:"note,omitempty"`
}

func newList[T any](data []T, hasMore bool, next string) *listView[T] {
	if data == nil {
		data = []T{}
	}
	l := &listView[T]{Data: data, Count: len(data), HasMore: hasMore}
	if hasMore {
		l.NextCursor = next
	}
	return l
}

// rawList is a list page as Stripe sent it, for `full`.
func rawList(resp *stripe.APIResponse) any {
	if resp == nil {
		return json.RawMessage(`{"data":[]}`)
	}
	return json.RawMessage(resp.RawJSON)
}

func rawJSON(b []byte) any { return json.RawMessage(b) }

// cursor is the id to continue after a page.
func cursor[T any](data []T, id func(T) string) string {
	if len(data) == 0 {
		return ""
	}
	return id(data[len(data)-1])
}

// listPage turns one page of a Stripe list into a result: Stripe's own list
// for `full`, otherwise compact views and the cursor after the last item.
func listPage[T, V any](c *call, l *stripe.V1List[T], view func(T) V, id func(T) string) (any, error) {
	if err := l.Err(); err != nil {
		return nil, stripeErr(err)
	}
	if c.full {
		return rawList(l.LastResponse()), nil
	}
	data := l.Data()
	views := make([]V, len(data))
	for i, x := range data {
		views[i] = view(x)
	}
	return newList(views, l.Meta().HasMore, cursor(data, id)), nil
}
