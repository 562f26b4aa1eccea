package tools

import (
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// BenchmarkStartupSchemas compares what start-up spends on tool schemas:
// building the tools from their snapshots (what the server does) against
// inferring every schema by reflection and resolving it (what mcp.AddTool
// does for a typed handler). Registering on the SDK server is shown apart.
func BenchmarkStartupSchemas(b *testing.B) {
	b.Run("snapshots", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			All(&Deps{})
		}
	})
	b.Run("reflection", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, d := range Definitions() {
				s, err := d.GenerateSchema()
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.Resolve(nil); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("register", func(b *testing.B) {
		tools := All(&Deps{})
		b.ReportAllocs()
		for b.Loop() {
			s := mcp.NewServer(&mcp.Implementation{Name: "b", Version: "1"}, nil)
			for _, t := range tools {
				s.AddTool(t.Tool, t.Handler)
			}
		}
	})
}
