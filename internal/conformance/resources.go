//go:build conformance

package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const (
	staticText   = "test://static-text"
	staticBinary = "test://static-binary"
	watched      = "test://watched-resource"
	templateURI  = "test://template/{id}/data"
)

func addResources(s *mcp.Server) {
	s.AddResource(&mcp.Resource{
		URI: staticText, Name: "static-text", Title: "Static text",
		Description: "A text resource", MIMEType: "text/plain",
	}, func(context.Context, *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		return contents(&mcp.ResourceContents{URI: staticText, MIMEType: "text/plain", Text: "This is the content of the static text resource."}), nil
	})
	s.AddResource(&mcp.Resource{
		URI: staticBinary, Name: "static-binary", Title: "Static binary",
		Description: "A binary resource (a PNG image)", MIMEType: "image/png",
	}, func(context.Context, *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		return contents(&mcp.ResourceContents{URI: staticBinary, MIMEType: "image/png", Blob: redPixel}), nil
	})
	s.AddResource(&mcp.Resource{
		URI: watched, Name: "watched-resource", Title: "Watched resource",
		Description: "A resource clients may subscribe to", MIMEType: "text/plain",
	}, func(context.Context, *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		return contents(&mcp.ResourceContents{URI: watched, MIMEType: "text/plain", Text: "Watched resource content"}), nil
	})
	s.AddResourceTemplate(&mcp.ResourceTemplate{
		URITemplate: templateURI, Name: "template", Title: "Template",
		Description: "Data for an id, substituted into the URI", MIMEType: "application/json",
	}, func(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		uri := req.Params.URI
		id, ok := strings.CutPrefix(uri, "test://template/")
		if id, ok = strings.CutSuffix(id, "/data"); !ok || id == "" || strings.Contains(id, "/") {
			return nil, mcp.ResourceNotFoundError(uri)
		}
		b, _ := json.Marshal(map[string]any{"id": id, "templateTest": true, "data": "Data for ID: " + id})
		return contents(&mcp.ResourceContents{URI: uri, MIMEType: "application/json", Text: string(b)}), nil
	})
}

func contents(c *mcp.ResourceContents) *mcp.ReadResourceResult {
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{c}}
}

// subscription accepts resources/subscribe and resources/unsubscribe for the
// resources that exist. None of them ever changes, so no
// notifications/resources/updated follows.
func subscription(uri string) (mcp.Result, error) {
	if !slices.Contains([]string{staticText, staticBinary, watched}, uri) {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	return &mcp.ResultBase{}, nil
}

// complete suggests values for the arguments of test_prompt_with_arguments
// and for the id of the resource template: those that start with what the
// user typed. Any other reference is invalid (-32602), as the spec asks.
func complete(p *mcp.CompleteParams) (*mcp.CompleteResult, error) {
	if p == nil || p.Ref == nil {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "completion/complete needs a ref"}
	}
	var candidates []string
	switch {
	case p.Ref.Type == "ref/prompt" && p.Ref.Name == "test_prompt_with_arguments":
		candidates = []string{"paris", "park", "party", "test", "testing"}
	case p.Ref.Type == "ref/resource" && p.Ref.URI == templateURI:
		candidates = []string{"1", "12", "123"}
	default:
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("nothing to complete for %s %s%s", p.Ref.Type, p.Ref.Name, p.Ref.URI)}
	}
	values := []string{}
	for _, c := range candidates {
		if strings.HasPrefix(c, p.Argument.Value) {
			values = append(values, c)
		}
	}
	return &mcp.CompleteResult{Completion: mcp.CompletionResultDetails{Values: values, Total: len(values)}}, nil
}
