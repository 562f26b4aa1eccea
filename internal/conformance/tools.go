//go:build conformance

package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// pause is the delay between the notifications of one call, so that the
// client sees them arrive while the call is in progress.
const pause = 50 * time.Millisecond

type noInput struct{}

type samplingInput struct {
	Prompt string `json:"prompt" jsonschema:"the prompt to send to the LLM"`
}

type elicitationInput struct {
	Message string `json:"message" jsonschema:"the message to show the user"`
}

// contact is the input of json_schema_2020_12_tool, whose schema is given
// verbatim (contactSchema).
type contact struct {
	Name    string `json:"name,omitempty"`
	Address *struct {
		Street string `json:"street,omitempty"`
		City   string `json:"city,omitempty"`
	} `json:"address,omitempty"`
}

// contactSchema uses the JSON Schema 2020-12 keywords a server must pass on
// unchanged in tools/list: $schema, $defs (with a $ref to it) and
// additionalProperties.
const contactSchema = `{
	"$schema": "https://json-schema.org/draft/2020-12/schema",
	"type": "object",
	"$defs": {
		"address": {
			"type": "object",
			"properties": {
				"street": {"type": "string"},
				"city": {"type": "string"}
			}
		}
	},
	"properties": {
		"name": {"type": "string"},
		"address": {"$ref": "#/$defs/address"}
	},
	"additionalProperties": false
}`

// fixture is a tool definition; none of the fixtures changes anything.
func fixture(name, description string) *mcp.Tool {
	return &mcp.Tool{
		Name:        name,
		Description: description,
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: new(false)},
	}
}

func text(s string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: s}}}
}

func failed(s string) *mcp.CallToolResult {
	r := text(s)
	r.IsError = true
	return r
}

