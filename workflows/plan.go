package workflows

import (
	"path"
	"sort"
	"strings"
)

// Plan is the pinned content set of a cycle: every later step installs
// exactly these versions, on staging and production alike.
type Plan struct {
	Entries []PlanEntry `json:"entries"`
	// Left lists pending updates the rules kept out, with the reason, so a
	// dry run shows why a package is missing.
	Left []PlanSkip `json:"left,omitempty"`
}

// PlanEntry pins one package of one package manager kind.
type PlanEntry struct {
	Manager    string   `json:"manager"`
	Name       string   `json:"name"`
	Version    string   `json:"version"`
	Class      string   `json:"class"`
	Severity   string   `json:"severity"`
	Advisories []string `json:"advisories,omitempty"`
	Hosts      int      `json:"hosts"` // hosts with this update pending
}

// PlanSkip is a pending update the rules left out of the plan.
type PlanSkip struct {
	Manager string `json:"manager"`
	Name    string `json:"name"`
	Version string `json:"version"`
	Reason  string `json:"reason"`
}

// BuildPlan pins, for every admitted package, the version an approve entry
// names ("demo-app=1.0.1"), else the candidate version most hosts reported
// (ties: the first host in name order), so one version is
// tested on staging and rolled out everywhere. It is pure and deterministic:
// scans are taken in host name order and no map is ranged over.
func BuildPlan(scans []ScanResult, rules PatchRules) Plan {
	sorted := append([]ScanResult(nil), scans...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Host < sorted[j].Host })

	type cand struct {
		entry PlanEntry
		votes map[string]int
		order []string // candidate versions in first-seen order
	}
	byKey := map[string]*cand{}
	var keys []string
	for _, s := range sorted {
		for _, u := range s.Updates {
			k := s.Manager + "\x00" + u.Name
			c := byKey[k]
			if c == nil {
				c = &cand{entry: PlanEntry{Manager: s.Manager, Name: u.Name, Class: u.Class, Severity: u.Severity}, votes: map[string]int{}}
				byKey[k] = c
				keys = append(keys, k)
			}
			if c.votes[u.Candidate] == 0 {
				c.order = append(c.order, u.Candidate)
			}
			c.votes[u.Candidate]++
			c.entry.Hosts++
			c.entry.Class = strongerClass(c.entry.Class, u.Class)
			if severityRank[u.Severity] > severityRank[c.entry.Severity] {
				c.entry.Severity = u.Severity
			}
			c.entry.Advisories = mergeSorted(c.entry.Advisories, u.Advisories)
		}
	}
	sort.Strings(keys)
	var p Plan
	for _, k := range keys {
		c := byKey[k]
		best := c.order[0]
		for _, v := range c.order[1:] {
			if c.votes[v] > c.votes[best] {
				best = v
			}
		}
		e := c.entry
		e.Version = best
		if v, ok := rules.approvedVersion(e.Name); ok {
			// An approved exact version wins over the newest candidate:
			// it is how a policy holds back a newer, untested release.
			e.Version = v
		}
		if reason := rules.admit(e); reason != "" {
			p.Left = append(p.Left, PlanSkip{Manager: e.Manager, Name: e.Name, Version: e.Version, Reason: reason})
			continue
		}
		p.Entries = append(p.Entries, e)
	}
	return p
}

// HostPins returns the plan's pins for one scanned host: the planned
// packages that host has pending, in plan order.
func (p Plan) HostPins(s ScanResult) []Pin {
	pending := map[string]bool{}
	for _, u := range s.Updates {
		pending[u.Name] = true
	}
	var pins []Pin
	for _, e := range p.Entries {
		if e.Manager == s.Manager && pending[e.Name] {
			pins = append(pins, Pin{Name: e.Name, Version: e.Version})
		}
	}
	return pins
}

// admit returns "" when the rules admit the update, else why not.
func (r PatchRules) admit(e PlanEntry) string {
	if listed(r.Reject, e) {
		return "rejected by the policy's reject list"
	}
	if listed(r.Approve, e) {
		return ""
	}
	if len(r.Include) > 0 && !anyGlob(r.Include, e.Name) {
		return "not matched by include"
	}
	if anyGlob(r.Exclude, e.Name) {
		return "matched by exclude"
	}
	if len(r.Classes) > 0 && !r.classAdmitted(e) {
		return "class " + e.Class + "/" + e.Severity + " not in " + strings.Join(r.Classes, ",")
	}
	if r.MinSeverity != "" {
		sev := e.Severity
		if severityRank[sev] == 0 {
			if r.UnknownSeverity == "exclude" {
				return "severity unknown, excluded by unknown_severity"
			}
			sev = r.UnknownSeverity
			if sev == "" {
				sev = "low"
			}
		}
		if severityRank[sev] < severityRank[r.MinSeverity] {
			return "severity " + e.Severity + " below " + r.MinSeverity
		}
	}
	return ""
}

func (r PatchRules) classAdmitted(e PlanEntry) bool {
	for _, c := range r.Classes {
		switch {
		case c == "critical" && e.Class == "security" && e.Severity == "critical":
			return true
		case c == e.Class:
			return true
		}
	}
	return false
}

// approvedVersion returns the version of a "name=version" approve entry.
func (r PatchRules) approvedVersion(name string) (string, bool) {
	for _, l := range r.Approve {
		if n, v, ok := strings.Cut(l, "="); ok && n == name && v != "" {
			return v, true
		}
	}
	return "", false
}

// listed matches "name" or "name=version" entries.
func listed(list []string, e PlanEntry) bool {
	for _, l := range list {
		name, version, pinned := strings.Cut(l, "=")
		if name == e.Name && (!pinned || version == e.Version) {
			return true
		}
	}
	return false
}

func anyGlob(globs []string, name string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

// strongerClass keeps the most urgent class seen for a package on any host.
func strongerClass(a, b string) string {
	rank := map[string]int{"feature": 1, "bugfix": 2, "security": 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

func mergeSorted(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string{}, a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
