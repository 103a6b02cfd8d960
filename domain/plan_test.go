package domain

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// table builds a pending table from per-host updates.
func table(hosts ...HostUpdates) *PendingTable {
	var t PendingTable
	for _, h := range hosts {
		t.Add(h.host, h.manager, h.updates)
	}
	return &t
}

type HostUpdates struct {
	host, manager string
	updates       []Pending
}

func TestBuildPlanFiltersAndPins(t *testing.T) {
	tab := table(
		HostUpdates{"b", "apt", []Pending{
			{Name: "openssl", Candidate: "3.0.15-1~deb12u1", Class: ClassSecurity, Vulns: Vulns{Severity: SeverityCritical, Advisories: []string{"DSA-2"}}},
			{Name: "demo-app", Candidate: "1.0.2", Class: ClassFeature, Vulns: Vulns{Severity: SeverityUnknown}},
		}},
		HostUpdates{"d", "apt", []Pending{
			{Name: "demo-app", Candidate: "1.0.2", Class: ClassFeature, Vulns: Vulns{Severity: SeverityUnknown}},
		}},
		HostUpdates{"a", "apt", []Pending{
			{Name: "openssl", Candidate: "3.0.15-1~deb12u1", Class: ClassSecurity, Vulns: Vulns{Severity: SeverityHigh, Advisories: []string{"DSA-1"}}},
			{Name: "tzdata", Candidate: "2026a-0", Class: ClassBugfix, Vulns: Vulns{Severity: SeverityUnknown}},
			{Name: "demo-app", Candidate: "1.0.1", Class: ClassBugfix, Vulns: Vulns{Severity: SeverityLow}},
			{Name: "kernel-x", Candidate: "6.1", Class: ClassSecurity, Vulns: Vulns{Severity: SeverityHigh}},
		}},
		HostUpdates{"c", "dnf", []Pending{
			{Name: "openssl", Candidate: "3.2.2-1.el9", Class: ClassSecurity, Vulns: Vulns{Severity: SeverityMedium}},
		}},
	)
	rules := PatchRules{
		Classes:     []Class{ClassSecurity, ClassBugfix},
		MinSeverity: SeverityMedium,
		Exclude:     []string{"kernel-*"},
		Approve:     []string{"demo-app=1.0.1"},
		Reject:      []string{"tzdata"},
	}
	p := BuildPlan(tab, rules, time.Time{})
	var got []string
	for _, e := range p.Entries {
		got = append(got, e.Manager+" "+e.Name+"="+e.Version+" "+string(e.Class)+"/"+string(e.Severity))
	}
	want := []string{
		// demo-app: 1.0.2 has most votes, but 1.0.1 is the approved version.
		"apt demo-app=1.0.1 bugfix/low",
		// the most severe rating on any host wins.
		"apt openssl=3.0.15-1~deb12u1 security/critical",
		"dnf openssl=3.2.2-1.el9 security/medium",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("plan entries:\n got %q\nwant %q", got, want)
	}
	if adv := p.Entries[1].Advisories; !reflect.DeepEqual(adv, []string{"DSA-1", "DSA-2"}) {
		t.Errorf("openssl advisories = %v, want both hosts' merged", adv)
	}
	for _, e := range BuildPlan(tab, PatchRules{}, time.Time{}).Entries {
		if e.Name == "demo-app" && e.Version != "1.0.2" {
			t.Errorf("without approve, demo-app pinned %s, want 1.0.2 (two hosts of three)", e.Version)
		}
	}
	left := map[string]string{}
	for _, l := range p.Left {
		left[l.Name] = l.Reason
	}
	if !strings.Contains(left["tzdata"], "reject") || !strings.Contains(left["kernel-x"], "exclude") {
		t.Errorf("left-out reasons = %v, want tzdata rejected and kernel-x excluded", left)
	}
	b, _ := tab.Host("b")
	if pins := p.Pins(p.Index().HostRefs(tab, b)); !reflect.DeepEqual(pins, []Pin{{Name: "demo-app", Version: "1.0.1"}, {Name: "openssl", Version: "3.0.15-1~deb12u1"}}) {
		t.Errorf("host b pins = %v: host b gets the plan's demo-app version, not its own candidate", pins)
	}
	c, _ := tab.Host("c")
	if pins := p.Pins(p.Index().HostRefs(tab, c)); !reflect.DeepEqual(pins, []Pin{{Name: "openssl", Version: "3.2.2-1.el9"}}) {
		t.Errorf("dnf host c pins = %v: an apt package of the same name is not its pin", pins)
	}
}

