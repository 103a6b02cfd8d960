package policies

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem in a policy file, at a position. Line and Col are
// 1-based; 0 means the position is unknown (for example after the policy was
// serialised, which drops positions).
type Error struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	Object  string `json:"object"`
	Problem string `json:"problem"`
}

// Error formats e as "file:line:col: <object>: <problem>".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
	}
	b.WriteString(": ")
	if e.Object != "" {
		b.WriteString(e.Object)
		b.WriteString(": ")
	}
	b.WriteString(e.Problem)
	return b.String()
}

// Errors is every problem found in one file, sorted by position.
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

func (es Errors) sort() {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Line != es[j].Line {
			return es[i].Line < es[j].Line
		}
		return es[i].Col < es[j].Col
	})
}

// pos is a 1-based source position.
type pos struct{ Line, Col int }

// positions maps a schema path ("rollout.waves[1].count") to the position of
// its value, plus the file name for errors.
type positions struct {
	file string
	at   map[string]pos
}

func (ps positions) has(path string) bool {
	_, ok := ps.at[path]
	return ok
}

// lookup returns the position of path, else of its nearest ancestor that has
// one, so a missing field is reported at the object that lacks it.
func (ps positions) lookup(path string) pos {
	for {
		if p, ok := ps.at[path]; ok {
			return p
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return ps.at[""]
		}
		path = path[:i]
	}
}

// Position returns the line and column of the value at path (for example
// "targets.staging.select[0]"), or of its nearest ancestor present in the
// file; 0, 0 when the policy carries no positions (it was deserialised).
func (p *Policy) Position(path string) (line, col int) {
	at := p.pos.lookup(path)
	return at.Line, at.Col
}

// ErrorAt builds an *Error for the value at path, so layers above policies
// (inventory checks in the CLI) report problems at the policy's position.
func (p *Policy) ErrorAt(path, object, format string, args ...any) *Error {
	line, col := p.Position(path)
	file := p.pos.file
	if file == "" {
		file = p.Source
	}
	return &Error{File: file, Line: line, Col: col, Object: object, Problem: fmt.Sprintf(format, args...)}
}
