package inventory

import (
	"gopkg.in/yaml.v3"

	"github.com/patchflow/patchflow/internal/yamldiag"
)

// maxYAMLNodes bounds how many nodes one file may make us visit, counting
// every alias expansion, so an alias bomb is refused rather than followed.
const maxYAMLNodes = 2_000_000

// document is what the single-document rule says about an inventory file.
var document = yamldiag.Document{Object: "inventory", Expect: "hosts and groups (patchflow YAML, or an Ansible INI or YAML inventory)"}

// ydec walks yaml.v3 nodes with positions, reporting into errs. It keeps
// strictness we control (unknown keys, duplicates, kinds) instead of
// relying on custom unmarshalers.
type ydec struct {
	errs   *yamldiag.List
	budget *yamldiag.Budget
}

// kv is one mapping entry.
type kv struct {
	key string
	k   *yaml.Node
	v   *yaml.Node
}

func newYdec(errs *yamldiag.List) ydec {
	return ydec{errs: errs, budget: &yamldiag.Budget{Max: maxYAMLNodes, Object: "inventory"}}
}

func at(n *yaml.Node) pos { return pos{Line: n.Line, Col: n.Column} }

// visit counts a node; false once the budget is spent.
func (d *ydec) visit(n *yaml.Node) bool { return d.budget.Visit(d.errs, n) }

// deref follows aliases.
func (d *ydec) deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// mapping returns the entries of a mapping node in order, with YAML merge
// keys (<<: *anchor) applied: explicit keys win over merged ones. A key
// written twice is an error. Null counts as an empty mapping.
func (d *ydec) mapping(n *yaml.Node, object string) ([]kv, bool) {
	n = d.deref(n)
	if yamldiag.IsNull(n) {
		return nil, true
	}
	if !d.visit(n) {
		return nil, false
	}
	if n.Kind != yaml.MappingNode {
		d.errs.Add(at(n), object, "want a mapping of keys to values, got %s", yamldiag.Kind(n))
		return nil, false
	}
	var merged, explicit []kv
	seen := map[string]*yaml.Node{}
	ok := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := d.deref(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errs.Add(at(k), object, "a key must be a plain string, got %s", yamldiag.Kind(k))
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
			d.errs.Add(at(k), object, "key %q is written twice (first at line %d)", k.Value, first.Line)
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
	if yamldiag.IsNull(n) {
		return nil, true
	}
	if !d.visit(n) {
		return nil, false
	}
	if n.Kind != yaml.SequenceNode {
		d.errs.Add(at(n), object, "want a list, got %s", yamldiag.Kind(n))
		return nil, false
	}
	return n.Content, true
}

// str returns a scalar's text.
func (d *ydec) str(n *yaml.Node, object, key string) (string, bool) {
	n = d.deref(n)
	if n.Kind != yaml.ScalarNode || yamldiag.IsNull(n) {
		d.errs.Add(at(n), object, "%s must be a string, got %s", key, yamldiag.Kind(n))
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
	if n.Kind == yaml.ScalarNode && !yamldiag.IsNull(n) {
		d.errs.Add(at(n), object, "%s must be true or false, got %q", key, n.Value)
		return false, false
	}
	d.errs.Add(at(n), object, "%s must be true or false, got %s", key, yamldiag.Kind(n))
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
		if yamldiag.IsNull(n) {
			return "", true
		}
		return n.Value, true
	case yaml.SequenceNode, yaml.MappingNode:
		if connectionVars[key] {
			d.errs.Add(at(n), object, "%s must be a single value, got %s", key, yamldiag.Kind(n))
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
