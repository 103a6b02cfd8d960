package inventory

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// Limits of the group structure. Each host lists every group that contains
// it, so hosts times nesting is what resolution costs; these bounds keep a
// hostile or generated inventory (thousands of nested groups over tens of
// thousands of hosts) from exhausting a worker, with a clear error instead.
const (
	// MaxGroups is the most groups an inventory may define.
	MaxGroups = 10000
	// MaxGroupDepth is the deepest nesting of child groups below "all".
	MaxGroupDepth = 50
	// maxAncestry bounds the group lists resolution builds: for each group
	// used, the group and every group above it, summed; maxAncestryWork
	// bounds the entries read to build them (parents' lists, summed).
	maxAncestry     = 2_000_000
	maxAncestryWork = 20_000_000
	// MaxLabels bounds the labels of all hosts together (hosts x labels).
	MaxLabels = 4_000_000
)

// hostSet is what hosts with the same direct groups share: their groups
// (with ancestors, sorted) and their merged group vars. Hosts of one group
// are usually thousands; computing this once per set keeps resolution
// linear in hosts.
type hostSet struct {
	groups []string
	vars   map[string]mVar
}

// resolve turns the model into hosts: group membership with ancestors,
// merged labels and connection settings.
func (m *model) resolve(source string) (*Inventory, error) {
	m.checkGroups()
	if m.errs.Failed() {
		return nil, m.errs.Err()
	}
	if len(m.hosts) == 0 {
		m.errs.Add(pos{}, "", "inventory has no hosts")
		return nil, m.errs.Err()
	}
	parents := map[string][]string{}
	for _, g := range sortedGroups(m.groups) {
		for _, c := range slices.Sorted(maps.Keys(g.children)) {
			parents[c] = append(parents[c], g.name)
		}
	}
	if !m.computeDepths(parents) {
		return nil, m.errs.Err()
	}
	a := &ancestry{m: m, parents: parents, memo: map[string][]string{}}
	sets := map[string]*hostSet{}
	inv := &Inventory{Source: source}
	hostNames := slices.Sorted(maps.Keys(m.hosts))
	slices.SortFunc(hostNames, CompareNames)
	inv.Hosts = make([]Host, 0, len(hostNames))
	// First every host's set and the labels they will carry (vars are an
	// upper bound), so an inventory past the limit builds nothing.
	hostSets := make([]*hostSet, len(hostNames))
	labels := 0
	for i, name := range hostNames {
		h := m.hosts[name]
		key := directKey(h)
		set := sets[key]
		if set == nil {
			set = a.hostSet(h)
			if a.over {
				m.errs.Add(h.pos, hostObj(h.name), "the group structure is too dense: hosts' group lists (every group above each group used) exceed %d entries; flatten the inventory", maxAncestry)
				return nil, m.errs.Err()
			}
			sets[key] = set
		}
		hostSets[i] = set
		if labels += len(set.vars) + len(h.vars); labels > MaxLabels {
			m.errs.Add(h.pos, hostObj(h.name), "hosts carry more than %d labels together (group vars are copied to every host of the group); drop vars patchflow does not need", MaxLabels)
			return nil, m.errs.Err()
		}
	}
	for i, name := range hostNames {
		inv.Hosts = append(inv.Hosts, m.buildHost(m.hosts[name], hostSets[i].groups, hostSets[i].vars))
	}
	for name := range m.groups {
		inv.GroupNames = append(inv.GroupNames, name)
	}
	sort.Strings(inv.GroupNames)
	m.checkAddresses(inv.Hosts)
	if m.errs.Failed() {
		return nil, m.errs.Err()
	}
	return inv, nil
}

// directKey identifies a host's direct groups.
func directKey(h *mHost) string {
	return strings.Join(slices.Sorted(maps.Keys(h.direct)), "\x00")
}

