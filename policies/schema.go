package policies

import (
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/patchflow/patchflow/internal/yamldiag"
)

// maxNodes bounds the values the schema walk visits, so aliases that expand a
// small file into millions of values are refused instead of exhausting memory.
const maxNodes = 200_000

// maxMappingKeys bounds one mapping (metadata.labels, say). Real policies
// have a handful of keys; the bound also keeps the final strict decode
// fast, since yaml.v3's duplicate-key check is quadratic in a mapping's size.
const maxMappingKeys = 1000

var durationType = reflect.TypeOf(Duration(0))

// walker checks a YAML node tree against the Go schema before anything is
// decoded: unknown keys (with a did-you-mean), duplicate keys, nulls and
// wrong types, each at its position. It also records the position of every
// value by schema path, the mirror the validation pass reports with.
type walker struct {
	errs   *yamldiag.List
	at     map[string]yamldiag.Pos
	budget yamldiag.Budget
}

func (w *walker) errorf(n *yaml.Node, object, format string, args ...any) {
	w.errs.Add(yamldiag.Pos{Line: n.Line, Col: n.Column}, object, format, args...)
}

// describe renders a node for a "got ..." suffix: a scalar by its
// (excerpted) value, anything else by its kind.
func describe(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return quote(n.Value)
	}
	return yamldiag.Kind(n)
}

// obj is how errors name a mapping: its object name, and a prefix for the
// labels of its fields when it is nested inside a list item ("threshold."),
// so they read `check "p95": threshold.op ...`.
type obj struct {
	name, prefix string
	item         bool // a list item or inside one
}

// walk checks node n, the value of field label inside object, against type
// t; self names n in errors about its own fields when it is a mapping.
func (w *walker) walk(n *yaml.Node, t reflect.Type, path, object, label string, self obj) {
	if !w.budget.Visit(w.errs, n) {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			w.errorf(n, object, "%s refers to an unknown anchor, got %s", label, quote(n.Value))
			return
		}
		n = n.Alias
	}
	if _, seen := w.at[path]; !seen {
		w.at[path] = yamldiag.Pos{Line: n.Line, Col: n.Column}
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		w.errorf(n, object, "%s has no value; remove the key to use the default, or give a value", label)
		return
	}
	if t == durationType {
		w.duration(n, object, label)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			w.errorf(n, object, "%s must be a mapping of fields, got %s", label, describe(n))
			return
		}
		if w.tooLarge(n, object, label) {
			return
		}
		w.mapping(n, t, path, self)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			extra := ""
			if t.Elem().Kind() == reflect.String && n.Kind == yaml.ScalarNode && strings.Contains(path, "hooks[") {
				extra = " (an argv list such as [systemctl, stop, nginx], not a shell string)"
			}
			w.errorf(n, object, "%s must be a list%s, got %s", label, extra, describe(n))
			return
		}
		for i, item := range n.Content {
			ip := fmt.Sprintf("%s[%d]", path, i)
			w.walk(item, t.Elem(), ip, object, fmt.Sprintf("%s[%d]", label, i), itemObject(self.name, t.Elem(), i, item))
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			w.errorf(n, object, "%s must be a mapping, got %s", label, describe(n))
			return
		}
		if w.tooLarge(n, object, label) {
			return
		}
		// Merge keys (<<: *labels) work here as in struct mappings.
		for _, p := range w.pairs(n, object, label+": ") {
			w.walk(p.v, t.Elem(), path+"."+p.k.Value, object, label+"."+p.k.Value, self)
		}
	default:
		w.scalar(n, t, object, label)
	}
}

// tooLarge reports a mapping with more than maxMappingKeys keys.
func (w *walker) tooLarge(n *yaml.Node, object, label string) bool {
	if keys := len(n.Content) / 2; keys > maxMappingKeys {
		w.errorf(n, object, "%s has %d keys; at most %d are allowed in one mapping", label, keys, maxMappingKeys)
		return true
	}
	return false
}

func (w *walker) duration(n *yaml.Node, object, label string) {
	if n.Kind != yaml.ScalarNode {
		w.errorf(n, object, "%s must be a duration such as 30m or 1d, got %s", label, describe(n))
		return
	}
	if n.Tag == "!!int" || n.Tag == "!!float" {
		if n.Value == "0" {
			return
		}
		w.errorf(n, object, "%s needs a unit (ns, us, ms, s, m, h, d, w), e.g. %sm, got %s", label, n.Value, n.Value)
		return
	}
	if _, err := ParseDuration(n.Value); err != nil {
		w.errorf(n, object, "%s: %v", label, err)
	}
}

