package prompts

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/stripe-mcp/stripe-mcp/internal/money"
	"github.com/stripe-mcp/stripe-mcp/internal/redact"
)

// kind is the form an argument must have.
type kind int

const (
	kindText     kind = iota // free text, shown quoted
	kindAmount               // positive integer in the smallest currency unit
	kindCurrency             // three-letter code, normalized to lower case
	kindID                   // Stripe id with arg.prefix
	kindEmail                // a bare email address
	kindReason               // one of Stripe's refund reasons
	kindDays                 // trial length in days
	kindCount                // positive integer (quantity)
	kindBool                 // true or false
	kindPeriod               // a reporting period; see parsePeriod
)

// arg is a prompt argument and the form its value must have.
type arg struct {
	name, title, desc string
	kind              kind
	prefix            string // kindID: the id's prefix, e.g. "cus_"
	required          bool
}

// values are the arguments of a prompts/get: every argument by name (the
// empty string when not given, normalized when given) and, for a period,
// "window".
type values map[string]any

// str is the argument name, "" when not given.
func (v values) str(name string) string {
	s, _ := v[name].(string)
	return s
}

// refundReasons are the reasons Stripe accepts on a refund.
var refundReasons = []string{"duplicate", "fraudulent", "requested_by_customer"}

// maxTextLen bounds free-text arguments; Stripe's descriptions stop at 1000.
const maxTextLen = 1000

// maxTrialDays is Stripe's longest trial.
const maxTrialDays = 730

// invalid is an error a model can act on: the SDK sends it as a JSON-RPC
// invalid-params error with this message.
func invalid(prompt, format string, a ...any) error {
	return &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: prompt + ": " + fmt.Sprintf(format, a...)}
}

// parse checks the arguments of a prompts/get against p's and normalizes
// them. Empty values count as not given: clients send them for blank fields.
func (p Prompt) parse(in map[string]string) (values, error) {
	name := p.Prompt.Name
	var unknown []string
	for k := range in {
		if !slices.ContainsFunc(p.args, func(a arg) bool { return a.name == k }) {
			unknown = append(unknown, strconv.Quote(k))
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, invalid(name, "unknown argument %s: the arguments are %s", strings.Join(unknown, ", "), p.argNames())
	}
	v := values{}
	var missing []string
	for _, a := range p.args {
		s := strings.TrimSpace(in[a.name])
		v[a.name] = s
		if s == "" && a.required {
			missing = append(missing, a.name+" ("+a.desc+")")
		}
	}
	if len(missing) == 1 {
		return nil, invalid(name, "missing required argument %s", missing[0])
	}
	if len(missing) > 1 {
		return nil, invalid(name, "missing required arguments %s", strings.Join(missing, "; "))
	}
	// The currency first: an amount's rules depend on it.
	ordered := slices.Clone(p.args)
	slices.SortStableFunc(ordered, func(a, b arg) int {
		return boolInt(b.kind == kindCurrency) - boolInt(a.kind == kindCurrency)
	})
	for _, a := range ordered {
		s := v[a.name].(string)
		if a.kind == kindPeriod {
			if s == "" {
				s = "last 30 days"
			}
			w, err := parsePeriod(s, now().UTC().Truncate(time.Second))
			if err != nil {
				return nil, invalid(name, "%v", err)
			}
			v[a.name], v["window"] = w.Label, w
			continue
		}
		if s == "" {
			continue
		}
		if redact.CardNumber(s) {
			return nil, invalid(name, "%s looks like it contains a card number: never pass card numbers; payment methods are pm_… ids (test mode: pm_card_visa)", a.name)
		}
		cur, _ := v["currency"].(string)
		out, err := a.check(s, cur)
		if err != nil {
			return nil, invalid(name, "%v", err)
		}
		v[a.name] = out
	}
	return v, nil
}

func (p Prompt) argNames() string {
	names := make([]string, len(p.args))
	for i, a := range p.args {
		names[i] = a.name
	}
	return strings.Join(names, ", ")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// check validates a non-empty value and returns its normalized form. cur
// is the prompt's currency argument, already normalized, or "".
func (a arg) check(s, cur string) (string, error) {
	switch a.kind {
	case kindAmount:
		n, err := parseAmount(a.name, s, cur)
		if err != nil {
			return "", err
		}
		return strconv.FormatInt(n, 10), nil
	case kindCurrency:
		c := money.Normalize(s)
		if !money.ValidCurrency(c) {
			return "", fmt.Errorf("%s %q is not a three-letter currency code such as usd, eur or jpy", a.name, clip(s))
		}
		return c, nil
	case kindID:
		return checkID(a.name, s, a.prefix)
	case kindEmail:
		addr, err := mail.ParseAddress(s)
		if err != nil || addr.Address != s {
			return "", fmt.Errorf("%s %q is not an email address such as jane@example.com", a.name, clip(s))
		}
		return s, nil
	case kindReason:
		r := strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(s))
		if !slices.Contains(refundReasons, r) {
			return "", fmt.Errorf("%s %q is not one of Stripe's refund reasons: %s (leave it out to ask the user)", a.name, clip(s), strings.Join(refundReasons, ", "))
		}
		return r, nil
	case kindDays:
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxTrialDays {
			return "", fmt.Errorf("%s %q must be a whole number of days from 1 to %d, e.g. 14", a.name, clip(s), maxTrialDays)
		}
		return strconv.Itoa(n), nil
	case kindCount:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			return "", fmt.Errorf("%s %q must be a positive whole number, e.g. 1", a.name, clip(s))
		}
		return strconv.FormatInt(n, 10), nil
	case kindBool:
		b, err := strconv.ParseBool(strings.ToLower(s))
		if err != nil {
			return "", fmt.Errorf("%s %q must be true or false", a.name, clip(s))
		}
		return strconv.FormatBool(b), nil
	default: // kindText
		if utf8.RuneCountInString(s) > maxTextLen {
			return "", fmt.Errorf("%s is longer than %d characters", a.name, maxTextLen)
		}
		return s, nil
	}
}

