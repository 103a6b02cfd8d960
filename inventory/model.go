package inventory

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/patchflow/patchflow/internal/yamldiag"
)

// model is what every format decodes into before hosts are resolved: hosts
// with their own vars, groups with vars, children and direct hosts.
type model struct {
	errs    *yamldiag.List
	baseDir string // directory relative paths are resolved against
	ansible bool   // vars carry ansible_* connection settings
	hosts   map[string]*mHost
	groups  map[string]*mGroup
	// expanded counts host names produced by range expansion so far
	expanded int
	// native defaults and per-host settings (patchflow format only)
	defaults settings
	// tooManyGroups is set once MaxGroups has been reported
	tooManyGroups bool
}

// mVar is one var as written, with where it was written.
type mVar struct {
	value string
	pos   pos
}

type mHost struct {
	name     string
	pos      pos
	vars     map[string]mVar
	settings settings // native format only
	direct   map[string]bool
}

type mGroup struct {
	name     string
	pos      pos
	defined  bool   // has a section or definition of its own
	ref      string // where an undefined group was first named, for errors
	vars     map[string]mVar
	children map[string]pos
	hosts    map[string]bool
	depth    int
}

func newModel(file, baseDir string, ansible bool) *model {
	m := &model{
		errs:    &yamldiag.List{File: file},
		baseDir: baseDir,
		ansible: ansible,
		hosts:   map[string]*mHost{},
		groups:  map[string]*mGroup{},
	}
	m.group(GroupAll, pos{}).defined = true
	m.group(GroupUngrouped, pos{}).defined = true
	return m
}

// group returns the named group, creating an undefined one on first use.
// Past MaxGroups it reports once and returns a group that is not kept, so
// a file of millions of section headers costs no more than the limit.
func (m *model) group(name string, p pos) *mGroup {
	g := m.groups[name]
	if g == nil {
		g = &mGroup{name: name, pos: p, vars: map[string]mVar{}, children: map[string]pos{}, hosts: map[string]bool{}}
		if len(m.groups) >= MaxGroups+2 { // + all and ungrouped
			if !m.tooManyGroups {
				m.tooManyGroups = true
				m.errs.Add(p, groupObj(name), "inventory defines more than %d groups; split it", MaxGroups)
			}
			return g
		}
		m.groups[name] = g
	}
	return g
}

// host returns the named host, adding it (and checking the name and the
// host limit) on first use; nil when it cannot be added.
func (m *model) host(name string, p pos) *mHost {
	if h := m.hosts[name]; h != nil {
		return h
	}
	if err := ValidHostName(name); err != nil {
		m.errs.Add(p, "", "%v", err)
		return nil
	}
	if len(m.hosts) >= MaxHosts {
		m.errs.Add(p, hostObj(name), "inventory holds more than %d hosts; split it", MaxHosts)
		return nil
	}
	h := &mHost{name: name, pos: p, vars: map[string]mVar{}, direct: map[string]bool{}}
	m.hosts[name] = h
	return h
}

// setHostVar records a host var; a host defined twice must not disagree.
func (m *model) setHostVar(h *mHost, key, value string, p pos) {
	if m.ansible && !connectionVars[key] && validLabelKey(key) == nil && !labelVar(key, value) {
		return // dropped: never compared, so never quoted in an error
	}
	if old, ok := h.vars[key]; ok && old.value != value {
		m.errs.Add(p, hostObj(h.name), "%s is set twice with different values: %q at line %d and %q", key, old.value, old.pos.Line, value)
		return
	}
	if m.checkVar(func() string { return hostObj(h.name) }, key, value, p) {
		h.vars[key] = mVar{value: value, pos: p}
	}
}

// setGroupVar records a group var; later definitions win, as in Ansible.
func (m *model) setGroupVar(g *mGroup, key, value string, p pos) {
	if m.checkVar(func() string { return groupObj(g.name) }, key, value, p) {
		g.vars[key] = mVar{value: value, pos: p}
	}
}

// addChild records that child is a child group of parent.
func (m *model) addChild(parent *mGroup, child string, p pos) {
	if err := ValidGroupName(child); err != nil {
		m.errs.Add(p, groupObj(parent.name), "%v", err)
		return
	}
	if child == GroupAll {
		m.errs.Add(p, groupObj(parent.name), "%q cannot be a child group; every group is already inside it", GroupAll)
		return
	}
	if child == parent.name {
		m.errs.Add(p, groupObj(parent.name), "a group cannot be its own child")
		return
	}
	if c := m.group(child, p); c.ref == "" {
		c.ref = fmt.Sprintf("named as a child of group %q", parent.name)
	}
	if _, ok := parent.children[child]; !ok {
		parent.children[child] = p
	}
}

// checkGroups reports groups used but never defined and cycles of children.
func (m *model) checkGroups() {
	var defined []string
	for _, g := range m.groups {
		if g.defined {
			defined = append(defined, g.name)
		}
	}
	sort.Strings(defined)
	for _, g := range sortedGroups(m.groups) {
		if !g.defined {
			ref := g.ref
			if ref == "" {
				ref = "used"
			}
			m.errs.Add(g.pos, "", "group %q is %s but never defined%s", g.name, ref, suggest(g.name, defined))
		}
	}
	// Depth-first search for a cycle; state 1 = on the stack, 2 = done.
	state := map[string]int{}
	var stack []string
	var visit func(name string) bool
	visit = func(name string) bool {
		state[name] = 1
		stack = append(stack, name)
		g := m.groups[name]
		for _, c := range slices.Sorted(maps.Keys(g.children)) {
			switch state[c] {
			case 1:
				i := slices.Index(stack, c)
				cycle := append(append([]string(nil), stack[i:]...), c)
				m.errs.Add(g.children[c], groupObj(name), "child groups form a loop: %s", strings.Join(cycle, " -> "))
				return true
			case 0:
				if visit(c) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[name] = 2
		return false
	}
	for _, name := range slices.Sorted(maps.Keys(m.groups)) {
		if state[name] == 0 && visit(name) {
			return
		}
	}
}

func (g *mGroup) priority() int {
	v, ok := g.vars["ansible_group_priority"]
	if !ok {
		return 1
	}
	n := 0
	fmt.Sscanf(v.value, "%d", &n)
	return n
}

// checkAddresses refuses two SSH hosts that reach the same address and port
// through the same jump hosts: patchflow locks a machine through its host
// name (workflow host/<name>), so one machine under two names could be
// patched twice at once. (Behind different jump hosts one private address
// may well be two machines.)
func (m *model) checkAddresses(hosts []Host) {
	seen := map[string]string{}
	for _, h := range hosts {
		if h.Transport != TransportSSH {
			continue
		}
		key := fmt.Sprintf("%s|%s|%d", strings.ToLower(h.SSH.ProxyJump), strings.ToLower(h.Address), h.Port)
		if other, ok := seen[key]; ok {
			m.errs.Add(m.hosts[h.Name].pos, hostObj(h.Name), "reaches %s port %d like host %q; one machine must have one name, because patchflow locks hosts by name", h.Address, h.Port, other)
			continue
		}
		seen[key] = h.Name
	}
}

func sortedGroups(groups map[string]*mGroup) []*mGroup {
	out := make([]*mGroup, 0, len(groups))
	for _, name := range slices.Sorted(maps.Keys(groups)) {
		out = append(out, groups[name])
	}
	return out
}
