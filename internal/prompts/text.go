package prompts

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/stripe-mcp/stripe-mcp/internal/money"
)

// The prompts' words are in the .md files, cut into named fragments; the
// Go code of each prompt only chooses which fragments to use. A file reads:
//
//	Anything before the first fragment is a comment.
//	-- intro --
//	Refund payment {paymentIntentId}[intro.amount], with this server's tools.
//	-- intro.amount --
//	: {amount} in the smallest unit of its currency
//
// A fragment is the lines from its "-- name --" line to the next one,
// without the final line break (blank lines before the next fragment are
// dropped, so they can separate fragments). In a fragment:
//
//   - [name] is an optional part: the fragment name of the same file when
//     the prompt asks for it, else nothing;
//   - {name} is a field: a value the prompt gives, mostly an argument. A
//     field whose value is empty is the fragment "{name}" of the file when
//     there is one: "-- {cid} --" followed by "…" writes … where no
//     customer id was given. That text is plain: no parts, no fields.
//
// No reflection is involved: text/template would make the linker keep
// every exported method of every reachable type, which costs megabytes of
// binary and resident memory.

//go:embed *.md
var files embed.FS

// fragments are the texts of one .md file, by name.
type fragments map[string]string

// texts are the fragments of every .md file, by file name without ".md",
// read when a prompt is first rendered rather than at every start (the
// golden tests render each file, so a malformed one fails them).
var texts = sync.OnceValue(func() map[string]fragments { return mustLoad(files) })

func mustLoad(fsys fs.FS) map[string]fragments {
	names, err := fs.Glob(fsys, "*.md")
	if err != nil {
		panic(err)
	}
	all := map[string]fragments{}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			panic(err)
		}
		f, err := parseFragments(string(data))
		if err != nil {
			panic(fmt.Sprintf("prompts: %s: %v", name, err))
		}
		all[strings.TrimSuffix(name, ".md")] = f
	}
	return all
}

// parseFragments reads the fragments of a file and checks that every
// optional part names one of them.
func parseFragments(s string) (fragments, error) {
	f := fragments{}
	name := ""
	var body []string
	flush := func() {
		if name != "" {
			f[name] = strings.TrimRight(strings.Join(body, "\n"), "\n")
		}
	}
	for i, line := range strings.Split(s, "\n") {
		n, ok := strings.CutPrefix(line, "-- ")
		if n, ok2 := strings.CutSuffix(n, " --"); ok && ok2 {
			flush()
			field, isField := strings.CutPrefix(n, "{")
			field, closed := strings.CutSuffix(field, "}")
			if !isName(field) || isField != closed {
				return nil, fmt.Errorf("line %d: fragment name %q: use letters, digits, '.' and '-', or {field}", i+1, n)
			}
			if _, dup := f[n]; dup {
				return nil, fmt.Errorf("line %d: fragment %s again", i+1, n)
			}
			name, body = n, nil
			continue
		}
		if name != "" {
			body = append(body, line)
		}
	}
	flush()
	if len(f) == 0 {
		return nil, fmt.Errorf("no fragments")
	}
	for n, text := range f {
		if strings.HasPrefix(n, "{") && (markers(text, '[', ']') != nil || markers(text, '{', '}') != nil) {
			return nil, fmt.Errorf("fragment %s: a field's text is plain: no [part] or {field}", n)
		}
		for _, part := range markers(text, '[', ']') {
			if _, ok := f[part]; !ok {
				return nil, fmt.Errorf("fragment %s: optional part [%s] is no fragment", n, part)
			}
		}
	}
	return f, nil
}

// isName reports whether s is a fragment, part or field name.
func isName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// markers are the names between open and close in s, such as the optional
// parts of "[a] or [b]"; a bracket around anything but a name is text.
func markers(s string, open, close byte) []string {
	var names []string
	for {
		i := strings.IndexByte(s, open)
		if i < 0 {
			return names
		}
		s = s[i+1:]
		if j := strings.IndexByte(s, close); j >= 0 && isName(s[:j]) {
			names = append(names, s[:j])
			s = s[j+1:]
		}
	}
}

// parts says which optional parts of a fragment to write.
type parts map[string]bool

// fields are the values of a prompt's {name} fields.
type fields map[string]string

// writer puts a prompt's text together: an introduction, numbered steps
// and rules, from the fragments of the prompt's file and rules.md.
type writer struct {
	name      string    // the prompt, and its file
	frags     fragments // of the prompt's file
	declared  []string  // the tools the prompt declares
	available func(string) bool
	fields    fields
	b         strings.Builder // the text before its fields are filled in
	steps     int
	err       error           // the first error
	seen      map[string]bool // "file/fragment" of what was written, for tests
}

