package tools

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stripe-mcp/stripe-mcp/internal/guard"
	"github.com/stripe-mcp/stripe-mcp/internal/stripeapi"
)

// confirmable is what tools that may need a person's approval take: the
// token of a confirmation_required result, when the client cannot ask.
type confirmable struct {
	ConfirmationToken string `json:"confirmationToken,omitempty"`
}

// approveSchema is the form shown to the person: one yes/no question.
var approveSchema = map[string]any{
	"type": "object",
	"properties": map[string]any{
		"approve": map[string]any{
			"type":        "boolean",
			"title":       "Approve",
			"description": "Approve exactly this operation",
		},
	},
	"required": []string{"approve"},
}

// confirm gets a person's approval for a call, or says why the call stops
// here. It returns (nil, nil) when the call is approved and may go on.
func (h *handler) confirm(c *call, info *stripeapi.CallInfo, args map[string]any, mv *guard.Movement, canonical []byte) (*mcp.CallToolResult, error) {
	pol := h.d.Policy
	summary := h.summary(mv)
	fingerprint := h.fingerprint(c, canonical, summary)
	// A confirmation token from an earlier confirmation_required result.
	if tok, _ := args["confirmationToken"].(string); tok != "" {
		if err := pol.UseToken(c, tok, fingerprint); err != nil {
			return errorResult(err)
		}
		return nil, nil
	}
	// The answer to our question, on the call repeated with it (protocols
	// with input requests, and older ones through the SDK's middleware).
	state := "confirm/" + fingerprint[:32]
	if resp, ok := c.req.Params.InputResponses["confirm"]; ok {
		if c.req.Params.RequestState != state {
			return errorResult(&guard.Refusal{Rule: "security.verificationRequired", Message: "the confirmation answered was asked for another call; the user must approve this one"})
		}
		// Answered: the call goes on, or stops here, but waits no more.
		info.ConfirmationAnswered()
		er, _ := resp.(*mcp.ElicitResult)
		switch {
		case er != nil && er.Action == "accept" && er.Content["approve"] == true:
			return nil, nil
		case er != nil && er.Action == "cancel":
			info.SetStopped()
			return declined("cancelled", "The user cancelled the confirmation of: "+summary+". Nothing was sent to Stripe.")
		default:
			info.SetStopped()
			return declined("declined", "The user declined: "+summary+". Nothing was sent to Stripe; do not retry unless the user asks for it.")
		}
	}
	if canElicit(c.req) {
		info.SetAwaitingConfirmation()
		return &mcp.CallToolResult{
			InputRequests: mcp.InputRequestMap{"confirm": &mcp.ElicitParams{
				Mode:            "form",
				Message:         "Approve this Stripe operation? " + summary,
				RequestedSchema: approveSchema,
			}},
			RequestState: state,
		}, nil
	}
	if pol.Fallback != "token" {
		return errorResult(&guard.Refusal{Rule: "security.verificationRequired", Message: fmt.Sprintf(
			"%s needs a person's approval, and this client cannot ask for it (it does not support MCP elicitation); approve it from a client that does, or set security.verificationFallback (STRIPE_VERIFICATION_FALLBACK) to token, or raise security.verificationThreshold", summary)})
	}
	id, expires, err := pol.IssueToken(c, fingerprint)
	if err != nil {
		return nil, fmt.Errorf("issuing a confirmation token: %w", err)
	}
	info.SetAwaitingConfirmation()
	out := map[string]any{
		"status":            "confirmation_required",
		"operation":         summary,
		"confirmationToken": id,
		"expiresAt":         expires.UTC().Format(time.RFC3339),
		"instructions":      "Nothing has been sent to Stripe. Ask the user to approve exactly this operation. Only after they explicitly approve, call the same tool again with the same arguments plus this confirmationToken (single-use, valid 10 minutes).",
	}
	if mv != nil && mv.Known {
		out["amount"], out["currency"], out["amountDisplay"] = mv.Amount, mv.Currency, mv.Display()
	}
	return jsonResult(out)
}

// fingerprint binds an approval to this exact call: the tool, who makes
// it, for which account, with which arguments, and what the person was
// shown of it (the amount, as it stood then: an invoice's total can grow
// between the question and the approved call, and the approval is not for
// the larger sum).
func (h *handler) fingerprint(c *call, canonical []byte, summary string) string {
	sum := sha256.New()
	for _, part := range []string{h.Name, principalOf(c), h.d.Stripe.Account, string(canonical), summary} {
		fmt.Fprintf(sum, "%d:%s", len(part), part)
	}
	return hex.EncodeToString(sum.Sum(nil))
}

// summary says what the call will do, for the person asked.
func (h *handler) summary(mv *guard.Movement) string {
	s := h.Title
	if mv != nil && mv.Summary != "" {
		s = mv.Summary
	}
	if h.d.KeyMode == "live" {
		s += " (LIVE mode: real money)"
	} else if h.d.KeyMode != "" {
		s += " (" + h.d.KeyMode + " mode)"
	}
	return s
}

// canElicit reports whether the client said it can ask its user.
func canElicit(req *mcp.CallToolRequest) bool {
	if req.Session == nil {
		return false
	}
	p := req.Session.InitializeParams()
	return p != nil && p.Capabilities != nil && p.Capabilities.Elicitation != nil
}

// declined is the result of a person saying no: nothing happened.
func declined(status, msg string) (*mcp.CallToolResult, error) {
	b, _ := json.Marshal(map[string]string{"status": status, "message": msg})
	return &mcp.CallToolResult{
		IsError:           true,
		Content:           []mcp.Content{&mcp.TextContent{Text: msg}},
		StructuredContent: json.RawMessage(b),
	}, nil
}
