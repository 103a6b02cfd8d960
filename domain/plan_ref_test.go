package domain

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

// listingPlan is the plan algorithm as cycles recorded before votes ran
// it: every listing of every host, hosts in name order. Votes must plan
// exactly the same, or a cycle replayed on a new worker would diverge.
func listingPlan(t *PendingTable, rules PatchRules) Plan {
	type cand struct {
		entry PlanEntry
		votes map[string]int
		order []string
	}
	byKey := map[string]*cand{}
	var keys []string
	for _, h := range t.SortedHosts() {
		for _, i := range h.Updates {
			u := t.Updates[i]
			k := u.Manager + "\x00" + u.Name
			c := byKey[k]
			if c == nil {
				c = &cand{entry: PlanEntry{Manager: u.Manager, Name: u.Name, Class: u.Class}, votes: map[string]int{}}
				byKey[k] = c
				keys = append(keys, k)
			}
			c.entry.Class = StrongerClass(c.entry.Class, u.Class)
			c.entry.Vulns = c.entry.Vulns.merge(u.Vulns)
			if !u.Since.IsZero() && (c.entry.Since.IsZero() || u.Since.Before(c.entry.Since)) {
				c.entry.Since = u.Since
			}
			if c.votes[u.Candidate] == 0 {
				c.order = append(c.order, u.Candidate)
			}
			c.votes[u.Candidate]++
			c.entry.Hosts++
		}
	}
	slices.Sort(keys)
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
		if v, ok := rules.ApprovedVersion(e.Name); ok {
			e.Version = v
		}
		if reason := rules.Admit(e); reason != "" {
			p.Left = append(p.Left, PlanSkip{Manager: e.Manager, Name: e.Name, Version: e.Version, Reason: reason})
			continue
		}
		p.Entries = append(p.Entries, e)
	}
	return p
}

func TestVotesPlanAsListingsDid(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	for round := range 500 {
		var hosts []HostUpdates
		for h := range 1 + rng.IntN(30) {
			var ups []Pending
			for _, n := range []string{"a", "b", "c", "d"} {
				for range rng.IntN(3) {
					ups = append(ups, Pending{Name: n, Candidate: fmt.Sprintf("1.%d", rng.IntN(3)),
						Class: []Class{ClassSecurity, ClassBugfix, ClassFeature}[rng.IntN(3)],
						Vulns: Vulns{Severity: []Severity{SeverityLow, SeverityHigh, SeverityUnknown}[rng.IntN(3)],
							SeveritySource: fmt.Sprintf("src%d", rng.IntN(3)), CVEs: []string{fmt.Sprintf("CVE-2026-%d", rng.IntN(5))}}})
				}
			}
			hosts = append(hosts, HostUpdates{fmt.Sprintf("h%02d", rng.IntN(50)+h*100), "apt", ups})
		}
		tab := table(hosts...)
		if got, want := BuildPlan(tab, PatchRules{}, time.Time{}), listingPlan(tab, PatchRules{}); !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d:\nvotes    %+v\nlistings %+v", round, got, want)
		}
	}
}
