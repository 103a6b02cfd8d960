package domain

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

// TestCompactVotesPlansTheSame: 300 hosts that first saw the same 40
// updates at different times (and a few with an older candidate) vote;
// compacted, the votes are one per candidate and make the same plan.
func TestCompactVotesPlansTheSame(t *testing.T) {
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var votes []Vote
	for h := range 300 {
		for u := range 40 {
			cand := "2.0-1"
			if h%50 == 0 && u%7 == 0 {
				cand = "1.9-1"
			}
			sev := SeverityMedium
			if u%5 == 0 && h%3 == 0 {
				sev = SeverityHigh
			}
			votes = append(votes, Vote{
				Pending: Pending{Manager: "apt", Name: fmt.Sprintf("lib%02d", u), Candidate: cand, Class: ClassSecurity,
					Vulns: Vulns{Severity: sev, CVEs: []string{fmt.Sprintf("CVE-2026-%04d", 1000+u)}},
					Since: base.Add(time.Duration(h*25) * time.Millisecond).Add(time.Duration(u) * time.Hour)},
				Listings: 1, FirstHost: fmt.Sprintf("web-%03d", h), FirstPos: u,
			})
		}
	}
	compact := CompactVotes(votes)
	if len(compact) != 40+6 {
		t.Errorf("%d votes compacted to %d, want one per candidate: 46", len(votes), len(compact))
	}
	now := base.Add(30 * 24 * time.Hour)
	rules := PatchRules{Classes: []Class{ClassSecurity}}
	want, got := BuildPlanFromVotes(votes, rules, now), BuildPlanFromVotes(compact, rules, now)
	if !reflect.DeepEqual(want, got) {
		t.Errorf("plan from compacted votes differs:\n got %+v\nwant %+v", got, want)
	}
}
