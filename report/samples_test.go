package report

import (
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
)

func intp(v int) *int { return &v }

// sampleCVEAuditInput has every CVE state with the evidence it rests on:
// the real glibc KEV case (CVE-2023-4911, DSA-5514-1), the expat and
// openssl fixes of testdata/debian-fixes.tsv, and a kernel reboot.
func sampleCVEAuditInput() CVEAuditInput {
	now := estateNow
	assessed := now.Add(-2 * time.Hour)
	return CVEAuditInput{
		GeneratedAt: now,
		TimeZone:    "Europe/Berlin",
		Generator:   "patchflow test (cve audit)",
		Sources: []SourceInput{
			{Name: "debian-tracker", AsOf: now.Add(-6 * time.Hour)},
			{Name: "cisa-kev", AsOf: time.Date(2025, 8, 25, 0, 0, 0, 0, time.UTC)},
		},
		CVEs: []CVEEntry{
			{
				CVE: "cve-2023-4911", Severity: domain.SeverityHigh, KEV: true, KEVDueDate: "2023-12-12", EPSS: epss(0.7512),
				Published: time.Date(2023, 10, 3, 17, 0, 0, 0, time.UTC),
				Hosts: []CVEHost{
					{Host: "web-001", Policy: "web", State: CVEPatched, Evidence: CVEEvidence{AssessedAt: assessed, CycleID: "cycle/web/2026-11-20T02:00:00Z",
						PatchedAt: time.Date(2026, 11, 20, 2, 41, 0, 0, time.UTC), Wave: intp(2),
						Packages: []PackageEvidence{{Package: "libc6", Installed: "2.36-9+deb12u3", FixedVersion: "2.36-9+deb12u3"}}, DecidedBy: "debian-tracker"}},
					{Host: "web-042", Policy: "web", State: CVEAffectedPatchable, Evidence: CVEEvidence{AssessedAt: assessed,
						Packages: []PackageEvidence{{Package: "libc6", Installed: "2.36-9+deb12u2", FixedVersion: "2.36-9+deb12u3", Candidate: "2.36-9+deb12u3"}}, DecidedBy: "debian-tracker"}},
					{Host: "db-003", Policy: "db", State: CVEScheduled, Evidence: CVEEvidence{AssessedAt: assessed, ScheduleID: "patch-db", Wave: intp(3),
						WindowOpens: time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC),
						Packages:    []PackageEvidence{{Package: "libc6", Installed: "2.36-9+deb12u2", Candidate: "2.36-9+deb12u3", FixedVersion: "2.36-9+deb12u3"}}}},
					{Host: "db-007", Policy: "db", State: CVEUnknown, Evidence: CVEEvidence{Note: "never assessed"}},
					{Host: "web-011", Policy: "web", State: CVENotAffected, Evidence: CVEEvidence{AssessedAt: assessed, Note: "libc6 not installed (musl container host)"}},
				},
			},
			{
				CVE: "CVE-2026-56132", Severity: domain.SeverityMedium,
				Published: now.Add(-10 * 24 * time.Hour),
				Hosts: []CVEHost{
					{Host: "web-002", Policy: "web", State: CVEFixNotInRepos, Evidence: CVEEvidence{AssessedAt: assessed,
						Packages: []PackageEvidence{{Package: "libexpat1", Installed: "2.5.0-1+deb12u4", FixedVersion: "2.5.0-1+deb12u5"}},
						Note:     "the host's mirror is pinned to a snapshot without bookworm-security updates since 2026-11-01"}},
					{Host: "web-010", Policy: "web", State: CVEUnknown, Evidence: CVEEvidence{AssessedAt: now.Add(-12 * 24 * time.Hour)}},
				},
			},
			{
				CVE: "CVE-2026-103111", Severity: domain.SeverityHigh,
				Hosts: []CVEHost{
					{Host: "web-004", Policy: "web", State: CVEAffectedNoFix, Evidence: CVEEvidence{AssessedAt: assessed,
						Packages: []PackageEvidence{{Package: "libpcre2-8-0", Installed: "10.42-1+deb12u1"}}, DecidedBy: "debian-tracker"}},
				},
			},
			{
				CVE: "CVE-2099-00001", Severity: domain.SeverityHigh,
				Hosts: []CVEHost{
					{Host: "web-017", Policy: "web", State: CVERebootPending, Evidence: CVEEvidence{AssessedAt: assessed, RunningKernel: "6.1.115-1",
						Packages: []PackageEvidence{{Package: "linux-image-6.1.0-28-amd64", Installed: "6.1.119-1", FixedVersion: "6.1.119-1"}}}},
				},
			},
		},
	}
}

