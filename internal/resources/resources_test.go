package resources_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stripe-mcp/stripe-mcp/internal/resources"
	"github.com/stripe-mcp/stripe-mcp/internal/server"
	"github.com/stripe-mcp/stripe-mcp/internal/store"
	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

// legacyProtocol is the newest protocol version with resources/subscribe
// as a request the server answers (later versions subscribe through
// subscriptions/listen, whose refusals the client never sees).
const legacyProtocol = "2025-11-25"

// newServer builds a full server from o.
func newServer(t *testing.T, o server.Options) *server.Server {
	t.Helper()
	if o.Logger == nil {
		o.Logger = testutil.Logger(t)
	}
	if o.Currency == "" {
		o.Currency = "usd"
	}
	srv, err := server.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// connect connects a client to srv in memory; protocol "" is the SDK's
// latest.
func connect(t *testing.T, srv *server.Server, copts *mcp.ClientOptions, protocol string) *mcp.ClientSession {
	t.Helper()
	return testutil.ConnectServerAt(t, srv.MCP, copts, protocol)
}

// withStripeMock points o at stripe-mock and returns the recorder of what
// it received.
func withStripeMock(t *testing.T, o server.Options) (server.Options, *testutil.Recorder) {
	t.Helper()
	base, rec := testutil.StripeMock(t)
	o.Stripe = testutil.Client(t, base)
	return o, rec
}

// withFake points o at h.
func withFake(t *testing.T, o server.Options, h http.Handler) (server.Options, *testutil.Recorder) {
	t.Helper()
	base, rec := testutil.Serve(t, h)
	o.Stripe = testutil.Client(t, base)
	return o, rec
}

// stripeAnswer answers every request with status and a Stripe body.
func stripeAnswer(status int, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", "req_res123")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	})
}

// rpcError checks that err is a JSON-RPC error with code, and returns its
// message.
func rpcError(t *testing.T, err error, code int64) string {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want JSON-RPC error %d", code)
	}
	var we *jsonrpc.Error
	if !errors.As(err, &we) {
		t.Fatalf("error %v (%T) is not a JSON-RPC error", err, err)
	}
	if we.Code != code {
		t.Errorf("error code %d (%s), want %d", we.Code, we.Message, code)
	}
	if strings.Contains(err.Error(), testutil.TestKey) || strings.Contains(string(we.Data), testutil.TestKey) {
		t.Errorf("error carries the API key: %v %s", err, we.Data)
	}
	return we.Message
}

// readJSON reads uri and decodes its single JSON content.
func readJSON(t *testing.T, cs *mcp.ClientSession, uri string) map[string]any {
	t.Helper()
	res, err := cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: uri})
	if err != nil {
		t.Fatalf("reading %s: %v", uri, err)
	}
	if len(res.Contents) != 1 {
		t.Fatalf("%s: %d contents, want 1", uri, len(res.Contents))
	}
	c := res.Contents[0]
	if c.URI != uri || c.MIMEType != "application/json" {
		t.Errorf("%s: content uri %q mime %q", uri, c.URI, c.MIMEType)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(c.Text), &m); err != nil {
		t.Fatalf("%s: not JSON: %v: %s", uri, err, c.Text)
	}
	return m
}

