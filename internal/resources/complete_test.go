package resources_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stripe-mcp/stripe-mcp/internal/server"
	"github.com/stripe-mcp/stripe-mcp/internal/store"
	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

// listStripe answers Stripe's list endpoints with fixed ids, or fails them.
type listStripe struct {
	mu     sync.Mutex
	ids    map[string][]string // by path: /v1/customers → cus_…
	status int                 // when not 0, every request fails with it
}

func (l *listStripe) fail(status int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.status = status
}

func (l *listStripe) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	status, ids := l.status, l.ids[r.URL.Path]
	l.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if status != 0 {
		w.WriteHeader(status)
		fmt.Fprint(w, `{"error":{"type":"api_error","message":"An unknown error occurred"}}`)
		return
	}
	object := map[string]string{"/v1/customers": "customer", "/v1/payment_intents": "payment_intent",
		"/v1/subscriptions": "subscription", "/v1/events": "event", "/v1/prices": "price"}[r.URL.Path]
	if object == "" || r.Method != http.MethodGet {
		w.WriteHeader(404)
		fmt.Fprint(w, `{"error":{"type":"invalid_request_error","message":"Unrecognized request URL"}}`)
		return
	}
	data := []map[string]any{}
	for _, id := range ids {
		data = append(data, map[string]any{"id": id, "object": object})
	}
	b, _ := json.Marshal(map[string]any{"object": "list", "url": r.URL.Path, "has_more": false, "data": data})
	w.Write(b)
}

// complete asks for completions of arg with value, and fails on an error.
func complete(t *testing.T, cs *mcp.ClientSession, ref *mcp.CompleteReference, arg, value string) []string {
	t.Helper()
	res, err := completeErr(cs, ref, arg, value)
	if err != nil {
		t.Fatalf("complete %v %s=%q: %v", *ref, arg, value, err)
	}
	v := res.Completion.Values
	if v == nil {
		t.Errorf("values is null, want a list")
	}
	switch {
	case res.Completion.HasMore && (len(v) != 100 || res.Completion.Total != 0):
		t.Errorf("hasMore with %d values and total %d", len(v), res.Completion.Total)
	case !res.Completion.HasMore && res.Completion.Total != len(v):
		t.Errorf("total %d for %d values", res.Completion.Total, len(v))
	}
	return v
}

func completeErr(cs *mcp.ClientSession, ref *mcp.CompleteReference, arg, value string) (*mcp.CompleteResult, error) {
	return cs.Complete(context.Background(), &mcp.CompleteParams{Ref: ref, Argument: mcp.CompleteParamsArgument{Name: arg, Value: value}})
}

func template(uri string) *mcp.CompleteReference {
	return &mcp.CompleteReference{Type: "ref/resource", URI: uri}
}

func prompt(name string) *mcp.CompleteReference {
	return &mcp.CompleteReference{Type: "ref/prompt", Name: name}
}

