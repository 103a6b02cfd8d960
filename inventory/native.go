package inventory

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/patchflow/patchflow/internal/yamldiag"

	"gopkg.in/yaml.v3"
)

// APIVersion and Kind identify patchflow's own inventory format.
const (
	APIVersion = "patchflow/v1"
	Kind       = "Inventory"
)

// nativeDecoder reads patchflow's own YAML inventory strictly.
type nativeDecoder struct {
	ydec
	m        *model
	hostRefs []hostRef // hosts named by groups, checked once all hosts are known
}

type hostRef struct {
	group, host string
	pos         pos
}

// keyHints maps keys people bring from Ansible or ssh_config to ours.
var keyHints = map[string]string{
	"vars":         "labels",
	"ansible_host": "address",
	"hostname":     "address",
	"ansible_port": "port",
	"ansible_user": "user",
	"proxyjump":    "proxy_jump",
}

// field handles one known key of a mapping.
type field func(e kv)

// fields dispatches each entry to its handler; an unknown key is an error
// with a suggestion for a near miss.
func (d *nativeDecoder) fields(entries []kv, object string, known map[string]field) {
	for _, e := range entries {
		f, ok := known[e.key]
		if !ok {
			hint := suggest(e.key, slices.Sorted(maps.Keys(known)))
			if alt, ok := keyHints[e.key]; ok && known[alt] != nil {
				hint = fmt.Sprintf(", did you mean %q?", alt)
			}
			d.errs.Add(at(e.k), object, "unknown key %q%s (known keys: %s)", e.key, hint, quoteList(slices.Sorted(maps.Keys(known))))
			continue
		}
		f(e)
	}
}

func parseNative(root *yaml.Node, m *model) {
	d := &nativeDecoder{ydec: newYdec(m.errs), m: m}
	entries, ok := d.mapping(root, "inventory")
	if !ok {
		return
	}
	var sawVersion, sawKind bool
	d.fields(entries, "inventory", map[string]field{
		"apiVersion": func(e kv) {
			sawVersion = true
			if v, ok := d.str(e.v, "inventory", "apiVersion"); ok && v != APIVersion {
				d.errs.Add(at(e.v), "inventory", "apiVersion must be %q, got %q", APIVersion, v)
			}
		},
		"kind": func(e kv) {
			sawKind = true
			if v, ok := d.str(e.v, "inventory", "kind"); ok && v != Kind {
				d.errs.Add(at(e.v), "inventory", "kind must be %q, got %q", Kind, v)
			}
		},
		"defaults": func(e kv) { m.defaults = d.settings(e.v, "defaults") },
		"hosts":    func(e kv) { d.hosts(e.v) },
		"groups":   func(e kv) { d.groups(e.v) },
	})
	if !sawVersion {
		d.errs.Add(at(root), "inventory", "apiVersion is missing; want %q", APIVersion)
	}
	if !sawKind {
		d.errs.Add(at(root), "inventory", "kind is missing; want %q", Kind)
	}
	hosts := slices.Sorted(maps.Keys(m.hosts))
	for _, r := range d.hostRefs {
		h := m.hosts[r.host]
		if h == nil {
			d.errs.Add(r.pos, groupObj(r.group), "host %q is not defined under hosts%s", r.host, suggest(r.host, hosts))
			continue
		}
		h.direct[r.group] = true
	}
}

// settings reads the defaults mapping.
func (d *nativeDecoder) settings(n *yaml.Node, object string) settings {
	entries, ok := d.mapping(n, object)
	if !ok {
		return settings{}
	}
	return d.settingsOf(entries, object, nil)
}

// settingsOf reads connection settings from entries; hostFields, when not
// nil, adds the keys only a host has (address, labels, groups).
func (d *nativeDecoder) settingsOf(entries []kv, object string, hostFields map[string]field) settings {
	var s settings
	known := map[string]field{
		"user": func(e kv) {
			if v, ok := d.str(e.v, object, "user"); ok {
				if err := validUser(v); err != nil {
					d.errs.Add(at(e.v), object, "%v", err)
				}
				s.user = v
			}
		},
		"port": func(e kv) {
			if v, ok := d.str(e.v, object, "port"); ok {
				p, err := parsePort(v)
				if err != nil {
					d.errs.Add(at(e.v), object, "%v", err)
				}
				s.port = p
			}
		},
		"become": func(e kv) {
			if b, ok := d.boolean(e.v, object, "become"); ok {
				s.become = boolPtr(b)
			}
		},
		"transport": func(e kv) {
			if v, ok := d.str(e.v, object, "transport"); ok {
				if v != TransportSSH && v != TransportLocal {
					d.errs.Add(at(e.v), object, "transport must be %q or %q, got %q", TransportSSH, TransportLocal, v)
				}
				s.transport = v
			}
		},
		"ssh": func(e kv) { d.sshOptions(e.v, object, &s) },
	}
	if hostFields != nil {
		for k, f := range hostFields {
			known[k] = f
		}
		known["address"] = func(e kv) {
			if v, ok := d.str(e.v, object, "address"); ok {
				a, err := normalizeAddress(v)
				if err != nil {
					d.errs.Add(at(e.v), object, "%v", err)
				}
				s.address = a
			}
		}
	}
	d.fields(entries, object, known)
	return s
}

