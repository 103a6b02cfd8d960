package workflows

import (
	"slices"
	"strings"
	"testing"

	"github.com/patchflow/patchflow/domain"
)

// TestStagingFirstScanPlansWhatStagingProves: the plan comes from the
// staging hosts' scan; production is scanned after staging's scan, before
// staging's install ends, and gets only what staging installed. An update
// pending only in production is left out as not proven, and a host with
// nothing else is skipped.
func TestStagingFirstScanPlansWhatStagingProves(t *testing.T) {
	c := newCycleEnv(t, hostNames(4)...)
	// h3 has an update no staging host has.
	c.fleet.hosts["h3"].pending = append(c.fleet.hosts["h3"].pending,
		domain.Update{Name: "prod-only", Installed: "1", Candidate: "2", Class: domain.ClassSecurity, Vulns: domain.Vulns{Severity: domain.SeverityHigh}})
	c.fleet.hosts["h3"].installed["prod-only"] = "1"
	// h4 has nothing staging proved: only the production-only update.
	c.fleet.hosts["h4"].pending = []domain.Update{{Name: "prod-only", Installed: "1", Candidate: "2", Class: domain.ClassSecurity, Vulns: domain.Vulns{Severity: domain.SeverityHigh}}}
	c.fleet.hosts["h4"].installed = map[string]string{"prod-only": "1"}

	res := c.run(t, testSpec())
	if res.State != domain.CycleCompleted || res.Counts.Patched != 4 || res.Counts.Skipped != 1 {
		t.Fatalf("cycle %s (%s) %+v, want 4 patched and h4 skipped", res.State, res.Reason, res.Counts)
	}
	var names []string
	for _, e := range res.Plan.Entries {
		names = append(names, e.Name)
		if e.Hosts != 4 {
			t.Errorf("plan entry %s counts %d hosts, want the 4 that pin it", e.Name, e.Hosts)
		}
	}
	if !slices.Equal(names, []string{"demo-app", "libfoo"}) {
		t.Errorf("plan %v, want staging's updates only", names)
	}
	left := map[string]string{}
	for _, l := range res.Plan.Left {
		left[l.Name] = l.Reason
	}
	if left["prod-only"] != reasonUnproven {
		t.Errorf("prod-only left out as %q, want %q", left["prod-only"], reasonUnproven)
	}
	if v := c.fleet.hosts["h3"].installed["prod-only"]; v != "1" {
		t.Errorf("h3 prod-only = %s: an update staging never installed reached production", v)
	}
	if o := c.outcomes(t)["h4"]; o.State != domain.HostSkipped || !strings.Contains(o.Reason, "nothing to patch") {
		t.Errorf("h4: %s %q, want skipped: nothing to patch", o.State, o.Reason)
	}
	// Order: staging's scan, then production's, which runs before
	// staging's install: the production scan is off the critical path.
	ev := c.fleet.events
	if len(ev) < 3 || ev[0] != "scan stg1" || !strings.HasPrefix(ev[1], "scan h1") || ev[2] != "apply stg1" {
		t.Errorf("activity order %v, want scan stg1, scan production, apply stg1, ...", ev)
	}
}