// paths are "METHOD /path" of the requests received.
func paths(reqs []testutil.Request) []string {
	out := []string{}
	for _, r := range reqs {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

func listed(t *testing.T, cs *mcp.ClientSession) (uris, templates []string) {
	t.Helper()
	ctx := context.Background()
	rs, err := cs.ListResources(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs.Resources {
		if r.MIMEType != "application/json" || r.Name == "" || r.Description == "" {
			t.Errorf("resource %s: mime %q name %q description %q", r.URI, r.MIMEType, r.Name, r.Description)
		}
		uris = append(uris, r.URI)
	}
	ts, err := cs.ListResourceTemplates(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ts.ResourceTemplates {
		if r.MIMEType != "application/json" || r.Name == "" || r.Description == "" {
			t.Errorf("template %s: mime %q name %q description %q", r.URITemplate, r.MIMEType, r.Name, r.Description)
		}
		templates = append(templates, r.URITemplate)
	}
	slices.Sort(uris)
	slices.Sort(templates)
	return uris, templates
}

func TestListResources(t *testing.T) {
	all := []string{"stripe://account", "stripe://balance", "stripe://events"}
	allTemplates := []string{"stripe://customers/{customerId}", "stripe://events/{eventId}",
		"stripe://payment_intents/{paymentIntentId}", "stripe://subscriptions/{subscriptionId}"}
	for _, tc := range []struct {
		name      string
		allowed   []string
		readOnly  bool
		uris      []string
		templates []string
	}{
		{"everything", nil, false, all, allTemplates},
		{"read-only keeps reads", nil, true, all, allTemplates},
		{"customers", []string{"customers"}, false, nil, []string{"stripe://customers/{customerId}"}},
		{"payments.read", []string{"payments.read"}, false, nil, []string{"stripe://payment_intents/{paymentIntentId}"}},
		{"payments.write only", []string{"payments.write"}, false, nil, nil},
		{"events and balance", []string{"events", "balance.read"}, true, []string{"stripe://balance", "stripe://events"}, []string{"stripe://events/{eventId}"}},
		{"subscriptions and account", []string{"subscriptions.read", "account"}, false, []string{"stripe://account"}, []string{"stripe://subscriptions/{subscriptionId}"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, rec := withStripeMock(t, server.Options{AllowedOperations: tc.allowed, ReadOnly: tc.readOnly})
			cs := connect(t, newServer(t, o), nil, "")
			uris, templates := listed(t, cs)
			if !slices.Equal(uris, tc.uris) {
				t.Errorf("resources %v, want %v", uris, tc.uris)
			}
			if !slices.Equal(templates, tc.templates) {
				t.Errorf("templates %v, want %v", templates, tc.templates)
			}
			// What is not listed cannot be read, and Stripe is not asked.
			for _, uri := range []string{"stripe://account", "stripe://balance", "stripe://events",
				"stripe://customers/cus_123", "stripe://payment_intents/pi_123", "stripe://subscriptions/sub_123", "stripe://events/evt_123"} {
				servedURI := slices.Contains(tc.uris, uri)
				for _, tpl := range tc.templates {
					if strings.HasPrefix(uri, tpl[:strings.IndexByte(tpl, '{')]) {
						servedURI = true
					}
				}
				if servedURI {
					continue
				}
				before := rec.Count()
				_, err := cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: uri})
				rpcError(t, err, jsonrpc.CodeInvalidParams)
				if n := rec.Count() - before; n != 0 {
					t.Errorf("reading unlisted %s sent %d requests", uri, n)
				}
			}
		})
	}
}

func TestReadStripeObjects(t *testing.T) {
	o, rec := withStripeMock(t, server.Options{})
	cs := connect(t, newServer(t, o), nil, "")
	for _, tc := range []struct {
		uri, path string
		check     func(t *testing.T, m map[string]any)
	}{
		{"stripe://customers/cus_123", "/v1/customers/cus_123", func(t *testing.T, m map[string]any) {
			if id, _ := m["id"].(string); !strings.HasPrefix(id, "cus_") {
				t.Errorf("id %v", m["id"])
			}
			for _, raw := range []string{"object", "invoice_settings", "default_source", "tax_exempt"} {
				if _, ok := m[raw]; ok {
					t.Errorf("compact customer has Stripe's %q: %v", raw, m)
				}
			}
		}},
		{"stripe://payment_intents/pi_123", "/v1/payment_intents/pi_123", func(t *testing.T, m map[string]any) {
			if id, _ := m["id"].(string); !strings.HasPrefix(id, "pi_") {
				t.Errorf("id %v", m["id"])
			}
			if _, ok := m["amountDisplay"].(string); !ok || m["status"] == nil || m["currency"] == nil {
				t.Errorf("compact payment intent: %v", m)
			}
			for _, raw := range []string{"object", "amount_received", "client_secret", "payment_method_types"} {
				if _, ok := m[raw]; ok {
					t.Errorf("compact payment intent has Stripe's %q: %v", raw, m)
				}
			}
		}},
		{"stripe://subscriptions/sub_123", "/v1/subscriptions/sub_123", func(t *testing.T, m map[string]any) {
			if id, _ := m["id"].(string); !strings.HasPrefix(id, "sub_") {
				t.Errorf("id %v", m["id"])
			}
			if _, ok := m["items"].([]any); !ok {
				t.Errorf("subscription items: %v", m)
			}
			for _, raw := range []string{"object", "current_period_end", "collection_method", "billing_cycle_anchor"} {
				if _, ok := m[raw]; ok {
					t.Errorf("compact subscription has Stripe's %q: %v", raw, m)
				}
			}
		}},
		{"stripe://account", "/v1/account", func(t *testing.T, m map[string]any) {
			if id, _ := m["id"].(string); !strings.HasPrefix(id, "acct_") {
				t.Errorf("id %v", m["id"])
			}
			if _, ok := m["chargesEnabled"].(bool); !ok {
				t.Errorf("compact account: %v", m)
			}
			if _, ok := m["object"]; ok {
				t.Errorf("compact account has object: %v", m)
			}
		}},
		{"stripe://balance", "/v1/balance", func(t *testing.T, m map[string]any) {
			av, ok := m["available"].([]any)
			if !ok || len(av) == 0 {
				t.Fatalf("balance available: %v", m)
			}
			first, _ := av[0].(map[string]any)
			if _, ok := first["display"].(string); !ok || first["currency"] == nil {
				t.Errorf("balance amount: %v", first)
			}
			if _, ok := m["object"]; ok {
				t.Errorf("compact balance has object: %v", m)
			}
		}},
	} {
		t.Run(tc.uri, func(t *testing.T) {
			before := len(rec.Requests())
			tc.check(t, readJSON(t, cs, tc.uri))
			got := paths(rec.Requests()[before:])
			if want := []string{"GET " + tc.path}; !slices.Equal(got, want) {
				t.Errorf("requests %v, want %v", got, want)
			}
		})
	}
}

// addEvent stores a received event whose data.object is object.
func addEvent(t *testing.T, s store.Store, id, typ string, created time.Time, object map[string]any, ids ...string) *store.Event {
	t.Helper()
	payload, err := json.Marshal(map[string]any{"id": id, "object": "event", "type": typ, "created": created.Unix(), "data": map[string]any{"object": object}})
	if err != nil {
		t.Fatal(err)
	}
	e := &store.Event{ID: id, Type: typ, Created: created, ObjectIDs: ids, Payload: payload}
	if len(ids) > 0 {
		e.ObjectID = ids[0]
	}
	if _, err := s.AddEvent(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	return e
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestReadEvents(t *testing.T) {
	st := testutil.OpenStore(t)
	pi := map[string]any{"id": "pi_stored1", "object": "payment_intent", "amount": 2500, "currency": "usd",
		"status": "succeeded", "customer": "cus_stored1", "capture_method": "automatic", "client_secret": "pi_stored1_secret_x"}
	addEvent(t, st, "evt_old", "payment_intent.created", t0, map[string]any{"id": "pi_stored1", "object": "payment_intent", "status": "requires_payment_method"}, "pi_stored1", "cus_stored1")
	addEvent(t, st, "evt_pi", "payment_intent.succeeded", t0.Add(2*time.Minute), pi, "pi_stored1", "cus_stored1")
	addEvent(t, st, "evt_inv", "invoice.paid", t0.Add(time.Minute), map[string]any{"id": "in_1", "object": "invoice", "status": "paid", "amount_paid": 900}, "in_1", "cus_stored1")
	o, rec := withStripeMock(t, server.Options{Store: st})
	cs := connect(t, newServer(t, o), nil, "")

	list := readJSON(t, cs, "stripe://events")
	data, _ := list["data"].([]any)
	var ids []string
	for _, d := range data {
		ids = append(ids, fmt.Sprint(d.(map[string]any)["id"]))
	}
	if want := []string{"evt_pi", "evt_inv", "evt_old"}; !slices.Equal(ids, want) {
		t.Errorf("events %v, want newest first %v: %v", ids, want, list)
	}
	if list["count"] != float64(3) || list["hasMore"] != false || list["source"] != "received" {
		t.Errorf("event list: %v", list)
	}
	if first, _ := data[0].(map[string]any); first["type"] != "payment_intent.succeeded" || first["objectId"] != "pi_stored1" ||
		first["status"] != "succeeded" || first["created"] != "2026-03-01T12:02:00Z" {
		t.Errorf("compact event: %v", first)
	}

	// A stored event, its payment intent projected as the tools show it.
	ev := readJSON(t, cs, "stripe://events/evt_pi")
	if ev["id"] != "evt_pi" || ev["type"] != "payment_intent.succeeded" || ev["objectId"] != "pi_stored1" ||
		fmt.Sprint(ev["related"]) != "[cus_stored1]" || ev["status"] != "succeeded" {
		t.Errorf("stored event: %v", ev)
	}
	obj, _ := ev["object"].(map[string]any)
	if obj["id"] != "pi_stored1" || obj["amount"] != float64(2500) || obj["currency"] != "usd" || obj["status"] != "succeeded" ||
		obj["customerId"] == nil && obj["customer"] == nil {
		t.Errorf("projected payment intent: %v", obj)
	}
	if _, ok := obj["amountDisplay"].(string); !ok {
		t.Errorf("payment intent not projected (no amountDisplay): %v", obj)
	}
	for _, raw := range []string{"object", "client_secret", "capture_method"} {
		if _, ok := obj[raw]; ok {
			t.Errorf("projected payment intent has Stripe's %q: %v", raw, obj)
		}
	}
	// A kind without a projection stays as Stripe sent it.
	inv, _ := readJSON(t, cs, "stripe://events/evt_inv")["object"].(map[string]any)
	if inv["object"] != "invoice" || inv["amount_paid"] != float64(900) {
		t.Errorf("unprojected invoice: %v", inv)
	}
	if n := rec.Count(); n != 0 {
		t.Errorf("received events asked Stripe: %v", paths(rec.Requests()))
	}

	// An event not received comes from the Events API.
	api := readJSON(t, cs, "stripe://events/evt_notstored")
	if id, _ := api["id"].(string); !strings.HasPrefix(id, "evt_") || api["type"] == nil {
		t.Errorf("api event: %v", api)
	}
	if got := paths(rec.Requests()); !slices.Equal(got, []string{"GET /v1/events/evt_notstored"}) {
		t.Errorf("requests %v", got)
	}
}

// TestReadEventsLimit: stripe://events is the 20 newest.
func TestReadEventsLimit(t *testing.T) {
	st := testutil.OpenStore(t)
	for i := range 25 {
		addEvent(t, st, fmt.Sprintf("evt_%02d", i), "customer.updated", t0.Add(time.Duration(i)*time.Second), map[string]any{"id": "cus_x", "object": "customer"}, "cus_x")
	}
	o, _ := withStripeMock(t, server.Options{Store: st})
	list := readJSON(t, connect(t, newServer(t, o), nil, ""), "stripe://events")
	data, _ := list["data"].([]any)
	if len(data) != 20 || list["hasMore"] != true || data[0].(map[string]any)["id"] != "evt_24" || data[19].(map[string]any)["id"] != "evt_05" {
		t.Errorf("20 newest: %d items, hasMore %v, first %v", len(data), list["hasMore"], data[0])
	}
}

func TestReadEventsNoStore(t *testing.T) {
	o, rec := withStripeMock(t, server.Options{})
	cs := connect(t, newServer(t, o), nil, "")
	list := readJSON(t, cs, "stripe://events")
	if data, ok := list["data"].([]any); !ok || len(data) != 0 || list["count"] != float64(0) || list["hasMore"] != false {
		t.Errorf("no store: %v", list)
	}
	if rec.Count() != 0 {
		t.Errorf("requests %v", paths(rec.Requests()))
	}
	// One event, without a store, is the Events API's.
	readJSON(t, cs, "stripe://events/evt_123")
	if got := paths(rec.Requests()); !slices.Equal(got, []string{"GET /v1/events/evt_123"}) {
		t.Errorf("requests %v", got)
	}
}

func TestReadBadIDs(t *testing.T) {
	o, rec := withStripeMock(t, server.Options{})
	cs := connect(t, newServer(t, o), nil, "")
	for _, tc := range []struct {
		uri  string
		want []string // in the message; none when the SDK refuses the URI itself
	}{
		{"stripe://customers/pi_123", []string{"stripe://customers/pi_123", "cus_", "nothing was sent to Stripe"}},
		{"stripe://payment_intents/cus_123", []string{"pi_", "nothing was sent to Stripe"}},
		{"stripe://subscriptions/sub_", []string{"sub_", "nothing was sent to Stripe"}},
		{"stripe://events/in_123", []string{"evt_", "nothing was sent to Stripe"}},
		{"stripe://customers/cus_a%2F..%2Fb", []string{"%", "never contain", "nothing was sent to Stripe"}},
		{"stripe://customers/cus_a..b", []string{"never contain", "nothing was sent to Stripe"}},
		{"stripe://customers/..", []string{"cus_", "nothing was sent to Stripe"}},
		{"stripe://customers/cus_" + strings.Repeat("a", 260), []string{"too long", "nothing was sent to Stripe"}},
		{"stripe://customers/cus_a/../b", nil},
		{"stripe://customers/cus_a/b", nil},
		{"stripe://customers/cus_a?expand=x", nil},
		{"stripe://customers/", nil},
		{"stripe://nothing", nil},
	} {
		_, err := cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: tc.uri})
		msg := rpcError(t, err, jsonrpc.CodeInvalidParams)
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: message %q lacks %q", tc.uri, msg, w)
			}
		}
	}
	if n := rec.Count(); n != 0 {
		t.Errorf("bad ids reached Stripe: %v", paths(rec.Requests()))
	}
}

