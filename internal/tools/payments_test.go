package tools_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stripe-mcp/stripe-mcp/internal/money"
	"github.com/stripe-mcp/stripe-mcp/internal/server"
	"github.com/stripe-mcp/stripe-mcp/internal/testutil"
)

// checkPaymentIntent checks the compact projection of a payment intent.
func checkPaymentIntent(t *testing.T, out map[string]any) {
	t.Helper()
	if id := resultString(t, out, "id"); !strings.HasPrefix(id, "pi_") {
		t.Errorf("id = %q, want pi_…", id)
	}
	amount, currency := resultNumber(t, out, "amount"), resultString(t, out, "currency")
	if got, want := resultString(t, out, "amountDisplay"), money.Format(amount, currency); got != want {
		t.Errorf("amountDisplay = %q, want %q for %d %s", got, want, amount, currency)
	}
	if _, ok := out["object"]; ok {
		t.Errorf("compact result carries the raw object: %v", out)
	}
	resultString(t, out, "status")
}

func TestCreatePayment(t *testing.T) {
	manual := server.Options{Currency: "usd", AutoCapture: false}
	eur := server.Options{Currency: "eur", AutoCapture: true}
	tests := []struct {
		name   string
		opts   server.Options
		args   map[string]any
		want   map[string]string
		absent []string
		check  func(t *testing.T, out map[string]any)
	}{
		{
			name: "every field",
			args: map[string]any{
				"amount": 2500, "currency": "usd", "customerId": "cus_123", "paymentMethodId": "pm_card_visa",
				"description": "Order 1042", "metadata": map[string]any{"orderId": "1042"},
				"receiptEmail": "jenny@example.com",
			},
			want: map[string]string{
				"amount": "2500", "currency": "usd", "customer": "cus_123", "payment_method": "pm_card_visa",
				"description": "Order 1042", "metadata[orderId]": "1042", "receipt_email": "jenny@example.com",
				"automatic_payment_methods[enabled]": "true", "automatic_payment_methods[allow_redirects]": "never",
			},
			absent: []string{"confirm", "capture_method", "return_url"},
			check: func(t *testing.T, out map[string]any) {
				if got := resultString(t, out, "amountDisplay"); got != "$25.00" {
					t.Errorf("amountDisplay = %q, want $25.00", got)
				}
				if got := resultString(t, out, "customerId"); got != "cus_123" {
					t.Errorf("customerId = %q", got)
				}
			},
		},
		{
			name:   "returnUrl allows redirects",
			args:   map[string]any{"amount": 2500, "returnUrl": "https://shop.example.com/done"},
			want:   map[string]string{"automatic_payment_methods[enabled]": "true"},
			absent: []string{"automatic_payment_methods[allow_redirects]", "return_url", "confirm"},
		},
		{
			name:   "capture false authorizes only",
			args:   map[string]any{"amount": 2500, "capture": false},
			want:   map[string]string{"capture_method": "manual"},
			absent: []string{"confirm"},
		},
		{
			name:   "capture true",
			args:   map[string]any{"amount": 2500, "capture": true},
			absent: []string{"capture_method", "confirm"},
		},
		{
			name:   "manual capture by default",
			opts:   manual,
			args:   map[string]any{"amount": 2500},
			want:   map[string]string{"capture_method": "manual"},
			absent: []string{"confirm"},
		},
		{
			name:   "capture true overrides manual default",
			opts:   manual,
			args:   map[string]any{"amount": 2500, "capture": true},
			absent: []string{"capture_method"},
		},
		{
			name:   "statement descriptor is the suffix",
			args:   map[string]any{"amount": 2500, "statementDescriptor": "ORDER 1042"},
			want:   map[string]string{"statement_descriptor_suffix": "ORDER 1042"},
			absent: []string{"statement_descriptor", "confirm"},
		},
		{
			name: "default currency",
			args: map[string]any{"amount": 2500},
			want: map[string]string{"currency": "usd", "amount": "2500"},
			check: func(t *testing.T, out map[string]any) {
				if got := resultString(t, out, "currency"); got != "usd" {
					t.Errorf("currency = %q, want usd", got)
				}
			},
		},
		{
			name: "default currency eur",
			opts: eur,
			args: map[string]any{"amount": 2500},
			want: map[string]string{"currency": "eur"},
			check: func(t *testing.T, out map[string]any) {
				if got := resultString(t, out, "amountDisplay"); got != "€25.00" {
					t.Errorf("amountDisplay = %q, want €25.00", got)
				}
			},
		},
		{
			name: "currency is normalised",
			opts: eur,
			args: map[string]any{"amount": 2500, "currency": " USD"},
			want: map[string]string{"currency": "usd"},
		},
		{
			name: "zero-decimal currency",
			args: map[string]any{"amount": 500, "currency": "jpy"},
			want: map[string]string{"currency": "jpy", "amount": "500"},
			check: func(t *testing.T, out map[string]any) {
				if got := resultString(t, out, "amountDisplay"); got != "¥500" {
					t.Errorf("amountDisplay = %q, want ¥500", got)
				}
			},
		},
		{
			name: "three-decimal currency ending in 0",
			args: map[string]any{"amount": 5120, "currency": "kwd"},
			want: map[string]string{"currency": "kwd", "amount": "5120"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := tt.opts
			if opts.Currency == "" {
				opts = defaultOptions()
			}
			cs, rec := connectStripeMock(t, opts)
			res := testutil.Call(t, cs, "stripe_create_payment", tt.args)
			out := testutil.Structured(t, res)
			checkWire(t, rec.Requests(), wire{method: "POST", path: "/v1/payment_intents", params: tt.want, absent: tt.absent})
			checkPaymentIntent(t, out)
			form := rec.Last(t, "POST", "/v1/payment_intents").Form
			if got, want := resultNumber(t, out, "amount"), form.Get("amount"); strconv.FormatInt(got, 10) != want {
				t.Errorf("amount = %d, sent %s", got, want)
			}
			if got, want := resultString(t, out, "currency"), form.Get("currency"); got != want {
				t.Errorf("currency = %q, sent %s", got, want)
			}
			if tt.check != nil {
				tt.check(t, out)
			}
		})
	}
}

