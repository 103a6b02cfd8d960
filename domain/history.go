package domain

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
)

// History risk is what patchflow learned from its own earlier cycles: how
// often an update failed, or had to be rolled back, on the hosts it was
// tried on. docs/vulnerabilities.md ("History risk") documents the rules
// below; a change to them changes running cycles' plans, so the workflows
// gate it.

// Basis values of EntryHistory: what the counts are of.
const (
	// HistoryBasisPath: earlier runs of the same upgrade, to the version
	// the plan pins.
	HistoryBasisPath = "path"
	// HistoryBasisPackage: the upgrade is new; earlier runs of the package
	// to other versions stand in, at half weight.
	HistoryBasisPackage = "package"
)

// MaxHistoryPaths bounds the upgrade paths an EntryHistory lists.
const MaxHistoryPaths = 3

// EntryHistory is the evidence behind one plan entry's history risk: host
// runs of the update in earlier cycles, how many failed and how many were
// rolled back, over how many cycles, and the upgrade paths (from -> to)
// they took, the most tried first.
type EntryHistory struct {
	Basis      string        `json:"basis"`
	Runs       int           `json:"runs"`
	Failed     int           `json:"failed"`
	RolledBack int           `json:"rolled_back"`
	Cycles     int           `json:"cycles"`
	Paths      []UpgradePath `json:"paths,omitempty"`
}

// UpgradePath is one from -> to upgrade of a package and what became of
// its runs. From "" means the package was not installed before.
type UpgradePath struct {
	From       string `json:"from"`
	To         string `json:"to"`
	Runs       int    `json:"runs"`
	Failed     int    `json:"failed"`
	RolledBack int    `json:"rolled_back"`
}

// Risk is the history risk, 0..100:
//
//	path basis:    min(100, round(100 x (failed + rolled_back/2) / (runs + 1)))
//	package basis: half of the same over the package's runs to any version
//
// The +1 keeps a single failure from reading as certainty (1 of 1 failed
// and rolled back is 75, 3 of 3 is 100, 1 of 20 is 7); a rollback adds
// half a failure because it is a second change to the host. No earlier
// run: 0.
func (h EntryHistory) Risk() int {
	if h.Runs == 0 {
		return 0
	}
	r := math.Min(1, (float64(h.Failed)+float64(h.RolledBack)/2)/float64(h.Runs+1))
	if h.Basis == HistoryBasisPackage {
		r /= 2
	}
	return int(math.Round(100 * r))
}

// Text says the evidence in a few words: "2 of 3 runs failed, 2 rolled
// back (this upgrade, 2 cycles)".
func (h EntryHistory) Text() string {
	if h.Runs == 0 {
		return "no earlier run"
	}
	s := strconv.Itoa(h.Failed) + " of " + strconv.Itoa(h.Runs) + " runs failed"
	if h.RolledBack > 0 {
		s += ", " + strconv.Itoa(h.RolledBack) + " rolled back"
	}
	what := "this upgrade"
	if h.Basis == HistoryBasisPackage {
		what = "other versions"
	}
	return s + " (" + what + ", " + strconv.Itoa(h.Cycles) + " cycles)"
}

// HostRun is one host's run of a patch in an earlier cycle, as its wave
// recorded it: the pins it was given, its snapshot (the versions before)
// and how it ended. Manager is the host's package manager kind, "" when
// unknown (then only names are compared).
type HostRun struct {
	Cycle    string
	Manager  string
	State    HostState
	Reason   string
	Pins     []Pin
	Snapshot []Pin
}

// steps whose failure means the update itself was tried: the install and
// what follows it. A failed precheck, snapshot or pre hook never touched
// the packages and says nothing about them.
var triedSteps = []string{"applying failed", "rebooting failed", "verifying failed", "post_hooks failed", "check after bake:"}