// TestCardNumberAsID: an id that looks like a card number is refused as the
// tools refuse it — before Stripe is asked, without echoing the number —
// whether read or subscribed to.
func TestCardNumberAsID(t *testing.T) {
	o, rec := withStripeMock(t, server.Options{})
	cs := connect(t, newServer(t, o), nil, legacyProtocol)
	for _, uri := range []string{
		"stripe://customers/cus_4242424242424242",
		"stripe://payment_intents/pi_5555555555554444",
		"stripe://subscriptions/sub_4000056655665556x",
		"stripe://events/evt_378282246310005",
	} {
		_, err := cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: uri})
		msg := rpcError(t, err, jsonrpc.CodeInvalidParams)
		for _, w := range []string{"card number", "nothing was sent to Stripe"} {
			if !strings.Contains(msg, w) {
				t.Errorf("read %s: %q lacks %q", uri, msg, w)
			}
		}
		if strings.ContainsAny(msg, "0123456789") {
			t.Errorf("read %s: %q echoes the number", uri, msg)
		}
		msg = rpcError(t, subscribe(cs, uri), jsonrpc.CodeInvalidParams)
		if !strings.Contains(msg, "card number") || strings.ContainsAny(msg, "0123456789") {
			t.Errorf("subscribe %s: %q", uri, msg)
		}
	}
	if n := rec.Count(); n != 0 {
		t.Errorf("card numbers reached Stripe: %v", paths(rec.Requests()))
	}
}

