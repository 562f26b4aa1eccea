package tools

import (
	"context"
	"errors"
	"time"

	"github.com/stripe/stripe-go/v85"

	"github.com/stripe-mcp/stripe-mcp/internal/stripeapi"
)

type getAccountIn struct {
	output
}

type diagnoseIn struct{}

func accountTools() []Definition {
	return []Definition{
		&tool[getAccountIn]{
			Meta: Meta{
				Name: "stripe_get_account", Toolset: "account", Title: "Get account",
				Description: "The Stripe account this server acts on: id, name, country, default currency, whether charges and payouts are enabled.",
				ReadOnly:    true,
			},
			run: getAccount,
		},
		&tool[diagnoseIn]{
			Meta: Meta{
				Name: "stripe_diagnose_connection", Toolset: "account", Title: "Diagnose connection",
				Description: "Check the connection to Stripe and the API key; on failure says what failed and what to do.",
				ReadOnly:    true,
			},
			run: diagnose,
		},
	}
}

type accountView struct {
	ID               string `json:"id"`
	Name             string `json:"businessName,omitempty"`
	Email            string `json:"email,omitempty"`
	Country          string `json:"country,omitempty"`
	DefaultCurrency  string `json:"defaultCurrency,omitempty"`
	Type             string `json:"type,omitempty"`
	ChargesEnabled   bool   `json:"chargesEnabled"`
	PayoutsEnabled   bool   `json:"payoutsEnabled"`
	DetailsSubmitted bool   `json:"detailsSubmitted"`
}

func viewAccount(a *stripe.Account) *accountView {
	v := &accountView{
		ID: a.ID, Email: a.Email, Country: a.Country, DefaultCurrency: string(a.DefaultCurrency), Type: string(a.Type),
		ChargesEnabled: a.ChargesEnabled, PayoutsEnabled: a.PayoutsEnabled, DetailsSubmitted: a.DetailsSubmitted,
	}
	if a.BusinessProfile != nil {
		v.Name = a.BusinessProfile.Name
	}
	if v.Name == "" && a.Settings != nil && a.Settings.Dashboard != nil {
		v.Name = a.Settings.Dashboard.DisplayName
	}
	return v
}

func getAccount(c *call, in *getAccountIn) (any, error) {
	a, err := c.d.Stripe.V1Accounts.Retrieve(c, nil)
	if err != nil {
		return nil, stripeErr(err)
	}
	return c.object(viewAccount(a), a.LastResponse), nil
}

// diagnosis is the article's connection diagnosis. It is the tool's result
// whether the connection works or not: the diagnosis itself succeeded.
type diagnosis struct {
	Success    bool   `json:"success"`
	Message    string `json:"message"`
	Problem    string `json:"problem,omitempty"`
	Details    string `json:"details,omitempty"`
	Fix        string `json:"fix,omitempty"`
	AccountID  string `json:"accountId,omitempty"`
	KeyMode    string `json:"keyMode,omitempty"`
	APIBase    string `json:"apiBase"`
	APIVersion string `json:"apiVersion"`
	LatencyMs  int64  `json:"latencyMs"`
}

func diagnose(c *call, _ *diagnoseIn) (any, error) {
	d := &diagnosis{KeyMode: c.d.KeyMode, APIBase: c.d.Stripe.BaseURL, APIVersion: stripe.APIVersion}
	ctx, cancel := context.WithTimeout(c, 15*time.Second)
	defer cancel()
	start := time.Now()
	a, err := c.d.Stripe.V1Accounts.Retrieve(ctx, nil)
	d.LatencyMs = time.Since(start).Milliseconds()
	if err == nil {
		d.Success, d.AccountID = true, a.ID
		d.Message = "API connection successful"
		if a.LastResponse != nil {
			if v := a.LastResponse.Header.Get("Stripe-Version"); v != "" {
				d.APIVersion = v
			}
		}
		if !a.ChargesEnabled && c.d.KeyMode == "live" {
			d.Details = "charges are not enabled on this account yet"
			d.Fix = "finish account activation in the Stripe Dashboard"
		}
		return d, nil
	}
	f := stripeapi.Describe(err)
	d.Details = f.Message
	var se *stripe.Error
	switch {
	case errors.As(err, &se) && se.Code == stripe.ErrorCodeAccountInvalid:
		// The key works, but not on the account named: whatever the status
		// (Stripe answers this as 401 or 403), the fix is STRIPE_ACCOUNT.
		d.Problem, d.Message = "account", "The key may not act on the account STRIPE_ACCOUNT names"
		d.Fix = "Check STRIPE_ACCOUNT (api.account): it must be a connected account (acct_…) of the platform this key belongs to, still connected, in the key's mode; or unset it to act on the key's own account."
	case errors.As(err, &se) && (se.HTTPStatusCode == 429 || se.Code == stripe.ErrorCodeRateLimit || se.Type == "rate_limit_error"):
		d.Problem, d.Message = "rate_limit", "Stripe is rate limiting this key"
		d.Fix = "Wait a few seconds and retry; if it persists, fewer concurrent calls (Stripe's limits are per account)."
	case errors.As(err, &se) && se.HTTPStatusCode == 401:
		d.Problem, d.Message = "authentication", "Authentication failed: the API key is not valid"
		d.Fix = "Use a current secret or restricted key from https://dashboard.stripe.com/apikeys (STRIPE_API_KEY); a rolled or deleted key stops working at once."
	case errors.As(err, &se) && se.HTTPStatusCode == 403:
		d.Problem, d.Message = "permission", "The key works but may not read the account"
		d.Fix = "Give the restricted key read access to Account, or use a key with the permissions the tools need."
	case errors.As(err, &se) && se.Type == stripe.ErrorTypeInvalidRequest:
		d.Problem, d.Message = "invalid_request", "Stripe refused the request"
		d.Fix = "Check STRIPE_ACCOUNT (a connected account acct_… this key may act on) and the key's mode."
	case errors.As(err, &se):
		d.Problem, d.Message = "api", "Stripe answered with an error"
		d.Fix = "Retry shortly; check https://status.stripe.com if it persists."
	default:
		d.Problem, d.Message = "connection", "Connection error: Stripe could not be reached"
		d.Fix = "Check the network, proxy or firewall, and STRIPE_API_BASE if it is set."
	}
	return d, nil
}
