package activities

import (
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/patchflow/patchflow/localfleet"
	"github.com/patchflow/patchflow/transport"
)

func TestParseAdvisoryDates(t *testing.T) {
	out := `===============================================================================
  demo-lib bug fix update
===============================================================================
  Update ID: PFBA-2026:0002
       Type: bugfix
    Updated: 2026-01-20 00:00:00
Description: demo-lib bug fix update demo-lib-1.1.

===============================================================================
  Important: demo-app security update
===============================================================================
  Update ID: PFSA-2026:0001
       Type: security
     Issued: 2026-01-15 08:30:00
    Updated: 2026-03-01 00:00:00
       CVEs: CVE-2026-0001
Description: Important: demo-app security update demo-app-1.0.1.
   Severity: Important
`
	got := parseAdvisoryDates([]byte(out))
	want := map[string]time.Time{
		"PFBA-2026:0002": time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC),
		"PFSA-2026:0001": time.Date(2026, 1, 15, 8, 30, 0, 0, time.UTC), // issued, not the revision
	}
	if len(got) != len(want) {
		t.Fatalf("dates %v, want %v", got, want)
	}
	for id, w := range want {
		if !got[id].Equal(w) {
			t.Errorf("%s dated %v, want %v", id, got[id], w)
		}
	}
}

// TestPublishedOnDNFFleet scans a real dnf host: each update with an
// advisory carries the advisory's date from the repository's updateinfo.
func TestPublishedOnDNFFleet(t *testing.T) {
	f := localfleet.Start(t, localfleet.Config{Name: "cm", Subnet: 10, RPMHosts: 1, Logf: t.Logf})
	pool := transport.NewPool(transport.NewSSHDialer(transport.WithSSHConfigFile(""), transport.WithAgentSocket("")))
	t.Cleanup(func() { pool.Close() })
	acts := New(Deps{Pool: pool})
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	e := &actEnv{t: t, env: env, acts: acts, inv: f.InventoryPath}
	res := e.scan(f.InventoryPath, f.Hosts[0].Name)
	dated := 0
	for _, u := range res.Updates {
		if len(u.Advisories) > 0 {
			if u.Published.IsZero() || u.Published.After(time.Now()) {
				t.Errorf("%s %s (advisories %v) published %v, want the advisory's date", u.Name, u.Candidate, u.Advisories, u.Published)
			}
			dated++
		}
		if u.FirstSeen.IsZero() {
			t.Errorf("%s %s has no first-seen time", u.Name, u.Candidate)
		}
	}
	sec := 0
	for _, u := range res.Updates {
		// The repository's updateinfo dates the demo-app 1.0.1 advisory
		// 2026-01-15 (localfleet/rpmpkgs.go).
		if u.Name == "demo-app" && slices.Contains(u.Advisories, localfleet.RPMSecurityAdvisory) {
			sec++
			if !u.Published.Equal(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("demo-app %s (%s) published %v, want 2026-01-15", u.Candidate, localfleet.RPMSecurityAdvisory, u.Published)
			}
		}
	}
	if sec != 1 {
		t.Errorf("%d demo-app updates name %s, want 1: %+v", sec, localfleet.RPMSecurityAdvisory, res.Updates)
	}
	if res.Manager != "dnf" || dated == 0 {
		t.Fatalf("scan of %s: manager %s, %d updates with advisories, want dnf and some: %+v", f.Hosts[0].Name, res.Manager, dated, res.Updates)
	}
}