func addTools(s *mcp.Server) {
	mcp.AddTool(s, fixture("test_simple_text", "Returns one text block."),
		func(context.Context, *mcp.CallToolRequest, noInput) (*mcp.CallToolResult, any, error) {
			return text("This is a simple text response for testing."), nil, nil
		})

	mcp.AddTool(s, fixture("test_image_content", "Returns a 1×1 PNG image."),
		func(context.Context, *mcp.CallToolRequest, noInput) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.ImageContent{Data: redPixel, MIMEType: "image/png"}}}, nil, nil
		})

	mcp.AddTool(s, fixture("test_audio_content", "Returns a short WAV clip."),
		func(context.Context, *mcp.CallToolRequest, noInput) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.AudioContent{Data: silence, MIMEType: "audio/wav"}}}, nil, nil
		})

	mcp.AddTool(s, fixture("test_embedded_resource", "Returns an embedded text resource."),
		func(context.Context, *mcp.CallToolRequest, noInput) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.EmbeddedResource{Resource: &mcp.ResourceContents{
				URI: "test://embedded-resource", MIMEType: "text/plain", Text: "This is an embedded resource content.",
			}}}}, nil, nil
		})

	mcp.AddTool(s, fixture("test_multiple_content_types", "Returns text, an image and an embedded resource."),
		func(context.Context, *mcp.CallToolRequest, noInput) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{
				&mcp.TextContent{Text: "Multiple content types test:"},
				&mcp.ImageContent{Data: redPixel, MIMEType: "image/png"},
				&mcp.EmbeddedResource{Resource: &mcp.ResourceContents{
					URI: "test://mixed-content-resource", MIMEType: "application/json", Text: `{"test":"data","value":123}`,
				}},
			}}, nil, nil
		})

	mcp.AddTool(s, fixture("test_tool_with_logging", "Sends three info log messages while it runs."),
		func(ctx context.Context, req *mcp.CallToolRequest, _ noInput) (*mcp.CallToolResult, any, error) {
			for i, msg := range []string{"Tool execution started", "Tool processing data", "Tool execution completed"} {
				if i > 0 {
					time.Sleep(pause)
				}
				if err := req.Session.Log(ctx, &mcp.LoggingMessageParams{Logger: "conformance", Level: "info", Data: msg}); err != nil {
					return nil, nil, fmt.Errorf("log message: %w", err)
				}
			}
			return text("Tool with logging executed successfully"), nil, nil
		})

	mcp.AddTool(s, fixture("test_tool_with_progress", "Reports progress 0, 50 and 100 of 100 to a request that carries a progress token."),
		func(ctx context.Context, req *mcp.CallToolRequest, _ noInput) (*mcp.CallToolResult, any, error) {
			token := req.Params.GetProgressToken()
			for i, done := range []float64{0, 50, 100} {
				if i > 0 {
					time.Sleep(pause)
				}
				if token == nil {
					continue
				}
				err := req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{
					ProgressToken: token, Progress: done, Total: 100, Message: fmt.Sprintf("%.0f of 100", done),
				})
				if err != nil {
					return nil, nil, fmt.Errorf("progress notification: %w", err)
				}
			}
			return text(fmt.Sprint(token)), nil, nil
		})

	mcp.AddTool(s, fixture("test_error_handling", "Always fails, with an error result."),
		func(context.Context, *mcp.CallToolRequest, noInput) (*mcp.CallToolResult, any, error) {
			return failed("This tool intentionally returns an error for testing"), nil, nil
		})

	mcp.AddTool(s, fixture("test_sampling", "Asks the client's LLM to answer prompt (sampling/createMessage)."),
		func(ctx context.Context, req *mcp.CallToolRequest, in samplingInput) (*mcp.CallToolResult, any, error) {
			res, err := req.Session.CreateMessage(ctx, &mcp.CreateMessageParams{
				Messages:  []*mcp.SamplingMessage{{Role: "user", Content: &mcp.TextContent{Text: in.Prompt}}},
				MaxTokens: 100,
			})
			if err != nil {
				return failed("sampling failed: " + err.Error()), nil, nil
			}
			answer := "(not text)"
			if t, ok := res.Content.(*mcp.TextContent); ok {
				answer = t.Text
			}
			return text("LLM response: " + answer), nil, nil
		})

	mcp.AddTool(s, fixture("test_elicitation", "Asks the user for a username and an email (elicitation/create)."),
		func(ctx context.Context, req *mcp.CallToolRequest, in elicitationInput) (*mcp.CallToolResult, any, error) {
			return elicit(ctx, req, in.Message, map[string]any{
				"type": "object",
				"properties": map[string]any{
					"username": map[string]any{"type": "string", "description": "User's response"},
					"email":    map[string]any{"type": "string", "description": "User's email address"},
				},
				"required": []string{"username", "email"},
			})
		})

	mcp.AddTool(s, fixture("test_elicitation_sep1034_defaults", "Asks the user for fields of every primitive type, each with a default (SEP-1034)."),
		func(ctx context.Context, req *mcp.CallToolRequest, _ noInput) (*mcp.CallToolResult, any, error) {
			return elicit(ctx, req, "Please review and update the form fields with defaults", map[string]any{
				"type": "object",
				"properties": map[string]any{
					"name":     map[string]any{"type": "string", "description": "User name", "default": "John Doe"},
					"age":      map[string]any{"type": "integer", "description": "User age", "default": 30},
					"score":    map[string]any{"type": "number", "description": "User score", "default": 95.5},
					"status":   map[string]any{"type": "string", "description": "User status", "enum": []string{"active", "inactive", "pending"}, "default": "active"},
					"verified": map[string]any{"type": "boolean", "description": "Verification status", "default": true},
				},
			})
		})

	mcp.AddTool(s, fixture("test_elicitation_sep1330_enums", "Asks the user to choose in each of the five enum forms (SEP-1330)."),
		func(ctx context.Context, req *mcp.CallToolRequest, _ noInput) (*mcp.CallToolResult, any, error) {
			titled := func(prefix string, titles ...string) []map[string]any {
				out := make([]map[string]any, len(titles))
				for i, t := range titles {
					out[i] = map[string]any{"const": fmt.Sprintf("%s%d", prefix, i+1), "title": t}
				}
				return out
			}
			return elicit(ctx, req, "Please select options from the enum fields", map[string]any{
				"type": "object",
				"properties": map[string]any{
					"untitledSingle": map[string]any{
						"type": "string", "description": "Select one option",
						"enum": []string{"option1", "option2", "option3"},
					},
					"titledSingle": map[string]any{
						"type": "string", "description": "Select one option with titles",
						"oneOf": titled("value", "First Option", "Second Option", "Third Option"),
					},
					"legacyEnum": map[string]any{
						"type": "string", "description": "Select one option (legacy)",
						"enum":      []string{"opt1", "opt2", "opt3"},
						"enumNames": []string{"Option One", "Option Two", "Option Three"},
					},
					"untitledMulti": map[string]any{
						"type": "array", "description": "Select multiple options", "minItems": 1, "maxItems": 3,
						"items": map[string]any{"type": "string", "enum": []string{"option1", "option2", "option3"}},
					},
					"titledMulti": map[string]any{
						"type": "array", "description": "Select multiple options with titles", "minItems": 1, "maxItems": 3,
						"items": map[string]any{"anyOf": titled("value", "First Choice", "Second Choice", "Third Choice")},
					},
				},
			})
		})

	tool := fixture("json_schema_2020_12_tool", "Takes arguments described with JSON Schema 2020-12 keywords ($schema, $defs, additionalProperties).")
	tool.InputSchema = json.RawMessage(contactSchema)
	mcp.AddTool(s, tool, func(_ context.Context, _ *mcp.CallToolRequest, in contact) (*mcp.CallToolResult, any, error) {
		b, _ := json.Marshal(in)
		return text("JSON Schema 2020-12 tool called with: " + string(b)), nil, nil
	})

	mcp.AddTool(s, fixture("test_reconnection", "Closes its SSE stream mid-call; the result arrives once the client resumes the stream with Last-Event-ID (SEP-1699)."),
		func(ctx context.Context, req *mcp.CallToolRequest, _ noInput) (*mcp.CallToolResult, any, error) {
			if req.Extra != nil && req.Extra.CloseSSEStream != nil {
				req.Extra.CloseSSEStream(mcp.CloseSSEStreamArgs{RetryAfter: 100 * time.Millisecond})
			}
			time.Sleep(2 * pause)
			return text("Reconnection test completed successfully. If you received this, the client properly reconnected after stream closure."), nil, nil
		})
}

// elicit asks the user to fill in schema and says what they answered.
func elicit(ctx context.Context, req *mcp.CallToolRequest, message string, schema map[string]any) (*mcp.CallToolResult, any, error) {
	res, err := req.Session.Elicit(ctx, &mcp.ElicitParams{Message: message, RequestedSchema: schema})
	if err != nil {
		return failed("elicitation failed: " + err.Error()), nil, nil
	}
	content, _ := json.Marshal(res.Content)
	return text(fmt.Sprintf("User response: action=%s, content=%s", res.Action, content)), nil, nil
}