// TestKeyAsID: a key pasted where an id goes is never echoed back whole
// (rpcError checks every error for the key).
func TestKeyAsID(t *testing.T) {
	o, rec := withStripeMock(t, server.Options{})
	cs := connect(t, newServer(t, o), nil, legacyProtocol)
	for _, uri := range []string{"stripe://customers/" + testutil.TestKey, "stripe://events/" + testutil.TestKey} {
		_, err := cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: uri})
		if msg := rpcError(t, err, jsonrpc.CodeInvalidParams); !strings.Contains(msg, "sk_test_…stuv") {
			t.Errorf("read %s: %q does not show the masked key", uri, msg)
		}
		if msg := rpcError(t, subscribe(cs, uri), jsonrpc.CodeInvalidParams); !strings.Contains(msg, "sk_test_…stuv") {
			t.Errorf("subscribe %s: %q does not show the masked key", uri, msg)
		}
	}
	if msg := rpcError(t, subscribe(cs, "stripe://keys/"+testutil.TestKey), jsonrpc.CodeInvalidParams); !strings.Contains(msg, "not a resource") {
		t.Errorf("subscribe to a non-resource: %q", msg)
	}
	if n := rec.Count(); n != 0 {
		t.Errorf("requests %v", paths(rec.Requests()))
	}
}