func newWriter(name string, declared []string, available func(string) bool) *writer {
	w := &writer{name: name, frags: texts()[name], declared: declared, available: available, seen: map[string]bool{}}
	if w.frags == nil {
		w.fail(fmt.Errorf("no file %s.md", name))
	}
	return w
}

func (w *writer) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// has reports whether tool is available. A tool missing from the prompt's
// declared lists would escape the registration check and the docs: a bug,
// not an input error.
func (w *writer) has(tool string) bool {
	if !slices.Contains(w.declared, tool) {
		w.fail(fmt.Errorf("tool %s is not declared by the prompt", tool))
		return false
	}
	return w.available(tool)
}

// put writes fragment name with the optional parts that p turns on.
func (w *writer) put(name string, p parts) {
	used := map[string]bool{}
	w.b.WriteString(w.expand(name, p, used))
	for part, on := range p {
		if _, ok := w.frags[part]; !ok {
			w.fail(fmt.Errorf("%s.md has no fragment %s", w.name, part))
		} else if on && !used[part] {
			w.fail(fmt.Errorf("%s.md: part %s is not in fragment %s", w.name, part, name))
		}
	}
}

func (w *writer) expand(name string, p parts, used map[string]bool) string {
	s, ok := w.frags[name]
	if !ok {
		w.fail(fmt.Errorf("%s.md has no fragment %s", w.name, name))
		return ""
	}
	w.seen[w.name+"/"+name] = true
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '[')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], ']')
		if j < 0 || !isName(s[i+1:i+j]) {
			b.WriteString(s[:i+1])
			s = s[i+1:]
			continue
		}
		b.WriteString(s[:i])
		if part := s[i+1 : i+j]; p[part] {
			used[part] = true
			b.WriteString(w.expand(part, p, used))
		}
		s = s[i+j+1:]
	}
	b.WriteString(s)
	return b.String()
}

// step writes the next numbered step: fragment name with the optional
// parts that p turns on. The first step starts a new paragraph.
func (w *writer) step(name string, p parts) {
	if w.steps == 0 {
		w.b.WriteString("\n\n")
	} else {
		w.b.WriteString("\n")
	}
	w.steps++
	w.b.WriteString(strconv.Itoa(w.steps))
	w.b.WriteString(". ")
	w.put(name, p)
}

// rules writes the heading of rules.md and the rules the prompt needs, in
// order.
func (w *writer) rules(names ...string) {
	w.b.WriteString("\n\n")
	w.b.WriteString(texts()["rules"]["heading"])
	w.seen["rules/heading"] = true
	for _, name := range names {
		text, ok := texts()["rules"][name]
		if !ok {
			w.fail(fmt.Errorf("rules.md has no fragment %s", name))
		}
		w.seen["rules/"+name] = true
		w.b.WriteString("\n")
		w.b.WriteString(text)
	}
}

// display shows an amount argument the way a person reads it.
func (w *writer) display(amount, currency string) string {
	n, err := strconv.ParseInt(amount, 10, 64)
	if err != nil {
		w.fail(fmt.Errorf("display: amount %q: %w", amount, err))
		return ""
	}
	return money.Format(n, currency)
}

// text fills in the fields of what was written and returns the prompt's
// text, or the first error. The fields are filled in one pass, after the
// fragments are put together, so a value is never read as a field or part.
func (w *writer) text() (string, error) {
	raw := w.b.String() + "\n"
	var oldnew []string
	done := map[string]bool{}
	for _, name := range markers(raw, '{', '}') {
		field := "{" + name + "}"
		if done[field] {
			continue
		}
		done[field] = true
		v, ok := w.fields[name]
		if !ok {
			w.fail(fmt.Errorf("%s.md: field %s has no value", w.name, field))
		}
		if def, ok := w.frags[field]; ok && v == "" {
			v = def
			w.seen[w.name+"/"+field] = true
		}
		oldnew = append(oldnew, field, v)
	}
	if w.err != nil {
		return "", w.err
	}
	return strings.NewReplacer(oldnew...).Replace(raw), nil
}

// quote is a value in Go syntax, the way the tools' calls show it; "" stays
// "" (so that the field's default applies).
func quote(s string) string {
	if s == "" {
		return ""
	}
	return strconv.Quote(s)
}
