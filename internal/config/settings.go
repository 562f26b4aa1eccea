package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/stripe-mcp/stripe-mcp/internal/money"
)

// Setting describes one configuration setting, for documentation and for
// tools such as doctor.
type Setting struct {
	Key         string   // dotted config file key ("api.key"); also the key of LoadOptions.Flags and Config.Sources
	Env         string   // environment variable
	EnvAliases  []string // other variable names accepted for the same setting
	File        bool     // whether the config file accepts Key (sandbox, logLevel and config are flag/env only)
	Secret      bool     // never from flags; NAME_FILE accepted; shown masked
	Default     string   // the default, as a person reads it
	Form        string   // the accepted form, as a person reads it
	Description string
}

// jsonForm is which JSON types a setting takes in the config file.
type jsonForm int

const (
	jsonString jsonForm = iota
	jsonBool
	jsonNumber
	jsonList  // a string (comma list) or an array of strings
	jsonMoney // a number or an object of currency: number
)

// setting is a Setting with what it takes to read, store and show it.
type setting struct {
	Setting
	json jsonForm
	// def is the default in the text form apply reads; "" leaves the zero value.
	def string
	// apply parses text (from a flag, the environment, the config file
	// converted to text, or def) into l.cfg. Errors are the part of a message
	// after the setting's name; see bad.
	apply func(l *loader, text string, o origin) error
	// show renders the value for Summary.
	show func(c *Config) string
	// blankIsSet makes a variable of only spaces a value (which apply
	// refuses) rather than unset, for settings where falling back to the
	// default would open what the user meant to close.
	blankIsSet bool
}