func TestReadStripeErrors(t *testing.T) {
	notFound := `{"error":{"type":"invalid_request_error","code":"resource_missing","param":"id","message":"No such customer: 'cus_missing'"}}`
	for _, tc := range []struct {
		name   string
		status int
		body   string
		uri    string
		code   int64
		want   []string
	}{
		{"404 customer", 404, notFound, "stripe://customers/cus_missing", jsonrpc.CodeInvalidParams,
			[]string{"stripe://customers/cus_missing", "no such customer", "No such customer: 'cus_missing'"}},
		{"404 payment intent", 404, `{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such payment_intent: 'pi_gone'"}}`,
			"stripe://payment_intents/pi_gone", jsonrpc.CodeInvalidParams, []string{"no such payment_intent", "No such payment_intent: 'pi_gone'"}},
		{"404 event not received", 404, `{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such event: 'evt_gone'"}}`,
			"stripe://events/evt_gone", jsonrpc.CodeInvalidParams, []string{"no such event", "No such event: 'evt_gone'"}},
		{"500", 500, `{"error":{"type":"api_error","message":"An unknown error occurred"}}`,
			"stripe://subscriptions/sub_1", jsonrpc.CodeInternalError, []string{"stripe://subscriptions/sub_1", "Stripe failed the read", "An unknown error occurred"}},
		{"401 echoing the key", 401, `{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: ` + testutil.TestKey + `"}}`,
			"stripe://balance", jsonrpc.CodeInternalError, []string{"Invalid API Key provided", "sk_test_"}},
		{"404 echoing the key", 404, `{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such account for key ` + testutil.TestKey + `"}}`,
			"stripe://account", jsonrpc.CodeInvalidParams, []string{"no such account", "No such account for key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, rec := withFake(t, server.Options{}, stripeAnswer(tc.status, tc.body))
			cs := connect(t, newServer(t, o), nil, "")
			_, err := cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: tc.uri})
			msg := rpcError(t, err, tc.code)
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
			if rec.Count() == 0 {
				t.Errorf("Stripe was not asked")
			}
			if tc.status == 404 && rec.Count() != 1 {
				t.Errorf("a 404 was retried: %v", paths(rec.Requests()))
			}
		})
	}
}

