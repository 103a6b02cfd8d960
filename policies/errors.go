package policies

import (
	"strings"

	"github.com/patchflow/patchflow/internal/safetext"
	"github.com/patchflow/patchflow/internal/yamldiag"
)

// positions maps a schema path ("rollout.waves[1].count") to the position of
// its value, plus the file name for errors.
type positions struct {
	file string
	at   map[string]yamldiag.Pos
}

func (ps positions) has(path string) bool {
	_, ok := ps.at[path]
	return ok
}

// lookup returns the position of path, else of its nearest ancestor that has
// one, so a missing field is reported at the object that lacks it.
func (ps positions) lookup(path string) yamldiag.Pos {
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

// ErrorAt builds an error for the value at path, so layers above policies
// (the rollout preview against an inventory) report problems at the
// policy's position. String arguments are input (safetext.Sprintf).
func (p *Policy) ErrorAt(path, object, format string, args ...any) *yamldiag.Error {
	file := p.pos.file
	if file == "" {
		file = p.Source
	}
	at := p.pos.lookup(path)
	return &yamldiag.Error{File: file, Line: at.Line, Col: at.Col, Object: object, Problem: safetext.Sprintf(format, args...)}
}

// quote renders a user value in errors: a short excerpt with control
// characters escaped, so a huge or hostile value cannot flood the output.
func quote(s string) string { return safetext.Excerpt(s) }