// settings is the one list of settings: it drives Load, Summary and Reference.
var settings = []setting{
	{
		Setting: Setting{Key: keyConfig, Env: "STRIPE_MCP_CONFIG", Default: "none",
			Form: "path to a JSON file", Description: "config file (also --config)"},
		show: func(c *Config) string { return orNone(c.ConfigFile, "(none)") },
	},
	{
		Setting: Setting{Key: "api.key", Env: "STRIPE_API_KEY", EnvAliases: []string{"STRIPE_SECRET_KEY"}, File: true, Secret: true,
			Default:     "none; required unless --sandbox",
			Form:        "sk_test_…, sk_live_…, rk_test_… or rk_live_… (at least 24 letters or digits after the mode)",
			Description: "secret (sk_) or restricted (rk_) API key; publishable (pk_) keys are refused, live keys need allowLive"},
		apply: func(l *loader, text string, o origin) error {
			l.cfg.APIKey = Secret(text)
			return nil
		},
		show: func(c *Config) string {
			if c.Sandbox {
				return "(not used: sandbox makes up a test key)"
			}
			return orNone(c.APIKey.String(), "(not set)")
		},
	},
	{
		Setting: Setting{Key: "api.webhookSecret", Env: "STRIPE_WEBHOOK_SECRET", File: true, Secret: true, Default: "none",
			Form:        "whsec_…, or a comma list of them (JSON: a string or an array)",
			Description: "webhook signing secrets: the Dashboard endpoint's and/or the one `stripe listen` prints"},
		json:  jsonList,
		apply: applyWebhookSecrets,
		show: func(c *Config) string {
			parts := make([]string, len(c.WebhookSecrets))
			for i, s := range c.WebhookSecrets {
				parts[i] = s.String()
			}
			return orNone(strings.Join(parts, ", "), "(none)")
		},
	},
	{
		Setting: Setting{Key: "api.version", Env: "STRIPE_API_VERSION", File: true, Default: "the version this build speaks",
			Form:        "the Stripe API version this build speaks",
			Description: "Stripe API version; any other version stops startup (the request and response shapes are this build's)"},
		apply: func(l *loader, text string, o origin) error {
			if text != l.apiVersion {
				fix := "remove the setting or set it to that version"
				if o.kind == fromEnv {
					fix = "unset " + o.name + " or set it to that version"
				}
				return fmt.Errorf("%q is not supported: this build speaks %s (%s)", text, l.apiVersion, fix)
			}
			l.cfg.APIVersion = text
			return nil
		},
		show: func(c *Config) string { return c.APIVersion },
	},
	{
		Setting: Setting{Key: "api.timeout", Env: "STRIPE_REQUEST_TIMEOUT", File: true, Default: "30000",
			Form:        "milliseconds, a whole number from 1 to 600000",
			Description: "timeout of each Stripe request"},
		json: jsonNumber,
		def:  "30000",
		apply: func(l *loader, text string, o origin) error {
			ms, err := strconv.ParseInt(text, 10, 64)
			if err != nil {
				return bad("%q is not a whole number of milliseconds", text)
			}
			if ms < 1 || ms > 600000 {
				return bad("%d is out of range", ms)
			}
			l.cfg.Timeout = time.Duration(ms) * time.Millisecond
			return nil
		},
		show: func(c *Config) string { return fmt.Sprintf("%d ms", c.Timeout.Milliseconds()) },
	},
	{
		Setting: Setting{Key: "api.base", Env: "STRIPE_API_BASE", File: true, Default: "Stripe's API (https://api.stripe.com)",
			Form:        "https://host[:port][/path]; http:// only on loopback (localhost, 127.0.0.0/8, [::1])",
			Description: "API base URL override, for stripe-mock or a proxy"},
		apply: applyAPIBase,
		show:  func(c *Config) string { return orNone(c.APIBase, "(Stripe)") },
	},
	{
		Setting: Setting{Key: "api.account", Env: "STRIPE_ACCOUNT", File: true, Default: "none",
			Form:        "acct_ followed by letters and digits",
			Description: "Connect account sent as Stripe-Account on every request"},
		apply: func(l *loader, text string, o origin) error {
			if !accountRE.MatchString(text) {
				return bad("%q is not a Stripe account id", text)
			}
			l.cfg.Account = text
			return nil
		},
		show: func(c *Config) string { return orNone(c.Account, "(none)") },
	},
	{
		Setting: Setting{Key: "security.allowedOperations", Env: "STRIPE_ALLOWED_OPERATIONS", File: true, Default: "all",
			Form:        "comma list (JSON: an array) of toolsets (payments), toolsets with a mode (payments.read, refunds.write) or tool names",
			Description: "tools to register; the others do not exist for the client"},
		json:       jsonList,
		apply:      applyOperations,
		show:       func(c *Config) string { return orNone(strings.Join(c.AllowedOperations, ","), "(all)") },
		blankIsSet: true,
	},
	boolSetting("security.readOnly", "STRIPE_READ_ONLY", "false", "register only read tools",
		func(c *Config) *bool { return &c.ReadOnly }),
	moneySetting("security.maxAmount", "STRIPE_MAX_AMOUNT", false, "none",
		"hard cap on the amount of any one operation; while set, currencies without an amount are refused",
		func(c *Config) *Money { return &c.MaxAmount }),
	boolSetting("security.verificationRequired", "STRIPE_VERIFICATION_REQUIRED", "false",
		"ask the human to confirm money-moving and destructive operations at or above the threshold",
		func(c *Config) *bool { return &c.VerificationRequired }),
	moneySetting("security.verificationThreshold", "STRIPE_VERIFICATION_THRESHOLD", true, "0 (every money-moving operation)",
		"amount at or above which confirmation applies",
		func(c *Config) *Money { return &c.VerificationThreshold }),
	{
		Setting: Setting{Key: "security.verificationFallback", Env: "STRIPE_VERIFICATION_FALLBACK", File: true, Default: "refuse",
			Form:        "refuse or token",
			Description: "what to do when the client cannot ask the user: refuse, or return a single-use confirmation token"},
		def: "refuse",
		apply: func(l *loader, text string, o origin) error {
			v := strings.ToLower(text)
			if v != "refuse" && v != "token" {
				return bad("%q is not a fallback", text)
			}
			l.cfg.VerificationFallback = v
			return nil
		},
		show: func(c *Config) string { return c.VerificationFallback },
	},
	moneySetting("security.dailyLimit", "STRIPE_DAILY_LIMIT", false, "none",
		"cap on money moved by this server in any 24 hours; while set, currencies without an amount are refused",
		func(c *Config) *Money { return &c.DailyLimit }),
	boolSetting("security.allowLive", "STRIPE_ALLOW_LIVE", "false", "accept live API keys (they move real money)",
		func(c *Config) *bool { return &c.AllowLive }),
	{
		Setting: Setting{Key: "defaults.currency", Env: "STRIPE_CURRENCY", File: true, Default: "usd",
			Form:        "a three-letter currency code such as usd or eur",
			Description: "currency of bare amounts, in tools and in money settings"},
		def: "usd",
		apply: func(l *loader, text string, o origin) error {
			c := money.Normalize(text)
			if !money.ValidCurrency(c) {
				return bad("%q is not a currency code", text)
			}
			l.cfg.Currency = c
			return nil
		},
		show: func(c *Config) string { return c.Currency },
	},
	boolSetting("defaults.idempotencyEnabled", "STRIPE_IDEMPOTENCY_ENABLED", "true",
		"send an Idempotency-Key with every POST so repeated calls do not repeat charges",
		func(c *Config) *bool { return &c.IdempotencyEnabled }),
	boolSetting("defaults.autoCapture", "STRIPE_AUTO_CAPTURE", "true",
		"capture payments when they are confirmed, unless a call says otherwise",
		func(c *Config) *bool { return &c.AutoCapture }),
	{
		Setting: Setting{Key: "server.authToken", Env: "STRIPE_MCP_AUTH_TOKEN", File: true, Secret: true,
			Default:     "none (the http command generates one and prints it once)",
			Form:        "at least 16 characters without spaces, e.g. the output of openssl rand -hex 32",
			Description: "bearer token for the HTTP transports"},
		apply: func(l *loader, text string, o origin) error {
			if n := len([]rune(text)); n < minTokenLen {
				return bad("(%s) is %d characters long", MaskKey(text), n)
			}
			if strings.IndexFunc(text, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
				return bad("(%s) contains spaces or control characters", MaskKey(text))
			}
			l.cfg.AuthToken = Secret(text)
			return nil
		},
		show: func(c *Config) string { return orNone(c.AuthToken.String(), "(not set)") },
	},
	{
		Setting: Setting{Key: "server.allowedOrigins", Env: "STRIPE_MCP_ALLOWED_ORIGINS", File: true, Default: "none",
			Form:        "comma list (JSON: an array) of origins scheme://host[:port], e.g. https://app.example.com",
			Description: "browser origins allowed to call the HTTP endpoints"},
		json:  jsonList,
		apply: applyOrigins,
		show:  func(c *Config) string { return orNone(strings.Join(c.AllowedOrigins, ","), "(none)") },
	},
	{
		Setting: Setting{Key: "server.allowedHosts", Env: "STRIPE_MCP_ALLOWED_HOSTS", File: true, Default: "the listen address and localhost",
			Form:        "comma list (JSON: an array) of host[:port], e.g. mcp.example.com or 10.0.0.5:8787",
			Description: "Host header values accepted by the HTTP endpoints"},
		json:  jsonList,
		apply: applyHosts,
		show: func(c *Config) string {
			return orNone(strings.Join(c.AllowedHosts, ","), "(the listen address and localhost)")
		},
	},
	{
		Setting: Setting{Key: "server.dataDir", Env: "STRIPE_MCP_DATA_DIR", File: true,
			Default:     "the user's state directory: $XDG_STATE_HOME/stripe-mcp or ~/.local/state/stripe-mcp; macOS ~/Library/Application Support/stripe-mcp; Windows %LocalAppData%\\stripe-mcp",
			Form:        "a directory path (relative paths in the config file are relative to the file)",
			Description: "where the embedded SQLite store lives"},
		apply: applyDataDir,
		show:  func(c *Config) string { return orNone(c.DataDir, "(unknown)") },
	},
	{
		Setting: Setting{Key: "server.databaseUrl", Env: "STRIPE_MCP_DATABASE_URL", File: true, Secret: true, Default: "none (SQLite in the data dir)",
			Form:        "postgres://user:password@host:5432/db or postgresql://…",
			Description: "PostgreSQL store shared by several replicas, instead of SQLite"},
		apply: applyDatabaseURL,
		show:  func(c *Config) string { return orNone(c.DatabaseURL.String(), "(none: SQLite)") },
	},
	{
		Setting: Setting{Key: "sandbox", Env: "STRIPE_MCP_SANDBOX", Default: "false",
			Form:        "true or false (also 1/0, yes/no)",
			Description: "no account, no network: an in-process stripe-mock and a made-up test key (also --sandbox)"},
		def: "false",
		apply: func(l *loader, text string, o origin) error {
			return setBool(&l.cfg.Sandbox, text)
		},
		show: func(c *Config) string { return strconv.FormatBool(c.Sandbox) },
	},
	{
		Setting: Setting{Key: "logLevel", Env: "STRIPE_MCP_LOG_LEVEL", Default: "info",
			Form:        "debug, info, warn or error",
			Description: "least severe log level written to stderr (also --log-level)"},
		def: "info",
		apply: func(l *loader, text string, o origin) error {
			switch strings.ToLower(text) {
			case "debug":
				l.cfg.LogLevel = slog.LevelDebug
			case "info":
				l.cfg.LogLevel = slog.LevelInfo
			case "warn", "warning":
				l.cfg.LogLevel = slog.LevelWarn
			case "error":
				l.cfg.LogLevel = slog.LevelError
			default:
				return bad("%q is not a log level", text)
			}
			return nil
		},
		show: func(c *Config) string { return strings.ToLower(c.LogLevel.String()) },
	},
}