// TestReadUnreachable: a transport failure is an error naming the problem,
// without the key.
func TestReadUnreachable(t *testing.T) {
	o := server.Options{Stripe: testutil.Client(t, "http://127.0.0.1:1")}
	cs := connect(t, newServer(t, o), nil, "")
	_, err := cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: "stripe://account"})
	msg := rpcError(t, err, jsonrpc.CodeInternalError)
	if !strings.Contains(msg, "could not reach the Stripe API") {
		t.Errorf("message %q", msg)
	}
}

// subscribe subscribes cs to uri and returns the error.
func subscribe(cs *mcp.ClientSession, uri string) error {
	return cs.Subscribe(context.Background(), &mcp.SubscribeParams{URI: uri})
}

func TestSubscribeValidation(t *testing.T) {
	o, rec := withStripeMock(t, server.Options{})
	cs := connect(t, newServer(t, o), nil, legacyProtocol)
	for _, uri := range []string{"stripe://events", "stripe://account", "stripe://balance", "stripe://payment_intents/pi_123",
		"stripe://customers/cus_123", "stripe://subscriptions/sub_123", "stripe://events/evt_123"} {
		if err := subscribe(cs, uri); err != nil {
			t.Errorf("subscribe %s: %v", uri, err)
		}
	}
	for _, tc := range []struct{ uri, want string }{
		{"stripe://nothing", "not a resource of this server"},
		{"stripe://customers/bad", "bad is not a customer id"},
		{"stripe://customers/pi_123", "pi_123 is not a customer id"},
		{"stripe://customers/cus_", "is not a customer id"},
		{"stripe://customers/cus_a%2F..%2Fb", "is not a customer id"},
		{"stripe://customers/cus_a/../b", "not a resource of this server"},
		{"stripe://events/", "not a resource of this server"},
		{"https://example.com/", "not a resource of this server"},
	} {
		msg := rpcError(t, subscribe(cs, tc.uri), jsonrpc.CodeInvalidParams)
		if !strings.Contains(msg, tc.want) {
			t.Errorf("subscribe %s: %q lacks %q", tc.uri, msg, tc.want)
		}
	}
	if rec.Count() != 0 {
		t.Errorf("subscribing asked Stripe: %v", paths(rec.Requests()))
	}

	// Only what allowedOperations serves.
	o, _ = withStripeMock(t, server.Options{AllowedOperations: []string{"payments.read"}})
	cs = connect(t, newServer(t, o), nil, legacyProtocol)
	if err := subscribe(cs, "stripe://payment_intents/pi_1"); err != nil {
		t.Errorf("allowed template: %v", err)
	}
	for _, uri := range []string{"stripe://events", "stripe://customers/cus_1"} {
		rpcError(t, subscribe(cs, uri), jsonrpc.CodeInvalidParams)
	}

	// A server that cannot notify refuses, saying why.
	const why = "this stateless HTTP server cannot send notifications: read the resource again instead"
	o, _ = withStripeMock(t, server.Options{NoSubscriptions: why})
	cs = connect(t, newServer(t, o), nil, legacyProtocol)
	for _, uri := range []string{"stripe://events", "stripe://payment_intents/pi_123"} {
		if msg := rpcError(t, subscribe(cs, uri), jsonrpc.CodeInvalidRequest); msg != why {
			t.Errorf("NoSubscriptions: %q, want %q", msg, why)
		}
	}
}

// watcher is a client that records the resource updates and log messages it
// receives, in order.
type watcher struct {
	cs      *mcp.ClientSession
	updates chan string
	logs    chan string
	acks    chan []string
}