// touching stores an event touching ids, created at t0+minutes.
func touching(t *testing.T, s store.Store, id string, minutes int, ids ...string) {
	t.Helper()
	if _, err := s.AddEvent(context.Background(), &store.Event{ID: id, Type: "payment_intent.succeeded",
		Created: t0.Add(time.Duration(minutes) * time.Minute), ObjectID: ids[0], ObjectIDs: ids, Payload: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
}

// requestsTo counts the requests to path.
func requestsTo(rec *testutil.Recorder, path string) int {
	n := 0
	for _, r := range rec.Requests() {
		if r.Path == path {
			n++
		}
	}
	return n
}

// recentCustomers are the customers events touched: cus_Anewest last
// (t0+2m), then cus_Bnew, then cus_Aold.
func recentCustomers(t *testing.T) store.Store {
	st := testutil.OpenStore(t)
	touching(t, st, "evt_1", 0, "pi_1", "cus_Aold")
	touching(t, st, "evt_2", 1, "sub_1", "cus_Bnew")
	touching(t, st, "evt_3", 2, "pi_2", "cus_Anewest", "ch_1")
	return st
}

func TestCompleteCustomerIDs(t *testing.T) {
	fake := &listStripe{ids: map[string][]string{"/v1/customers": {"cus_Bnew", "cus_Zapi", "cus_Aapi"}}}
	o, rec := withFake(t, server.Options{Store: recentCustomers(t)}, fake)
	cs := connect(t, newServer(t, o), nil, "")
	ref := template("stripe://customers/{customerId}")

	got := complete(t, cs, ref, "customerId", "")
	if want := []string{"cus_Anewest", "cus_Bnew", "cus_Aold", "cus_Zapi", "cus_Aapi"}; !slices.Equal(got, want) {
		t.Errorf("values %v, want %v (received first, deduplicated)", got, want)
	}
	list := rec.Last(t, "GET", "/v1/customers")
	if list.Path != "/v1/customers" || list.Query.Get("limit") != "100" {
		t.Errorf("list request %s %v", list.Path, list.Query)
	}
	for _, tc := range []struct {
		value string
		want  []string
	}{
		{"cus_A", []string{"cus_Anewest", "cus_Aold", "cus_Aapi"}},
		{"cus_Z", []string{"cus_Zapi"}},
		{"cus_Anewest", []string{"cus_Anewest"}},
		{"cu", []string{"cus_Anewest", "cus_Bnew", "cus_Aold", "cus_Zapi", "cus_Aapi"}},
		{"x", []string{}},
		{"pi_", []string{}},
		{"cus_Q", []string{}},
	} {
		if got := complete(t, cs, ref, "customerId", tc.value); !slices.Equal(got, tc.want) {
			t.Errorf("value %q: %v, want %v", tc.value, got, tc.want)
		}
	}
	// The list is fetched once a minute however often a client asks.
	if n := requestsTo(rec, "/v1/customers"); n != 1 {
		t.Errorf("%d list requests for %d completions, want 1", n, 8)
	}
	if n := rec.Count(); n != 1 {
		t.Errorf("requests %v", paths(rec.Requests()))
	}

	// The same argument of a prompt.
	if got := complete(t, cs, prompt("complete_payment_flow"), "customerId", "cus_B"); !slices.Equal(got, []string{"cus_Bnew"}) {
		t.Errorf("prompt customerId: %v", got)
	}
	// An argument the template does not have, or one nothing completes.
	if got := complete(t, cs, ref, "paymentIntentId", ""); len(got) != 0 {
		t.Errorf("argument of another template: %v", got)
	}
	if got := complete(t, cs, prompt("complete_payment_flow"), "currency", "u"); len(got) != 0 {
		t.Errorf("currency: %v", got)
	}
	if n := rec.Count(); n != 1 {
		t.Errorf("requests %v", paths(rec.Requests()))
	}
}

// TestCompleteStripeMock: against stripe-mock, the received ids come first
// and every value is a customer id.
func TestCompleteStripeMock(t *testing.T) {
	o, rec := withStripeMock(t, server.Options{Store: recentCustomers(t)})
	cs := connect(t, newServer(t, o), nil, "")
	got := complete(t, cs, template("stripe://customers/{customerId}"), "customerId", "")
	if len(got) < 4 || !slices.Equal(got[:3], []string{"cus_Anewest", "cus_Bnew", "cus_Aold"}) {
		t.Fatalf("values %v: want the received ids, then Stripe's", got)
	}
	seen := map[string]bool{}
	for _, id := range got {
		if !strings.HasPrefix(id, "cus_") || seen[id] {
			t.Errorf("value %q (duplicate: %v)", id, seen[id])
		}
		seen[id] = true
	}
	if len(got) > 100 {
		t.Errorf("%d values", len(got))
	}
	complete(t, cs, prompt("complete_payment_flow"), "customerId", "cus_")
	if got := paths(rec.Requests()); !slices.Equal(got, []string{"GET /v1/customers"}) {
		t.Errorf("requests %v", got)
	}
	// Stripe's own id completes from its prefix.
	api := got[3]
	if v := complete(t, cs, template("stripe://customers/{customerId}"), "customerId", api); !slices.Contains(v, api) {
		t.Errorf("value %q: %v", api, v)
	}
}

func TestCompleteOtherKinds(t *testing.T) {
	st := recentCustomers(t)
	fake := &listStripe{ids: map[string][]string{
		"/v1/payment_intents": {"pi_api", "pi_2"},
		"/v1/subscriptions":   {"sub_api"},
		"/v1/events":          {"evt_api", "evt_1"},
		"/v1/prices":          {"price_api"},
	}}
	o, rec := withFake(t, server.Options{Store: st}, fake)
	cs := connect(t, newServer(t, o), nil, "")
	for _, tc := range []struct {
		ref        *mcp.CompleteReference
		arg, value string
		want       []string
		path       string
	}{
		{template("stripe://payment_intents/{paymentIntentId}"), "paymentIntentId", "", []string{"pi_2", "pi_1", "pi_api"}, "/v1/payment_intents"},
		{prompt("refund_payment"), "paymentIntentId", "pi_a", []string{"pi_api"}, "/v1/payment_intents"},
		{template("stripe://subscriptions/{subscriptionId}"), "subscriptionId", "s", []string{"sub_1", "sub_api"}, "/v1/subscriptions"},
		{template("stripe://events/{eventId}"), "eventId", "evt_", []string{"evt_3", "evt_2", "evt_1", "evt_api"}, "/v1/events"},
		{prompt("subscription_onboarding"), "priceId", "", []string{"price_api"}, "/v1/prices"},
	} {
		if got := complete(t, cs, tc.ref, tc.arg, tc.value); !slices.Equal(got, tc.want) {
			t.Errorf("%v %s=%q: %v, want %v", *tc.ref, tc.arg, tc.value, got, tc.want)
		}
		if n := requestsTo(rec, tc.path); n != 1 {
			t.Errorf("%d requests to %s", n, tc.path)
		}
	}
	subs := rec.Last(t, "GET", "/v1/subscriptions")
	if subs.Query.Get("status") != "all" {
		t.Errorf("subscriptions listed with %v, want status all (canceled ones are readable too)", subs.Query)
	}
	prices := rec.Last(t, "GET", "/v1/prices")
	if prices.Query.Get("active") != "true" {
		t.Errorf("prices listed with %v", prices.Query)
	}
}

func TestCompleteAtMost100(t *testing.T) {
	st := testutil.OpenStore(t)
	var stored, api []string
	for i := range 60 {
		id := fmt.Sprintf("cus_s%03d", i)
		stored = append([]string{id}, stored...) // newest first
		touching(t, st, fmt.Sprintf("evt_%03d", i), i, id)
	}
	for i := range 100 {
		api = append(api, fmt.Sprintf("cus_a%03d", i))
	}
	o, _ := withFake(t, server.Options{Store: st}, &listStripe{ids: map[string][]string{"/v1/customers": api}})
	cs := connect(t, newServer(t, o), nil, "")
	got := complete(t, cs, template("stripe://customers/{customerId}"), "customerId", "")
	if want := append(slices.Clone(stored), api[:40]...); !slices.Equal(got, want) {
		t.Errorf("%d values %v…, want the 60 received then 40 of Stripe's", len(got), got[:min(5, len(got))])
	}
	res, _ := completeErr(cs, template("stripe://customers/{customerId}"), "customerId", "")
	if !res.Completion.HasMore {
		t.Error("60 of 160 ids left out without hasMore")
	}
	// Exactly 100 matching: all of them, nothing more to say.
	if res, _ := completeErr(cs, template("stripe://customers/{customerId}"), "customerId", "cus_a"); res.Completion.HasMore || len(res.Completion.Values) != 100 || res.Completion.Total != 100 {
		t.Errorf("100 of 100: hasMore %v, %d values, total %d", res.Completion.HasMore, len(res.Completion.Values), res.Completion.Total)
	}
}

func TestCompleteAPIFailure(t *testing.T) {
	fake := &listStripe{ids: map[string][]string{"/v1/customers": {"cus_Zapi"}}}
	fake.fail(500)
	o, rec := withFake(t, server.Options{Store: recentCustomers(t)}, fake)
	cs := connect(t, newServer(t, o), nil, "")
	ref := template("stripe://customers/{customerId}")
	if got := complete(t, cs, ref, "customerId", ""); !slices.Equal(got, []string{"cus_Anewest", "cus_Bnew", "cus_Aold"}) {
		t.Errorf("values %v, want the received ids only", got)
	}
	asked := requestsTo(rec, "/v1/customers")
	if asked == 0 {
		t.Fatal("Stripe was not asked")
	}
	// The failure is kept 10 seconds (TestCompletionListFailureKept moves
	// the clock on): the next keystrokes do not ask Stripe again.
	fake.fail(0)
	for _, value := range []string{"c", "cu", "cus_"} {
		if got := complete(t, cs, ref, "customerId", value); !slices.Equal(got, []string{"cus_Anewest", "cus_Bnew", "cus_Aold"}) {
			t.Errorf("%q right after the failure: %v", value, got)
		}
	}
	if n := requestsTo(rec, "/v1/customers"); n != asked {
		t.Errorf("keystrokes right after a failure sent %d more requests to Stripe", n-asked)
	}

	// Without a store, a failure is no values.
	fake.fail(503)
	o, _ = withFake(t, server.Options{}, fake)
	cs = connect(t, newServer(t, o), nil, "")
	if got := complete(t, cs, ref, "customerId", ""); len(got) != 0 {
		t.Errorf("no store, Stripe failing: %v", got)
	}
}

func TestCompleteAllowedOperations(t *testing.T) {
	fake := &listStripe{ids: map[string][]string{"/v1/customers": {"cus_Zapi"}, "/v1/payment_intents": {"pi_api"}}}
	o, rec := withFake(t, server.Options{Store: recentCustomers(t), AllowedOperations: []string{"payments"}}, fake)
	cs := connect(t, newServer(t, o), nil, "")
	// complete_payment_flow is served (it needs payment tools), but
	// customers are not: no customer ids, and Stripe is not asked for them.
	if got := complete(t, cs, prompt("complete_payment_flow"), "customerId", ""); len(got) != 0 {
		t.Errorf("customerId without the customers toolset: %v", got)
	}
	if got := complete(t, cs, prompt("investigate_failed_payment"), "paymentIntentId", ""); !slices.Equal(got, []string{"pi_2", "pi_1", "pi_api"}) {
		t.Errorf("paymentIntentId: %v", got)
	}
	if got := paths(rec.Requests()); !slices.Equal(got, []string{"GET /v1/payment_intents"}) {
		t.Errorf("requests %v", got)
	}
	// The customer template is not served here.
	_, err := completeErr(cs, template("stripe://customers/{customerId}"), "customerId", "")
	if msg := rpcError(t, err, jsonrpc.CodeInvalidParams); !strings.Contains(msg, "stripe://customers/{customerId}") {
		t.Errorf("message %q", msg)
	}
	// Nor are prompts whose tools are missing.
	_, err = completeErr(cs, prompt("subscription_onboarding"), "customerId", "")
	rpcError(t, err, jsonrpc.CodeInvalidParams)
}

func TestCompleteUnknownRefs(t *testing.T) {
	o, rec := withStripeMock(t, server.Options{})
	cs := connect(t, newServer(t, o), nil, "")
	for _, tc := range []struct {
		ref  *mcp.CompleteReference
		want string
	}{
		{prompt("no_such_prompt"), `no prompt "no_such_prompt"`},
		{template("stripe://customers/{id}"), `no resource template "stripe://customers/{id}"`},
		{template("stripe://account"), `no resource template "stripe://account"`},
		{template("stripe://customers/cus_123"), "no resource template"},
	} {
		_, err := completeErr(cs, tc.ref, "customerId", "")
		if msg := rpcError(t, err, jsonrpc.CodeInvalidParams); !strings.Contains(msg, tc.want) {
			t.Errorf("%v: %q lacks %q", *tc.ref, msg, tc.want)
		}
	}
	if rec.Count() != 0 {
		t.Errorf("requests %v", paths(rec.Requests()))
	}
}

// TestCompleteUnknownRefType sends what the SDK's client refuses to: a
// reference of an unknown type, on the wire.
func TestCompleteUnknownRefType(t *testing.T) {
	o, rec := withStripeMock(t, server.Options{})
	srv := newServer(t, o)
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.MCP.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := ct.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		ss.Wait()
	})
	call := func(id int64, method, params string) *jsonrpc.Response {
		t.Helper()
		jid, err := jsonrpc.MakeID(float64(id))
		if err != nil {
			t.Fatal(err)
		}
		if err := conn.Write(ctx, &jsonrpc.Request{ID: jid, Method: method, Params: json.RawMessage(params)}); err != nil {
			t.Fatal(err)
		}
		rctx, cancel := context.WithTimeout(ctx, waitFor)
		defer cancel()
		for {
			msg, err := conn.Read(rctx)
			if err != nil {
				t.Fatalf("%s: %v", method, err)
			}
			if r, ok := msg.(*jsonrpc.Response); ok && r.ID == jid {
				return r
			}
		}
	}
	if r := call(1, "initialize", `{"protocolVersion":"`+legacyProtocol+`","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}`); r.Error != nil {
		t.Fatal(r.Error)
	}
	if err := conn.Write(ctx, &jsonrpc.Request{Method: "notifications/initialized", Params: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	// A well-formed request on this connection works…
	r := call(2, "completion/complete", `{"ref":{"type":"ref/prompt","name":"refund_payment"},"argument":{"name":"reason","value":""}}`)
	if r.Error != nil {
		t.Fatalf("well-formed completion: %v", r.Error)
	}
	// …and an unknown reference type is invalid params.
	for i, ref := range []string{`{"type":"ref/tool","name":"stripe_get_customer"}`, `{"type":""}`} {
		r = call(int64(3+i), "completion/complete", `{"ref":`+ref+`,"argument":{"name":"customerId","value":""}}`)
		rpcError(t, r.Error, jsonrpc.CodeInvalidParams)
	}
	if rec.Count() != 0 {
		t.Errorf("requests %v", paths(rec.Requests()))
	}
}