func TestPendingTableKeepsDistinctUpdatesOnce(t *testing.T) {
	ups := []Pending{{Name: "a", Candidate: "1"}, {Name: "b", Candidate: "2"}}
	var batch1, batch2, all PendingTable
	for i := range 50 {
		batch1.Add("h"+string(rune('a'+i%26))+"1", "apt", ups)
		batch2.Add("h"+string(rune('a'+i%26))+"2", "apt", ups)
	}
	all.Merge(batch1)
	all.Merge(batch2)
	if len(all.Updates) != 2 || len(all.Hosts) != 100 {
		t.Fatalf("merged table has %d updates for %d hosts, want 2 for 100", len(all.Updates), len(all.Hosts))
	}
	h := all.Hosts[99]
	if got := []string{all.Updates[h.Updates[0]].Name, all.Updates[h.Updates[1]].Name}; !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("last host points at %v, want a and b", got)
	}
}

func TestBuildPlanSeverityRules(t *testing.T) {
	tab := table(HostUpdates{"a", "apt", []Pending{
		{Name: "x", Candidate: "1", Class: ClassSecurity, Vulns: Vulns{Severity: SeverityUnknown}},
		{Name: "y", Candidate: "1", Class: ClassSecurity, Vulns: Vulns{Severity: SeverityCritical}},
		{Name: "z", Candidate: "1", Class: ClassSecurity, Vulns: Vulns{Severity: SeverityHigh}},
	}})
	names := func(p Plan) (out []string) {
		for _, e := range p.Entries {
			out = append(out, e.Name)
		}
		return out
	}
	for _, c := range []struct {
		rules PatchRules
		want  []string
	}{
		{PatchRules{MinSeverity: SeverityHigh}, []string{"y", "z"}},                                     // unknown counted low
		{PatchRules{MinSeverity: SeverityHigh, UnknownSeverity: SeverityHigh}, []string{"x", "y", "z"}}, // unknown counted high
		{PatchRules{MinSeverity: SeverityLow, UnknownSeverity: UnknownExcluded}, []string{"y", "z"}},    // unknown excluded
		{PatchRules{Classes: []Class{ClassCritical}}, []string{"y"}},                                    // critical = security of severity critical
	} {
		if got := names(BuildPlan(tab, c.rules, time.Time{})); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%+v: got %v, want %v", c.rules, got, c.want)
		}
	}
}

// TestPlanFromShardsIsThePlanOfTheFleet: a fleet scanned in shards (any
// split of its hosts) plans exactly as one scan of every host.
func TestPlanFromShardsIsThePlanOfTheFleet(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	names := []string{"openssl", "curl", "zlib", "demo-app", "libfoo", "tzdata"}
	for round := range 200 {
		var hosts []HostUpdates
		for h := range 1 + rng.IntN(40) {
			var ups []Pending
			for _, n := range names {
				if rng.IntN(3) == 0 {
					continue
				}
				cand := fmt.Sprintf("1.%d", rng.IntN(3))
				ups = append(ups, Pending{Name: n, Candidate: cand, Class: []Class{ClassSecurity, ClassBugfix, ClassFeature}[rng.IntN(3)],
					Vulns: Vulns{Severity: []Severity{SeverityLow, SeverityHigh, SeverityUnknown}[rng.IntN(3)]}})
				if rng.IntN(5) == 0 { // dnf lists a package twice, once per advisory version
					ups = append(ups, Pending{Name: n, Candidate: "2.0", Class: ClassSecurity})
				}
			}
			hosts = append(hosts, HostUpdates{fmt.Sprintf("h%02d", h), []string{"apt", "dnf"}[rng.IntN(2)], ups})
		}
		whole := BuildPlan(table(hosts...), PatchRules{}, time.Time{})
		rng.Shuffle(len(hosts), func(i, j int) { hosts[i], hosts[j] = hosts[j], hosts[i] })
		var votes []Vote
		for len(hosts) > 0 {
			k := 1 + rng.IntN(len(hosts))
			votes = MergeVotes(votes, VotesOf(table(hosts[:k]...)))
			hosts = hosts[k:]
		}
		if sharded := BuildPlanFromVotes(votes, PatchRules{}, time.Time{}); !reflect.DeepEqual(sharded, whole) {
			t.Fatalf("round %d: plan from shards\n%+v\nplan of the fleet\n%+v", round, sharded, whole)
		}
	}
}
