package stripeapi

// FailureAnalysis explains a failed payment: why, whether trying again can
// help, and what to do next.
type FailureAnalysis struct {
	DeclineCode       string `json:"declineCode,omitempty"`
	Reason            string `json:"reason"`
	Retryable         bool   `json:"retryable"`
	RecommendedAction string `json:"recommendedAction"`
}

type declineInfo struct {
	reason    string
	retryable bool
	action    string
}

const (
	actionOtherMethod  = "Ask the customer to use a different payment method."
	actionCheckDetails = "Ask the customer to check their card details and try again."
	actionRetryLater   = "Retry the payment after a brief delay."
	actionContactBank  = "Ask the customer to contact their card issuer, or use a different payment method."
	actionNoRetry      = "Do not retry this card; ask for a different payment method."
	actionAuthenticate = "The customer must complete authentication (3D Secure): confirm the payment on-session with a returnUrl."
)

// declines covers the decline codes of Stripe's documentation that a model
// meets most; unknown codes fall back on the error type.
var declines = map[string]declineInfo{
	"insufficient_funds":                 {"The customer's card has insufficient funds to complete the purchase.", false, actionOtherMethod},
	"lost_card":                          {"The card has been reported lost.", false, actionNoRetry},
	"stolen_card":                        {"The card has been reported stolen.", false, actionNoRetry},
	"expired_card":                       {"The card has expired.", false, actionCheckDetails},
	"incorrect_cvc":                      {"The CVC number is incorrect.", false, actionCheckDetails},
	"invalid_cvc":                        {"The CVC number is invalid.", false, actionCheckDetails},
	"processing_error":                   {"An error occurred while processing the card.", true, actionRetryLater},
	"incorrect_number":                   {"The card number is incorrect.", false, actionCheckDetails},
	"invalid_number":                     {"The card number is invalid.", false, actionCheckDetails},
	"invalid_expiry_month":               {"The expiration month is invalid.", false, actionCheckDetails},
	"invalid_expiry_year":                {"The expiration year is invalid.", false, actionCheckDetails},
	"incorrect_zip":                      {"The postal code does not match the card.", false, actionCheckDetails},
	"generic_decline":                    {"The card was declined for an unknown reason.", false, actionContactBank},
	"do_not_honor":                       {"The card issuer declined the payment without giving a reason.", false, actionContactBank},
	"call_issuer":                        {"The card issuer declined the payment and asks the customer to call them.", false, actionContactBank},
	"card_velocity_exceeded":             {"The customer exceeded the balance, credit limit or transaction count of the card.", false, actionContactBank},
	"withdrawal_count_limit_exceeded":    {"The customer exceeded the balance or credit limit of the card.", false, actionOtherMethod},
	"card_not_supported":                 {"The card does not support this type of purchase.", false, actionOtherMethod},
	"currency_not_supported":             {"The card does not support the payment's currency.", false, actionOtherMethod},
	"fraudulent":                         {"The payment was declined as suspected fraud.", false, actionNoRetry},
	"merchant_blacklist":                 {"The payment matched a block list of the account.", false, actionNoRetry},
	"pickup_card":                        {"The card cannot be used (it may be reported lost or stolen).", false, actionNoRetry},
	"restricted_card":                    {"The card cannot be used for this payment (restricted).", false, actionNoRetry},
	"security_violation":                 {"The card issuer declined the payment for a security reason.", false, actionContactBank},
	"stop_payment_order":                 {"The customer asked the issuer to stop payments to this merchant.", false, actionNoRetry},
	"transaction_not_allowed":            {"The card does not allow this kind of transaction.", false, actionContactBank},
	"try_again_later":                    {"The card issuer asked to try again later.", true, actionRetryLater},
	"issuer_not_available":               {"The card issuer could not be reached.", true, actionRetryLater},
	"reenter_transaction":                {"The issuer could not process the payment.", true, actionRetryLater},
	"approve_with_id":                    {"The issuer could not authorise the payment.", true, actionRetryLater},
	"authentication_required":            {"The card requires authentication (3D Secure).", false, actionAuthenticate},
	"card_declined":                      {"The card was declined.", false, actionOtherMethod},
	"duplicate_transaction":              {"An identical payment was made very recently.", false, "Check whether the earlier payment succeeded before charging again."},
	"invalid_amount":                     {"The amount is not allowed by the card issuer.", false, "Check the amount; ask the customer to contact their issuer if it is right."},
	"new_account_information_available":  {"The card or account has new information (for example a new card number).", false, actionCheckDetails},
	"not_permitted":                      {"The payment is not permitted.", false, actionContactBank},
	"offline_pin_required":               {"The card requires a PIN.", false, "Use an in-person payment with PIN, or a different payment method."},
	"online_or_offline_pin_required":     {"The card requires a PIN.", false, "Use an in-person payment with PIN, or a different payment method."},
	"pin_try_exceeded":                   {"The allowed number of PIN attempts was exceeded.", false, actionOtherMethod},
	"revocation_of_all_authorizations":   {"The customer revoked all payments to this merchant.", false, actionNoRetry},
	"revocation_of_authorization":        {"The customer revoked this payment authorisation.", false, actionNoRetry},
	"no_action_taken":                    {"The issuer declined the payment without a reason.", false, actionContactBank},
	"service_not_allowed":                {"The card does not allow this service.", false, actionContactBank},
	"testmode_decline":                   {"A Stripe test card was used in live mode.", false, "Use a real card in live mode."},
	"invalid_account":                    {"The card or its account is invalid.", false, actionOtherMethod},
	"invalid_pin":                        {"The PIN is incorrect.", false, actionCheckDetails},
	"highest_risk_level":                 {"Stripe Radar blocked the payment as highest risk.", false, actionNoRetry},
	"requested_block_on_incorrect_cvc":   {"The issuer blocks payments after incorrect CVCs.", false, actionCheckDetails},
	"debit_notification_undelivered":     {"The customer's bank could not be notified of the debit.", false, actionOtherMethod},
	"live_mode_test_card":                {"A test card was used in live mode.", false, "Use a real card in live mode."},
	"insufficient_funds_in_bank_account": {"The bank account has insufficient funds.", false, actionOtherMethod},
}

// retryableTypes are Stripe error types for which repeating the request can
// help (the article's list, corrected: processing_error is a decline code and
// is handled above).
var retryableTypes = map[string]bool{
	"rate_limit_error":     true,
	"api_connection_error": true,
	"api_error":            true,
}

// AnalyzeFailure explains a payment failure from Stripe's decline code, error
// code and error type (any may be empty).
func AnalyzeFailure(declineCode, code, errType string) FailureAnalysis {
	key := declineCode
	if key == "" {
		key = code
	}
	if d, ok := declines[key]; ok {
		return FailureAnalysis{DeclineCode: declineCode, Reason: d.reason, Retryable: d.retryable, RecommendedAction: d.action}
	}
	a := FailureAnalysis{DeclineCode: declineCode, Reason: "The payment was declined."}
	switch {
	case retryableTypes[errType]:
		a.Reason = "The request could not be completed."
		a.Retryable = true
		a.RecommendedAction = actionRetryLater
	case errType == "card_error":
		a.RecommendedAction = "The card was declined. Try a different payment method."
	default:
		a.Reason = "The payment failed."
		a.RecommendedAction = "Check the payment's last error in Stripe; contact Stripe support if it is unclear."
	}
	return a
}
