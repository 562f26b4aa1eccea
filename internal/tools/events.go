package tools

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/stripe/stripe-go/v85"

	"github.com/stripe-mcp/stripe-mcp/internal/store"
	"github.com/stripe-mcp/stripe-mcp/internal/webhook"
)

type listEventsIn struct {
	Type          string `json:"type,omitempty" jsonschema:"e.g. charge.refunded; payment_intent.* for a kind"`
	ObjectID      string `json:"objectId,omitempty" jsonschema:"events touching this object (pi_…, cus_…, sub_…)"`
	Source        string `json:"source,omitempty" jsonschema:"default: received, else api"`
	Limit         int64  `json:"limit,omitempty" jsonschema:"default 10"`
	StartingAfter string `json:"startingAfter,omitempty" jsonschema:"nextCursor"`
	output
}

func (in *listEventsIn) validate(*Deps) error {
	if in.Type != "" {
		for _, r := range in.Type {
			if !(r >= 'a' && r <= 'z' || r == '_' || r == '.' || r == '*' || r >= '0' && r <= '9') {
				return badInput("type %q is not an event type such as payment_intent.succeeded or payment_intent.*", clip(in.Type))
			}
		}
		if i := strings.IndexByte(in.Type, '*'); i >= 0 && (i != len(in.Type)-1 || !strings.HasSuffix(in.Type, ".*")) {
			return badInput("type %q: a wildcard is only allowed as a final .* (payment_intent.*)", clip(in.Type))
		}
	}
	if in.ObjectID != "" {
		if err := validID("objectId", in.ObjectID); err != nil {
			return err
		}
	}
	return checkID("startingAfter", in.StartingAfter, "evt_")
}

func (in *listEventsIn) limit() int {
	if in.Limit == 0 {
		return 10
	}
	return int(in.Limit)
}

func eventTools() []Definition {
	return []Definition{
		&tool[listEventsIn]{
			Meta: Meta{
				Name: "stripe_list_events", Toolset: "events", Title: "List events",
				Description: "Events, newest first: webhooks this server received, else Stripe's Events API.",
				ReadOnly:    true,
			},
			schema: func(s *jsonschema.Schema) {
				prop(s, "limit").Minimum = ptr(1.0)
				prop(s, "limit").Maximum = ptr(100.0)
				enum(s, "source", "received", "api")
			},
			run: listEvents,
		},
	}
}

// eventView is one event, compact: what happened to which objects.
type eventView struct {
	ID       string   `json:"id"`
	Type     string   `json:"type"`
	Created  string   `json:"created"`
	ObjectID string   `json:"objectId,omitempty"`
	Related  []string `json:"related,omitempty"` // other objects it touches
	Status   string   `json:"status,omitempty"`  // the object's status in the event
	Livemode bool     `json:"livemode,omitempty"`
}

type eventList struct {
	*listView[eventView]
	Source string `json:"source"` // received or api
}

func listEvents(c *call, in *listEventsIn) (any, error) {
	source := in.Source
	if source == "received" && c.d.Store == nil {
		return nil, badInput("this server keeps no received events (no store); use source api")
	}
	if source == "" && in.StartingAfter != "" && c.d.Store != nil {
		// A cursor from a page of Stripe's Events API (the fallback below)
		// continues there.
		if _, err := c.d.Store.Event(c, in.StartingAfter); errors.Is(err, store.ErrNotFound) {
			return apiEvents(c, in)
		}
	}
	if source != "api" && c.d.Store != nil {
		res, n, err := receivedEvents(c, in)
		if err != nil || source == "received" || n > 0 || in.StartingAfter != "" {
			return res, err
		}
		// Nothing received matches: ask Stripe, and say so.
		api, err := apiEvents(c, in)
		if l, ok := api.(*eventList); ok && err == nil {
			l.Note = "no received webhook matched; these come from Stripe's Events API"
		}
		return api, err
	}
	return apiEvents(c, in)
}

