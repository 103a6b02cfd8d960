package policies

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/patchflow/patchflow/internal/safetext"
	"gopkg.in/yaml.v3"
)

// MaxFileSize is the largest policy file accepted. Real policies are a few
// kilobytes; the limit keeps a wrong path (a log, an image) from being read
// into memory.
const MaxFileSize = 1 << 20

// Load reads and validates the policy file at path. Every problem is
// returned at once as Errors, each at its file:line:col.
func Load(path string) (*Policy, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Errors{{File: path, Problem: fmt.Sprintf("cannot read policy: %v", unwrapPath(err))}}
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > MaxFileSize {
		return nil, Errors{tooBig(path, st.Size())}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, Errors{{File: path, Problem: fmt.Sprintf("cannot read policy: %v", unwrapPath(err))}}
	}
	p, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	p.Source = path
	return p, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return safetext.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

func tooBig(name string, size int64) *Error {
	return &Error{File: name, Object: "policy", Problem: fmt.Sprintf("file is larger than the %d KiB limit for policies, got %d bytes", MaxFileSize/1024, size)}
}

// Parse validates a policy held in memory; name is used in errors only.
// Defaults are applied first, then the document is checked against the
// schema (unknown keys, types, duplicates), decoded strictly and validated.
func Parse(name string, data []byte) (*Policy, error) {
	if len(data) > MaxFileSize {
		return nil, Errors{tooBig(name, int64(len(data)))}
	}
	if what := safetext.Describe(data); what != "" {
		return nil, Errors{{File: name, Object: "policy", Problem: "this is " + what + ", not a policy; give the policy file"}}
	}
	if line, col, b, bad := safetext.InvalidUTF8(data); bad {
		return nil, Errors{{File: name, Line: line, Col: col, Object: "policy", Problem: fmt.Sprintf("byte %#x is not UTF-8; save the file as UTF-8", b)}}
	}
	root, errs := parseDocument(name, data)
	if errs != nil {
		return nil, errs
	}
	if errs := checkHeader(name, root); errs != nil {
		return nil, errs
	}
	w := &walker{file: name, at: map[string]pos{"": {root.Line, root.Column}}}
	if !w.tooLarge(root, "policy", "the document") {
		w.mapping(root, reflect.TypeOf(Policy{}), "", obj{name: "policy"})
	}
	if len(w.errs) > 0 {
		w.errs.sort()
		return nil, w.errs
	}

	p := Default()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(p); err != nil {
		// The schema walk accepts only what decodes; reaching this is a bug,
		// but the user still gets a positioned message rather than a panic.
		return nil, Errors{yamlError(name, err)}
	}
	p.pos = positions{file: name, at: w.at}
	applyDerivedDefaults(p)
	if errs := validate(p); len(errs) > 0 {
		errs.sort()
		return nil, errs
	}
	return p, nil
}

// parseDocument parses exactly one YAML document into a mapping node.
func parseDocument(name string, data []byte) (*yaml.Node, Errors) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Errors{{File: name, Line: 1, Col: 1, Object: "policy", Problem: "file is empty; expected a document starting with apiVersion: patchflow/v1 and kind: PatchPolicy"}}
		}
		if tabs := tabErrors(name, data); len(tabs) > 0 {
			return nil, tabs
		}
		return nil, Errors{yamlError(name, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, Errors{{File: name, Line: extra.Line, Col: extra.Column, Object: "policy", Problem: "file holds more than one YAML document; put one policy per file"}}
	} else if !errors.Is(err, io.EOF) {
		return nil, Errors{yamlError(name, err)}
	}
	if len(doc.Content) == 0 || (doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].Tag == "!!null") {
		return nil, Errors{{File: name, Line: 1, Col: 1, Object: "policy", Problem: "file is empty; expected a document starting with apiVersion: patchflow/v1 and kind: PatchPolicy"}}
	}
	root := doc.Content[0]
	if root.Kind == yaml.AliasNode && root.Alias != nil {
		root = root.Alias
	}
	if root.Kind != yaml.MappingNode {
		return nil, Errors{{File: name, Line: root.Line, Col: root.Column, Object: "policy", Problem: "document must be a mapping of fields (apiVersion, kind, metadata, ...), got " + kindOf(root)}}
	}
	return root, nil
}

// checkHeader verifies apiVersion and kind first: for another kind of
// document (an inventory, a Kubernetes manifest) schema errors would be noise.
func checkHeader(name string, root *yaml.Node) Errors {
	var errs Errors
	want := map[string]string{"apiVersion": APIVersion, "kind": Kind}
	found := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		exp, ok := want[k.Value]
		if !ok || found[k.Value] {
			continue
		}
		found[k.Value] = true
		if v.Kind != yaml.ScalarNode || v.Value != exp {
			errs = append(errs, &Error{File: name, Line: v.Line, Col: v.Column, Object: "policy", Problem: fmt.Sprintf("%s must be %q, got %s", k.Value, exp, describe(v))})
		}
	}
	for _, key := range []string{"apiVersion", "kind"} {
		if !found[key] {
			errs = append(errs, &Error{File: name, Line: root.Line, Col: root.Column, Object: "policy", Problem: fmt.Sprintf("%s is required; start the file with apiVersion: %s and kind: %s", key, APIVersion, Kind)})
		}
	}
	return errs
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError turns a yaml.v3 error into a positioned Error. The parser
// reports lines only, so the column is 1.
func yamlError(name string, err error) *Error {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = "yaml: " + te.Errors[0]
	}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: name, Line: line, Col: 1, Object: "yaml", Problem: m[2]}
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	if strings.HasPrefix(msg, "exceeded max depth") {
		msg = "document is nested too deeply (" + msg + "); policies are a few levels deep"
	}
	return &Error{File: name, Object: "yaml", Problem: msg}
}

// tabErrors reports tabs in indentation, which YAML forbids and which the
// parser otherwise reports as "found character that cannot start any token".
func tabErrors(name string, data []byte) Errors {
	var errs Errors
	for i, line := range bytes.Split(data, []byte("\n")) {
		for j, c := range line {
			if c == '\t' {
				errs = append(errs, &Error{File: name, Line: i + 1, Col: j + 1, Object: "yaml", Problem: "tab character in indentation; YAML indents with spaces only"})
				break
			}
			if c != ' ' && c != '-' {
				break
			}
		}
	}
	return errs
}
