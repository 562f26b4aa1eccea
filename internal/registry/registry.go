// Package registry is the inventory of tools: which toolset each belongs to,
// and the one place where allowedOperations and readOnly decide which of
// them a server registers.
package registry

import (
	"fmt"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Tool is a tool definition with its handler and toolset.
type Tool struct {
	Toolset string
	Tool    *mcp.Tool
	Handler mcp.ToolHandler
}

// ReadOnly is the tool's own readOnlyHint: read-only mode and the ".read"
// mode of a toolset are derived from it, never listed separately.
func (t Tool) ReadOnly() bool {
	return t.Tool.Annotations != nil && t.Tool.Annotations.ReadOnlyHint
}

// Toolset is a named group of tools.
type Toolset struct {
	Name        string
	Description string
}

// Toolsets are all toolsets of the product, in documentation order.
var Toolsets = []Toolset{
	{"payments", "Payment intents: create, confirm, capture, cancel, get, list"},
	{"customers", "Customers: create, update, get, list and search"},
	{"payment_methods", "Payment methods: attach (optionally as default), list, detach"},
	{"subscriptions", "Subscriptions: create, update, cancel, get, list"},
	{"refunds", "Refunds: create, list"},
	{"balance", "Balance and balance transactions"},
	{"account", "Account details and connection diagnosis"},
	{"catalog", "Products, prices and payment links"},
	{"invoices", "Invoices and invoice items"},
	{"coupons", "Coupons"},
	{"disputes", "Disputes and evidence"},
	{"events", "Received webhook events and the Events API"},
	{"analytics", "Revenue, payment failures and subscription metrics"},
}

// IsToolset reports whether name is a toolset of the product.
func IsToolset(name string) bool {
	return slices.ContainsFunc(Toolsets, func(t Toolset) bool { return t.Name == name })
}

// Select returns the tools that allowed (toolsets, "toolset.read",
// "toolset.write" or tool names; empty means all) and readOnly permit, in the
// order of all. An entry that names no toolset, mode or tool is an error that
// names it.
func Select(all []Tool, allowed []string, readOnly bool) ([]Tool, error) {
	type rule struct{ read, write bool }
	toolsets := map[string]rule{}
	names := map[string]bool{}
	for _, raw := range allowed {
		entry := strings.TrimSpace(raw)
		if entry == "" {
			continue
		}
		set, mode, hasMode := strings.Cut(entry, ".")
		switch {
		case hasMode && IsToolset(set) && (mode == "read" || mode == "write"):
			r := toolsets[set]
			if mode == "read" {
				r.read = true
			} else {
				r.write = true
			}
			toolsets[set] = r
		case hasMode:
			return nil, fmt.Errorf("allowedOperations: %q is not a toolset mode: use TOOLSET.read or TOOLSET.write with a toolset of %s", entry, toolsetNames())
		case IsToolset(entry):
			toolsets[entry] = rule{read: true, write: true}
		case slices.ContainsFunc(all, func(t Tool) bool { return t.Tool.Name == entry }):
			names[entry] = true
		default:
			return nil, fmt.Errorf("allowedOperations: %q is neither a toolset (%s) nor a tool name (stripe_…)", entry, toolsetNames())
		}
	}
	everything := len(toolsets) == 0 && len(names) == 0
	var out []Tool
	for _, t := range all {
		if readOnly && !t.ReadOnly() {
			continue
		}
		r := toolsets[t.Toolset]
		ok := everything || names[t.Tool.Name] || (t.ReadOnly() && r.read) || (!t.ReadOnly() && r.write)
		if ok {
			out = append(out, t)
		}
	}
	return out, nil
}

// ReadAllowed reports whether the read mode of toolset is allowed, for
// resources and completions backed by it.
func ReadAllowed(toolset string, allowed []string) bool {
	if len(allowed) == 0 {
		return true
	}
	for _, raw := range allowed {
		e := strings.TrimSpace(raw)
		if e == toolset || e == toolset+".read" {
			return true
		}
	}
	return false
}

func toolsetNames() string {
	names := make([]string, len(Toolsets))
	for i, t := range Toolsets {
		names[i] = t.Name
	}
	return strings.Join(names, ", ")
}

// Register adds tools to s.
func Register(s *mcp.Server, tools []Tool) {
	for _, t := range tools {
		s.AddTool(t.Tool, t.Handler)
	}
}
