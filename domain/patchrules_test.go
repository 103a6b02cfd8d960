package domain

import (
	"strings"
	"testing"
	"time"
)

func TestMinAgeHoldsBackYoungUpdates(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	rules := PatchRules{MinAge: 72 * time.Hour, Approve: []string{"hotfix"}}
	cases := []struct {
		e    PlanEntry
		want string
	}{
		{PlanEntry{Name: "openssl", Since: now.Add(-96 * time.Hour)}, ""},
		{PlanEntry{Name: "openssl", Since: now.Add(-24 * time.Hour)}, "due for 24h0m0s, min_age 72h0m0s"},
		{PlanEntry{Name: "openssl"}, "age unknown (never seen before), min_age 72h0m0s"},
		{PlanEntry{Name: "hotfix", Since: now.Add(-time.Hour)}, ""},
	}
	for _, c := range cases {
		if got := rules.Matured(c.e, now); got != c.want {
			t.Errorf("%s since %v: %q, want %q", c.e.Name, c.e.Since, got, c.want)
		}
	}
	votes := []Vote{
		{Pending: Pending{Manager: "apt", Name: "old", Candidate: "2", Since: now.Add(-100 * time.Hour)}, Listings: 1},
		{Pending: Pending{Manager: "apt", Name: "young", Candidate: "2", Since: now.Add(-time.Hour)}, Listings: 1, FirstPos: 1},
	}
	p := BuildPlanFromVotes(votes, PatchRules{MinAge: 72 * time.Hour}, now)
	if len(p.Entries) != 1 || p.Entries[0].Name != "old" || len(p.Left) != 1 || p.Left[0].Reason != "due for 1h0m0s, min_age 72h0m0s" {
		t.Errorf("plan %+v left %+v", p.Entries, p.Left)
	}
}

// TestVulnerabilityRulesNarrowThePlan: patches.cves, patches.kev and
// patches.min_epss leave out what they do not select, each with the
// reason a dry run shows, and the plan's one-line summary (the Temporal
// UI's and the approval request's) counts the CVEs and KEV fixes.
func TestVulnerabilityRulesNarrowThePlan(t *testing.T) {
	tab := table(HostUpdates{"a", "apt", []Pending{
		{Name: "libexpat1", Candidate: "2", Class: ClassSecurity, Vulns: Vulns{Severity: SeverityHigh, CVEs: []string{"CVE-2024-28757", "CVE-2025-59375"}, EPSS: new(0.02), Risk: 30}},
		{Name: "libc6", Candidate: "2", Class: ClassSecurity, Vulns: Vulns{Severity: SeverityHigh, CVEs: []string{"CVE-2023-4911"}, KEV: true, EPSS: new(0.9), Risk: 87}},
		{Name: "liblzma5", Candidate: "2", Class: ClassSecurity, Vulns: Vulns{Severity: SeverityMedium, Advisories: []string{"GHSA-5qpq-xqfv-j9pg"}, Risk: 20}},
		{Name: "demo-app", Candidate: "2", Class: ClassFeature},
	}})
	for _, c := range []struct {
		rules PatchRules
		want  string // planned names, then each left out with its reason
	}{
		{PatchRules{CVEs: []string{"CVE-2025-59375"}}, "libexpat1 | demo-app: fixes none of CVE-2025-59375 | libc6: fixes none of CVE-2025-59375 | liblzma5: fixes none of CVE-2025-59375"},
		{PatchRules{KEV: true}, "libc6 | demo-app: fixes no CVE in the KEV catalogue | libexpat1: fixes no CVE in the KEV catalogue | liblzma5: fixes no CVE in the KEV catalogue"},
		{PatchRules{MinEPSS: 0.5}, "libc6 | demo-app: no EPSS score, min_epss 0.5 | libexpat1: EPSS 0.02 below 0.5 | liblzma5: no EPSS score, min_epss 0.5"},
		{PatchRules{MinEPSS: 0.02}, "libc6 libexpat1 | demo-app: no EPSS score, min_epss 0.02 | liblzma5: no EPSS score, min_epss 0.02"},
	} {
		p := BuildPlan(tab, c.rules, time.Time{})
		var b strings.Builder
		for i, e := range p.Entries {
			if i > 0 {
				b.WriteString(" ")
			}
			b.WriteString(e.Name)
		}
		for _, l := range p.Left {
			b.WriteString(" | " + l.Name + ": " + l.Reason)
		}
		if got := b.String(); got != c.want {
			t.Errorf("%+v:\n got %s\nwant %s", c.rules, got, c.want)
		}
	}
	all := BuildPlan(tab, PatchRules{}, time.Time{})
	if got, want := all.Summary(), "4 updates, 3 security (3 CVEs, 1 in KEV), highest risk 87"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
}
