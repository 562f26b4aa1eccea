package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/stripe-mcp/stripe-mcp/internal/money"
)

// nodeKind is the JSON type of a config file value.
type nodeKind int

const (
	kindNull nodeKind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

// String names the kind as an error message does: "api.timeout is a string".
func (k nodeKind) String() string {
	switch k {
	case kindBool:
		return "true/false"
	case kindNumber:
		return "a number"
	case kindString:
		return "a string"
	case kindArray:
		return "an array"
	case kindObject:
		return "an object"
	default:
		return "null"
	}
}

// node is a config file value with the line it is on, so errors can point at
// it. encoding/json's Unmarshal forgets positions and silently takes the last
// of duplicate keys; reading tokens keeps both.
type node struct {
	kind   nodeKind
	text   string // string value, or number literal
	b      bool
	keys   []string // object keys in file order
	fields map[string]*node
	items  []*node
	line   int
}

type fileParser struct {
	path string
	data []byte
	dec  *json.Decoder
}

// readFile reads and parses the config file at path.
func readFile(path string) (*node, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("cannot read config file %s: %v", path, err)
	}
	return parseFile(path, data)
}

// parseFile parses config file data; path is used in messages only.
func parseFile(path string, data []byte) (*node, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	p := &fileParser{path: path, data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	p.dec.UseNumber()
	root, err := p.value()
	if err != nil {
		return nil, err
	}
	if _, err := p.dec.Token(); err != io.EOF {
		if err != nil {
			return nil, p.syntaxError(err)
		}
		line, col := p.position(p.dec.InputOffset())
		return nil, fmt.Errorf("config file %s: invalid JSON at line %d, column %d: more data after the top-level object", path, line, col)
	}
	return root, nil
}

func (p *fileParser) value() (*node, error) {
	tok, err := p.dec.Token()
	if err != nil {
		return nil, p.syntaxError(err)
	}
	n := &node{line: p.lineAt(p.dec.InputOffset())}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n.kind = kindObject
			n.fields = map[string]*node{}
			for p.dec.More() {
				kt, err := p.dec.Token()
				if err != nil {
					return nil, p.syntaxError(err)
				}
				key, _ := kt.(string)
				keyLine := p.lineAt(p.dec.InputOffset())
				if _, dup := n.fields[key]; dup {
					return nil, fmt.Errorf("config file %s line %d: key %q appears twice in the same object; keep one", p.path, keyLine, key)
				}
				child, err := p.value()
				if err != nil {
					return nil, err
				}
				// Point errors about a value at its key's line.
				child.line = keyLine
				n.keys = append(n.keys, key)
				n.fields[key] = child
			}
		case '[':
			n.kind = kindArray
			for p.dec.More() {
				child, err := p.value()
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, child)
			}
		}
		if _, err := p.dec.Token(); err != nil { // the closing delimiter
			return nil, p.syntaxError(err)
		}
	case string:
		n.kind, n.text = kindString, t
	case json.Number:
		n.kind, n.text = kindNumber, t.String()
	case bool:
		n.kind, n.b = kindBool, t
	case nil:
		n.kind = kindNull
	}
	return n, nil
}

func (p *fileParser) syntaxError(err error) error {
	off := p.dec.InputOffset()
	msg := err.Error()
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		off = se.Offset
		msg = strings.TrimPrefix(msg, "json: ")
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		off = int64(len(p.data))
		msg = "the file ends before the JSON is complete"
	}
	line, col := p.position(off)
	return fmt.Errorf("config file %s: invalid JSON at line %d, column %d: %s", p.path, line, col, msg)
}

func (p *fileParser) lineAt(off int64) int {
	line, _ := p.position(off)
	return line
}