func (d *nativeDecoder) sshOptions(n *yaml.Node, object string, s *settings) {
	entries, ok := d.mapping(n, object+" ssh")
	if !ok {
		return
	}
	path := func(e kv, dst *string) {
		if v, ok := d.str(e.v, object, "ssh."+e.key); ok {
			p, err := resolvePath(v, d.m.baseDir)
			if err == nil && e.key == "known_hosts_file" {
				err = validKnownHostsPath(p)
			}
			if err != nil {
				d.errs.Add(at(e.v), object, "ssh.%s: %v", e.key, err)
			}
			*dst = p
		}
	}
	d.fields(entries, object, map[string]field{
		"identity_file":    func(e kv) { path(e, &s.identityFile) },
		"known_hosts_file": func(e kv) { path(e, &s.knownHostsFile) },
		"trust_on_first_use": func(e kv) {
			if b, ok := d.boolean(e.v, object, "ssh.trust_on_first_use"); ok {
				s.tofu = boolPtr(b)
			}
		},
		"proxy_jump": func(e kv) {
			if v, ok := d.str(e.v, object, "ssh.proxy_jump"); ok {
				if err := validProxyJump(v); err != nil {
					d.errs.Add(at(e.v), object, "ssh.proxy_jump: %v", err)
				}
				s.proxyJump = v
			}
		},
		"connect_timeout": func(e kv) {
			if v, ok := d.str(e.v, object, "ssh.connect_timeout"); ok {
				t, err := time.ParseDuration(v)
				if err != nil || t <= 0 || t > time.Hour {
					d.errs.Add(at(e.v), object, "ssh.connect_timeout must be a duration from 1ms to 1h like 10s, got %q", v)
				}
				s.connectTimeout = t
			}
		},
	})
}

func (d *nativeDecoder) hosts(n *yaml.Node) {
	entries, ok := d.mapping(n, "hosts")
	if !ok {
		return
	}
	for _, e := range entries {
		h := d.m.host(e.key, at(e.k))
		if h == nil {
			continue
		}
		obj := hostObj(e.key)
		body, ok := d.mapping(e.v, obj)
		if !ok {
			continue
		}
		h.settings = d.settingsOf(body, obj, map[string]field{
			"labels": func(f kv) {
				d.labels(f.v, obj, func(k, v string, p pos) { d.m.setHostVar(h, k, v, p) })
			},
			"groups": func(f kv) {
				items, _ := d.sequence(f.v, obj)
				for _, it := range items {
					if g, ok := d.str(it, obj, "groups item"); ok {
						d.memberOf(h, g, at(it))
					}
				}
			},
		})
	}
}

// memberOf puts a host in a group named from the host's side.
func (d *nativeDecoder) memberOf(h *mHost, group string, p pos) {
	if err := ValidGroupName(group); err != nil {
		d.errs.Add(p, hostObj(h.name), "%v", err)
		return
	}
	if g := d.m.group(group, p); g.ref == "" {
		g.ref = fmt.Sprintf("named in the groups of host %q", h.name)
	}
	h.direct[group] = true
}

func (d *nativeDecoder) labels(n *yaml.Node, object string, set func(k, v string, p pos)) {
	entries, ok := d.mapping(n, object+" labels")
	if !ok {
		return
	}
	for _, e := range entries {
		v := d.deref(e.v)
		if v.Kind != yaml.ScalarNode {
			d.errs.Add(at(v), object, "label %q must be a string, got %s", e.key, yamldiag.Kind(v))
			continue
		}
		value := v.Value
		if yamldiag.IsNull(v) {
			value = ""
		}
		set(e.key, value, at(e.k))
	}
}

func (d *nativeDecoder) groups(n *yaml.Node) {
	entries, ok := d.mapping(n, "groups")
	if !ok {
		return
	}
	for _, e := range entries {
		obj := groupObj(e.key)
		if err := ValidGroupName(e.key); err != nil {
			d.errs.Add(at(e.k), "", "%v", err)
			continue
		}
		if e.key == GroupUngrouped {
			d.errs.Add(at(e.k), obj, "%q is reserved for hosts in no group; choose another name", GroupUngrouped)
			continue
		}
		g := d.m.group(e.key, at(e.k))
		g.defined, g.pos = true, at(e.k)
		body, ok := d.mapping(e.v, obj)
		if !ok {
			continue
		}
		d.fields(body, obj, map[string]field{
			"hosts": func(f kv) {
				items, _ := d.sequence(f.v, obj)
				for _, it := range items {
					if name, ok := d.str(it, obj, "hosts item"); ok {
						d.hostRefs = append(d.hostRefs, hostRef{group: e.key, host: name, pos: at(it)})
					}
				}
			},
			"children": func(f kv) {
				items, _ := d.sequence(f.v, obj)
				for _, it := range items {
					if name, ok := d.str(it, obj, "children item"); ok {
						d.m.addChild(g, name, at(it))
					}
				}
			},
			"labels": func(f kv) {
				d.labels(f.v, obj, func(k, v string, p pos) { d.m.setGroupVar(g, k, v, p) })
			},
		})
	}
}
