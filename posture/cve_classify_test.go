package posture

import (
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/report"
	"github.com/patchflow/patchflow/workflows"
)

// shard is one assessment shard of a month-behind Debian estate: expat's
// security update (several CVEs), glibc's KEV-listed CVE-2023-4911, and
// exposures no update fixes.
func shard() *workflows.AssessShardResult {
	r := &workflows.AssessShardResult{
		Updates: []domain.Pending{
			{Manager: "apt", Name: "libexpat1", Installed: "2.5.0-1+deb12u3", Candidate: "2.5.0-1+deb12u5", Class: domain.ClassSecurity,
				Vulns: domain.Vulns{Severity: domain.SeverityMedium, CVEs: []string{"CVE-2026-56132", "CVE-2025-59375"}, KEV: true}},
			{Manager: "apt", Name: "libc6", Installed: "2.36-9+deb12u1", Candidate: "2.36-9+deb12u3", Class: domain.ClassSecurity,
				Vulns: domain.Vulns{Severity: domain.SeverityHigh, CVEs: []string{"CVE-2023-4911"}, KEV: true, KEVDueDate: "2023-12-12"}},
			{Manager: "apt", Name: "tzdata", Installed: "2025b-0+deb12u2", Candidate: "2026f-0+deb12u1", Class: domain.ClassBugfix},
		},
		Exposures: []domain.Exposure{
			{Package: "linux-image-6.1.0-17-amd64", Version: "6.1.69-1", ID: "CVE-2024-1086", State: domain.RebootPending, Severity: domain.SeverityHigh, KEV: true},
			{Package: "libtiff6", Version: "4.5.0-6+deb12u1", ID: "CVE-2023-52356", State: "no_fix_yet", Severity: domain.SeverityMedium},
			{Package: "libssl3", Version: "3.0.22-1~deb12u1", ID: "CVE-2026-84782", State: "fixed", Severity: domain.SeverityHigh, Fixed: "3.0.22-1~deb12u2"},
			{Package: "libexpat1", Version: "2.5.0-1+deb12u3", ID: "CVE-2026-56132", State: "no_dsa", Severity: domain.SeverityLow},
		},
	}
	return r
}

func TestClassify(t *testing.T) {
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	r := shard()
	host := func(updates, exposed []int, kernel string) workflows.AssessedHost {
		return workflows.AssessedHost{HostScan: domain.HostScan{Host: "web-1", Updates: updates, Exposed: exposed, RunningKernel: kernel}, Assessed: at}
	}
	for _, tt := range []struct {
		name string
		h    workflows.AssessedHost
		cve  string
		want report.CVEState
		pkgs int
	}{
		{"pending update fixes it", host([]int{0, 2}, nil, ""), "CVE-2025-59375", report.CVEAffectedPatchable, 1},
		// affected_patchable comes before affected_no_fix in the table.
		{"an update and a no-fix exposure", host([]int{0}, []int{3}, ""), "CVE-2026-56132", report.CVEAffectedPatchable, 2},
		{"kernel fixed but not running", host(nil, []int{0}, "6.1.0-17-amd64"), "CVE-2024-1086", report.CVERebootPending, 1},
		{"no fix released", host(nil, []int{1}, ""), "CVE-2023-52356", report.CVEAffectedNoFix, 1},
		{"fixed version not in the repositories", host(nil, []int{2}, ""), "CVE-2026-84782", report.CVEFixNotInRepos, 1},
		{"nothing about it", host([]int{0, 1, 2}, []int{0, 1, 2}, ""), "CVE-2021-44228", report.CVENotAffected, 0},
		{"indexes out of range are ignored", host([]int{7, -1}, []int{9}, ""), "CVE-2023-4911", report.CVENotAffected, 0},
	} {
		var m cveMeta
		f := classify(r, tt.h, tt.cve, &m)
		if f.state != tt.want || len(f.ev.Packages) != tt.pkgs || !f.ev.AssessedAt.Equal(at) || f.clear != (tt.want == report.CVENotAffected) {
			t.Errorf("%s: %s, %d packages, clear %v; want %s, %d", tt.name, f.state, len(f.ev.Packages), f.clear, tt.want, tt.pkgs)
			continue
		}
		// The evidence satisfies the report's rules for the state.
		in := report.CVEAuditInput{GeneratedAt: at, CVEs: []report.CVEEntry{{CVE: tt.cve, Severity: domain.SeverityUnknown,
			Hosts: []report.CVEHost{{Host: "web-1", Policy: "web", State: f.state, Evidence: f.ev}}}}}
		if _, err := report.BuildCVEAudit(in); err != nil {
			t.Errorf("%s: the report refuses the evidence: %v", tt.name, err)
		}
	}
	var m cveMeta
	classify(r, host([]int{0, 1}, nil, ""), "CVE-2023-4911", &m)
	if m.severity != domain.SeverityHigh || !m.kev || m.kevDueDate != "2023-12-12" {
		t.Errorf("glibc's CVE: %+v; want high, KEV due 2023-12-12", m)
	}
	m = cveMeta{}
	classify(r, host([]int{0}, nil, ""), "CVE-2025-59375", &m)
	if m.kev || m.severity != domain.SeverityMedium {
		t.Errorf("an update's KEV flag covers all its CVEs, so it says nothing of one of them: %+v", m)
	}
}

func TestWaveOf(t *testing.T) {
	spec := domain.CycleSpec{Waves: []domain.Wave{{Name: "canary", Count: 1}, {Name: "rest", Percent: 50}}}
	tg := Targets{Staging: []string{"stg-1"}, Production: []string{"web-1", "web-2", "web-3", "web-4", "web-5"}}
	for host, want := range map[string]int{"stg-1": 0, "web-1": 1, "web-2": 2, "web-4": 2, "web-5": 3} {
		if got, ok := tg.WaveOf(spec, host); !ok || got != want {
			t.Errorf("%s: wave %d %v, want %d", host, got, ok, want)
		}
	}
	if _, ok := tg.WaveOf(spec, "db-1"); ok {
		t.Error("a host that is no target has a wave")
	}
}

const (
	statusRunning    = enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	statusCompleted  = enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	statusFailed     = enumspb.WORKFLOW_EXECUTION_STATUS_FAILED
	statusTerminated = enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED
)

func TestHistoryFailedAfter(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	h := History{Runs: []Execution{
		{ID: "d", Start: t0.Add(4 * time.Hour), Status: statusRunning},
		{ID: "c", Start: t0.Add(3 * time.Hour), Status: statusTerminated},
		{ID: "b", Start: t0.Add(2 * time.Hour), Status: statusCompleted},
		{ID: "a", Start: t0.Add(1 * time.Hour), Status: statusFailed},
	}}
	latest, ok := h.Latest()
	if !ok || latest.ID != "b" {
		t.Fatalf("latest %+v", latest)
	}
	if f := h.FailedAfter(latest); len(f) != 1 || f[0].ID != "c" {
		t.Errorf("failed after b: %+v; want c only (a is older, d runs)", f)
	}
	if r := h.Running(); len(r) != 1 || r[0].ID != "d" {
		t.Errorf("running %+v", r)
	}
	if c := h.Completed(5); len(c) != 1 {
		t.Errorf("completed %+v", c)
	}
}