const (
	keyConfig   = "config"
	minTokenLen = 16
)

// Reference returns every setting in the order the documentation lists them.
func Reference() []Setting {
	out := make([]Setting, len(settings))
	for i, s := range settings {
		out[i] = s.Setting
		out[i].EnvAliases = slices.Clone(s.EnvAliases)
	}
	return out
}

func lookupSetting(key string) *setting {
	for i := range settings {
		if settings[i].Key == key {
			return &settings[i]
		}
	}
	return nil
}

func boolSetting(key, env, def, desc string, field func(*Config) *bool) setting {
	return setting{
		Setting: Setting{Key: key, Env: env, File: true, Default: def, Form: "true or false (also 1/0, yes/no)", Description: desc},
		json:    jsonBool,
		def:     def,
		apply: func(l *loader, text string, o origin) error {
			return setBool(field(l.cfg), text)
		},
		show: func(c *Config) string { return strconv.FormatBool(*field(c)) },
	}
}

func setBool(dst *bool, text string) error {
	switch strings.ToLower(text) {
	case "true", "1", "yes":
		*dst = true
	case "false", "0", "no":
		*dst = false
	default:
		return bad("%q is not a boolean", text)
	}
	return nil
}

func moneySetting(key, env string, allowZero bool, def, desc string, field func(*Config) *Money) setting {
	form := "a positive whole number in the smallest unit of the default currency (10000 = $100.00 in usd), or per currency: usd:10000,eur:9000 (JSON: 10000 or {\"usd\":10000,\"eur\":9000})"
	if allowZero {
		form = strings.Replace(form, "a positive whole number", "a whole number, 0 or more,", 1)
	}
	return setting{
		Setting: Setting{Key: key, Env: env, File: true, Default: def, Form: form, Description: desc},
		json:    jsonMoney,
		apply: func(l *loader, text string, o origin) error {
			v, err := parseMoney(text, allowZero)
			if err != nil {
				return badValue{err.Error()}
			}
			l.money = append(l.money, pendingMoney{value: v, field: field})
			return nil
		},
		show: func(c *Config) string {
			m := *field(c)
			if !m.IsSet() {
				if def == "none" {
					return "(none)"
				}
				return def
			}
			return m.Display()
		},
	}
}

