package inventory

import (
	"gopkg.in/yaml.v3"

	"github.com/patchflow/patchflow/internal/yamldiag"
)

// ansibleYAML reads an Ansible YAML inventory: top-level groups (usually
// just "all"), each with hosts, vars and children, children nesting groups.
type ansibleYAML struct {
	ydec
	m *model
}

var ansibleGroupKeys = []string{"children", "hosts", "vars"}

func parseAnsibleYAML(root *yaml.Node, m *model) {
	d := &ansibleYAML{ydec: newYdec(m.errs), m: m}
	entries, ok := d.mapping(root, "inventory")
	if !ok {
		return
	}
	for _, e := range entries {
		if e.key == "_meta" {
			d.errs.Add(at(e.k), "", "this looks like `ansible-inventory --list` JSON; export YAML instead: ansible-inventory -i SRC -y --list")
			return
		}
	}
	for _, e := range entries {
		d.group(e.key, e.k, e.v)
	}
}

func (d *ansibleYAML) group(name string, k, n *yaml.Node) *mGroup {
	obj := groupObj(name)
	if err := ValidGroupName(name); err != nil {
		d.errs.Add(at(k), "", "%v", err)
		return nil
	}
	g := d.m.group(name, at(k))
	g.defined = true
	entries, ok := d.mapping(n, obj)
	if !ok {
		return g
	}
	for _, e := range entries {
		switch e.key {
		case "hosts":
			d.hosts(g, e.v)
		case "vars":
			vars, _ := d.mapping(e.v, obj+" vars")
			for _, v := range vars {
				if val, ok := d.flatten(v.v, obj, v.key); ok {
					d.m.setGroupVar(g, v.key, val, at(v.k))
				}
			}
		case "children":
			children, _ := d.mapping(e.v, obj+" children")
			for _, c := range children {
				if d.group(c.key, c.k, c.v) != nil {
					d.m.addChild(g, c.key, at(c.k))
				}
			}
		default:
			d.errs.Add(at(e.k), obj, "unknown key %q%s (a group has only hosts, vars and children; put child groups under children)", e.key, suggest(e.key, ansibleGroupKeys))
		}
	}
	return g
}

func (d *ansibleYAML) hosts(g *mGroup, n *yaml.Node) {
	obj := groupObj(g.name)
	if v := d.deref(n); v.Kind != yaml.MappingNode && !yamldiag.IsNull(v) {
		d.errs.Add(at(v), obj, "hosts must be a mapping of host names, each on its own line ending in ':' (web1:), got %s", yamldiag.Kind(v))
		return
	}
	entries, ok := d.mapping(n, obj+" hosts")
	if !ok {
		return
	}
	for _, e := range entries {
		type hv struct {
			k, v string
			p    pos
		}
		var vars []hv
		body, _ := d.mapping(e.v, hostObj(e.key))
		for _, v := range body {
			if val, ok := d.flatten(v.v, hostObj(e.key), v.key); ok {
				vars = append(vars, hv{v.key, val, at(v.k)})
			}
		}
		pattern, port := splitPatternPort(e.key)
		names, ok := d.m.expand(pattern, at(e.k), obj)
		if !ok {
			continue
		}
		for _, name := range names {
			h := d.m.host(name, at(e.k))
			if h == nil {
				continue
			}
			if g.name != GroupAll {
				h.direct[g.name] = true
			}
			if port != "" {
				d.m.setHostVar(h, "ansible_port", port, at(e.k))
			}
			for _, v := range vars {
				d.m.setHostVar(h, v.k, v.v, v.p)
			}
		}
	}
}
