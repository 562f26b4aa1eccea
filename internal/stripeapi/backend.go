package stripeapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/stripe/stripe-go/v85"
)

// backend is stripe-go's API backend with responses decoded by decode
// rather than by encoding/json (see decode.go): objects, and Stripe's JSON
// errors too.
//
// stripe-go decodes an error answer into a stripe.Error with encoding/json
// inside its own request loop, where no backend can step in, and
// stripe.Error reaches a payment intent, a payment method, a setup intent
// and a source: the first decline of a session built 1.8 MB of encoder
// caches and took 6–9 ms. So for the calls made through backend, errorAnswers
// (the HTTP client's transport, above the retries) hands stripe-go Stripe's
// JSON error as a 200 carrying the real status in errorStatusHeader;
// stripe-go passes the body on as a success, and into decodes the error
// here. Only calls marked by backend (ownErrorsKey in their context) are
// handed over, so an answer never reaches a caller that would take it for a
// success.
type backend struct {
	stripe.Backend
	log *leveledLogger
}

func (b backend) Call(method, path, key string, params stripe.ParamsContainer, v stripe.LastResponseSetter) error {
	return b.decoded(paramsOf(params), v, func(c *captured) error { return b.Backend.Call(method, path, key, params, c) })
}

func (b backend) CallRaw(method, path, key string, body []byte, params *stripe.Params, v stripe.LastResponseSetter) error {
	return b.decoded(params, v, func(c *captured) error { return b.Backend.CallRaw(method, path, key, body, params, c) })
}

func (b backend) CallMultipart(method, path, key, boundary string, body *bytes.Buffer, params *stripe.Params, v stripe.LastResponseSetter) error {
	return b.decoded(params, v, func(c *captured) error {
		return b.Backend.CallMultipart(method, path, key, boundary, body, params, c)
	})
}

// decoded makes call, which stripe-go answers into a captured, and decodes
// the response into v, or Stripe's error into a *stripe.Error. While call
// runs, p's context asks errorAnswers to hand Stripe's errors over.
func (b backend) decoded(p *stripe.Params, v stripe.LastResponseSetter, call func(*captured) error) error {
	if p != nil {
		ctx := p.Context
		if ctx == nil {
			ctx = context.Background()
		}
		defer func(old context.Context) { p.Context = old }(p.Context)
		p.Context = contextWithOwnErrors(ctx)
	}
	c := &captured{}
	if err := call(c); err != nil {
		return err
	}
	if c.resp != nil && c.resp.Header.Get(errorStatusHeader) != "" {
		e, err := c.stripeError()
		if err != nil {
			return err
		}
		b.logError(e)
		return e
	}
	return c.into(v)
}

// paramsOf is pc's Params, or nil for no params (a nil interface or a nil
// pointer, whose GetParams would panic).
func paramsOf(pc stripe.ParamsContainer) *stripe.Params {
	if pc == nil {
		return nil
	}
	if v := reflect.ValueOf(pc); v.Kind() == reflect.Pointer && v.IsNil() {
		return nil
	}
	return pc.GetParams()
}

// logError logs e as stripe-go does (a decline, status 402, as detail; other
// errors as warnings), with the fields a person reads rather than the whole
// error as JSON: stripe-go's line marshals the error, which builds the same
// caches as decoding it, and repeats a payment intent in the log.
func (b backend) logError(e *stripe.Error) {
	if b.log == nil {
		return
	}
	msg := describeStripeError(e).Message
	if e.HTTPStatusCode == http.StatusPaymentRequired {
		b.log.Infof("User-compelled request error from Stripe (status %v): %v", e.HTTPStatusCode, msg)
		return
	}
	b.log.Errorf("Request error from Stripe (status %v): %v", e.HTTPStatusCode, msg)
}

var _ stripe.RawRequestBackend = backend{}

// RawRequest is stripe-go's: it decodes nothing, and its context is not
// marked, so Stripe's errors come back as stripe-go makes them.
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

// stripeError is the *stripe.Error stripe-go would have made of the error
// answer c holds (errorAnswers checked it is one): the same fields, the
// status and request id set, the response with its real status. Its Err
// (stripe-go's *CardError and the like, whose fields are not exported) is
// nil: callers read Type and Code, as Describe does.
func (c *captured) stripeError() (*stripe.Error, error) {
	var raw struct {
		Error *stripe.Error `json:"error"`
	}
	if err := decodeValid(c.body, &raw); err != nil {
		return nil, err
	}
	if raw.Error == nil {
		return nil, errors.New(string(c.body))
	}
	// The response is c's own (stripe-go handed it over and let it go): it
	// gets Stripe's status back.
	resp := c.resp
	resp.Status = resp.Header.Get(errorStatusHeader)
	resp.Header.Del(errorStatusHeader)
	code, _, _ := strings.Cut(resp.Status, " ")
	resp.StatusCode, _ = strconv.Atoi(code)
	e := raw.Error
	e.HTTPStatusCode = resp.StatusCode
	e.RequestID = resp.RequestID
	e.SetLastResponse(resp)
	return e, nil
}

// ownErrorsKey marks the context of a call whose Stripe errors backend
// decodes itself.
type ownErrorsKey struct{}

func contextWithOwnErrors(ctx context.Context) context.Context {
	return context.WithValue(ctx, ownErrorsKey{}, true)
}

// errorStatusHeader carries, on an error answer handed to stripe-go as a
// 200, the status line Stripe sent. It never leaves the process.
const errorStatusHeader = "Stripe-Mcp-Error-Status"

// maxErrorBody is the largest error answer errorAnswers reads; Stripe's are
// a few kilobytes.
const maxErrorBody = 1 << 20

// errorAnswers hands Stripe's JSON errors to backend (see backend) for the
// requests it marked.
type errorAnswers struct{ base http.RoundTripper }

func (t errorAnswers) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.StatusCode < 400 || req.Context().Value(ownErrorsKey{}) == nil {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody+1))
	if err != nil {
		resp.Body.Close()
		return nil, err
	}
	if len(body) > maxErrorBody {
		// Not an error Stripe would send: stripe-go reads it, as it is.
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
		return resp, nil
	}
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if !handedOver(resp.StatusCode, body) {
		return resp, nil
	}
	resp.Header.Set(errorStatusHeader, resp.Status)
	resp.StatusCode, resp.Status = http.StatusOK, "200 OK"
	return resp, nil
}

// handedOver reports whether an error answer is Stripe's JSON error, which
// stripe-go would have decoded as final. Anything else (a proxy's page, a
// body stripe-go cannot read, which it retries) stays stripe-go's, as does
// a 429 lock timeout, the one JSON error stripe-go retries itself.
func handedOver(status int, body []byte) bool {
	var probe struct {
		Error *struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if decode(body, &probe) != nil || probe.Error == nil {
		return false
	}
	return status != http.StatusTooManyRequests || probe.Error.Code != string(stripe.ErrorCodeLockTimeout)
}
