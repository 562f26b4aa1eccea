// Package webhook receives Stripe's events at POST /webhooks/stripe: it
// verifies the Stripe-Signature header against every configured signing
// secret, stores each event once, keeps a small view of the payment intents,
// charges, subscriptions and invoices the events show, and tells the server
// about new events so that it can notify subscribed clients.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	stripewebhook "github.com/stripe/stripe-go/v85/webhook"

	"github.com/stripe-mcp/stripe-mcp/internal/store"
)

// Tolerance is how far the signature's timestamp may be from now, in either
// direction, before an event is refused as a replay.
const Tolerance = 300 * time.Second

// DefaultMaxBody bounds a request body when Receiver.MaxBody is 0; Stripe's
// events are a few KiB.
const DefaultMaxBody = 512 << 10

// Receiver is the http.Handler of Stripe's webhook endpoint.
type Receiver struct {
	// Secrets are the endpoint's signing secrets (whsec_…); a signature
	// valid for any of them is accepted, so a secret can be rolled.
	Secrets []string
	Store   store.Store
	// Notify is called once per new event, after it and its views are
	// stored; it may be nil.
	Notify  func(ctx context.Context, e *store.Event)
	Logger  *slog.Logger     // nil discards
	Now     func() time.Time // nil means time.Now
	MaxBody int64            // 0 means DefaultMaxBody
	// Account is the connected account this server acts for ("" for the
	// platform's own), and Live whether its key moves real money: an event
	// from another account (a Connect endpoint delivers every connected
	// account's) or the other mode is acknowledged but not kept, so that
	// nothing shows it as this account's.
	Account string
	Live    bool
}

// Reasons a signature is refused; each is the body of a 400 answer. None
// repeats the header: it is the caller's, and no use to anyone else.
var (
	errNotSigned       = errors.New("missing Stripe-Signature header")
	errMalformedHeader = errors.New("malformed Stripe-Signature header: want t=<unix time>,v1=<hex signature>[,v1=…]")
	errTimestamp       = errors.New("timestamp of Stripe-Signature is more than 300 s away from this server's clock (a replayed event, or a wrong clock)")
	errNoValidSig      = errors.New("no valid signature for any configured webhook signing secret")
)

// ServeHTTP verifies, stores and dispatches one event.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	log := r.logger()
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		reply(w, http.StatusMethodNotAllowed, "only POST is accepted")
		return
	}
	secrets := r.secrets()
	if len(secrets) == 0 {
		reply(w, http.StatusServiceUnavailable, "no webhook signing secret is configured: set STRIPE_WEBHOOK_SECRET (api.webhookSecret); events cannot be verified, so none are accepted")
		return
	}
	if mt, _, err := mime.ParseMediaType(req.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		reply(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return
	}
	header := req.Header.Get("Stripe-Signature")
	// The header is checked before the body is read: an unsigned or stale
	// request costs nothing more.
	if err := r.checkHeader(header); err != nil {
		log.Warn("webhook refused", "reason", err.Error())
		reply(w, http.StatusBadRequest, err.Error())
		return
	}
	limit := r.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, limit))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			reply(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body is larger than %d bytes", limit))
			return
		}
		reply(w, http.StatusBadRequest, "could not read the body")
		return
	}
	if err := verify(body, header, secrets); err != nil {
		log.Warn("webhook refused", "reason", err.Error())
		reply(w, http.StatusBadRequest, err.Error())
		return
	}
	ev, obj, err := parseEvent(body)
	if err != nil {
		log.Warn("webhook refused", "reason", err.Error())
		reply(w, http.StatusBadRequest, err.Error())
		return
	}
	ev.Received = r.now()
	if why := r.foreign(ev); why != "" {
		// Acknowledged: Stripe delivering it again would not change that.
		log.Warn("webhook event ignored", "id", ev.ID, "type", ev.Type, "reason", why)
		b, _ := json.Marshal(map[string]any{"received": true, "ignored": why})
		writeJSON(w, http.StatusOK, string(b))
		return
	}

	// Once the event is being stored, its views and the notification must
	// follow even if Stripe hangs up: a retry would be a duplicate and run
	// neither.
	ctx := context.WithoutCancel(req.Context())
	added, err := r.Store.AddEvent(ctx, ev)
	if err != nil {
		log.Error("webhook event not stored", "id", ev.ID, "type", ev.Type, "err", err)
		// 500 makes Stripe deliver it again later.
		reply(w, http.StatusInternalServerError, "the event could not be stored; deliver it again")
		return
	}
	if !added {
		log.Debug("webhook event duplicate", "id", ev.ID, "type", ev.Type)
		writeJSON(w, http.StatusOK, `{"received":true,"duplicate":true}`)
		return
	}
	if v, ok := project(ev, obj); ok {
		if err := r.Store.PutView(ctx, v); err != nil {
			// The event itself is stored; a missing view is not worth a
			// redelivery that would be a duplicate anyway.
			log.Error("webhook view not stored", "id", ev.ID, "type", ev.Type, "object", v.ObjectID, "err", err)
		}
	}
	if r.Notify != nil {
		r.Notify(ctx, ev)
	}
	log.Info("webhook event", "id", ev.ID, "type", ev.Type)
	writeJSON(w, http.StatusOK, `{"received":true}`)
}