func TestCreatePaymentFull(t *testing.T) {
	cs, _ := connectStripeMock(t, defaultOptions())
	out := testutil.Structured(t, testutil.Call(t, cs, "stripe_create_payment", map[string]any{"amount": 2500, "full": true}))
	if got := resultString(t, out, "object"); got != "payment_intent" {
		t.Errorf("object = %q, want payment_intent", got)
	}
	if _, ok := out["amountDisplay"]; ok {
		t.Error("full result carries the compact projection")
	}
	if _, ok := out["automatic_payment_methods"]; !ok {
		t.Errorf("full result lacks Stripe's own fields: %v", out)
	}
}

func TestCreatePaymentIdempotencyKey(t *testing.T) {
	cs, rec := connectStripeMock(t, defaultOptions())
	testutil.Structured(t, testutil.Call(t, cs, "stripe_create_payment", map[string]any{"amount": 2500, "idempotencyKey": "order-1042"}))
	if got := rec.Last(t, "POST", "/v1/payment_intents").Header.Get("Idempotency-Key"); got != "order-1042" {
		t.Errorf("Idempotency-Key = %q, want order-1042", got)
	}
	if got := rec.Last(t, "POST", "/v1/payment_intents").Form; got.Has("idempotencyKey") || got.Has("idempotency_key") {
		t.Errorf("idempotency key sent as a parameter: %v", got)
	}
}