// receivedEvents is a page of the events the store holds, and its length.
func receivedEvents(c *call, in *listEventsIn) (any, int, error) {
	limit := in.limit()
	es, err := c.d.Store.Events(c, store.EventQuery{Limit: limit + 1, Type: in.Type, ObjectID: in.ObjectID, StartingAfter: in.StartingAfter})
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, badInput("startingAfter %s is not a received event", in.StartingAfter)
	}
	if err != nil {
		return nil, 0, err
	}
	more := len(es) > limit
	if more {
		es = es[:limit]
	}
	next := cursor(es, func(e store.Event) string { return e.ID })
	if c.full {
		raw := make([]json.RawMessage, len(es))
		for i, e := range es {
			raw[i] = e.Payload
		}
		return newList(raw, more, next), len(es), nil
	}
	views := make([]eventView, len(es))
	for i, e := range es {
		views[i] = viewStoredEvent(e)
	}
	return &eventList{listView: newList(views, more, next), Source: "received"}, len(es), nil
}

// maxEventScan bounds how many events an objectId filter reads from the
// Events API, which cannot filter by object.
const maxEventScan = 500

func apiEvents(c *call, in *listEventsIn) (any, error) {
	p := &stripe.EventListParams{}
	setString(&p.Type, in.Type)
	setString(&p.StartingAfter, in.StartingAfter)
	want := in.limit()
	if in.ObjectID == "" {
		p.Limit = stripe.Int64(int64(want))
		l := c.d.Stripe.V1Events.List(c, p)
		v, err := listPage(c, l, viewEvent, func(e *stripe.Event) string { return e.ID })
		if lv, ok := v.(*listView[eventView]); ok {
			return &eventList{listView: lv, Source: "api"}, err
		}
		return v, err
	}
	p.Limit = stripe.Int64(100)
	var (
		matches []*stripe.Event
		scanned int
		more    bool
		last    string // the last event scanned
	)
	for e, err := range c.d.Stripe.V1Events.List(c, p).All(c) {
		if err != nil {
			return nil, stripeErr(err)
		}
		if scanned >= maxEventScan || len(matches) >= want {
			more = true
			break
		}
		scanned++
		last = e.ID
		if e.Data != nil && touches(e.Data.Object, in.ObjectID) {
			matches = append(matches, e)
		}
	}
	views := make([]eventView, len(matches))
	for i, e := range matches {
		views[i] = viewEvent(e)
	}
	l := newList(views, more, cursor(matches, func(e *stripe.Event) string { return e.ID }))
	if more && scanned >= maxEventScan {
		l.NextCursor = last // continue the scan, not after the last match
		l.Note = fmt.Sprintf("stopped after scanning %d events; received webhooks (source received) can filter without scanning", scanned)
	}
	l.Scanned = scanned
	return &eventList{listView: l, Source: "api"}, nil
}

// viewStoredEvent is a received event, compact.
func viewStoredEvent(e store.Event) eventView {
	return eventView{ID: e.ID, Type: e.Type, Created: timestamp(e.Created.Unix()), ObjectID: e.ObjectID,
		Related: related(e.ObjectID, e.ObjectIDs), Status: statusIn(e.Payload), Livemode: e.Livemode}
}

func viewEvent(e *stripe.Event) eventView {
	v := eventView{ID: e.ID, Type: string(e.Type), Created: timestamp(e.Created), Livemode: e.Livemode}
	if e.Data != nil {
		ids := webhook.ObjectIDs(e.Data.Object)
		if len(ids) > 0 {
			v.ObjectID, v.Related = ids[0], ids[1:]
		}
		v.Status, _ = e.Data.Object["status"].(string)
	}
	return v
}

func touches(obj map[string]any, id string) bool { return slices.Contains(webhook.ObjectIDs(obj), id) }

func related(first string, all []string) []string {
	var out []string
	for _, id := range all {
		if id != first {
			out = append(out, id)
		}
	}
	return out
}

// statusIn reads data.object.status of a stored event.
func statusIn(payload []byte) string {
	var e struct {
		Data struct {
			Object struct {
				Status string `json:"status"`
			} `json:"object"`
		} `json:"data"`
	}
	_ = json.Unmarshal(payload, &e)
	return e.Data.Object.Status
}
