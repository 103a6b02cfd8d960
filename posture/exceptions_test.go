package posture

import (
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/inventory"
	"github.com/patchflow/patchflow/report"
	"github.com/patchflow/patchflow/workflows"
)

const webInventory = `[web]
web-1
web-2
[db]
db-1
`

// TestExceptionsForReport: selectors resolve against the inventory and
// keep to the report's hosts; an exception revoked early ends at its
// revocation, so the report shows it expired.
func TestExceptionsForReport(t *testing.T) {
	inv, err := inventory.Parse("hosts.ini", []byte(webInventory))
	if err != nil {
		t.Fatal(err)
	}
	until := now.Add(30 * 24 * time.Hour)
	recs := []ExceptionRecord{
		{Exception: workflows.Exception{ID: "EXC-web", CVEs: []string{"CVE-2023-4911"}, Select: []string{"group=web"}, Until: until, Reason: "r", By: "ana"}, State: ExceptionActive},
		{Exception: workflows.Exception{ID: "EXC-db", CVEs: []string{"CVE-2023-4911"}, Select: []string{"host=db-1"}, Until: until, Reason: "r", By: "ana"}, State: ExceptionActive},
		{Exception: workflows.Exception{ID: "EXC-gone", CVEs: []string{"CVE-2023-4911"}, Select: []string{"group=web"}, Until: until, Reason: "why", By: "ana"},
			State: ExceptionRevoked, Ended: now.Add(-time.Hour), EndedHow: "revoked by bo: fixed"},
	}
	out := forReport(recs, []*inventory.Inventory{inv}, map[string]bool{"web-1": true, "web-2": true})
	if len(out) != 2 || out[0].ID != "EXC-web" || len(out[0].Hosts) != 2 || out[1].ID != "EXC-gone" {
		t.Fatalf("exceptions %+v; want EXC-web over web-1 and web-2, EXC-gone, and EXC-db left out (db-1 not in the report)", out)
	}
	if !out[1].Until.Equal(now.Add(-time.Hour)) || !strings.Contains(out[1].Reason, "revoked by bo") {
		t.Errorf("revoked exception %+v: want it to end at its revocation", out[1])
	}
	in := report.ComplianceInput{GeneratedAt: now, Exceptions: out, Hosts: []report.HostInput{{Host: "web-1", Policy: "web", LastAssessed: now}}}
	rep, err := report.BuildCompliance(in)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Exceptions[0].Expired || rep.Exceptions[0].ID != "EXC-gone" {
		t.Errorf("report exceptions %+v", rep.Exceptions)
	}
	// Without an inventory only host= selectors resolve.
	if got := resolveSelector([]string{"host=db-1"}, nil); len(got) != 1 || got[0] != "db-1" {
		t.Errorf("host=db-1 without inventory: %v", got)
	}
	if got := resolveSelector([]string{"group=web"}, nil); len(got) != 0 {
		t.Errorf("group=web without inventory: %v", got)
	}
}

// TestFailedShardHosts: a shard without a result turns into its hosts,
// each assessment_failed with the shard named, never compliant.
func TestFailedShardHosts(t *testing.T) {
	s := Shard{ID: "assess/web/2026-11-20T00:00:00Z/shard/2", Hosts: []string{"web-1", "web-2"}, Failure: "workflow terminated", At: now}
	hosts := complianceHosts("web", s, nil)
	rep, err := report.BuildCompliance(report.ComplianceInput{GeneratedAt: now, Hosts: hosts})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range rep.Hosts {
		if h.State != report.StateAssessmentFailed || !strings.Contains(h.Failure.Error, "shard/2 has no result: workflow terminated") {
			t.Errorf("%s: %s %+v", h.Host, h.State, h.Failure)
		}
	}
	if got := complianceHosts("web", s, map[string]bool{"web-2": true}); len(got) != 1 || got[0].Host != "web-2" {
		t.Errorf("filtered: %+v", got)
	}
}

func TestAssessSchedule(t *testing.T) {
	spec := testSpec()
	p, err := AssessSchedule(spec, true, 6*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if p.Options.ID != "patchflow/assess/web" || p.Policy != "assess/web" || len(p.Options.Spec.Intervals) != 1 || p.Options.Spec.Intervals[0].Every != 6*time.Hour {
		t.Errorf("schedule %+v", p.Options)
	}
	again, _ := AssessSchedule(spec, true, 6*time.Hour)
	other, _ := AssessSchedule(spec, true, 4*time.Hour)
	if again.Hash != p.Hash || other.Hash == p.Hash {
		t.Errorf("hashes %s %s %s: the same schedule must hash the same, another interval differently", p.Hash, again.Hash, other.Hash)
	}
	if _, err := AssessSchedule(spec, false, time.Minute); err == nil || !strings.Contains(err.Error(), "too short") {
		t.Errorf("a one-minute interval: %v", err)
	}
}

func testSpec() domain.CycleSpec {
	return domain.CycleSpec{
		Policy:    "web",
		Inventory: domain.InventorySpec{Source: "/srv/inv/hosts.ini", Select: []string{"group=web"}},
		Patches:   domain.PatchRules{Classes: []domain.Class{domain.ClassSecurity}},
		Waves:     []domain.Wave{{Name: "canary", Count: 1, MaxParallel: 1}, {Name: "rest", Percent: 100, MaxParallel: 4}},
		SLA:       domain.SLA{Critical: 24 * time.Hour, High: 7 * 24 * time.Hour},
	}
}