func watch(t *testing.T, srv *server.Server, protocol string) *watcher {
	t.Helper()
	w := &watcher{updates: make(chan string, 64), logs: make(chan string, 64), acks: make(chan []string, 64)}
	copts := &mcp.ClientOptions{
		ResourceUpdatedHandler: func(_ context.Context, r *mcp.ResourceUpdatedNotificationRequest) { w.updates <- r.Params.URI },
		LoggingMessageHandler: func(_ context.Context, r *mcp.LoggingMessageRequest) {
			b, _ := json.Marshal(r.Params.Data)
			w.logs <- string(b)
		},
	}
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.MCP.Connect(context.Background(), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "watcher", Version: "1"}, copts)
	// Under the stateless protocol a subscription is in place once the
	// server acknowledges it.
	client.AddReceivingMiddleware(func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			if method == "notifications/subscriptions/acknowledged" {
				var p struct {
					Notifications struct {
						ResourceSubscriptions []string `json:"resourceSubscriptions"`
					} `json:"notifications"`
				}
				b, _ := json.Marshal(req.GetParams())
				_ = json.Unmarshal(b, &p)
				w.acks <- p.Notifications.ResourceSubscriptions
			}
			return next(ctx, method, req)
		}
	})
	var sopts *mcp.ClientSessionOptions
	if protocol != "" {
		sopts = &mcp.ClientSessionOptions{ProtocolVersion: protocol}
	}
	w.cs, err = client.Connect(context.Background(), ct, sopts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		w.cs.Close()
		ss.Wait()
	})
	return w
}

const waitFor = 10 * time.Second

// next is the next update, or fails after a while.
func (w *watcher) next(t *testing.T) string {
	t.Helper()
	select {
	case uri := <-w.updates:
		return uri
	case <-time.After(waitFor):
		t.Fatal("no resources/updated notification arrived")
		return ""
	}
}

// sentinel waits for the log line NotifyEvent sends after its updates, and
// checks that no other update came before it.
func (w *watcher) sentinel(t *testing.T, event string) {
	t.Helper()
	select {
	case l := <-w.logs:
		if !strings.Contains(l, event) {
			t.Errorf("log %s, want event %s", l, event)
		}
	case <-time.After(waitFor):
		t.Fatal("no log message arrived")
	}
	select {
	case uri := <-w.updates:
		t.Errorf("unexpected update %s", uri)
	default:
	}
}

func (w *watcher) ack(t *testing.T, uri string) {
	t.Helper()
	select {
	case got := <-w.acks:
		if !slices.Equal(got, []string{uri}) {
			t.Errorf("acknowledged %v, want [%s]", got, uri)
		}
	case <-time.After(waitFor):
		t.Fatalf("subscription to %s not acknowledged", uri)
	}
}

func piEvent(id string) *store.Event {
	// Touches a charge (no resource), a customer and a payment intent, in
	// that order: the customer's URI comes before the payment intent's.
	return &store.Event{ID: id, Type: "payment_intent.succeeded", Created: t0, ObjectID: "ch_1", ObjectIDs: []string{"ch_1", "cus_1", "pi_123"}}
}

