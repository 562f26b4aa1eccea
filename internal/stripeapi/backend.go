package stripeapi

import (
	"bytes"
	"errors"

	"github.com/stripe/stripe-go/v85"
)

// backend is stripe-go's API backend with responses decoded by decode
// rather than by encoding/json (see decode.go).
type backend struct{ stripe.Backend }

func (b backend) Call(method, path, key string, params stripe.ParamsContainer, v stripe.LastResponseSetter) error {
	return decoded(v, func(c *captured) error { return b.Backend.Call(method, path, key, params, c) })
}

func (b backend) CallRaw(method, path, key string, body []byte, params *stripe.Params, v stripe.LastResponseSetter) error {
	return decoded(v, func(c *captured) error { return b.Backend.CallRaw(method, path, key, body, params, c) })
}

func (b backend) CallMultipart(method, path, key, boundary string, body *bytes.Buffer, params *stripe.Params, v stripe.LastResponseSetter) error {
	return decoded(v, func(c *captured) error { return b.Backend.CallMultipart(method, path, key, boundary, body, params, c) })
}

// decoded makes call, which stripe-go answers into a captured, and decodes
// the response into v.
func decoded(v stripe.LastResponseSetter, call func(*captured) error) error {
	c := &captured{}
	if err := call(c); err != nil {
		return err
	}
	return c.into(v)
}

var _ stripe.RawRequestBackend = backend{}

// RawRequest is stripe-go's: it decodes nothing.
func (b backend) RawRequest(method, path, key, content string, params *stripe.RawParams) (*stripe.APIResponse, error) {
	rb, ok := b.Backend.(stripe.RawRequestBackend)
	if !ok {
		return nil, errors.New("the Stripe backend does not make raw requests")
	}
	return rb.RawRequest(method, path, key, content, params)
}

// captured takes a response's body as it is, and its metadata.
type captured struct {
	body []byte
	resp *stripe.APIResponse
}

// UnmarshalJSON keeps data, which encoding/json has checked is valid JSON
// before handing it over.
func (c *captured) UnmarshalJSON(data []byte) error {
	c.body = append(c.body[:0], data...)
	return nil
}

func (c *captured) SetLastResponse(r *stripe.APIResponse) { c.resp = r }

// into decodes the body into v and hands v the response, as stripe-go does.
func (c *captured) into(v stripe.LastResponseSetter) error {
	if len(c.body) > 0 {
		if err := decodeValid(c.body, v); err != nil {
			return err
		}
	}
	if c.resp != nil {
		v.SetLastResponse(c.resp)
	}
	return nil
}
