// Package docs renders the parts of the README that come from code: the
// tool list and the configuration reference. A test keeps the README in
// step with them.
package docs

import (
	"fmt"
	"sort"
	"strings"

	"github.com/stripe-mcp/stripe-mcp/internal/config"
	"github.com/stripe-mcp/stripe-mcp/internal/registry"
	"github.com/stripe-mcp/stripe-mcp/internal/tools"
)

// Tools renders the tool list, grouped by toolset.
func Tools() string {
	byset := map[string][]tools.Meta{}
	for _, d := range tools.Definitions() {
		m := d.Info()
		byset[m.Toolset] = append(byset[m.Toolset], m)
	}
	var b strings.Builder
	for _, ts := range registry.Toolsets {
		metas := byset[ts.Name]
		if len(metas) == 0 {
			continue
		}
		fmt.Fprintf(&b, "**%s** — %s\n\n", ts.Name, ts.Description)
		b.WriteString("| tool | kind | what it does | arguments |\n|---|---|---|---|\n")
		for _, m := range metas {
			kind := "read"
			switch {
			case !m.ReadOnly && m.Destructive:
				kind = "write, destructive"
			case !m.ReadOnly:
				kind = "write"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", m.Name, kind, escape(m.Description), arguments(m.Name))
		}
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

// arguments lists a tool's arguments, required ones in bold.
func arguments(name string) string {
	for _, d := range tools.Definitions() {
		if d.Info().Name != name {
			continue
		}
		s, err := d.GenerateSchema()
		if err != nil {
			return ""
		}
		req := map[string]bool{}
		for _, r := range s.Required {
			req[r] = true
		}
		names := s.PropertyOrder
		if len(names) == 0 {
			for k := range s.Properties {
				names = append(names, k)
			}
			sort.Strings(names)
		}
		parts := make([]string, 0, len(names))
		for _, n := range names {
			if req[n] {
				parts = append(parts, "**"+n+"**")
			} else {
				parts = append(parts, n)
			}
		}
		return strings.Join(parts, ", ")
	}
	return ""
}

// Config renders the configuration reference.
func Config() string {
	var b strings.Builder
	b.WriteString("| environment | config file | default | meaning |\n|---|---|---|---|\n")
	for _, s := range config.Reference() {
		env := "`" + s.Env + "`"
		for _, a := range s.EnvAliases {
			env += " (or `" + a + "`)"
		}
		if s.Secret {
			env += " (or `" + s.Env + "_FILE`)"
		}
		file := "–"
		if s.File {
			file = "`" + s.Key + "`"
		}
		desc := strings.TrimSuffix(s.Description, ".")
		if s.Form != "" {
			desc += ". Accepted: " + strings.TrimSuffix(s.Form, ".")
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", env, file, escape(s.Default), escape(desc))
	}
	return b.String()
}

func escape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// Section replaces the text between "<!-- name:begin -->" and
// "<!-- name:end -->" in doc with body.
func Section(doc, name, body string) (string, error) {
	begin, end := "<!-- "+name+":begin -->\n", "<!-- "+name+":end -->"
	i := strings.Index(doc, begin)
	j := strings.Index(doc, end)
	if i < 0 || j < i {
		return "", fmt.Errorf("README has no %q…%q section", strings.TrimSpace(begin), end)
	}
	return doc[:i+len(begin)] + body + doc[j:], nil
}