// position converts the byte offset of a character (as the decoder's
// SyntaxError reports it) into a 1-based line and column.
func (p *fileParser) position(off int64) (line, col int) {
	if off > int64(len(p.data)) {
		off = int64(len(p.data))
	}
	if off < 0 {
		off = 0
	}
	before := p.data[:off]
	line = 1 + bytes.Count(before, []byte("\n"))
	col = int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// sections returns the config file's sections in table order, each with its
// keys.
func sections() (names []string, keys map[string][]string) {
	keys = map[string][]string{}
	for _, s := range settings {
		if !s.File {
			continue
		}
		sec, leaf, _ := strings.Cut(s.Key, ".")
		if _, ok := keys[sec]; !ok {
			names = append(names, sec)
		}
		keys[sec] = append(keys[sec], leaf)
	}
	return names, keys
}

// flatten checks the file's shape and returns its values by dotted key.
// null counts as not set.
func flatten(path string, root *node) (map[string]*node, error) {
	names, keys := sections()
	if root.kind != kindObject {
		return nil, fmt.Errorf("config file %s: the top level is %s; want a JSON object with the sections %s", path, root.kind, strings.Join(names, ", "))
	}
	out := map[string]*node{}
	for _, sec := range root.keys {
		v := root.fields[sec]
		leaves, ok := keys[sec]
		if !ok {
			hint := suggest(sec, names, "")
			if s, leaf, dotted := strings.Cut(sec, "."); dotted && slices.Contains(keys[s], leaf) {
				hint = fmt.Sprintf(` (did you mean {"%s": {"%s": …}}?)`, s, leaf)
			}
			return nil, fmt.Errorf("config file %s line %d: unknown key %q%s; the top level accepts %s", path, v.line, sec, hint, strings.Join(names, ", "))
		}
		if v.kind == kindNull {
			continue
		}
		if v.kind != kindObject {
			return nil, fmt.Errorf("config file %s line %d: %s is %s; want an object with the keys %s", path, v.line, sec, v.kind, strings.Join(leaves, ", "))
		}
		for _, leaf := range v.keys {
			lv := v.fields[leaf]
			if !slices.Contains(leaves, leaf) {
				return nil, fmt.Errorf("config file %s line %d: unknown key %s.%s%s; %s accepts %s", path, lv.line, sec, leaf, suggest(leaf, leaves, sec+"."), sec, strings.Join(leaves, ", "))
			}
			if lv.kind != kindNull {
				out[sec+"."+leaf] = lv
			}
		}
	}
	return out, nil
}

// suggest returns " (did you mean <prefix><candidate>?)" for the candidate
// closest to key, or "" when none is close.
func suggest(key string, candidates []string, prefix string) string {
	best, bestDist := "", 0
	for _, c := range candidates {
		if strings.EqualFold(c, key) {
			return fmt.Sprintf(" (did you mean %s%s? keys are case-sensitive)", prefix, c)
		}
		d := editDistance(strings.ToLower(key), strings.ToLower(c))
		if d <= 3 && d <= len(key)/2 && (best == "" || d < bestDist) {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s%s?)", prefix, best)
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// fileText checks a file value's JSON type against the setting and converts
// it to the text form that apply reads.
func fileText(s *setting, n *node, o origin) (string, error) {
	wrongType := func(n *node, key string) error {
		o := o
		o.line = n.line
		return fmt.Errorf("%s is %s; want %s", o.subject(key), n.kind, s.Form)
	}
	switch s.json {
	case jsonBool:
		if n.kind == kindBool {
			return strconv.FormatBool(n.b), nil
		}
	case jsonNumber:
		if n.kind == kindNumber {
			return n.text, nil
		}
	case jsonList:
		switch n.kind {
		case kindString:
			return n.text, nil
		case kindArray:
			parts := make([]string, len(n.items))
			for i, it := range n.items {
				if it.kind != kindString {
					return "", wrongType(it, fmt.Sprintf("%s[%d]", s.Key, i))
				}
				parts[i] = it.text
			}
			return strings.Join(parts, ","), nil
		}
	case jsonMoney:
		switch n.kind {
		case kindNumber:
			return n.text, nil
		case kindObject:
			if len(n.keys) == 0 {
				return "", fmt.Errorf("%s is an empty object; want %s", o.subject(s.Key), s.Form)
			}
			parts := make([]string, len(n.keys))
			for i, k := range n.keys {
				v := n.fields[k]
				o := o
				o.line = v.line
				if c := money.Normalize(k); !money.ValidCurrency(c) || strings.ContainsAny(k, ":,") {
					return "", fmt.Errorf("%s has the key %q, which is not a three-letter currency code; want %s", o.subject(s.Key), k, s.Form)
				}
				if v.kind != kindNumber {
					return "", wrongType(v, s.Key+"."+k)
				}
				parts[i] = k + ":" + v.text
			}
			return strings.Join(parts, ","), nil
		}
	default:
		if n.kind == kindString {
			return n.text, nil
		}
	}
	return "", wrongType(n, s.Key)
}
