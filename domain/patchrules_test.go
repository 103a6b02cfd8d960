package domain

import (
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
