package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Plan is the pinned content set of a cycle: every later step installs
// exactly these versions, on staging and production alike (what staging
// tested is what production gets).
type Plan struct {
	Entries []PlanEntry `json:"entries"`
	// Left lists pending updates the rules kept out, with the reason, so a
	// dry run shows why a package is missing.
	Left []PlanSkip `json:"left,omitempty"`
}

// PlanEntry pins one package of one package manager kind.
type PlanEntry struct {
	Manager string `json:"manager"`
	Name    string `json:"name"`
	Version string `json:"version"`
	Class   Class  `json:"class"`
	// Vulns is what the update fixes, merged over every host's listing:
	// the most severe rating, every id, KEV if any, the highest EPSS and
	// risk.
	Vulns
	Hosts int `json:"hosts"` // listings of this update across hosts (dnf lists one per advisory)
	// Since is when the update first became due on any host: the earliest
	// publication or first sighting; zero when unknown.
	Since time.Time `json:"since,omitzero"`
	// HistoryRisk is 0-100 from earlier cycles' runs of this update
	// (EntryHistory.Risk), with History the evidence; nil when no earlier
	// run of the package is known.
	HistoryRisk int           `json:"history_risk,omitempty"`
	History     *EntryHistory `json:"history,omitempty"`
}

// Summary is the plan in one line, for the Temporal UI and notifications:
// "12 updates, 5 security (31 CVEs, 1 in KEV), highest risk 70".
func (p Plan) Summary() string {
	sec, kev := 0, 0
	cves := map[string]bool{}
	for _, e := range p.Entries {
		if e.Class == ClassSecurity {
			sec++
		}
		if e.KEV {
			kev++
		}
		for _, c := range e.CVEs {
			cves[c] = true
		}
	}
	s := fmt.Sprintf("%d updates, %d security (%d CVEs", len(p.Entries), sec, len(cves))
	if kev > 0 {
		s += fmt.Sprintf(", %d in KEV", kev)
	}
	return s + fmt.Sprintf("), highest risk %d", p.MaxRisk())
}

// MaxRisk is the highest risk of the plan's updates.
func (p Plan) MaxRisk() int {
	r := 0
	for _, e := range p.Entries {
		r = max(r, e.Risk)
	}
	return r
}

// Pin is the entry as a pin.
func (e PlanEntry) Pin() Pin { return Pin{Name: e.Name, Version: e.Version} }

// PlanSkip is a pending update the rules left out of the plan.
type PlanSkip struct {
	Manager string `json:"manager"`
	Name    string `json:"name"`
	Version string `json:"version"`
	Reason  string `json:"reason"`
}

// BuildPlan pins, for every admitted package, the version an approve
// entry names ("demo-app=1.0.1"), else the candidate version most hosts
// reported (ties: the first host in name order), so one version is tested
// on staging and rolled out everywhere. A package classified or rated
// differently on two hosts is planned as the most urgent of them. It is
// pure and deterministic: hosts are taken in name order and no map is
// ranged over.
func BuildPlan(t *PendingTable, rules PatchRules, now time.Time) Plan {
	return BuildPlanFromVotes(VotesOf(t), rules, now)
}

// PlanIndex finds plan entries by package manager kind and name.
type PlanIndex map[string]int

// Index builds the lookup from (manager, name) to entry position.
func (p Plan) Index() PlanIndex {
	idx := make(PlanIndex, len(p.Entries))
	for i, e := range p.Entries {
		idx[e.Manager+"\x00"+e.Name] = i
	}
	return idx
}

// HostRefs returns the positions of the plan's entries that the host has
// pending, in plan order: the host's pins, by reference.
func (idx PlanIndex) HostRefs(t *PendingTable, h HostScan) []int {
	var refs []int
	for _, i := range h.Updates {
		u := t.Updates[i]
		if e, ok := idx[u.Manager+"\x00"+u.Name]; ok && !slices.Contains(refs, e) {
			refs = append(refs, e)
		}
	}
	slices.Sort(refs)
	return refs
}

// Pins expands entry positions into pins; positions out of range are
// left out.
func (p Plan) Pins(refs []int) []Pin {
	pins := make([]Pin, 0, len(refs))
	for _, r := range refs {
		if r >= 0 && r < len(p.Entries) {
			pins = append(pins, p.Entries[r].Pin())
		}
	}
	return pins
}

func mergeSorted(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// PinsSummary renders pins for summaries: "demo-app 1.0.1, libssl3
// 3.0.15-1", cut to a UI-friendly length.
func PinsSummary(pins []Pin) string {
	parts := make([]string, 0, len(pins))
	for _, p := range pins {
		v := p.Version
		if v == "" {
			v = "(absent)"
		}
		parts = append(parts, p.Name+" "+v)
	}
	s := strings.Join(parts, ", ")
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	if s == "" {
		s = "nothing"
	}
	return s
}
