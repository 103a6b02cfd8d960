package hostscan

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/advisories"
	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/localfleet"
)

// TestStampPublished: the issue date wins over a revision, an update takes
// the earliest date of the advisories naming it, dnf 4's Updated stands in
// for a missing Issued.
func TestStampPublished(t *testing.T) {
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
	list, _, err := advisories.ParseUpdateinfoInfo(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	info := map[string]advisories.UpdateinfoAdvisory{}
	for _, a := range list {
		info[a.ID] = a
	}
	ups := []domain.Update{
		{Name: "demo-lib", Vulns: domain.Vulns{Advisories: []string{"PFBA-2026:0002"}}},
		{Name: "demo-app", Vulns: domain.Vulns{Advisories: []string{"PFSA-2026:0001", "PFBA-2026:0002"}}},
		{Name: "other"},
	}
	stampPublished(ups, info)
	want := []time.Time{
		time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 15, 8, 30, 0, 0, time.UTC), // issued, not the revision, and the earlier advisory
		{},
	}
	for i, w := range want {
		if !ups[i].Published.Equal(w) {
			t.Errorf("%s published %v, want %v", ups[i].Name, ups[i].Published, w)
		}
	}
}

// TestPublishedOnDNFFleet scans a real dnf host: each update with an
// advisory carries the advisory's date from the repository's updateinfo.
func TestPublishedOnDNFFleet(t *testing.T) {
	f := localfleet.Start(t, localfleet.Config{Name: "cm", Subnet: 10, RPMHosts: 1, Logf: t.Logf})
	res, err := New(nil, nil).Scan(context.Background(), target(t, f.InventoryPath, f.Hosts[0].Name), Options{Refresh: true})
	if err != nil {
		t.Fatal(err)
	}
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
