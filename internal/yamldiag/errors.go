package yamldiag

import (
	"fmt"
	"slices"
	"strings"

	"github.com/patchflow/patchflow/internal/safetext"
)

// Error is one problem in a file, formatted "file:line:col: <object>:
// <problem>". Line and Col are 1-based; 0 means unknown (a problem of the
// whole file, or a policy after serialisation dropped its positions). The
// JSON names are the contract of `policy validate --json` and friends.
type Error struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	Object  string `json:"object"`
	Problem string `json:"problem"`
}

// Error formats e as "file:line:col: <object>: <problem>", leaving out
// what is unknown.
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

// Errors is every problem found in a file, in position order.
type Errors []*Error

// Error joins the errors one per line.
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

// Sort orders the errors by position, keeping the order of errors at the
// same position.
func (es Errors) Sort() {
	slices.SortStableFunc(es, func(a, b *Error) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	})
}

// MaxErrors bounds how many problems one file reports; past it the rest
// are counted in one last line, so a garbage file does not print
// megabytes.
const MaxErrors = 50

// Pos is a 1-based position in a file; zero fields are unknown.
type Pos struct{ Line, Col int }

// List collects the problems of one file.
type List struct {
	File string
	errs Errors
	more int // problems past MaxErrors
}

// Add records a problem at p. String arguments are input: %q quotes a
// short excerpt and %s escapes control characters (safetext).
func (l *List) Add(p Pos, object, format string, args ...any) {
	l.Append(&Error{Line: p.Line, Col: p.Col, Object: object, Problem: safetext.Sprintf(format, args...)})
}

// Append records a problem built elsewhere; an empty File is the list's.
func (l *List) Append(e *Error) {
	if len(l.errs) >= MaxErrors {
		l.more++
		return
	}
	if e.File == "" {
		e.File = l.File
	}
	l.errs = append(l.errs, e)
}

// Failed reports whether any problem was recorded.
func (l *List) Failed() bool { return len(l.errs) > 0 }

// Errors returns the problems in position order (nil when there are
// none), with a last line counting those past MaxErrors.
func (l *List) Errors() Errors {
	if len(l.errs) == 0 {
		return nil
	}
	es := slices.Clone(l.errs)
	es.Sort()
	if l.more > 0 {
		es = append(es, &Error{File: l.File, Problem: fmt.Sprintf("%d more problems not shown", l.more)})
	}
	return es
}

// Err is Errors as an error: nil when there are none.
func (l *List) Err() error {
	if es := l.Errors(); es != nil {
		return es
	}
	return nil
}
