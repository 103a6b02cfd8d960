package inventory

import (
	"fmt"
	"sort"
	"strings"

	"github.com/patchflow/patchflow/internal/safetext"
)

// maxErrors bounds how many problems one file reports; past it the rest are
// summarised, so a garbage file does not print megabytes.
const maxErrors = 50

// Error is one problem in an inventory file, formatted
// "file:line:col: <object>: <problem>" (the same shape as policy errors).
type Error struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"` // 1-based; 0 when the problem has no position
	Col     int    `json:"col,omitempty"`
	Object  string `json:"object,omitempty"` // e.g. `host "web1"`, `group "db"`
	Problem string `json:"problem"`
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Col)
		}
	}
	b.WriteString(": ")
	if e.Object != "" {
		b.WriteString(e.Object)
		b.WriteString(": ")
	}
	b.WriteString(e.Problem)
	return b.String()
}

// Errors is every problem found in one inventory, in file order.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find each *Error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// pos is a position in the source file.
type pos struct{ line, col int }

// errList collects problems while a file is decoded.
type errList struct {
	file string
	errs Errors
	more int // problems past maxErrors
}

func (l *errList) add(p pos, object, format string, args ...any) {
	if len(l.errs) >= maxErrors {
		l.more++
		return
	}
	l.errs = append(l.errs, &Error{File: l.file, Line: p.line, Col: p.col, Object: object, Problem: safetext.Sprintf(format, args...)})
}

func (l *errList) failed() bool { return len(l.errs) > 0 }

// err returns the collected problems sorted by position, or nil.
func (l *errList) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	es := append(Errors(nil), l.errs...)
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Line != es[j].Line {
			return es[i].Line < es[j].Line
		}
		return es[i].Col < es[j].Col
	})
	if l.more > 0 {
		es = append(es, &Error{File: l.file, Problem: fmt.Sprintf("%d more problems not shown", l.more)})
	}
	return es
}

func hostObj(name string) string  { return "host " + safetext.Excerpt(name) }
func groupObj(name string) string { return "group " + safetext.Excerpt(name) }

// errorf is fmt.Errorf for messages that quote input: %q of a string is
// a short escaped excerpt (safetext.Errorf), so an error never carries a
// file's content (a key read by mistake, a URL's body) beyond a few words.
func errorf(format string, args ...any) error {
	return safetext.Errorf(format, args...)
}

// suggest returns `, did you mean "x"?` when one of known is a near miss
// for s, else "".
func suggest(s string, known []string) string {
	best, bestD := "", 0
	ls := strings.ToLower(s)
	for _, k := range known {
		lk := strings.ToLower(k)
		d := distance(ls, lk)
		limit := 2
		if len(k) <= 4 {
			limit = 1
		}
		// A key cut short (identity for identity_file) is a near miss too.
		if d > limit && len(ls) >= 4 && (strings.HasPrefix(lk, ls) || strings.HasPrefix(ls, lk)) {
			d = limit
		}
		if d <= limit && (best == "" || d < bestD) {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(", did you mean %q?", best)
}

// distance is the edit distance counting a swap of neighbours as one edit
// (optimal string alignment), since "wbe" for "web" is a typical typo.
// Inputs are short keys and names; long ones are not compared, so a huge
// key cannot cost quadratic time.
func distance(a, b string) int {
	const maxLen = 64
	if len(a) > maxLen || len(b) > maxLen {
		if a == b {
			return 0
		}
		return maxLen
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// quoteList renders names for an error message, shortened when long.
func quoteList(names []string) string {
	const show = 20
	var b strings.Builder
	for i, n := range names {
		if i == show {
			fmt.Fprintf(&b, ", ... (%d more)", len(names)-show)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(n)
	}
	return b.String()
}