// foreign says why an event is not this server's to keep, or "".
func (r *Receiver) foreign(ev *store.Event) string {
	switch {
	case ev.Account != r.Account && r.Account == "":
		return fmt.Sprintf("the event comes from connected account %s, and this server acts for the platform's own account (STRIPE_ACCOUNT unset)", ev.Account)
	case ev.Account != r.Account:
		return fmt.Sprintf("the event is not from %s, the account this server acts for (STRIPE_ACCOUNT)", r.Account)
	case ev.Livemode != r.Live && r.Live:
		return "the event is from test mode, and this server's key is a live one"
	case ev.Livemode != r.Live:
		return "the event is from live mode, and this server's key is a test one"
	}
	return ""
}

func (r *Receiver) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}

func (r *Receiver) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

func (r *Receiver) secrets() []string {
	var out []string
	for _, s := range r.Secrets {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// checkHeader checks the header's shape and its timestamp against r.Now, in
// both directions. stripe-go refuses only old timestamps, and against the
// real clock, so the timestamp is judged here and stripe-go only checks the
// signatures (verify).
func (r *Receiver) checkHeader(header string) error {
	if header == "" {
		return errNotSigned
	}
	var (
		ts      int64
		haveTS  bool
		haveSig bool
	)
	// The same grammar as stripe-go's parser: comma-separated key=value
	// pairs, unknown keys (v0, future schemes) ignored.
	for _, pair := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || strings.Contains(v, "=") {
			return errMalformedHeader
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || haveTS {
				return errMalformedHeader
			}
			ts, haveTS = n, true
		case "v1":
			haveSig = true
		}
	}
	if !haveTS || !haveSig {
		return errMalformedHeader
	}
	d := r.now().Sub(time.Unix(ts, 0))
	if d > Tolerance || d < -Tolerance {
		return errTimestamp
	}
	return nil
}

// verify checks the signatures with stripe-go against every secret; any v1
// signature valid for any secret is enough. The timestamp was checked by
// checkHeader.
func verify(body []byte, header string, secrets []string) error {
	for _, s := range secrets {
		err := stripewebhook.ValidatePayloadIgnoringTolerance(body, header, s)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, stripewebhook.ErrNoValidSignature):
			continue
		default:
			return errMalformedHeader
		}
	}
	return errNoValidSig
}

// wireEvent is the part of Stripe's event that is read here; the payload is
// stored as received, so no field is lost whatever the API version.
type wireEvent struct {
	ID         string          `json:"id"`
	Object     string          `json:"object"`
	Type       string          `json:"type"`
	Created    *int64          `json:"created"`
	APIVersion string          `json:"api_version"`
	Livemode   bool            `json:"livemode"`
	Account    string          `json:"account"`
	Data       json.RawMessage `json:"data"`
}

// relatedFields are the fields of data.object that name the other objects an
// event touches, as an id or an expanded object.
var relatedFields = []string{"customer", "payment_intent", "invoice", "subscription", "charge", "latest_charge"}

// parseEvent reads a verified body into the event to store and its
// data.object.
func parseEvent(body []byte) (*store.Event, map[string]any, error) {
	var w wireEvent
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, nil, errors.New("the body is not a Stripe event: " + jsonProblem(err))
	}
	switch {
	case !strings.HasPrefix(w.ID, "evt_"):
		return nil, nil, errors.New("the body is not a Stripe event: id must begin with evt_")
	case w.Object != "" && w.Object != "event":
		return nil, nil, fmt.Errorf("the body is not a Stripe event: object is %q (thin event notifications are not supported)", w.Object)
	case w.Type == "":
		return nil, nil, errors.New("the body is not a Stripe event: type is missing")
	case w.Created == nil:
		return nil, nil, errors.New("the body is not a Stripe event: created is missing")
	}
	var data struct {
		Object json.RawMessage `json:"object"`
	}
	if len(w.Data) == 0 || json.Unmarshal(w.Data, &data) != nil {
		return nil, nil, errors.New("the body is not a Stripe event: data must be an object")
	}
	obj, err := decodeObject(data.Object)
	if err != nil {
		return nil, nil, errors.New("the body is not a Stripe event: data.object must be an object")
	}
	objectID, ok := obj["id"].(string)
	if _, present := obj["id"]; present && !ok {
		return nil, nil, errors.New("the body is not a Stripe event: data.object.id must be a string")
	}
	ev := &store.Event{
		ID:         w.ID,
		Type:       w.Type,
		Created:    time.Unix(*w.Created, 0),
		APIVersion: w.APIVersion,
		Livemode:   w.Livemode,
		Account:    w.Account,
		ObjectID:   objectID,
		Payload:    body,
	}
	ev.ObjectIDs = ObjectIDs(obj)
	return ev, obj, nil
}

// ObjectIDs are the id of an event's data.object and the ids of the objects
// it refers to (customer, payment intent, invoice, subscription, charge),
// the object's own first, each once.
func ObjectIDs(obj map[string]any) []string {
	var out []string
	seen := map[string]bool{}
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	add(idOf(obj["id"]))
	for _, f := range relatedFields {
		add(idOf(obj[f]))
	}
	return out
}

// decodeObject decodes a JSON object keeping numbers exact (amounts are
// integers, and float64 would round the largest).
func decodeObject(raw json.RawMessage) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("not an object")
	}
	return m, nil
}

// jsonProblem says what is wrong with the JSON without quoting it.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("invalid JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return "want a JSON object"
		}
		return fmt.Sprintf("%s has the wrong type (want %s)", typ.Field, typ.Type)
	default:
		return "invalid JSON"
	}
}

// idOf is the id of an object field: a string id, or an expanded object's id.
func idOf(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		id, _ := v["id"].(string)
		return id
	}
	return ""
}

func reply(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(map[string]string{"error": msg})
	writeJSON(w, status, string(b))
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	io.WriteString(w, body)
}