// computeDepths sets each group's depth to its longest distance from "all",
// as Ansible does, so vars of deeper groups override shallower ones. A
// group nested deeper than MaxGroupDepth is reported, with its chain, and
// false returned. Groups are visited parents first, without recursion.
func (m *model) computeDepths(parents map[string][]string) bool {
	// Kahn's order over child edges (the graph has no cycle: checkGroups).
	indeg := map[string]int{}
	for c, ps := range parents {
		indeg[c] = len(ps)
	}
	children := map[string][]string{}
	for c, ps := range parents {
		for _, p := range ps {
			children[p] = append(children[p], c)
		}
	}
	var queue []string
	for _, name := range slices.Sorted(maps.Keys(m.groups)) {
		if indeg[name] == 0 {
			queue = append(queue, name)
		}
	}
	deepest := map[string]string{} // parent on the longest path, for the error
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		g := m.groups[name]
		if name == GroupAll {
			g.depth = 0
		} else if g.depth == 0 {
			g.depth = 1
		}
		for _, c := range children[name] {
			cg := m.groups[c]
			if g.depth+1 > cg.depth {
				cg.depth = g.depth + 1
				deepest[c] = name
			}
			if indeg[c]--; indeg[c] == 0 {
				queue = append(queue, c)
			}
		}
	}
	var g *mGroup // the deepest group, reported with its chain
	for _, x := range sortedGroups(m.groups) {
		if g == nil || x.depth > g.depth {
			g = x
		}
	}
	if g.depth > MaxGroupDepth {
		var chain []string
		for n := g.name; n != ""; n = deepest[n] {
			chain = append(chain, n)
		}
		slices.Reverse(chain)
		shown := strings.Join(chain, " > ")
		if len(chain) > 6 {
			shown = strings.Join(chain[:3], " > ") + fmt.Sprintf(" > ... (%d more) > ", len(chain)-5) + strings.Join(chain[len(chain)-2:], " > ")
		}
		m.errs.Add(g.pos, groupObj(g.name), "child groups are nested %d levels deep (%s); at most %d levels are supported: flatten the group tree", g.depth, shown, MaxGroupDepth)
		return false
	}
	return true
}

// ancestry computes each group's ancestors once.
type ancestry struct {
	m       *model
	parents map[string][]string
	memo    map[string][]string
	size    int
	work    int
	over    bool
}

// up returns g and every group above it, without "all", sorted; parents
// are resolved before children by an explicit stack.
func (a *ancestry) up(g string) []string {
	if r, ok := a.memo[g]; ok {
		return r
	}
	stack := []string{g}
	for len(stack) > 0 && !a.over {
		n := stack[len(stack)-1]
		if _, ok := a.memo[n]; ok {
			stack = stack[:len(stack)-1]
			continue
		}
		ready := true
		for _, p := range a.parents[n] {
			if _, ok := a.memo[p]; !ok {
				stack = append(stack, p)
				ready = false
			}
		}
		if !ready {
			continue
		}
		stack = stack[:len(stack)-1]
		for _, p := range a.parents[n] {
			a.work += len(a.memo[p])
		}
		if a.work > maxAncestryWork {
			a.over = true
			break
		}
		set := map[string]bool{n: true}
		for _, p := range a.parents[n] {
			for _, x := range a.memo[p] {
				set[x] = true
			}
		}
		delete(set, GroupAll)
		r := slices.Sorted(maps.Keys(set))
		if a.size += len(r); a.size > maxAncestry {
			a.over = true
		}
		a.memo[n] = r
	}
	return a.memo[g]
}

// hostSet returns the groups and merged group vars of hosts with h's
// direct groups: every group containing them (not "all"), sorted, with
// "ungrouped" when there is no other; vars in Ansible's order (all first,
// then by depth, priority and name).
func (a *ancestry) hostSet(h *mHost) *hostSet {
	seen := map[string]bool{}
	for g := range h.direct {
		for _, x := range a.up(g) {
			seen[x] = true
		}
		if a.over {
			return nil
		}
	}
	delete(seen, GroupUngrouped)
	if len(seen) == 0 {
		seen[GroupUngrouped] = true
	}
	groups := slices.Sorted(maps.Keys(seen))
	gs := []*mGroup{a.m.groups[GroupAll]}
	for _, name := range groups {
		gs = append(gs, a.m.groups[name])
	}
	sort.SliceStable(gs, func(i, j int) bool {
		x, y := gs[i], gs[j]
		if x.depth != y.depth {
			return x.depth < y.depth
		}
		if px, py := x.priority(), y.priority(); px != py {
			return px < py
		}
		return x.name < y.name
	})
	vars := map[string]mVar{}
	for _, g := range gs {
		for k, v := range g.vars {
			vars[k] = v
		}
	}
	return &hostSet{groups: groups, vars: vars}
}