var (
	accountRE   = regexp.MustCompile(`^acct_[A-Za-z0-9]+$`)
	operationRE = regexp.MustCompile(`^[a-z_]+(\.(read|write))?$`)
	schemeRE    = regexp.MustCompile(`^[a-z][a-z0-9+.-]*$`)
	hostnameRE  = regexp.MustCompile(`^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$`)
)

// splitList splits a comma list, trimming items and dropping empty ones.
func splitList(text string) []string {
	var out []string
	for item := range strings.SplitSeq(text, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func applyWebhookSecrets(l *loader, text string, o origin) error {
	var out []Secret
	for _, s := range splitList(text) {
		if !strings.HasPrefix(s, "whsec_") || len(s) == len("whsec_") || strings.ContainsFunc(s, unicode.IsSpace) {
			return bad("has a value (%s) that is not a webhook signing secret", MaskKey(s))
		}
		if !slices.Contains(out, Secret(s)) {
			out = append(out, Secret(s))
		}
	}
	l.cfg.WebhookSecrets = out
	return nil
}

func applyAPIBase(l *loader, text string, o origin) error {
	u, err := url.Parse(text)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return bad("%q is not a URL", text)
	}
	if u.User != nil {
		return bad("%q contains a user name or password", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return bad("%q has a query or fragment", text)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return bad("%q uses http:// on %s, which is not a loopback host (traffic including the API key would be readable on the network)", text, u.Hostname())
		}
	default:
		return bad("%q uses the scheme %q", text, u.Scheme)
	}
	if _, err := parsePort(u.Port()); err != nil {
		return bad("%q has a bad port", text)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	l.cfg.APIBase = strings.TrimRight(u.String(), "/")
	return nil
}

// isLoopback reports whether host is localhost, in 127.0.0.0/8, or ::1.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// parsePort checks an optional port; "" is fine.
func parsePort(p string) (int, error) {
	if p == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("bad port %q", p)
	}
	return n, nil
}

func applyOperations(l *loader, text string, o origin) error {
	var out []string
	for _, op := range splitList(text) {
		op = strings.ToLower(op)
		if !operationRE.MatchString(op) {
			return bad("has %q, which is not a toolset, toolset.read, toolset.write or tool name", op)
		}
		if !slices.Contains(out, op) {
			out = append(out, op)
		}
	}
	// No list at all means every tool; a list that names nothing (",",
	// " ", [] in the file) is a mistake, and must not mean every tool.
	if len(out) == 0 {
		return bad("%q names no toolset or tool, and an empty allow-list does not allow everything (leave the setting out to register every tool)", text)
	}
	l.cfg.AllowedOperations = out
	return nil
}

func applyOrigins(l *loader, text string, o origin) error {
	var out []string
	for _, item := range splitList(text) {
		if item == "*" || item == "null" {
			return bad("has %q, which is not allowed: it would let any web page open in the user's browser call this server; list each origin instead", item)
		}
		u, err := url.Parse(item)
		if err != nil || !schemeRE.MatchString(strings.ToLower(u.Scheme)) || u.Host == "" || u.Opaque != "" ||
			u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return bad("has %q, which is not an origin scheme://host[:port]", item)
		}
		if _, err := parsePort(u.Port()); err != nil {
			return bad("has %q, which has a bad port", item)
		}
		origin := strings.ToLower(u.Scheme + "://" + u.Host)
		if !slices.Contains(out, origin) {
			out = append(out, origin)
		}
	}
	l.cfg.AllowedOrigins = out
	return nil
}