func buildSampleCVEAudit(t testing.TB) *CVEAudit {
	t.Helper()
	a, err := BuildCVEAudit(sampleCVEAuditInput())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// sampleCycleInput is a cycle with staging and two waves, an operator
// approval, a failed host rolled back, a rollback that failed, reboots
// and the re-assessment.
func sampleCycleInput() CycleEvidenceInput {
	start := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return start.Add(time.Duration(m) * time.Minute) }
	libc := Finding{Package: "libc6", Arch: "amd64", Installed: "2.36-9+deb12u2", FixedVersion: "2.36-9+deb12u3", CVEs: []string{"CVE-2023-4911"},
		Advisories: []string{"DSA-5514-1"}, Severity: domain.SeverityHigh, KEV: true, KEVDueDate: "2023-12-12", EPSS: epss(0.7512), Risk: 83, FirstSeen: start.Add(-20 * 24 * time.Hour)}
	expat := Finding{Package: "libexpat1", Arch: "amd64", Installed: "2.5.0-1+deb12u4", FixedVersion: "2.5.0-1+deb12u5",
		CVEs: []string{"CVE-2026-56132", "CVE-2026-102633", "CVE-2026-77214", "CVE-2025-59375"}, Severity: domain.SeverityMedium, Risk: 20, FirstSeen: start.Add(-9 * 24 * time.Hour)}
	return CycleEvidenceInput{
		GeneratedAt: start.Add(6 * time.Hour), TimeZone: "Europe/Berlin", Generator: "patchflow test (report cycle)",
		Sources: []SourceInput{{Name: "debian-tracker", AsOf: start.Add(-3 * time.Hour)}},
		CycleID: "cycle/web/2026-11-20T02:00:00Z", Policy: "web", State: domain.CycleCompletedWithFailures, StartedAt: start, FinishedAt: at(170),
		Before: []HostFindings{
			{Host: "web-002", AssessedAt: at(3), Findings: []Finding{expat, libc}},
			{Host: "web-001", AssessedAt: at(3), Findings: []Finding{libc}},
			{Host: "stg-001", AssessedAt: at(2), Findings: []Finding{libc, expat}},
			{Host: "web-003", Error: "ssh: handshake failed: host key mismatch for web-003"},
		},
		Plan: Plan{CreatedAt: at(5), Entries: []PlanEntry{
			{Manager: "apt", Package: "libexpat1", Version: "2.5.0-1+deb12u5", CVEs: expat.CVEs, Severity: domain.SeverityMedium, Risk: 20, Hosts: 2,
				HistoryRisk: 75, History: &PlanHistory{Basis: "path", Runs: 3, Failed: 2, RolledBack: 2, Cycles: 2,
					Paths: []UpgradePath{{From: "2.5.0-1+deb12u4", To: "2.5.0-1+deb12u5", Runs: 3, Failed: 2, RolledBack: 2}}}},
			{Manager: "apt", Package: "libc6", Version: "2.36-9+deb12u3", CVEs: libc.CVEs, Severity: domain.SeverityHigh, KEV: true, Risk: 83, Hosts: 3},
		}, HistoryFrom: &HistorySource{Cycles: 4, Waves: 11, Since: start.Add(-90 * 24 * time.Hour)}},
		Approval: Approval{Mode: ApprovalPlan, By: "alice@example.org", At: at(21), Via: "update", Comment: "CAB-1142",
			PlanSHA256: "sha256:9f2c4e0d1b7a5c3e8f6a4b2d0c9e7f5a3b1d9c7e5f3a1b9d7c5e3f1a9b7d5c3e", RequestedAt: at(6),
			Required: "history risk 75 of libexpat1 2.5.0-1+deb12u5 is above the policy's 50"},
		Waves: []WaveEvidence{
			{Index: 1, Name: "canary", StartedAt: at(60), FinishedAt: at(95), Hosts: []WaveHost{
				{Host: "web-001", Result: HostPatched, StartedAt: at(60), FinishedAt: at(80), RebootedAt: at(75),
					Installed: []Pin{{Package: "libc6", Version: "2.36-9+deb12u3"}}},
			}},
			{Index: 0, Name: "staging", StartedAt: at(22), FinishedAt: at(55), Hosts: []WaveHost{
				{Host: "stg-001", Result: HostPatched, StartedAt: at(22), FinishedAt: at(40), RebootedAt: at(35),
					Installed: []Pin{{Package: "libexpat1", Version: "2.5.0-1+deb12u5"}, {Package: "libc6", Version: "2.36-9+deb12u3"}}},
			}},
			{Index: 2, Name: "rest", StartedAt: at(100), FinishedAt: at(160), Hosts: []WaveHost{
				{Host: "web-002", Result: HostRolledBack, StartedAt: at(100), FinishedAt: at(140), Reason: "check http-200 failed after the bake: GET /healthz returned 503"},
				{Host: "web-004", Result: HostNeedsRepair, StartedAt: at(100), FinishedAt: at(150), Reason: "rollback failed: libexpat1=2.5.0-1+deb12u4 not in the repositories"},
			}},
		},
		Rollbacks: []Rollback{
			{Host: "web-002", Wave: 2, At: at(138), Reason: "check http-200 failed after the bake", Result: HostRolledBack,
				To: []Pin{{Package: "libexpat1", Version: "2.5.0-1+deb12u4"}, {Package: "libc6", Version: "2.36-9+deb12u2"}}},
			{Host: "web-004", Wave: 2, At: at(149), Reason: "check http-200 failed after the bake", Result: HostNeedsRepair},
		},
		Verify: &FinalVerify{At: at(162), Hosts: 3, Failed: []HostProblem{
			{Host: "web-005", Problem: "libc6 is 2.36-9+deb12u2, the plan pins 2.36-9+deb12u3"}}},
		AfterAssessment: "assess/web/2026-11-20T04:45:00Z",
		Remediation: []HostRemediation{
			{Host: "web-002", State: RemediationStillMissing, Missing: []string{"libexpat1", "libc6"}},
			{Host: "web-001", State: RemediationVerified},
			{Host: "stg-001", State: RemediationVerified},
			{Host: "web-004", State: RemediationNotReassessed},
		},
		Hosts: []CycleHost{
			{Host: "web-002", Stage: "2", Result: HostRolledBack, Reason: "check http-200 failed after the bake: GET /healthz returned 503; rolled back to snapshot"},
			{Host: "web-001", Stage: "1", Result: HostPatched},
			{Host: "stg-001", Stage: "staging", Result: HostPatched},
			{Host: "web-004", Stage: "2", Result: HostNeedsRepair, Reason: "rollback failed: libexpat1=2.5.0-1+deb12u4 not in the repositories"},
			{Host: "web-003", Stage: "scan", Result: HostFailed, Reason: "scan failed: ssh: handshake failed: host key mismatch for web-003"},
			{Host: "web-005", Stage: "1", Result: HostFailed, Reason: "final verify: libc6 is 2.36-9+deb12u2, the plan pins 2.36-9+deb12u3"},
		},
		After: []HostFindings{
			{Host: "web-001", AssessedAt: at(165), Findings: []Finding{{Package: "linux-image-6.1.0-28-amd64", Installed: "6.1.119-1", FixedVersion: "6.1.119-1",
				CVEs: []string{"CVE-2099-00001"}, Severity: domain.SeverityHigh, Risk: 40, FirstSeen: start.Add(-3 * 24 * time.Hour), RebootPending: true}}},
			{Host: "stg-001", AssessedAt: at(165)},
			{Host: "web-002", AssessedAt: at(165), Findings: []Finding{expat, libc}},
		},
	}
}

func buildSampleCycle(t testing.TB) *CycleEvidence {
	t.Helper()
	e, err := BuildCycleEvidence(sampleCycleInput())
	if err != nil {
		t.Fatal(err)
	}
	return e
}
