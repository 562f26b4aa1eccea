package tools

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stripe-mcp/stripe-mcp/internal/registry"
)

// snapshot renders a tool as tools/list shows it, with the schema generated
// from the Go types.
func snapshot(t *testing.T, d Definition) []byte {
	t.Helper()
	m := d.Info()
	s, err := d.GenerateSchema()
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(&mcp.Tool{
		Name:        m.Name,
		Title:       m.Title,
		Description: m.Description,
		Annotations: m.Annotations(),
		InputSchema: s,
	}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// TestToolSnapshots fails when a tool's schema, description or annotations
// changed without its snapshot: the snapshot is what the server serves.
func TestToolSnapshots(t *testing.T) {
	update := os.Getenv("UPDATE_TOOLSNAPS") != ""
	seen := map[string]bool{}
	for _, d := range Definitions() {
		name := d.Info().Name
		seen[name+".json"] = true
		got := snapshot(t, d)
		file := SnapshotPath(name)
		if update {
			if err := os.WriteFile(file, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("%s: no snapshot (%v); run UPDATE_TOOLSNAPS=1 go test ./internal/tools -run TestToolSnapshots", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: snapshot is stale; review the change and run UPDATE_TOOLSNAPS=1 go test ./internal/tools -run TestToolSnapshots\n--- snapshot\n%s\n--- now\n%s", name, want, got)
		}
	}
	files, _ := filepath.Glob("toolsnaps/*.json")
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s belongs to no tool; delete it", f)
		}
	}
}

var toolName = regexp.MustCompile(`^stripe_[a-z]+(_[a-z]+)+$`)

// TestToolDefinitions checks what every tool must have: a stripe_verb_noun
// name, a known toolset, a title, a description, explicit annotations, and
// descriptions on every argument.
func TestToolDefinitions(t *testing.T) {
	names := map[string]bool{}
	for _, d := range Definitions() {
		m := d.Info()
		if !toolName.MatchString(m.Name) {
			t.Errorf("%s: name is not stripe_<verb>_<noun>", m.Name)
		}
		if names[m.Name] {
			t.Errorf("%s: defined twice", m.Name)
		}
		names[m.Name] = true
		if !registry.IsToolset(m.Toolset) {
			t.Errorf("%s: unknown toolset %q", m.Name, m.Toolset)
		}
		if m.Title == "" || len(m.Description) < 20 {
			t.Errorf("%s: needs a title and a description", m.Name)
		}
		a := m.Annotations()
		if !m.ReadOnly && a.DestructiveHint == nil {
			t.Errorf("%s: write tool without an explicit destructiveHint", m.Name)
		}
		if m.ReadOnly && (m.Destructive || strings.Contains(m.Name, "_create_") || strings.Contains(m.Name, "_update_")) {
			t.Errorf("%s: read-only tool that writes", m.Name)
		}
		// Analytics tools are named after what they report (a summary,
		// metrics), not a verb; they only read.
		verb := strings.Split(m.Name, "_")[1]
		reads := verb == "get" || verb == "list" || verb == "diagnose" || verb == "analyze" || m.Toolset == "analytics"
		if reads != m.ReadOnly {
			t.Errorf("%s: readOnlyHint %v does not match the verb %q", m.Name, m.ReadOnly, verb)
		}
		s, err := d.GenerateSchema()
		if err != nil {
			t.Fatal(err)
		}
		for pname, p := range s.Properties {
			if p.Description == "" && !selfExplaining[pname] {
				t.Errorf("%s: argument %s has no description", m.Name, pname)
			}
		}
		if _, ok := s.Properties["full"]; !ok && !computed[m.Name] {
			t.Errorf("%s: no full argument", m.Name)
		}
		if p, ok := s.Properties["idempotencyKey"]; ok == m.ReadOnly {
			t.Errorf("%s: idempotencyKey must be offered by write tools only", m.Name)
		} else if ok && (p.MaxLength == nil || *p.MaxLength != 255 || p.Pattern != printableASCII) {
			t.Errorf("%s: idempotencyKey lacks Stripe's rules (writeSchema)", m.Name)
		}
	}
}

// computed are the tools whose result is worked out from Stripe's data, not
// a projection of one object, so there is no raw object for `full`.
var computed = map[string]bool{
	"stripe_diagnose_connection":     true,
	"stripe_revenue_summary":         true,
	"stripe_payment_failures":        true,
	"stripe_subscription_metrics":    true,
	"stripe_analyze_payment_failure": true,
}

// selfExplaining are argument names whose meaning needs no words.
var selfExplaining = map[string]bool{
	"email": true, "name": true, "phone": true, "description": true, "metadata": true,
	"address": true, "receiptEmail": true, "cancellationReason": true, "created": true,
	"full":     true, // described once in the server instructions
	"couponId": true, "trialPeriodDays": true, "quantity": true, "reason": true, "currency": true,
	"confirmationToken": true, // explained by the confirmation_required result that hands it out
	"idempotencyKey":    true, // described once in the server instructions
}

// TestToolsListSize keeps tools/list within its budget: every byte is spent
// in the model's context.
func TestToolsListSize(t *testing.T) {
	var tools []*mcp.Tool
	for _, rt := range All(&Deps{}) {
		tools = append(tools, rt.Tool)
	}
	b, err := json.Marshal(map[string]any{"tools": tools})
	if err != nil {
		t.Fatal(err)
	}
	per := len(b) / len(tools)
	t.Logf("tools/list: %d tools, %d bytes, %d bytes per tool", len(tools), len(b), per)
	if per > 700 {
		t.Errorf("tools/list averages %d bytes per tool; the budget is 700", per)
	}
}

// All must serve the snapshot schemas.
func TestServedSchemaIsSnapshot(t *testing.T) {
	for _, rt := range All(&Deps{}) {
		want, err := InputSchema(rt.Tool.Name)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(rt.Tool.InputSchema)
		if !bytes.Equal(got, want) {
			t.Errorf("%s serves %s, snapshot %s", rt.Tool.Name, got, want)
		}
	}
}

var _ = registry.Tool{}

// TestInputSchemaMatchesDecoding checks the one-pass cut of each snapshot's
// schema against encoding/json decoding and compacting it.
func TestInputSchemaMatchesDecoding(t *testing.T) {
	for _, d := range Definitions() {
		name := d.Info().Name
		b, err := snapshots.ReadFile(SnapshotPath(name))
		if err != nil {
			t.Fatal(err)
		}
		var snap struct {
			InputSchema json.RawMessage `json:"inputSchema"`
		}
		if err := json.Unmarshal(b, &snap); err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		if err := json.Compact(&want, snap.InputSchema); err != nil {
			t.Fatal(err)
		}
		got, err := InputSchema(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want.Bytes())
		}
	}
}

func TestTopLevelValue(t *testing.T) {
	for _, tc := range []struct{ doc, want, err string }{
		{doc: `{"inputSchema": {"a": [1, 2]}}`, want: `{"a":[1,2]}`},
		{doc: "{\n  \"x\": \"inputSchema\",\n  \"inputSchema\" : { \"d\": \"a } \\\" { b\" } ,\"z\":1}", want: `{"d":"a } \" { b"}`},
		{doc: `{"outer": {"inputSchema": 1}, "inputSchema": true}`, want: `true`},
		{doc: `{"inputSchema": "s p"}`, want: `"s p"`},
		{doc: `{"inputSchema": 12 }`, want: `12`},
		{doc: `{"name": "inputSchema"}`, err: "no top-level"},
		{doc: `{"inputSchemas": {}}`, err: "no top-level"},
	} {
		got, err := topLevelValue([]byte(tc.doc), "inputSchema")
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: got %q, %v; want error %q", tc.doc, got, err, tc.err)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.doc, got, err, tc.want)
		}
	}
}
