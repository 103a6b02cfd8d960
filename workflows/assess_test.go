package workflows

import (
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/report"
)

func (c *cycleEnv) assess(t *testing.T, in AssessInput) AssessResult {
	t.Helper()
	c.env.SetStartWorkflowOptions(startOptions("assess/web/t"))
	c.env.ExecuteWorkflow(Assess, in)
	if err := c.env.GetWorkflowError(); err != nil {
		t.Fatalf("assessment: %v", err)
	}
	var res AssessResult
	if err := c.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

// TestAssessmentCountsWhatThePolicyRequires: every host has demo-app
// (security, high, CVE-2026-0001, first seen 10 days ago) and libfoo
// (bugfix) pending; a policy requiring security fixes with a 7-day SLA
// finds each host noncompliant with one missing fix past its SLA, one host
// unreachable (assessment failed), and an exception covering the CVE on
// h2 makes that host an exception. No host is changed.
func TestAssessmentCountsWhatThePolicyRequires(t *testing.T) {
	c := newCycleEnv(t, "h1", "h2", "h3", "h4")
	start := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	c.env.SetStartTime(start)
	c.fleet.hosts["h4"].down = true
	c.fleet.firstSeen = map[string]time.Time{}
	for _, h := range []string{"h1", "h2", "h3"} {
		c.fleet.firstSeen[h+":demo-app"] = start.Add(-10 * 24 * time.Hour)
	}
	c.fleet.exceptions = []report.Exception{{ID: "x1", CVEs: []string{"CVE-2026-0001"}, Hosts: []string{"h2"},
		Until: start.Add(30 * 24 * time.Hour), Reason: "vendor fix pending", By: "sre"}}
	spec := testSpec()
	spec.Patches = domain.PatchRules{Classes: []domain.Class{domain.ClassSecurity}}
	spec.SLA = domain.SLA{High: 7 * 24 * time.Hour}
	res := c.assess(t, AssessInput{Spec: spec})
	p := res.Point
	if p.Hosts != 4 || p.Noncompliant != 2 || p.Exception != 1 || p.AssessmentFailed != 1 || p.Compliant != 0 {
		t.Errorf("point %+v, want 2 noncompliant (h1, h3), 1 exception (h2), 1 assessment_failed (h4)", p)
	}
	if got := res.Totals.Missing.Of(domain.SeverityHigh); got != 2 || res.Totals.Breached != 2 || res.Totals.Excepted != 1 {
		t.Errorf("totals %+v, want 2 high fixes missing past their SLA, 1 excepted", res.Totals)
	}
	if res.Hosts != 4 || res.Failed != 1 || len(res.Shards) != 1 {
		t.Errorf("hosts %d failed %d shards %v", res.Hosts, res.Failed, res.Shards)
	}
	for _, h := range []string{"h1", "h2", "h3"} {
		if c.fleet.applyCalls[h] != 0 || c.fleet.installed(h, "demo-app") != "1.0.0" {
			t.Errorf("an assessment changed %s", h)
		}
	}
}