func (w *walker) scalar(n *yaml.Node, t reflect.Type, object, label string) {
	if n.Kind != yaml.ScalarNode {
		w.errorf(n, object, "%s must be a single value, got %s", label, describe(n))
		return
	}
	switch t.Kind() {
	case reflect.String:
		return // any scalar reads as text
	case reflect.Bool:
		if n.Tag != "!!bool" {
			w.errorf(n, object, "%s must be true or false, got %s", label, quote(n.Value))
		}
	case reflect.Int:
		var v int
		if n.Tag != "!!int" || n.Decode(&v) != nil {
			w.errorf(n, object, "%s must be an integer, got %s", label, quote(n.Value))
		}
	case reflect.Float64:
		var v float64
		if (n.Tag != "!!int" && n.Tag != "!!float") || n.Decode(&v) != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			w.errorf(n, object, "%s must be a finite number, got %s", label, quote(n.Value))
		}
	default:
		w.errorf(n, object, "%s has a type the schema cannot read (%s); this is a bug in patchflow", label, t)
	}
}

// pair is one key/value of a mapping after merge keys are expanded.
type pair struct{ k, v *yaml.Node }

// pairs returns the explicit pairs of a mapping, reporting duplicates, then
// the pairs brought in by merge keys (<<: *anchor) that are not overridden.
// prefix starts each error ("labels: " for a map field, "" for a struct).
func (w *walker) pairs(n *yaml.Node, object, prefix string) []pair {
	var out, merged []pair
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merged = append(merged, w.mergeSources(v, object)...)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			w.errorf(k, object, "%skeys must be plain names, got %s", prefix, describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			w.errorf(k, object, "%sduplicate key %s (first at %d:%d)", prefix, quote(k.Value), first.Line, first.Column)
			continue
		}
		seen[k.Value] = k
		out = append(out, pair{k, v})
	}
	for _, p := range merged {
		if _, overridden := seen[p.k.Value]; !overridden {
			seen[p.k.Value] = p.k
			out = append(out, p)
		}
	}
	return out
}

func (w *walker) mergeSources(v *yaml.Node, object string) []pair {
	if v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	switch v.Kind {
	case yaml.MappingNode:
		var out []pair
		for i := 0; i+1 < len(v.Content); i += 2 {
			if v.Content[i].Kind == yaml.ScalarNode {
				out = append(out, pair{v.Content[i], v.Content[i+1]})
			}
		}
		return out
	case yaml.SequenceNode:
		var out []pair
		for _, item := range v.Content {
			// A list of mappings, each an alias or written in place, as
			// YAML's merge key type and yaml.v3 allow.
			if item.Kind == yaml.MappingNode || item.Kind == yaml.AliasNode && item.Alias != nil && item.Alias.Kind == yaml.MappingNode {
				out = append(out, w.mergeSources(item, object)...)
			} else {
				w.errorf(item, object, "merge key (<<) list items must be mappings or aliases of mappings, got %s", describe(item))
			}
		}
		return out
	}
	w.errorf(v, object, "merge key (<<) needs a mapping or an alias of one, got %s", describe(v))
	return nil
}

// mapping checks the fields of a struct-typed mapping.
func (w *walker) mapping(n *yaml.Node, t reflect.Type, path string, o obj) {
	fields := yamlFields(t)
	for _, p := range w.pairs(n, o.name, "") {
		key := p.k.Value
		f, ok := fields[key]
		if !ok {
			w.errorf(p.k, o.name, "unknown field %s%s", quote(o.prefix+key), didYouMean(key, fields))
			continue
		}
		child := obj{name: childObject(o.name, key)}
		if o.item {
			child = obj{name: o.name, prefix: o.prefix + key + ".", item: true}
		}
		w.walk(p.v, f.Type, joinPath(path, key), o.name, o.prefix+key, child)
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// childObject names the object a nested mapping belongs to in errors.
func childObject(parent, label string) string {
	if parent == "policy" || parent == "" {
		return label
	}
	return parent + "." + label
}

// itemObject names list items: waves and checks by their name when they
// have one, since that is how an SRE refers to them.
func itemObject(list string, elem reflect.Type, i int, item *yaml.Node) obj {
	kind := ""
	switch elem {
	case reflect.TypeOf(Wave{}):
		kind = "wave"
	case reflect.TypeOf(Check{}):
		kind = "check"
	}
	if kind != "" && item.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(item.Content); j += 2 {
			if item.Content[j].Value == "name" && item.Content[j+1].Kind == yaml.ScalarNode && item.Content[j+1].Value != "" {
				return obj{name: kind + " " + quote(item.Content[j+1].Value), item: true}
			}
		}
	}
	return obj{name: fmt.Sprintf("%s[%d]", list, i), item: true}
}

// yamlFields maps YAML key names to struct fields.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "-" || name == "" {
			continue
		}
		out[name] = f
	}
	return out
}

// didYouMean suggests the known field nearest to an unknown key, else
// lists the known fields.
func didYouMean(key string, fields map[string]reflect.StructField) string {
	names := slices.Sorted(maps.Keys(fields))
	if near := yamldiag.Suggest(key, names); near != "" {
		return fmt.Sprintf(" (did you mean %q?)", near)
	}
	return fmt.Sprintf(" (known fields: %s)", strings.Join(names, ", "))
}
