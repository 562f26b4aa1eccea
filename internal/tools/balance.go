package tools

import (
	"sort"

	"github.com/stripe/stripe-go/v85"
)

type getBalanceIn struct {
	Detailed bool `json:"detailed,omitempty" jsonschema:"add pending funds and amounts per source type"`
	output
}

type listBalanceTransactionsIn struct {
	Type     string        `json:"type,omitempty" jsonschema:"e.g. charge, refund, payout, stripe_fee"`
	Currency string        `json:"currency,omitempty"`
	PayoutID string        `json:"payoutId,omitempty" jsonschema:"po_…: the transactions paid out in it"`
	Created  *createdRange `json:"created,omitempty" jsonschema:"unix-seconds bounds"`
	page
	output
}

func (in *listBalanceTransactionsIn) validate(d *Deps) error {
	if in.Currency != "" {
		if err := checkCurrency("currency", &in.Currency, ""); err != nil {
			return err
		}
	}
	return firstError(
		checkID("payoutId", in.PayoutID, "po_"),
		checkID("startingAfter", in.StartingAfter, "txn_"),
		checkID("endingBefore", in.EndingBefore, "txn_"),
	)
}

func balanceTools() []Definition {
	return []Definition{
		&tool[getBalanceIn]{
			Meta: Meta{
				Name: "stripe_get_balance", Toolset: "balance", Title: "Get balance",
				Description: "The account's balance available for payout, per currency.",
				ReadOnly:    true,
			},
			run: getBalance,
		},
		&tool[listBalanceTransactionsIn]{
			Meta: Meta{
				Name: "stripe_list_balance_transactions", Toolset: "balance", Title: "List balance transactions",
				Description: "List balance transactions (money in and out, with fees and net), newest first.",
				ReadOnly:    true,
			},
			schema: pageSchema,
			run:    listBalanceTransactions,
		},
	}
}

type moneyView struct {
	Amount   int64            `json:"amount"`
	Currency string           `json:"currency"`
	Display  string           `json:"display"`
	Sources  map[string]int64 `json:"bySourceType,omitempty"`
}

type balanceView struct {
	Available        []moneyView `json:"available"`
	Pending          []moneyView `json:"pending,omitempty"`
	InstantAvailable []moneyView `json:"instantAvailable,omitempty"`
	ConnectReserved  []moneyView `json:"connectReserved,omitempty"`
	Livemode         bool        `json:"livemode,omitempty"`
}

func moneyViews(amounts []*stripe.BalanceAmount, sources bool) []moneyView {
	out := make([]moneyView, 0, len(amounts))
	for _, a := range amounts {
		v := moneyView{Amount: a.Amount, Currency: string(a.Currency), Display: display(a.Amount, a.Currency)}
		if sources && len(a.SourceTypes) > 0 {
			v.Sources = map[string]int64{}
			for k, n := range a.SourceTypes {
				v.Sources[string(k)] = n
			}
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out
}

func getBalance(c *call, in *getBalanceIn) (any, error) {
	b, err := c.d.Stripe.V1Balance.Retrieve(c, nil)
	if err != nil {
		return nil, stripeErr(err)
	}
	v := &balanceView{Available: moneyViews(b.Available, in.Detailed), Livemode: b.Livemode}
	if in.Detailed {
		v.Pending = moneyViews(b.Pending, true)
		v.InstantAvailable = moneyViews(b.InstantAvailable, false)
		v.ConnectReserved = moneyViews(b.ConnectReserved, false)
	}
	return c.object(v, b.LastResponse), nil
}

type balanceTransactionView struct {
	ID                string `json:"id"`
	Type              string `json:"type"`
	ReportingCategory string `json:"reportingCategory,omitempty"`
	Amount            int64  `json:"amount"`
	Fee               int64  `json:"fee"`
	Net               int64  `json:"net"`
	Currency          string `json:"currency"`
	AmountDisplay     string `json:"amountDisplay"`
	FeeDisplay        string `json:"feeDisplay"`
	NetDisplay        string `json:"netDisplay"`
	Status            string `json:"status,omitempty"`
	Source            string `json:"sourceId,omitempty"`
	Description       string `json:"description,omitempty"`
	Created           string `json:"created,omitempty"`
	AvailableOn       string `json:"availableOn,omitempty"`
}

func listBalanceTransactions(c *call, in *listBalanceTransactionsIn) (any, error) {
	p := &stripe.BalanceTransactionListParams{}
	p.Limit = stripe.Int64(in.limit())
	setString(&p.Type, in.Type)
	setString(&p.Currency, in.Currency)
	setString(&p.Payout, in.PayoutID)
	if r := in.Created; r != nil {
		p.CreatedRange = &stripe.RangeQueryParams{GreaterThan: r.Gt, GreaterThanOrEqual: r.Gte, LesserThan: r.Lt, LesserThanOrEqual: r.Lte}
	}
	setString(&p.StartingAfter, in.StartingAfter)
	setString(&p.EndingBefore, in.EndingBefore)
	return listPage(c, c.d.Stripe.V1BalanceTransactions.List(c, p), viewBalanceTransaction, func(t *stripe.BalanceTransaction) string { return t.ID })
}

func viewBalanceTransaction(t *stripe.BalanceTransaction) *balanceTransactionView {
	v := &balanceTransactionView{
		ID: t.ID, Type: string(t.Type), ReportingCategory: string(t.ReportingCategory),
		Amount: t.Amount, Fee: t.Fee, Net: t.Net, Currency: string(t.Currency),
		AmountDisplay: display(t.Amount, t.Currency), FeeDisplay: display(t.Fee, t.Currency), NetDisplay: display(t.Net, t.Currency), Status: string(t.Status), Description: t.Description,
		Created: timestamp(t.Created), AvailableOn: timestamp(t.AvailableOn),
	}
	if t.Source != nil {
		v.Source = t.Source.ID
	}
	return v
}
