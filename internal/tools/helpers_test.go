package tools_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stripe-mcp/stripe-mcp/internal/config"
	"github.com/stripe-mcp/stripe-mcp/internal/server"
	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

// Helpers shared by the tool tests of this package.

// defaultOptions are the server options most tests use.
func defaultOptions() server.Options {
	return server.Options{Currency: "usd", AutoCapture: true, KeyMode: "test"}
}

// connectStripeMock connects a client to a server whose Stripe is
// stripe-mock.
func connectStripeMock(t *testing.T, o server.Options) (*mcp.ClientSession, *testutil.Recorder) {
	t.Helper()
	base, rec := testutil.StripeMock(t)
	o.Stripe = testutil.Client(t, base)
	return testutil.Connect(t, o), rec
}

// connectFake connects a client to a server whose Stripe is h.
func connectFake(t *testing.T, h http.Handler) (*mcp.ClientSession, *testutil.Recorder) {
	t.Helper()
	base, rec := testutil.Serve(t, h)
	o := defaultOptions()
	o.Stripe = testutil.Client(t, base)
	return testutil.Connect(t, o), rec
}

// stripeErrorServer answers every request with status and a Stripe body.
func stripeErrorServer(status int, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", "req_test123")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	})
}

// wire is one request a tool must have sent. Params are the form body of a
// POST, or the query of a GET or DELETE.
type wire struct {
	method, path string
	params       map[string]string
	absent       []string
	header       map[string]string
}

// checkWire compares the requests received with want, one by one, in order.
func checkWire(t *testing.T, got []testutil.Request, want ...wire) {
	t.Helper()
	if len(got) != len(want) {
		var seen []string
		for _, r := range got {
			seen = append(seen, r.Method+" "+r.Path)
		}
		t.Fatalf("sent %d requests %v, want %d", len(got), seen, len(want))
	}
	for i, w := range want {
		r := got[i]
		if r.Method != w.method || r.Path != w.path {
			t.Errorf("request %d: %s %s, want %s %s", i, r.Method, r.Path, w.method, w.path)
			continue
		}
		params := r.Query
		if r.Method == http.MethodPost {
			params = r.Form
			if len(r.Query) > 0 {
				t.Errorf("POST %s carries a query %v", r.Path, r.Query)
			}
		}
		for k, v := range w.params {
			if !params.Has(k) {
				t.Errorf("%s %s: %s not sent; sent %v", r.Method, r.Path, k, params)
			} else if got := params.Get(k); got != v {
				t.Errorf("%s %s: %s = %q, want %q", r.Method, r.Path, k, got, v)
			}
		}
		for _, k := range w.absent {
			if params.Has(k) {
				t.Errorf("%s %s: %s = %q sent, want absent", r.Method, r.Path, k, params.Get(k))
			}
		}
		for k, v := range w.header {
			if got := r.Header.Get(k); got != v {
				t.Errorf("%s %s: header %s = %q, want %q", r.Method, r.Path, k, got, v)
			}
		}
	}
}

// fieldOf reads a field of a structured result as a T.
func fieldOf[T any](t *testing.T, m map[string]any, key string) T {
	t.Helper()
	v, ok := m[key]
	if !ok {
		t.Fatalf("result has no %s: %v", key, m)
	}
	x, ok := v.(T)
	if !ok {
		var zero T
		t.Fatalf("result %s = %v (%T), want a %T", key, v, v, zero)
	}
	return x
}

// resultString reads a string field of a structured result.
func resultString(t *testing.T, m map[string]any, key string) string {
	t.Helper()
	return fieldOf[string](t, m, key)
}

// resultNumber reads a number field of a structured result.
func resultNumber(t *testing.T, m map[string]any, key string) int64 {
	t.Helper()
	return int64(fieldOf[float64](t, m, key))
}

// objectsOf reads an array of objects from a structured result.
func objectsOf(t *testing.T, m map[string]any, key string) []map[string]any {
	t.Helper()
	raw := fieldOf[[]any](t, m, key)
	out := make([]map[string]any, len(raw))
	for i, e := range raw {
		o, ok := e.(map[string]any)
		if !ok {
			t.Fatalf("%s[%d] = %v (%T), want an object", key, i, e, e)
		}
		out[i] = o
	}
	return out
}