func applyHosts(l *loader, text string, o origin) error {
	var out []string
	for _, item := range splitList(text) {
		h := strings.ToLower(item)
		if h == "*" {
			return bad("has \"*\", which is not allowed: accepting any Host header removes the protection against DNS rebinding; list each host instead")
		}
		if !validHost(h) {
			return bad("has %q, which is not host[:port] (write IPv6 addresses in brackets: [::1]:8787)", item)
		}
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	l.cfg.AllowedHosts = out
	return nil
}

// validHost checks host[:port] as it appears in a Host header.
func validHost(h string) bool {
	host, port := h, ""
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return false
		}
		host, port = h[1:end], h[end+1:]
		if port != "" {
			if !strings.HasPrefix(port, ":") {
				return false
			}
			port = port[1:]
		}
		ip := net.ParseIP(host)
		if ip == nil || ip.To4() != nil {
			return false
		}
	} else {
		if strings.Count(h, ":") > 1 {
			return false
		}
		if i := strings.IndexByte(h, ':'); i >= 0 {
			host, port = h[:i], h[i+1:]
			if port == "" {
				return false
			}
		}
		if !hostnameRE.MatchString(host) || strings.Contains(host, "..") {
			return false
		}
	}
	_, err := parsePort(port)
	return err == nil
}

func applyDataDir(l *loader, text string, o origin) error {
	if strings.TrimSpace(text) == "" {
		// Not the config file's directory, nor the current one.
		return bad("is empty: give a directory path, or leave the setting out for the default")
	}
	dir := text
	if dir == "~" || strings.HasPrefix(dir, "~/") || strings.HasPrefix(dir, `~\`) {
		home := l.home()
		if home == "" {
			return bad("%q starts with ~ but the home directory is unknown", text)
		}
		dir = filepath.Join(home, dir[1:])
	}
	if !filepath.IsAbs(dir) && o.kind == fromFile {
		dir = filepath.Join(filepath.Dir(o.path), dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return bad("%q cannot be made absolute: %v", text, err)
	}
	l.cfg.DataDir = abs
	return nil
}

func applyDatabaseURL(l *loader, text string, o origin) error {
	scheme := strings.ToLower(schemeOf(text))
	if scheme != "postgres" && scheme != "postgresql" {
		what := "has no scheme"
		if scheme != "" {
			what = fmt.Sprintf("has the scheme %q", scheme)
		}
		return bad("(%s) %s; only PostgreSQL is supported", MaskKey(text), what)
	}
	if _, err := url.Parse(text); err != nil {
		return bad("(%s) is not a valid URL", MaskKey(text))
	}
	l.cfg.DatabaseURL = Secret(text)
	return nil
}

func orNone(s, none string) string {
	if s == "" {
		return none
	}
	return s
}