func TestPaymentIntentActions(t *testing.T) {
	tests := []struct {
		name string
		tool string
		args map[string]any
		sent wire
	}{
		{
			name: "confirm",
			tool: "stripe_confirm_payment",
			args: map[string]any{"paymentIntentId": "pi_123", "paymentMethodId": "pm_card_visa", "returnUrl": "https://shop.example.com/done"},
			sent: wire{method: "POST", path: "/v1/payment_intents/pi_123/confirm",
				params: map[string]string{"payment_method": "pm_card_visa", "return_url": "https://shop.example.com/done"}},
		},
		{
			name: "confirm with nothing else",
			tool: "stripe_confirm_payment",
			args: map[string]any{"paymentIntentId": "pi_123"},
			sent: wire{method: "POST", path: "/v1/payment_intents/pi_123/confirm", absent: []string{"payment_method", "return_url"}},
		},
		{
			name: "capture part",
			tool: "stripe_capture_payment",
			args: map[string]any{"paymentIntentId": "pi_123", "amountToCapture": 1500},
			sent: wire{method: "POST", path: "/v1/payment_intents/pi_123/capture", params: map[string]string{"amount_to_capture": "1500"}},
		},
		{
			name: "capture all",
			tool: "stripe_capture_payment",
			args: map[string]any{"paymentIntentId": "pi_123"},
			sent: wire{method: "POST", path: "/v1/payment_intents/pi_123/capture", absent: []string{"amount_to_capture"}},
		},
		{
			name: "cancel with reason",
			tool: "stripe_cancel_payment",
			args: map[string]any{"paymentIntentId": "pi_123", "cancellationReason": "requested_by_customer"},
			sent: wire{method: "POST", path: "/v1/payment_intents/pi_123/cancel", params: map[string]string{"cancellation_reason": "requested_by_customer"}},
		},
		{
			name: "cancel",
			tool: "stripe_cancel_payment",
			args: map[string]any{"paymentIntentId": "pi_123"},
			sent: wire{method: "POST", path: "/v1/payment_intents/pi_123/cancel", absent: []string{"cancellation_reason"}},
		},
		{
			name: "get",
			tool: "stripe_get_payment",
			args: map[string]any{"paymentIntentId": "pi_123"},
			sent: wire{method: "GET", path: "/v1/payment_intents/pi_123"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs, rec := connectStripeMock(t, defaultOptions())
			out := testutil.Structured(t, testutil.Call(t, cs, tt.tool, tt.args))
			checkWire(t, rec.Requests(), tt.sent)
			checkPaymentIntent(t, out)
			if got := resultString(t, out, "id"); got != "pi_123" {
				t.Errorf("id = %q, want pi_123", got)
			}
		})
	}
}

func TestGetPaymentFull(t *testing.T) {
	cs, rec := connectStripeMock(t, defaultOptions())
	out := testutil.Structured(t, testutil.Call(t, cs, "stripe_get_payment", map[string]any{"paymentIntentId": "pi_123", "full": true}))
	checkWire(t, rec.Requests(), wire{method: "GET", path: "/v1/payment_intents/pi_123"})
	if got := resultString(t, out, "object"); got != "payment_intent" {
		t.Errorf("object = %q, want payment_intent", got)
	}
}

