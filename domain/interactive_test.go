package domain

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestPlanLeavesOutUpdatesHeldByInteractivePatches: a SUSE estate of 60
// hosts with 80 pending updates each; an interactive kernel patch (held
// back by the scan: patches.interactive does not list it) is pending on
// every host, and demo-firmware is held back on some hosts and offered
// without asking on others. The plan leaves the kernel out with the
// reason and what to list, plans demo-firmware from its offered version
// alone, and plans every other update.
func TestPlanLeavesOutUpdatesHeldByInteractivePatches(t *testing.T) {
	const kernelPatch = "SUSE-SLE-Module-Basesystem-15-SP5-2024-1234"
	var table PendingTable
	for h := range 60 {
		var ups []Pending
		for u := range 78 {
			ups = append(ups, Pending{Name: fmt.Sprintf("estate-%02d", u), Candidate: "2.1-150500.3.1", Class: ClassSecurity,
				Vulns: Vulns{Severity: SeverityMedium}})
		}
		ups = append(ups, Pending{Name: "kernel-default", Candidate: "5.14.21-150500.55.49.1", Class: ClassSecurity,
			Vulns: Vulns{Severity: SeverityCritical, CVEs: []string{"CVE-2024-1086"}}, Interactive: kernelPatch})
		fw := Pending{Name: "demo-firmware", Candidate: "2.0-1", Class: ClassBugfix, Vulns: Vulns{Severity: SeverityUnknown}}
		if h%3 == 0 {
			fw.Candidate, fw.Class, fw.Interactive = "3.0-1", ClassSecurity, "PF-SLE-15-SP5-2026-1009"
		}
		ups = append(ups, fw)
		table.Add(fmt.Sprintf("sles-%02d", h), "zypper", ups)
	}
	plan := BuildPlan(&table, PatchRules{}, time.Now())
	if len(plan.Entries) != 79 {
		t.Errorf("plan has %d entries, want 79: 78 estate updates and demo-firmware", len(plan.Entries))
	}
	for _, e := range plan.Entries {
		if e.Name == "kernel-default" {
			t.Errorf("plan pins %+v, held back by an interactive patch", e)
		}
		if e.Name == "demo-firmware" && (e.Version != "2.0-1" || e.Class != ClassBugfix || e.Hosts != 40) {
			t.Errorf("demo-firmware entry = %+v, want 2.0-1, bugfix, from the 40 hosts offering it without asking", e)
		}
	}
	if len(plan.Left) != 1 {
		t.Fatalf("plan leaves out %+v, want only kernel-default", plan.Left)
	}
	l := plan.Left[0]
	if l.Name != "kernel-default" || l.Version != "5.14.21-150500.55.49.1" ||
		!strings.Contains(l.Reason, "zypper patch "+kernelPatch+" is flagged interactive") ||
		!strings.Contains(l.Reason, "list "+kernelPatch+" or kernel-default in patches.interactive") {
		t.Errorf("left out %+v, want kernel-default with the interactive patch's name and what to list", l)
	}

	// A rule that leaves the package out anyway gives its own reason:
	// listing the patch would not plan it.
	plan = BuildPlan(&table, PatchRules{Reject: []string{"kernel-default"}}, time.Now())
	if len(plan.Left) != 1 || plan.Left[0].Reason != "rejected by the policy's reject list" {
		t.Errorf("rejected and held back: left %+v, want the reject list's reason", plan.Left)
	}

	// Compacted votes plan the same.
	votes := VotesOf(&table)
	if a, b := BuildPlanFromVotes(votes, PatchRules{}, time.Now()), BuildPlanFromVotes(CompactVotes(votes), PatchRules{}, time.Now()); fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("compacted votes plan\n%+v\nwant\n%+v", b, a)
	}
}
