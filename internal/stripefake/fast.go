// Package stripefake is a fast Stripe stand-in for load measurements: every
// request is answered at once with the same customer, so that what a load
// test measures is the MCP server, not Stripe.
package stripefake

import (
	"io"
	"net/http"
	"strings"
)

// CustomerJSON is the customer every request gets (Stripe's documented
// example customer).
const CustomerJSON = `{"id":"cus_NffrFeUfNV2Hib","object":"customer","address":null,"balance":0,"created":1680893993,"currency":null,"default_source":null,"delinquent":false,"description":null,"email":"jennyrosen@example.com","invoice_prefix":"0759376C","invoice_settings":{"custom_fields":null,"default_payment_method":null,"footer":null,"rendering_options":null},"livemode":false,"metadata":{},"name":"Jenny Rosen","next_invoice_sequence":1,"phone":null,"preferred_locales":[],"shipping":null,"tax_exempt":"none","test_clock":null}`

// RequestID is the Request-Id of every answer.
const RequestID = "req_fast"

// Handler answers every request with the customer, over HTTP.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", RequestID)
		io.WriteString(w, CustomerJSON)
	})
}

// Transport answers every request with the customer in process, without a
// connection.
type Transport struct{}

// RoundTrip implements http.RoundTripper.
func (Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{
		Status:        "200 OK",
		StatusCode:    http.StatusOK,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json"}, "Request-Id": {RequestID}},
		Body:          io.NopCloser(strings.NewReader(CustomerJSON)),
		ContentLength: int64(len(CustomerJSON)),
		Request:       r,
	}, nil
}