func TestListPayments(t *testing.T) {
	tests := []struct {
		name    string
		args    map[string]any
		want    map[string]string
		absent  []string
		scanned bool
	}{
		{
			name:   "defaults",
			args:   map[string]any{},
			want:   map[string]string{"limit": "10"},
			absent: []string{"customer", "starting_after", "ending_before", "status"},
		},
		{
			name: "customer and limit",
			args: map[string]any{"customerId": "cus_123", "limit": 25},
			want: map[string]string{"customer": "cus_123", "limit": "25"},
		},
		{
			name:   "created range",
			args:   map[string]any{"created": map[string]any{"gte": 1700000000, "lt": 1800000000}},
			want:   map[string]string{"created[gte]": "1700000000", "created[lt]": "1800000000"},
			absent: []string{"created[gt]", "created[lte]", "created"},
		},
		{
			name: "starting after",
			args: map[string]any{"startingAfter": "pi_abc"},
			want: map[string]string{"starting_after": "pi_abc", "limit": "10"},
		},
		{
			name: "ending before",
			args: map[string]any{"endingBefore": "pi_abc"},
			want: map[string]string{"ending_before": "pi_abc"},
		},
		{
			name:    "status scans pages of 100",
			args:    map[string]any{"status": "requires_payment_method", "customerId": "cus_123"},
			want:    map[string]string{"limit": "100", "customer": "cus_123"},
			absent:  []string{"status"},
			scanned: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs, rec := connectStripeMock(t, defaultOptions())
			out := testutil.Structured(t, testutil.Call(t, cs, "stripe_list_payments", tt.args))
			checkWire(t, rec.Requests(), wire{method: "GET", path: "/v1/payment_intents", params: tt.want, absent: tt.absent})
			items := pageOf(t, out)
			for _, it := range items {
				checkPaymentIntent(t, it)
			}
			if _, ok := out["scanned"]; ok != tt.scanned {
				t.Errorf("scanned in result: %v, want %v (%v)", ok, tt.scanned, out)
			}
			if tt.scanned {
				if n := resultNumber(t, out, "scanned"); n < int64(len(items)) {
					t.Errorf("scanned %d but %d matched", n, len(items))
				}
				for _, it := range items {
					if s := resultString(t, it, "status"); s != tt.args["status"] {
						t.Errorf("status filter let %s through", s)
					}
				}
			}
		})
	}
}

// paymentIntents serves GET /v1/payment_intents from a fixed list, pageSize
// at a time, honouring starting_after.
func paymentIntentPages(statuses []string, pageSize int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/v1/payment_intents" {
			http.NotFound(w, r)
			return
		}
		start := 0
		if after := r.URL.Query().Get("starting_after"); after != "" {
			n, _ := strconv.Atoi(strings.TrimPrefix(after, "pi_"))
			start = n + 1
		}
		size := pageSize
		if l, _ := strconv.Atoi(r.URL.Query().Get("limit")); l > 0 && l < size {
			size = l
		}
		end := min(start+size, len(statuses))
		var data []map[string]any
		for i := start; i < end; i++ {
			data = append(data, map[string]any{
				"id": fmt.Sprintf("pi_%d", i), "object": "payment_intent", "amount": 1000 + i,
				"currency": "usd", "status": statuses[i],
			})
		}
		if data == nil {
			data = []map[string]any{}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"object": "list", "url": "/v1/payment_intents", "data": data, "has_more": end < len(statuses),
		})
	})
}

