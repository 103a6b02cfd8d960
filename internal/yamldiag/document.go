package yamldiag

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Document says what a file holds, for the messages of the
// single-document rule.
type Document struct {
	// Object names the file's kind in errors ("policy", "inventory").
	Object string
	// Expect says what an empty file should start with.
	Expect string
}

// Parse reads data as exactly one YAML document and returns its root
// node, following an alias at the root. An empty file, a second document
// and a syntax error (tabs in indentation first, as the parser reports
// them obscurely) are recorded in l, and Parse returns nil.
func (d Document) Parse(l *List, data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		switch {
		case errors.Is(err, io.EOF):
			d.empty(l)
		case !d.tabs(l, data):
			l.Append(syntaxError(err))
		}
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		l.Add(Pos{extra.Line, extra.Column}, d.Object, "file holds more than one YAML document; put one %s per file", d.Object)
		return nil
	} else if !errors.Is(err, io.EOF) {
		l.Append(syntaxError(err))
		return nil
	}
	if len(doc.Content) == 0 || IsNull(doc.Content[0]) {
		d.empty(l)
		return nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.AliasNode && root.Alias != nil {
		root = root.Alias
	}
	return root
}

func (d Document) empty(l *List) {
	l.Add(Pos{1, 1}, d.Object, "file is empty; expected %s", d.Expect)
}

// tabs reports tabs in indentation, which YAML forbids and which the
// parser reports as "found character that cannot start any token".
func (d Document) tabs(l *List, data []byte) bool {
	found := false
	for i, line := range bytes.Split(data, []byte("\n")) {
		for j, c := range line {
			if c == '\t' {
				l.Add(Pos{i + 1, j + 1}, "yaml", "tab character in indentation; YAML indents with spaces only")
				found = true
				break
			}
			if c != ' ' && c != '-' {
				break
			}
		}
	}
	return found
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns a yaml.v3 error into a positioned Error. The parser
// reports lines only, so the column is 1.
func syntaxError(err error) *Error {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = "yaml: " + te.Errors[0]
	}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{Line: line, Col: 1, Object: "yaml", Problem: m[2]}
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	if strings.HasPrefix(msg, "exceeded max depth") {
		msg = "document is nested too deeply (" + msg + ")"
	}
	return &Error{Object: "yaml", Problem: msg}
}

// SyntaxError is the positioned form of an error from yaml.v3's decoder.
func SyntaxError(file string, err error) *Error {
	e := syntaxError(err)
	e.File = file
	return e
}

// IsNull reports whether n is absent or a YAML null.
func IsNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// Kind names what a node is without quoting it: where a mapping was
// expected, a scalar is often a file that is no configuration at all (a
// key, a credentials document), and its content must not be echoed.
func Kind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "nothing"
		case "!!int", "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		}
		return "a string"
	}
	return "an alias"
}