// judge says what a run tells about its pins: whether the update was
// tried, whether it failed, and whether the host was rolled back.
func (r HostRun) judge() (tried, failed, rolledBack bool) {
	rolledBack = r.State == HostRolledBack || r.State == HostNeedsRepair || strings.Contains(r.Reason, "rolled back to snapshot")
	if r.State == HostPatched {
		return true, false, false
	}
	for _, p := range triedSteps {
		if strings.HasPrefix(r.Reason, p) {
			return true, true, rolledBack
		}
	}
	// An operator's rollback of a host that had been patched: the update
	// was tried and undone, though no step failed.
	if strings.HasPrefix(r.Reason, "rollback requested by an operator") {
		return true, false, rolledBack
	}
	return false, false, false
}

// named reports whether a failure's text blames the package: names it
// as a word of its own (the characters around it cannot be part of a
// package name), as a failing dpkg or rpm step does ("dpkg: error
// processing package demo-lib", "demo-lib 1.1: %post failed"). A name
// followed by "=" is a pin in the list of what was installed, not a
// blame, and the state listing after "; now " (dnf, zypper) names every
// pin: neither counts.
func named(text, name string) bool {
	if i := strings.Index(text, "; now "); i >= 0 {
		text = text[:i]
	}
	for i := 0; ; {
		k := strings.Index(text[i:], name)
		if k < 0 {
			return false
		}
		start, end := i+k, i+k+len(name)
		before := start == 0 || !nameChar(text[start-1])
		after := end == len(text) || !nameChar(text[end]) && text[end] != '='
		if before && after {
			return true
		}
		i = start + 1
	}
}

func nameChar(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte("+-._", b) >= 0
}

type pathKey struct{ manager, name, from, to string }

type pathCounts struct {
	runs, failed, rolledBack int
	cycles                   []string
	last                     string // the cycle of the last run: runs come cycle by cycle
}

// HistoryBook sums earlier host runs per package and upgrade path, for
// the packages it was made for only, so it stays small however many runs
// pass through it.
type HistoryBook struct {
	wanted map[string]bool
	paths  map[pathKey]*pathCounts
	keys   []pathKey // in first-seen order, for a deterministic walk
}

// NewHistoryBook makes a book for the named packages.
func NewHistoryBook(names []string) *HistoryBook {
	b := &HistoryBook{wanted: map[string]bool{}, paths: map[pathKey]*pathCounts{}}
	for _, n := range names {
		b.wanted[n] = true
	}
	return b
}

// Add counts one host run: each wanted pin it was tried with counts a run
// of its path; a failure counts against the pins its reason names, or
// against every pin when it names none; a rollback counts with the
// failure (or alone, when an operator rolled a patched host back).
func (b *HistoryBook) Add(r HostRun) {
	tried, failed, rolledBack := r.judge()
	if !tried {
		return
	}
	blamed := func(string) bool { return true }
	if failed {
		for _, p := range r.Pins {
			if named(r.Reason, p.Name) {
				blamed = func(name string) bool { return named(r.Reason, name) }
				break
			}
		}
	}
	var snap map[string]string // built only when the snapshot is not in pin order
	for i, p := range r.Pins {
		if !b.wanted[p.Name] {
			continue
		}
		from := ""
		switch {
		case i < len(r.Snapshot) && r.Snapshot[i].Name == p.Name:
			from = r.Snapshot[i].Version
		default:
			if snap == nil {
				snap = make(map[string]string, len(r.Snapshot))
				for _, s := range r.Snapshot {
					snap[s.Name] = s.Version
				}
			}
			from = snap[p.Name]
		}
		k := pathKey{manager: r.Manager, name: p.Name, from: from, to: p.Version}
		c := b.paths[k]
		if c == nil {
			c = &pathCounts{}
			b.paths[k] = c
			b.keys = append(b.keys, k)
		}
		c.runs++
		if failed && blamed(p.Name) {
			c.failed++
			if rolledBack {
				c.rolledBack++
			}
		} else if !failed && rolledBack {
			c.rolledBack++
		}
		if r.Cycle != c.last && !slices.Contains(c.cycles, r.Cycle) {
			c.cycles = append(c.cycles, r.Cycle)
		}
		c.last = r.Cycle
	}
}