func TestListPaymentsPaging(t *testing.T) {
	statuses := []string{"succeeded", "canceled", "succeeded", "requires_capture", "succeeded", "succeeded", "processing", "succeeded"}
	tests := []struct {
		name     string
		args     map[string]any
		ids      []string
		hasMore  bool
		next     string
		scanned  int64
		requests []url.Values // queries sent, in order
	}{
		{
			name:     "page",
			args:     map[string]any{"limit": 3},
			ids:      []string{"pi_0", "pi_1", "pi_2"},
			hasMore:  true,
			next:     "pi_2",
			requests: []url.Values{{"limit": {"3"}}},
		},
		{
			name:     "next page",
			args:     map[string]any{"limit": 3, "startingAfter": "pi_5"},
			ids:      []string{"pi_6", "pi_7"},
			requests: []url.Values{{"limit": {"3"}, "starting_after": {"pi_5"}}},
		},
		{
			name:    "status stops at limit",
			args:    map[string]any{"status": "succeeded", "limit": 3},
			ids:     []string{"pi_0", "pi_2", "pi_4"},
			hasMore: true,
			next:    "pi_4",
			scanned: 5,
			requests: []url.Values{
				{"limit": {"100"}},
				{"limit": {"100"}, "starting_after": {"pi_2"}},
			},
		},
		{
			name:    "status pending scans to the end",
			args:    map[string]any{"status": "pending"},
			ids:     []string{"pi_3", "pi_6"},
			scanned: 8,
			requests: []url.Values{
				{"limit": {"100"}},
				{"limit": {"100"}, "starting_after": {"pi_2"}},
				{"limit": {"100"}, "starting_after": {"pi_5"}},
			},
		},
		{
			name:    "status continues from a cursor",
			args:    map[string]any{"status": "succeeded", "startingAfter": "pi_4"},
			ids:     []string{"pi_5", "pi_7"},
			scanned: 3,
			requests: []url.Values{
				{"limit": {"100"}, "starting_after": {"pi_4"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs, rec := connectFake(t, paymentIntentPages(statuses, 3))
			out := testutil.Structured(t, testutil.Call(t, cs, "stripe_list_payments", tt.args))
			items := pageOf(t, out)
			var ids []string
			for _, it := range items {
				ids = append(ids, resultString(t, it, "id"))
				checkPaymentIntent(t, it)
			}
			if fmt.Sprint(ids) != fmt.Sprint(tt.ids) {
				t.Errorf("ids %v, want %v", ids, tt.ids)
			}
			if got := out["hasMore"].(bool); got != tt.hasMore {
				t.Errorf("hasMore = %v, want %v", got, tt.hasMore)
			}
			if tt.hasMore {
				if got := resultString(t, out, "nextCursor"); got != tt.next {
					t.Errorf("nextCursor = %q, want %q", got, tt.next)
				}
			}
			if tt.scanned > 0 {
				if got := resultNumber(t, out, "scanned"); got != tt.scanned {
					t.Errorf("scanned = %d, want %d", got, tt.scanned)
				}
			} else if _, ok := out["scanned"]; ok {
				t.Errorf("scanned reported without a status filter: %v", out)
			}
			reqs := rec.Requests()
			if len(reqs) != len(tt.requests) {
				t.Fatalf("sent %d requests, want %d", len(reqs), len(tt.requests))
			}
			for i, want := range tt.requests {
				if got := reqs[i].Query; got.Encode() != want.Encode() {
					t.Errorf("request %d: query %s, want %s", i, got.Encode(), want.Encode())
				}
			}
		})
	}
}

func TestStripeErrors(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		tool     string
		args     map[string]any
		contains []string
		check    func(t *testing.T, failure map[string]any)
	}{
		{
			name:     "missing object",
			status:   http.StatusNotFound,
			body:     `{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such payment_intent: 'pi_missing'","param":"intent"}}`,
			tool:     "stripe_get_payment",
			args:     map[string]any{"paymentIntentId": "pi_missing"},
			contains: []string{"No such payment_intent", "resource_missing", "req_test123"},
			check: func(t *testing.T, f map[string]any) {
				if got := resultString(t, f, "code"); got != "resource_missing" {
					t.Errorf("code = %q", got)
				}
				if got := resultNumber(t, f, "httpStatus"); got != 404 {
					t.Errorf("httpStatus = %d", got)
				}
			},
		},
		{
			name:     "card declined",
			status:   http.StatusPaymentRequired,
			body:     `{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds.","param":""}}`,
			tool:     "stripe_confirm_payment",
			args:     map[string]any{"paymentIntentId": "pi_123", "paymentMethodId": "pm_card_chargeDeclinedInsufficientFunds"},
			contains: []string{"declined", "insufficient funds", "insufficient_funds"},
			check: func(t *testing.T, f map[string]any) {
				if got := resultString(t, f, "declineCode"); got != "insufficient_funds" {
					t.Errorf("declineCode = %q", got)
				}
				a, ok := f["analysis"].(map[string]any)
				if !ok {
					t.Fatalf("no analysis in %v", f)
				}
				if r, ok := a["retryable"].(bool); !ok || r {
					t.Errorf("retryable = %v, want false", a["retryable"])
				}
				if resultString(t, a, "recommendedAction") == "" {
					t.Error("no recommendedAction")
				}
				if resultString(t, a, "reason") == "" {
					t.Error("no reason")
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs, rec := connectFake(t, stripeErrorServer(tt.status, tt.body))
			res := testutil.Call(t, cs, tt.tool, tt.args)
			if !res.IsError {
				t.Fatalf("not an error result: %s", testutil.Text(res))
			}
			msg := testutil.Text(res)
			for _, s := range tt.contains {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q does not contain %q", msg, s)
				}
			}
			if strings.Contains(msg, `{"`) {
				t.Errorf("message carries raw JSON: %q", msg)
			}
			if n := rec.Count(); n != 1 {
				t.Errorf("sent %d requests, want 1 (4xx are not retried)", n)
			}
			b, err := json.Marshal(res.StructuredContent)
			if err != nil {
				t.Fatal(err)
			}
			var sc struct {
				Error map[string]any `json:"error"`
			}
			if err := json.Unmarshal(b, &sc); err != nil || sc.Error == nil {
				t.Fatalf("structuredContent %s has no error object (%v)", b, err)
			}
			if got := resultString(t, sc.Error, "message"); got != msg {
				t.Errorf("structured message %q differs from text %q", got, msg)
			}
			tt.check(t, sc.Error)
		})
	}
}

func TestListPaymentsStatusScanIsBounded(t *testing.T) {
	statuses := make([]string, 1050)
	for i := range statuses {
		statuses[i] = "succeeded"
	}
	cs, rec := connectFake(t, paymentIntentPages(statuses, 100))
	out := testutil.Structured(t, testutil.Call(t, cs, "stripe_list_payments", map[string]any{"status": "canceled"}))
	if items := pageOf(t, out); len(items) != 0 {
		t.Errorf("got %d matches, want none", len(items))
	}
	if got := resultNumber(t, out, "scanned"); got != 1000 {
		t.Errorf("scanned = %d, want 1000", got)
	}
	if !out["hasMore"].(bool) || resultString(t, out, "nextCursor") != "pi_999" {
		t.Errorf("hasMore %v nextCursor %v, want true pi_999", out["hasMore"], out["nextCursor"])
	}
	if note := resultString(t, out, "note"); !strings.Contains(note, "1000") || !strings.Contains(note, "startingAfter") {
		t.Errorf("note %q does not say how to scan further", note)
	}
	if n := rec.Count(); n > 11 {
		t.Errorf("sent %d requests to scan 1000 payments, want at most 11", n)
	}
}

// TestAmountsHaveDisplays: every amount a result carries has its display
// string beside it, in the object's currency.
func TestAmountsHaveDisplays(t *testing.T) {
	cs, _ := connectFake(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1/payment_intents/pi_part":
			fmt.Fprint(w, `{"id":"pi_part","object":"payment_intent","status":"requires_capture","amount":5000,"currency":"jpy","amount_received":3000,"amount_capturable":2000}`)
		default:
			fmt.Fprint(w, `{"object":"list","has_more":false,"data":[{"id":"txn_1","object":"balance_transaction","type":"charge","amount":10000,"fee":320,"net":9680,"currency":"kwd","status":"available","created":1760000000}]}`)
		}
	}))
	pi := testutil.Structured(t, testutil.Call(t, cs, "stripe_get_payment", map[string]any{"paymentIntentId": "pi_part"}))
	if pi["amountReceivedDisplay"] != "¥3,000" || pi["amountCapturableDisplay"] != "¥2,000" {
		t.Errorf("payment: %v", pi)
	}
	txns := objectsOf(t, testutil.Structured(t, testutil.Call(t, cs, "stripe_list_balance_transactions", map[string]any{})), "data")
	if len(txns) != 1 || txns[0]["amountDisplay"] != "KWD 10.000" || txns[0]["feeDisplay"] != "KWD 0.320" || txns[0]["netDisplay"] != "KWD 9.680" {
		t.Errorf("balance transactions: %v", txns)
	}
}
