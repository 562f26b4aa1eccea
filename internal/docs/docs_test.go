package docs

import (
	"os"
	"testing"
)

// TestREADME fails when the README's generated sections are stale;
// UPDATE_README=1 rewrites them.
func TestREADME(t *testing.T) {
	const path = "../../README.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	want := doc
	for _, s := range []struct{ name, body string }{{"tools", Tools()}, {"config", Config()}} {
		if want, err = Section(want, s.name, s.body); err != nil {
			t.Fatal(err)
		}
	}
	if want == doc {
		return
	}
	if os.Getenv("UPDATE_README") != "" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Error("README.md's generated sections (tool list, configuration reference) are stale: run UPDATE_README=1 go test ./internal/docs")
}
