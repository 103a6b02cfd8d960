package policies

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"

	"gopkg.in/yaml.v3"

	"github.com/patchflow/patchflow/internal/safetext"
	"github.com/patchflow/patchflow/internal/yamldiag"
)

// MaxFileSize is the largest policy file accepted. Real policies are a few
// kilobytes; the limit keeps a wrong path (a log, an image) from being read
// into memory.
const MaxFileSize = 1 << 20

// document is what the single-document rule says about a policy file.
var document = yamldiag.Document{Object: "policy", Expect: "a document starting with apiVersion: " + APIVersion + " and kind: " + Kind}

// Load reads and validates the policy file at path. Every problem is
// returned at once as yamldiag.Errors, each at its file:line:col.
func Load(path string) (*Policy, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, yamldiag.Errors{{File: path, Problem: fmt.Sprintf("cannot read policy: %v", unwrapPath(err))}}
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > MaxFileSize {
		return nil, yamldiag.Errors{tooBig(path, st.Size())}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, yamldiag.Errors{{File: path, Problem: fmt.Sprintf("cannot read policy: %v", unwrapPath(err))}}
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

func tooBig(name string, size int64) *yamldiag.Error {
	return &yamldiag.Error{File: name, Object: "policy", Problem: fmt.Sprintf("file is larger than the %d KiB limit for policies, got %d bytes", MaxFileSize/1024, size)}
}

// Parse validates a policy held in memory; name is used in errors only.
// Defaults are applied first, then the document is checked against the
// schema (unknown keys, types, duplicates), decoded strictly and validated.
func Parse(name string, data []byte) (*Policy, error) {
	if len(data) > MaxFileSize {
		return nil, yamldiag.Errors{tooBig(name, int64(len(data)))}
	}
	if what := safetext.Describe(data); what != "" {
		return nil, yamldiag.Errors{{File: name, Object: "policy", Problem: "this is " + what + ", not a policy; give the policy file"}}
	}
	if line, col, b, bad := safetext.InvalidUTF8(data); bad {
		return nil, yamldiag.Errors{{File: name, Line: line, Col: col, Object: "policy", Problem: fmt.Sprintf("byte %#x is not UTF-8; save the file as UTF-8", b)}}
	}
	errs := &yamldiag.List{File: name}
	root := document.Parse(errs, data)
	if root == nil {
		return nil, errs.Err()
	}
	if root.Kind != yaml.MappingNode {
		errs.Add(yamldiag.Pos{Line: root.Line, Col: root.Column}, "policy", "document must be a mapping of fields (apiVersion, kind, metadata, ...), got %s", yamldiag.Kind(root))
		return nil, errs.Err()
	}
	if checkHeader(errs, root); errs.Failed() {
		return nil, errs.Err()
	}
	w := &walker{errs: errs, at: map[string]yamldiag.Pos{"": {Line: root.Line, Col: root.Column}},
		budget: yamldiag.Budget{Max: maxNodes, Object: "policy"}}
	if !w.tooLarge(root, "policy", "the document") {
		w.mapping(root, reflect.TypeOf(Policy{}), "", obj{name: "policy"})
	}
	if errs.Failed() {
		return nil, errs.Err()
	}

	p := Default()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(p); err != nil {
		// The schema walk accepts only what decodes; reaching this is a bug,
		// but the user still gets a positioned message rather than a panic.
		return nil, yamldiag.Errors{yamldiag.SyntaxError(name, err)}
	}
	p.pos = positions{file: name, at: w.at}
	applyDerivedDefaults(p)
	if validate(p, errs); errs.Failed() {
		return nil, errs.Err()
	}
	return p, nil
}

// checkHeader verifies apiVersion and kind first: for another kind of
// document (an inventory, a Kubernetes manifest) schema errors would be noise.
func checkHeader(errs *yamldiag.List, root *yaml.Node) {
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
			errs.Add(yamldiag.Pos{Line: v.Line, Col: v.Column}, "policy", "%s must be %q, got %s", k.Value, exp, describe(v))
		}
	}
	for _, key := range []string{"apiVersion", "kind"} {
		if !found[key] {
			errs.Add(yamldiag.Pos{Line: root.Line, Col: root.Column}, "policy", "%s is required; start the file with apiVersion: %s and kind: %s", key, APIVersion, Kind)
		}
	}
}