// parseAmount reads an amount in the smallest currency unit: digits only,
// positive, and acceptable to Stripe in cur when it is known.
func parseAmount(name, s, cur string) (int64, error) {
	unit := "e.g. 2500 for $25.00 in usd"
	if cur != "" {
		unit = money.Unit(cur)
	}
	digits := s != "" && strings.Trim(s, "0123456789") == ""
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case !digits:
		return 0, fmt.Errorf("%s %q must be a positive whole number in the smallest currency unit (%s): digits only, no decimal point, sign, separators or currency symbol", name, clip(s), unit)
	case err != nil || n > money.MaxAmount:
		return 0, fmt.Errorf("%s %s is above Stripe's maximum of %d in the smallest currency unit (%s)", name, clip(s), money.MaxAmount, unit)
	case n == 0:
		return 0, fmt.Errorf("%s must be positive: a whole number in the smallest currency unit (%s)", name, unit)
	}
	if cur != "" {
		if err := money.CheckAmount(n, cur); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// checkID accepts a Stripe id with the given prefix, made of the characters
// Stripe ids use.
func checkID(name, s, prefix string) (string, error) {
	if !strings.HasPrefix(s, prefix) || len(s) == len(prefix) {
		return "", fmt.Errorf("%s must be a Stripe id starting with %s, got %q", name, prefix, clip(s))
	}
	if len(s) > 255 {
		return "", fmt.Errorf("%s is too long to be a Stripe id", name)
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return "", fmt.Errorf("%s %q contains %q, which Stripe ids never contain", name, clip(s), r)
		}
	}
	return s, nil
}

// clip shortens a value quoted back in an error.
func clip(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "…"
}

// now is the clock of relative periods; tests replace it.
var now = time.Now

// periodForms lists the periods parsePeriod understands.
const periodForms = `reporting period (UTC): "last 30 days", "last 8 weeks", "last 3 months", "today", "yesterday", "this month", "last month", "this year", "last year", "2026", "2026-Q3", "2026-10", "2026-10-05", or "2026-10-01..2026-10-15" (end day included)`