func TestSubscriptionNotifications(t *testing.T) {
	ctx := context.Background()
	o, _ := withStripeMock(t, server.Options{})
	srv := newServer(t, o)
	sub := watch(t, srv, legacyProtocol)
	other := watch(t, srv, legacyProtocol)
	for _, w := range []*watcher{sub, other} {
		if err := w.cs.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: "info"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, uri := range []string{"stripe://events", "stripe://payment_intents/pi_123", "stripe://payment_intents/pi_other"} {
		if err := subscribe(sub.cs, uri); err != nil {
			t.Fatal(err)
		}
	}

	e := piEvent("evt_n1")
	uris := resources.URIs(e)
	if want := []string{"stripe://events", "stripe://events/evt_n1", "stripe://customers/cus_1", "stripe://payment_intents/pi_123"}; !slices.Equal(uris, want) {
		t.Fatalf("resources.URIs = %v, want %v", uris, want)
	}
	srv.NotifyEvent(ctx, e)
	if got := []string{sub.next(t), sub.next(t)}; !slices.Equal(got, []string{"stripe://events", "stripe://payment_intents/pi_123"}) {
		t.Errorf("subscriber got %v", got)
	}
	sub.sentinel(t, "evt_n1")
	other.sentinel(t, "evt_n1")

	// Unsubscribed: only what is still subscribed arrives.
	if err := sub.cs.Unsubscribe(ctx, &mcp.UnsubscribeParams{URI: "stripe://payment_intents/pi_123"}); err != nil {
		t.Fatal(err)
	}
	e = piEvent("evt_n2")
	srv.NotifyEvent(ctx, e)
	if got := sub.next(t); got != "stripe://events" {
		t.Errorf("after unsubscribing: %s", got)
	}
	sub.sentinel(t, "evt_n2")
	other.sentinel(t, "evt_n2")

	if err := sub.cs.Unsubscribe(ctx, &mcp.UnsubscribeParams{URI: "stripe://events"}); err != nil {
		t.Fatal(err)
	}
	e = piEvent("evt_n3")
	srv.NotifyEvent(ctx, e)
	sub.sentinel(t, "evt_n3")
	other.sentinel(t, "evt_n3")
}

// TestSubscriptionNotificationsStateless: the same with the SDK's latest
// protocol, where a subscription is a subscriptions/listen stream.
func TestSubscriptionNotificationsStateless(t *testing.T) {
	ctx := context.Background()
	o, _ := withStripeMock(t, server.Options{})
	srv := newServer(t, o)
	// The listen stream of a subscription ends when the client unsubscribes;
	// by then the server has dropped it.
	listenDone := make(chan struct{}, 8)
	srv.MCP.AddReceivingMiddleware(func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			res, err := next(ctx, method, req)
			if method == "subscriptions/listen" {
				listenDone <- struct{}{}
			}
			return res, err
		}
	})
	sub := watch(t, srv, "")
	other := watch(t, srv, "")
	if v := sub.cs.InitializeResult().ProtocolVersion; v <= legacyProtocol {
		t.Fatalf("negotiated %s, want a protocol after %s", v, legacyProtocol)
	}
	for _, uri := range []string{"stripe://events", "stripe://payment_intents/pi_123"} {
		if err := subscribe(sub.cs, uri); err != nil {
			t.Fatal(err)
		}
		sub.ack(t, uri)
	}
	e := piEvent("evt_s1")
	srv.NotifyEvent(ctx, e)
	if got := []string{sub.next(t), sub.next(t)}; !slices.Equal(got, []string{"stripe://events", "stripe://payment_intents/pi_123"}) {
		t.Errorf("subscriber got %v", got)
	}

	if err := sub.cs.Unsubscribe(ctx, &mcp.UnsubscribeParams{URI: "stripe://events"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-listenDone:
	case <-time.After(waitFor):
		t.Fatal("the listen stream did not end")
	}
	e = piEvent("evt_s2")
	srv.NotifyEvent(ctx, e)
	// pi_123 is the last URI notified: once it is in, stripe://events
	// would have been too.
	if got := sub.next(t); got != "stripe://payment_intents/pi_123" {
		t.Errorf("after unsubscribing from events: %s", got)
	}
	select {
	case uri := <-sub.updates:
		t.Errorf("unexpected update %s", uri)
	case uri := <-other.updates:
		t.Errorf("a client that never subscribed got %s", uri)
	default:
	}
}

// TestURIs: the resources an event changes.
func TestURIs(t *testing.T) {
	tests := []struct {
		e    store.Event
		want []string
	}{
		{store.Event{ID: "evt_1"}, []string{"stripe://events", "stripe://events/evt_1"}},
		{store.Event{ID: "evt_2", ObjectIDs: []string{"pi_1", "cus_1", "in_1", "ch_1", "sub_1"}},
			[]string{"stripe://events", "stripe://events/evt_2", "stripe://payment_intents/pi_1", "stripe://customers/cus_1", "stripe://subscriptions/sub_1"}},
		{store.Event{ID: "evt_3", ObjectIDs: []string{"cus_1", "cus_1", "sub_9", "sub_9", ""}},
			[]string{"stripe://events", "stripe://events/evt_3", "stripe://customers/cus_1", "stripe://subscriptions/sub_9"}},
		{store.Event{ID: "evt_4", Type: "account.updated", ObjectIDs: []string{"acct_1"}},
			[]string{"stripe://events", "stripe://events/evt_4", "stripe://account"}},
		{store.Event{ID: "evt_5", Type: "balance.available"},
			[]string{"stripe://events", "stripe://events/evt_5", "stripe://balance"}},
	}
	for _, tt := range tests {
		if got := resources.URIs(&tt.e); !slices.Equal(got, tt.want) {
			t.Errorf("URIs(%v) = %v; want %v", tt.e.ObjectIDs, got, tt.want)
		}
	}
}
