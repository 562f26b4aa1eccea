package tools

import (
	"maps"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/stripe/stripe-go/v85"
)

// evidence is a dispute's evidence by Stripe's keys in camelCase
// (customer_name → customerName). It is a map rather than a struct so the
// schema stays one line: 27 properties would cost about a kilobyte on every
// tools/list, over the per-tool budget; validate checks the keys instead and
// lists them all when one is wrong.
type evidence map[string]string

// Stripe's limits on evidence: short fields, long explanations, and all
// fields together.
const (
	evidenceShort = 5000
	evidenceLong  = 20000
	evidenceTotal = 150000
)

// evidenceKeys maps each evidence key to its field in stripe-go's
// parameters, derived from their form tags so that the keys are exactly
// Stripe's.
var evidenceKeys = func() map[string]int {
	t := reflect.TypeFor[stripe.DisputeUpdateEvidenceParams]()
	keys := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("form"), ",")
		// enhanced_evidence (Visa Compelling Evidence 3.0) is a structure
		// of its own, left out.
		if f.Type == reflect.TypeFor[*string]() && tag != "" && tag != "-" {
			keys[camelCase(tag)] = i
		}
	}
	return keys
}()

// evidenceFiles take the file_… id of an upload (purpose dispute_evidence).
var evidenceFiles = map[string]bool{
	"cancellationPolicy": true, "customerCommunication": true, "customerSignature": true,
	"duplicateChargeDocumentation": true, "receipt": true, "refundPolicy": true,
	"serviceDocumentation": true, "shippingDocumentation": true, "uncategorizedFile": true,
}

// evidenceLongText are the explanations Stripe allows 20,000 characters;
// the other text fields take 5,000.
var evidenceLongText = map[string]bool{
	"accessActivityLog": true, "cancellationPolicyDisclosure": true, "cancellationRebuttal": true,
	"duplicateChargeExplanation": true, "productDescription": true, "refundPolicyDisclosure": true,
	"refundRefusalExplanation": true, "uncategorizedText": true,
}