// window is a reporting period as Stripe's created filter takes it.
type window struct {
	Label    string
	From, To time.Time // [From, To)
}

// Gte and Lt are the created bounds, in unix seconds.
func (w window) Gte() int64 { return w.From.Unix() }
func (w window) Lt() int64  { return w.To.Unix() }

// FromText and ToText are the bounds for a person, in UTC.
func (w window) FromText() string { return stamp(w.From) }
func (w window) ToText() string   { return stamp(w.To) }

func stamp(t time.Time) string {
	if t.Equal(t.Truncate(24 * time.Hour)) {
		return t.Format("2006-01-02") + " 00:00 UTC"
	}
	return t.Format("2006-01-02 15:04:05") + " UTC"
}

var (
	relativeRE = regexp.MustCompile(`^(?:last|past) (\d{1,4}) (day|days|week|weeks|month|months)$`)
	quarterRE  = regexp.MustCompile(`^(\d{4})-q([1-4])$`)
	yearRE     = regexp.MustCompile(`^\d{4}$`)
)

// parsePeriod reads a reporting period relative to now (UTC).
func parsePeriod(s string, now time.Time) (window, error) {
	label := strings.ToLower(strings.Join(strings.Fields(s), " "))
	w := window{Label: label}
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	year := time.Date(now.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	bad := fmt.Errorf("period %q is not a period this prompt understands; use a %s", clip(s), periodForms)
	switch {
	case relativeRE.MatchString(label):
		m := relativeRE.FindStringSubmatch(label)
		n, _ := strconv.Atoi(m[1])
		if n < 1 {
			return w, bad
		}
		switch strings.TrimSuffix(m[2], "s") {
		case "day":
			w.From = now.AddDate(0, 0, -n)
		case "week":
			w.From = now.AddDate(0, 0, -7*n)
		case "month":
			w.From = now.AddDate(0, -n, 0)
		}
		w.To = now
	case label == "today":
		w.From, w.To = day, now
	case label == "yesterday":
		w.From, w.To = day.AddDate(0, 0, -1), day
	case label == "this month":
		w.From, w.To = month, now
	case label == "last month":
		w.From, w.To = month.AddDate(0, -1, 0), month
	case label == "this year":
		w.From, w.To = year, now
	case label == "last year":
		w.From, w.To = year.AddDate(-1, 0, 0), year
	case yearRE.MatchString(label):
		t, err := time.Parse("2006", label)
		if err != nil {
			return w, bad
		}
		w.From, w.To = t, t.AddDate(1, 0, 0)
	case quarterRE.MatchString(label):
		m := quarterRE.FindStringSubmatch(label)
		y, _ := strconv.Atoi(m[1])
		q, _ := strconv.Atoi(m[2])
		w.From = time.Date(y, time.Month(3*q-2), 1, 0, 0, 0, 0, time.UTC)
		w.To = w.From.AddDate(0, 3, 0)
		w.Label = strings.ToUpper(label)
	default:
		from, to, isRange := strings.Cut(label, "..")
		if !isRange {
			to = from
		}
		if t, err := time.Parse("2006-01", strings.TrimSpace(from)); err == nil && !isRange {
			w.From, w.To = t, t.AddDate(0, 1, 0)
			break
		}
		a, errA := time.Parse("2006-01-02", strings.TrimSpace(from))
		b, errB := time.Parse("2006-01-02", strings.TrimSpace(to))
		if errA != nil || errB != nil {
			return w, bad
		}
		w.From, w.To = a, b.AddDate(0, 0, 1)
	}
	if !w.From.Before(w.To) {
		return w, fmt.Errorf("period %q ends before it starts: give the earlier day first", clip(s))
	}
	if !w.From.Before(now) {
		return w, fmt.Errorf("period %q has not started yet (it is %s now)", clip(s), stamp(now))
	}
	return w, nil
}
