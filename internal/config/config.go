// Package config reads stripe-mcp's settings from flags, the environment and
// a JSON config file (in that order of precedence, then defaults), validates
// them, and keeps secrets out of every printed form.
//
// The settings are one table (see Reference) that drives parsing, Summary and
// the documentation.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Config is the merged, validated configuration.
type Config struct {
	APIKey                Secret   // empty in sandbox mode: the caller makes up a test key
	WebhookSecrets        []Secret // each whsec_…
	APIVersion            string   // always the version this build speaks
	Timeout               time.Duration
	APIBase               string // "" means Stripe's API
	Account               string // acct_…, sent as Stripe-Account
	AllowedOperations     []string
	ReadOnly              bool
	MaxAmount             Money
	VerificationRequired  bool
	VerificationThreshold Money // unset means 0: every money-moving operation
	VerificationFallback  string
	DailyLimit            Money
	AllowLive             bool
	Currency              string
	IdempotencyEnabled    bool
	AutoCapture           bool
	AuthToken             Secret
	AllowedOrigins        []string
	AllowedHosts          []string // empty: the transport's default (listen address and localhost)
	DataDir               string
	DatabaseURL           Secret
	Sandbox               bool
	LogLevel              slog.Level
	ConfigFile            string // "" when no file was read
	// Sources says where each setting came from, by key ("api.key"):
	// "flag", "env STRIPE_API_KEY", "env STRIPE_API_KEY_FILE", "file" or
	// "default".
	Sources map[string]string
}

// LoadOptions are Load's inputs besides the environment and the config file.
type LoadOptions struct {
	// ConfigFile is --config; when "" $STRIPE_MCP_CONFIG is used; when both are
	// empty no file is read.
	ConfigFile string
	// Flags holds the flags that were set explicitly, keyed by setting key
	// ("server.dataDir", "sandbox", "logLevel"). Secret settings are refused.
	Flags map[string]string
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
	// APIVersion is the Stripe API version this build speaks; required.
	APIVersion string
	// KeyOptional lets a command that never calls Stripe (audit) run
	// without an API key; a key that is set is still checked.
	KeyOptional bool
}

// Load merges flags, environment, config file and defaults, in that order
// of precedence, and validates the result. Errors are one line, name the
// setting as the user wrote it (env variable, or config file key and line)
// and the accepted form, and never contain a secret.
func Load(opts LoadOptions) (*Config, error) {
	if opts.APIVersion == "" {
		return nil, errors.New("config: LoadOptions.APIVersion is empty")
	}
	l := &loader{
		keyOptional: opts.KeyOptional,
		getenv:      opts.Getenv,
		apiVersion:  opts.APIVersion,
		cfg:         &Config{Sources: map[string]string{}},
		origins:     map[string]origin{},
	}
	if l.getenv == nil {
		l.getenv = os.Getenv
	}

	flags := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(opts.Flags)) {
		s := lookupSetting(k)
		switch {
		case s == nil:
			return nil, fmt.Errorf("unknown setting %q passed as a flag", k)
		case s.Secret:
			return nil, fmt.Errorf("%s cannot be set by a flag: command lines are visible to every user of the machine; set %s, %s_FILE or %s in the config file", k, s.Env, s.Env, k)
		case k == keyConfig:
			if opts.ConfigFile == "" {
				opts.ConfigFile = opts.Flags[k]
			}
		default:
			flags[k] = opts.Flags[k]
		}
	}

	var file map[string]fileEntry
	path, pathOrigin := opts.ConfigFile, origin{kind: fromFlag, name: keyConfig}
	if path == "" {
		configEnv := lookupSetting(keyConfig).Env
		if path = strings.TrimSpace(l.getenv(configEnv)); path != "" {
			pathOrigin = origin{kind: fromEnv, name: configEnv}
		} else {
			pathOrigin = origin{kind: fromDefault}
		}
	}
	l.cfg.ConfigFile = path
	l.cfg.Sources[keyConfig] = pathOrigin.source()
	if path != "" {
		root, err := readFile(path)
		if err != nil {
			return nil, err
		}
		nodes, err := flatten(path, root)
		if err != nil {
			return nil, err
		}
		// Check every value's JSON type, including values that a flag or the
		// environment overrides: the file is wrong either way.
		file = map[string]fileEntry{}
		for i := range settings {
			s := &settings[i]
			if n, ok := nodes[s.Key]; ok {
				o := origin{kind: fromFile, name: s.Key, path: path, line: n.line}
				text, err := fileText(s, n, o)
				if err != nil {
					return nil, err
				}
				file[s.Key] = fileEntry{text: text, origin: o}
			}
		}
	}

	for i := range settings {
		s := &settings[i]
		if s.Key == keyConfig {
			continue
		}
		text, o, err := l.lookup(s, flags, file)
		if err != nil {
			return nil, err
		}
		l.cfg.Sources[s.Key] = o.source()
		l.origins[s.Key] = o
		if o.kind == fromDefault && text == "" {
			continue
		}
		if err := s.apply(l, text, o); err != nil {
			return nil, o.explain(s, err)
		}
	}

	return l.finish()
}