func camelCase(snake string) string {
	parts := strings.Split(snake, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// params are the evidence parameters; nil when no field is given.
func (e evidence) params() *stripe.DisputeUpdateEvidenceParams {
	p := &stripe.DisputeUpdateEvidenceParams{}
	given := false
	v := reflect.ValueOf(p).Elem()
	for k, value := range e {
		if i, ok := evidenceKeys[k]; ok && value != "" {
			v.Field(i).Set(reflect.ValueOf(stripe.String(value)))
			given = true
		}
	}
	if !given {
		return nil
	}
	return p
}

func (e evidence) validate() error {
	total := 0
	for _, k := range slices.Sorted(maps.Keys(e)) {
		value := e[k]
		if _, ok := evidenceKeys[k]; !ok {
			return unknownEvidence(k)
		}
		n := utf8.RuneCountInString(value)
		total += n
		switch {
		case value == "":
		case evidenceFiles[k]:
			if err := checkID("evidence."+k, value, "file_"); err != nil {
				return err
			}
		case evidenceLongText[k] && n > evidenceLong:
			return badInput("evidence.%s is %d characters; Stripe allows %d", k, n, evidenceLong)
		case !evidenceLongText[k] && n > evidenceShort:
			return badInput("evidence.%s is %d characters; Stripe allows %d", k, n, evidenceShort)
		}
	}
	if total > evidenceTotal {
		return badInput("the evidence is %d characters in all; Stripe allows %d across all fields", total, evidenceTotal)
	}
	if ip := e["customerPurchaseIp"]; ip != "" {
		if _, err := netip.ParseAddr(ip); err != nil {
			return badInput("evidence.customerPurchaseIp %q is not an IP address", clip(ip))
		}
	}
	return firstError(
		checkEmail("evidence.customerEmailAddress", e["customerEmailAddress"]),
		checkID("evidence.duplicateChargeId", e["duplicateChargeId"], "ch_", "py_"),
	)
}

func unknownEvidence(k string) error {
	want := strings.ToLower(strings.ReplaceAll(k, "_", ""))
	for known := range evidenceKeys {
		if strings.ToLower(known) == want {
			return badInput("unknown evidence key %s: did you mean %s? (keys are camelCase)", clip(k), known)
		}
	}
	return badInput("unknown evidence key %s; evidence takes %s", clip(k), strings.Join(slices.Sorted(maps.Keys(evidenceKeys)), ", "))
}

type updateDisputeIn struct {
	DisputeID string   `json:"disputeId" jsonschema:"dp_…"`
	Evidence  evidence `json:"evidence,omitempty" jsonschema:"Stripe's evidence keys in camelCase (productDescription…); files as file_… ids"`
	Metadata  metadata `json:"metadata,omitempty"`
	Submit    bool     `json:"submit,omitempty" jsonschema:"true: submit now, final; default: draft"`
	write
	confirmable
}

func (in *updateDisputeIn) validate(*Deps) error {
	if err := firstError(checkDisputeID("disputeId", in.DisputeID), in.Evidence.validate(), checkMetadata(in.Metadata)); err != nil {
		return err
	}
	// Submitting alone sends the evidence saved before; anything else needs
	// something to save.
	if !in.Submit && in.Evidence.params() == nil && len(in.Metadata) == 0 {
		return badInput("nothing to update: give evidence, metadata, or submit: true to submit the saved evidence")
	}
	return nil
}

// checkDisputeID: dispute ids are dp_…, and du_… on older accounts.
func checkDisputeID(field, id string) error { return checkID(field, id, "dp_", "du_") }

type listDisputesIn struct {
	ChargeID        string `json:"chargeId,omitempty" jsonschema:"ch_…"`
	PaymentIntentID string `json:"paymentIntentId,omitempty" jsonschema:"pi_…"`
	page
	output
}

func (in *listDisputesIn) validate(*Deps) error {
	return firstError(
		checkID("chargeId", in.ChargeID, "ch_", "py_"),
		checkID("paymentIntentId", in.PaymentIntentID, "pi_"),
		checkDisputeID("startingAfter", in.StartingAfter),
		checkDisputeID("endingBefore", in.EndingBefore),
	)
}

func disputeTools() []Definition {
	return []Definition{
		&tool[listDisputesIn]{
			Meta: Meta{
				Name: "stripe_list_disputes", Toolset: "disputes", Title: "List disputes",
				Description: "List disputes, newest first.",
				ReadOnly:    true,
			},
			schema: pageSchema,
			run:    listDisputes,
		},
		&tool[updateDisputeIn]{
			Meta: Meta{
				Name: "stripe_update_dispute", Toolset: "disputes", Title: "Update dispute",
				Description: "Save dispute evidence as a draft; submit: true sends it to the bank, which is final.",
				Destructive: true, Idempotent: true,
			},
			run:   updateDispute,
			money: moneyUpdateDispute,
		},
	}
}

func listDisputes(c *call, in *listDisputesIn) (any, error) {
	p := &stripe.DisputeListParams{}
	p.Limit = stripe.Int64(in.limit())
	setString(&p.Charge, in.ChargeID)
	setString(&p.PaymentIntent, in.PaymentIntentID)
	setString(&p.StartingAfter, in.StartingAfter)
	setString(&p.EndingBefore, in.EndingBefore)
	return listPage(c, c.d.Stripe.V1Disputes.List(c, p), viewDispute, func(d *stripe.Dispute) string { return d.ID })
}

func updateDispute(c *call, in *updateDisputeIn) (any, error) {
	// Stripe submits unless told not to: a draft must say submit=false.
	p := &stripe.DisputeUpdateParams{Evidence: in.Evidence.params(), Metadata: in.Metadata, Submit: stripe.Bool(in.Submit)}
	p.IdempotencyKey = c.nextKey()
	d, err := c.d.Stripe.V1Disputes.Update(c, in.DisputeID, p)
	if err != nil {
		return nil, stripeErr(err)
	}
	return c.object(viewDispute(d), d.LastResponse), nil
}

type disputeView struct {
	ID                string            `json:"id"`
	Status            string            `json:"status"`
	Amount            int64             `json:"amount"`
	Currency          string            `json:"currency"`
	AmountDisplay     string            `json:"amountDisplay"`
	Reason            string            `json:"reason,omitempty"`
	Charge            string            `json:"chargeId,omitempty"`
	PaymentIntent     string            `json:"paymentIntentId,omitempty"`
	EvidenceDueBy     string            `json:"evidenceDueBy,omitempty"`
	EvidenceSubmitted bool              `json:"evidenceSubmitted"`
	HasEvidence       bool              `json:"hasEvidence,omitempty"`
	PastDue           bool              `json:"pastDue,omitempty"`
	Created           string            `json:"created,omitempty"`
	Metadata          map[string]string `json:"metadata,omitempty"`
}

func viewDispute(d *stripe.Dispute) *disputeView {
	v := &disputeView{
		ID:            d.ID,
		Status:        string(d.Status),
		Amount:        d.Amount,
		Currency:      string(d.Currency),
		AmountDisplay: display(d.Amount, d.Currency),
		Reason:        string(d.Reason),
		Created:       timestamp(d.Created),
		Metadata:      nonEmpty(d.Metadata),
	}
	if d.Charge != nil {
		v.Charge = d.Charge.ID
	}
	if d.PaymentIntent != nil {
		v.PaymentIntent = d.PaymentIntent.ID
	}
	if e := d.EvidenceDetails; e != nil {
		v.EvidenceDueBy = timestamp(e.DueBy)
		v.EvidenceSubmitted = e.SubmissionCount > 0
		v.HasEvidence, v.PastDue = e.HasEvidence, e.PastDue
	}
	return v
}