// Entry is the history of one planned update (manager, name, the version
// the plan pins): its upgrade's runs when there are any, else the
// package's runs to other versions, else none. A run whose manager is
// unknown matches any manager.
func (b *HistoryBook) Entry(manager, name, version string) EntryHistory {
	sameMgr := func(k pathKey) bool {
		return k.name == name && (k.manager == "" || manager == "" || k.manager == manager)
	}
	h := b.sum(func(k pathKey) bool { return sameMgr(k) && k.to == version }, HistoryBasisPath)
	if h.Runs == 0 {
		h = b.sum(sameMgr, HistoryBasisPackage)
	}
	if h.Runs == 0 {
		return EntryHistory{}
	}
	return h
}

func (b *HistoryBook) sum(match func(pathKey) bool, basis string) EntryHistory {
	h := EntryHistory{Basis: basis}
	var cycles []string
	byPath := map[[2]string]int{}
	for _, k := range b.keys {
		if !match(k) {
			continue
		}
		c := b.paths[k]
		h.Runs += c.runs
		h.Failed += c.failed
		h.RolledBack += c.rolledBack
		for _, id := range c.cycles {
			if !slices.Contains(cycles, id) {
				cycles = append(cycles, id)
			}
		}
		pk := [2]string{k.from, k.to}
		i, ok := byPath[pk]
		if !ok {
			i = len(h.Paths)
			byPath[pk] = i
			h.Paths = append(h.Paths, UpgradePath{From: k.from, To: k.to})
		}
		p := &h.Paths[i]
		p.Runs += c.runs
		p.Failed += c.failed
		p.RolledBack += c.rolledBack
	}
	h.Cycles = len(cycles)
	slices.SortStableFunc(h.Paths, func(a, b UpgradePath) int {
		return cmp.Or(cmp.Compare(b.Runs, a.Runs), cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
	})
	if len(h.Paths) > MaxHistoryPaths {
		h.Paths = h.Paths[:MaxHistoryPaths]
	}
	if len(h.Paths) == 0 {
		h.Paths = nil
	}
	return h
}

// SetHistory gives the plan's entries their history and history risk;
// histories[i] belongs to Entries[i], and one with no run clears it.
func (p *Plan) SetHistory(histories []EntryHistory) {
	for i := range p.Entries {
		e := &p.Entries[i]
		e.History, e.HistoryRisk = nil, 0
		if i < len(histories) && histories[i].Runs > 0 {
			h := histories[i]
			e.History, e.HistoryRisk = &h, h.Risk()
		}
	}
}

// MaxHistoryRisk is the highest history risk of the plan's updates.
func (p Plan) MaxHistoryRisk() int {
	r := 0
	for _, e := range p.Entries {
		r = max(r, e.HistoryRisk)
	}
	return r
}

// RiskiestFirst orders hosts by the highest history risk of the plan
// entries each carries (refs gives a host's entry positions), riskiest
// first; hosts of equal risk keep their order. The hosts that would fail
// like earlier cycles did are then the first patched, in staging and in
// the canary wave, where a failure costs least.
func (p Plan) RiskiestFirst(hosts []string, refs func(host string) []int) []string {
	risk := make(map[string]int, len(hosts))
	for _, h := range hosts {
		for _, r := range refs(h) {
			if r >= 0 && r < len(p.Entries) {
				risk[h] = max(risk[h], p.Entries[r].HistoryRisk)
			}
		}
	}
	out := slices.Clone(hosts)
	slices.SortStableFunc(out, func(a, b string) int { return risk[b] - risk[a] })
	return out
}