// finish applies what depends on more than one setting.
func (l *loader) finish() (*Config, error) {
	c := l.cfg
	if c.APIVersion == "" {
		c.APIVersion = l.apiVersion
	}
	// A bare amount is in the merged default currency, whichever source set it.
	for _, p := range l.money {
		*p.field(c) = p.value.resolve(c.Currency)
	}
	if c.DataDir == "" {
		c.DataDir = defaultDataDir(runtime.GOOS, l.getenv, l.home())
		if c.DataDir == "" && !c.DatabaseURL.IsSet() {
			return nil, errors.New("cannot work out the default data directory because the home directory is unknown: set STRIPE_MCP_DATA_DIR or server.dataDir")
		}
	}
	if c.Sandbox {
		c.APIKey = ""
		return c, nil
	}
	o := l.origins["api.key"]
	if !c.APIKey.IsSet() && l.keyOptional {
		return c, nil
	}
	if !c.APIKey.IsSet() {
		return nil, errors.New("no Stripe API key: set STRIPE_API_KEY (or STRIPE_API_KEY_FILE, or api.key in the config file) to a secret (sk_test_…) or restricted (rk_test_…) key from https://dashboard.stripe.com/apikeys, or run with --sandbox")
	}
	if _, err := ValidateKey(c.APIKey.Reveal(), c.AllowLive); err != nil {
		return nil, fmt.Errorf("%s: %w", o.subject("api.key"), err)
	}
	return c, nil
}

// loader carries the state of one Load.
type loader struct {
	keyOptional bool
	getenv      func(string) string
	apiVersion  string
	cfg         *Config
	money       []pendingMoney
	origins     map[string]origin
}

// fileEntry is a config file value in the text form apply reads.
type fileEntry struct {
	text   string
	origin origin
}

type pendingMoney struct {
	value moneyValue
	field func(*Config) *Money
}

// lookup finds the text of setting s from the highest-precedence source
// that sets it, or its default.
func (l *loader) lookup(s *setting, flags map[string]string, file map[string]fileEntry) (string, origin, error) {
	if v, ok := flags[s.Key]; ok {
		return strings.TrimSpace(v), origin{kind: fromFlag, name: s.Key}, nil
	}
	text, o, err := l.env(s)
	if err != nil || o.kind == fromEnv {
		return text, o, err
	}
	if fe, ok := file[s.Key]; ok {
		return fe.text, fe.origin, nil
	}
	if s.Key == "server.dataDir" {
		return "", origin{kind: fromDefault, name: s.Key}, nil
	}
	return s.def, origin{kind: fromDefault, name: s.Key}, nil
}

