package inventory

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

// maxYAMLNodes bounds how many nodes one file may make us visit, counting
// every alias expansion, so an alias bomb is refused rather than followed.
const maxYAMLNodes = 2_000_000

// ydec walks yaml.v3 nodes with positions, reporting into errs. It keeps
// strictness we control (unknown keys, duplicates, kinds) instead of
// relying on custom unmarshalers.
type ydec struct {
	errs   *errList
	visits int
	over   bool
}

// kv is one mapping entry.
type kv struct {
	key string
	k   *yaml.Node
	v   *yaml.Node
}

var yamlLineRe = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML returns the root node of a single-document YAML file, or nil
// after reporting why it cannot be read.
func parseYAML(data []byte, errs *errList) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			errs.add(pos{}, "", "inventory is empty")
			return nil
		}
		reportYAMLError(errs, err)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		errs.add(pos{extra.Line, extra.Column}, "", "a second YAML document is not allowed; put everything in one")
		return nil
	} else if !errors.Is(err, io.EOF) {
		reportYAMLError(errs, err)
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		errs.add(pos{}, "", "inventory is empty")
		return nil
	}
	return doc.Content[0]
}

func reportYAMLError(errs *errList, err error) {
	msg := err.Error()
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		errs.add(pos{line: line}, "", "invalid YAML: %s", m[2])
		return
	}
	errs.add(pos{}, "", "invalid YAML: %s", msg)
}

func at(n *yaml.Node) pos { return pos{n.Line, n.Column} }

// visit counts a node; false once the budget is spent.
func (d *ydec) visit(n *yaml.Node) bool {
	if d.over {
		return false
	}
	d.visits++
	if d.visits > maxYAMLNodes {
		d.over = true
		d.errs.add(at(n), "", "the file expands to more than %d YAML nodes (aliases included); refusing to read it", maxYAMLNodes)
		return false
	}
	return true
}

// deref follows aliases.
func (d *ydec) deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		// The kind only, never the text: where a mapping was expected, a
		// scalar is often a file that is no inventory at all (a key, a
		// credentials document), and its content must not be echoed.
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

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// mapping returns the entries of a mapping node in order, with YAML merge
// keys (<<: *anchor) applied: explicit keys win over merged ones. A key
// written twice is an error. Null counts as an empty mapping.
func (d *ydec) mapping(n *yaml.Node, object string) ([]kv, bool) {
	n = d.deref(n)
	if isNull(n) {
		return nil, true
	}
	if !d.visit(n) {
		return nil, false
	}
	if n.Kind != yaml.MappingNode {
		d.errs.add(at(n), object, "want a mapping of keys to values, got %s", kindName(n))
		return nil, false
	}
	var merged, explicit []kv
	seen := map[string]*yaml.Node{}
	ok := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := d.deref(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errs.add(at(k), object, "a key must be a plain string, got %s", kindName(k))
			ok = false
			continue
		}
		if k.Tag == "!!merge" {
			ms, mok := d.mergeSources(v, object)
			ok = ok && mok
			merged = append(merged, ms...)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errs.add(at(k), object, "key %q is written twice (first at line %d)", k.Value, first.Line)
			ok = false
			continue
		}
		seen[k.Value] = k
		explicit = append(explicit, kv{key: k.Value, k: k, v: v})
	}
	var out []kv
	mseen := map[string]bool{}
	for _, e := range merged {
		if seen[e.key] == nil && !mseen[e.key] {
			mseen[e.key] = true
			out = append(out, e)
		}
	}
	return append(out, explicit...), ok
}

func (d *ydec) mergeSources(v *yaml.Node, object string) ([]kv, bool) {
	v = d.deref(v)
	if v.Kind == yaml.SequenceNode {
		var out []kv
		ok := true
		for _, e := range v.Content {
			es, eok := d.mapping(e, object)
			out = append(out, es...)
			ok = ok && eok
		}
		return out, ok
	}
	return d.mapping(v, object)
}

// sequence returns the items of a list node; null is an empty list.
func (d *ydec) sequence(n *yaml.Node, object string) ([]*yaml.Node, bool) {
	n = d.deref(n)
	if isNull(n) {
		return nil, true
	}
	if !d.visit(n) {
		return nil, false
	}
	if n.Kind != yaml.SequenceNode {
		d.errs.add(at(n), object, "want a list, got %s", kindName(n))
		return nil, false
	}
	return n.Content, true
}

// str returns a scalar's text.
func (d *ydec) str(n *yaml.Node, object, key string) (string, bool) {
	n = d.deref(n)
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.errs.add(at(n), object, "%s must be a string, got %s", key, kindName(n))
		return "", false
	}
	return n.Value, true
}

// boolean returns a YAML boolean.
func (d *ydec) boolean(n *yaml.Node, object, key string) (bool, bool) {
	n = d.deref(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		if b, ok := parseBool(n.Value); ok {
			return b, true
		}
	}
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		d.errs.add(at(n), object, "%s must be true or false, got %q", key, n.Value)
		return false, false
	}
	d.errs.add(at(n), object, "%s must be true or false, got %s", key, kindName(n))
	return false, false
}

// flatten returns a var's value as text and whether to keep it: scalars as
// written, null as "". Lists, mappings and vault-encrypted values are
// dropped (they never become labels); a connection var must be a scalar.
func (d *ydec) flatten(n *yaml.Node, object, key string) (string, bool) {
	n = d.deref(n)
	if !d.visit(n) {
		return "", false
	}
	if n.Tag == "!vault" {
		return "", false
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if isNull(n) {
			return "", true
		}
		return n.Value, true
	case yaml.SequenceNode, yaml.MappingNode:
		if connectionVars[key] {
			d.errs.add(at(n), object, "%s must be a single value, got %s", key, kindName(n))
		}
	}
	return "", false
}

// hasKey reports whether a mapping node has the key at its top level.
func hasKey(n *yaml.Node, key string) bool {
	if n == nil || n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Kind == yaml.ScalarNode && n.Content[i].Value == key {
			return true
		}
	}
	return false
}
