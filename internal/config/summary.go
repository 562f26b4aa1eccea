package config

import "log/slog"

// SummaryLine is one row of a configuration report.
type SummaryLine struct {
	Key    string // setting key, e.g. "api.key"
	Value  string // secrets masked; money per currency
	Source string // as in Config.Sources
}

// Summary lists every setting with its value and where it came from, in
// Reference order, for doctor. Secrets appear masked.
func (c *Config) Summary() []SummaryLine {
	lines := make([]SummaryLine, 0, len(settings))
	for _, s := range settings {
		src := c.Sources[s.Key]
		if src == "" {
			src = "default"
		}
		lines = append(lines, SummaryLine{Key: s.Key, Value: s.show(c), Source: src})
	}
	return lines
}

// LogValue logs the configuration as its Summary, so no secret reaches a
// log even when the whole Config is logged.
func (c Config) LogValue() slog.Value {
	lines := c.Summary()
	attrs := make([]slog.Attr, len(lines))
	for i, l := range lines {
		attrs[i] = slog.String(l.Key, l.Value)
	}
	return slog.GroupValue(attrs...)
}