// env reads s from its variable, its aliases, and for secrets NAME_FILE.
// Empty variables count as unset, and so do blank ones unless s.blankIsSet.
func (l *loader) env(s *setting) (string, origin, error) {
	type found struct{ name, value string }
	var got []found
	for _, name := range append([]string{s.Env}, s.EnvAliases...) {
		raw := l.getenv(name)
		v := strings.TrimSpace(raw)
		src := name
		if s.Secret {
			if p := strings.TrimSpace(l.getenv(name + "_FILE")); p != "" {
				if v != "" {
					return "", origin{}, fmt.Errorf("env %s and %s_FILE are both set: set only one (%s_FILE is a path to a file holding the value)", name, name, name)
				}
				data, err := os.ReadFile(p)
				if err != nil {
					var pe *os.PathError
					if errors.As(err, &pe) {
						err = pe.Err
					}
					return "", origin{}, fmt.Errorf("env %s_FILE: cannot read %s: %v; want a path to a file holding the value", name, p, err)
				}
				if v = strings.TrimSpace(string(data)); v == "" {
					return "", origin{}, fmt.Errorf("env %s_FILE: %s is empty; want a file holding the value", name, p)
				}
				src = name + "_FILE"
			}
		}
		if v != "" || raw != "" && s.blankIsSet {
			got = append(got, found{src, v})
		}
	}
	if len(got) == 0 {
		return "", origin{}, nil
	}
	for _, g := range got[1:] {
		if g.value != got[0].value {
			return "", origin{}, fmt.Errorf("env %s and %s are both set, to different values: set only one (%s is an alias of %s)", got[0].name, g.name, g.name, got[0].name)
		}
	}
	return got[0].value, origin{kind: fromEnv, name: got[0].name}, nil
}

// sourceKind is where a value came from.
type sourceKind int

const (
	fromDefault sourceKind = iota
	fromFlag
	fromEnv
	fromFile
)

// origin says where a value came from, for Sources and for messages.
type origin struct {
	kind sourceKind
	name string // setting key, or env variable name
	path string // config file
	line int
}

func (o origin) source() string {
	switch o.kind {
	case fromFlag:
		return "flag"
	case fromEnv:
		return "env " + o.name
	case fromFile:
		return "file"
	default:
		return "default"
	}
}

// subject names the value in a message: "env STRIPE_REQUEST_TIMEOUT",
// "config file /etc/stripe.json line 5: api.timeout", "flag api.timeout".
func (o origin) subject(key string) string {
	switch o.kind {
	case fromFlag:
		return "flag " + flagName(key)
	case fromEnv:
		return "env " + o.name
	case fromFile:
		return fmt.Sprintf("config file %s line %d: %s", o.path, o.line, key)
	default:
		return "default " + key
	}
}

// flagName is the command-line flag of a setting given by flag: logLevel is
// --log-level (the flags are top-level settings; a dotted key has none and
// is named as it is).
func flagName(key string) string {
	if strings.Contains(key, ".") {
		return key
	}
	var b strings.Builder
	b.WriteString("--")
	for _, r := range key {
		if unicode.IsUpper(r) {
			b.WriteByte('-')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// explain turns an apply error into the full message.
func (o origin) explain(s *setting, err error) error {
	var bv badValue
	if errors.As(err, &bv) {
		return fmt.Errorf("%s %s; want %s", o.subject(s.Key), bv.msg, s.Form)
	}
	return fmt.Errorf("%s %w", o.subject(s.Key), err)
}

// badValue is a value that does not have the setting's form; the message
// gets "; want <form>" appended.
type badValue struct{ msg string }

func (b badValue) Error() string { return b.msg }

func bad(format string, args ...any) error { return badValue{fmt.Sprintf(format, args...)} }

// home returns the user's home directory from the (possibly injected)
// environment, as os.UserHomeDir would.
func (l *loader) home() string {
	if h := l.getenv("HOME"); h != "" {
		return h
	}
	if runtime.GOOS == "windows" {
		return l.getenv("USERPROFILE")
	}
	return ""
}

// defaultDataDir is the user's state directory for stripe-mcp, or "" when it
// cannot be worked out.
func defaultDataDir(goos string, getenv func(string) string, home string) string {
	switch goos {
	case "windows":
		if d := getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "stripe-mcp")
		}
		if home != "" {
			return filepath.Join(home, "AppData", "Local", "stripe-mcp")
		}
	case "darwin", "ios":
		if home != "" {
			return filepath.Join(home, "Library", "Application Support", "stripe-mcp")
		}
	default:
		if d := getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
			return filepath.Join(d, "stripe-mcp")
		}
		if home != "" {
			return filepath.Join(home, ".local", "state", "stripe-mcp")
		}
	}
	return ""
}