// pageOf checks the shape of a compact list page and returns its items.
func pageOf(t *testing.T, out map[string]any) []map[string]any {
	t.Helper()
	data := objectsOf(t, out, "data")
	if n := int(fieldOf[float64](t, out, "count")); n != len(data) {
		t.Errorf("count = %d, want %d", n, len(data))
	}
	more := fieldOf[bool](t, out, "hasMore")
	next, hasNext := out["nextCursor"]
	switch {
	case more && !hasNext:
		t.Errorf("hasMore without nextCursor")
	case more && len(data) > 0 && isIDCursor(next, data) && out["scanned"] == nil && next != data[len(data)-1]["id"]:
		// A list continues after its last item; a search (whose cursor is
		// a page token) and a status scan continue elsewhere.
		t.Errorf("nextCursor = %v, want the last id %v", next, data[len(data)-1]["id"])
	case !more && hasNext:
		t.Errorf("nextCursor = %v without hasMore", next)
	}
	return data
}

// refusedUnsent calls a tool that must refuse its arguments before Stripe is
// asked, and checks the message names each of want.
func refusedUnsent(t *testing.T, cs *mcp.ClientSession, rec *testutil.Recorder, tool string, args map[string]any, want ...string) {
	t.Helper()
	before := rec.Count()
	res := testutil.Call(t, cs, tool, args)
	msg := testutil.Text(res)
	if !res.IsError {
		t.Fatalf("%s accepted %v: %s", tool, args, msg)
	}
	if n := rec.Count() - before; n != 0 {
		t.Errorf("%d requests reached Stripe, want none", n)
	}
	if !strings.Contains(msg, "nothing was sent to Stripe") {
		t.Errorf("message %q does not say nothing was sent", msg)
	}
	for _, s := range want {
		if !strings.Contains(msg, s) {
			t.Errorf("message %q does not contain %q", msg, s)
		}
	}
}

// rawOf decodes a `full` result, which must be Stripe's own object.
func rawOf(t *testing.T, res *mcp.CallToolResult, object string) map[string]any {
	t.Helper()
	m := testutil.Structured(t, res)
	if got := m["object"]; got != object {
		t.Fatalf("full result object = %v, want %q: %v", got, object, m)
	}
	var fromText map[string]any
	if err := json.Unmarshal([]byte(testutil.Text(res)), &fromText); err != nil || fromText["object"] != object {
		t.Errorf("text content is not the raw %s: %v", object, err)
	}
	return m
}

// isIDCursor reports whether a cursor is an object id of the kind listed.
func isIDCursor(cursor any, data []map[string]any) bool {
	c, _ := cursor.(string)
	id, _ := data[0]["id"].(string)
	prefix, _, ok := strings.Cut(id, "_")
	return ok && strings.HasPrefix(c, prefix+"_")
}

func usd(amount int64) config.Money { return config.NewMoney(map[string]int64{"usd": amount}) }

// wireCase is one call of a tool and the request it must send.
type wireCase = struct {
	name string
	args map[string]any
	sent wire
}

// checkCallCases calls tool with each case's arguments against stripe-mock
// (no guardrails, so nothing is read first), checks the request it sent, and
// the result with check.
func checkCallCases(t *testing.T, tool string, cases []wireCase, check func(t *testing.T, out map[string]any)) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs, rec := connectStripeMock(t, defaultOptions())
			out := testutil.Structured(t, testutil.Call(t, cs, tool, tt.args))
			checkWire(t, rec.Requests(), tt.sent)
			check(t, out)
		})
	}
}

// checkListCases is checkCallCases for a list tool: the result is a page
// with items, each checked with check.
func checkListCases(t *testing.T, tool string, cases []wireCase, check func(t *testing.T, item map[string]any)) {
	t.Helper()
	checkCallCases(t, tool, cases, func(t *testing.T, out map[string]any) {
		data := pageOf(t, out)
		if len(data) == 0 {
			t.Fatalf("%s returned no items", tool)
		}
		for _, item := range data {
			check(t, item)
		}
	})
}

// argsFrom returns a func giving base's arguments with extra's added or
// replaced, in a map of their own.
func argsFrom(base map[string]any) func(extra map[string]any) map[string]any {
	return func(extra map[string]any) map[string]any {
		args := maps.Clone(base)
		maps.Copy(args, extra)
		return args
	}
}
