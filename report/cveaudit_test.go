package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
)

func TestCVEAuditOrderTotalsAndText(t *testing.T) {
	a := buildSampleCVEAudit(t)
	var ids []string
	for _, e := range a.CVEs {
		ids = append(ids, e.CVE)
	}
	// Numeric order: CVE-2026-56132 before CVE-2026-103111.
	if got := strings.Join(ids, " "); got != "CVE-2023-4911 CVE-2026-56132 CVE-2026-103111 CVE-2099-00001" {
		t.Errorf("CVE order %s", got)
	}
	glibc := a.CVEs[0]
	var order []string
	for _, h := range glibc.Hosts {
		order = append(order, string(h.State)+":"+h.Host)
	}
	if got := strings.Join(order, " "); got != "affected_patchable:web-042 scheduled:db-003 unknown:db-007 patched:web-001 not_affected:web-011" {
		t.Errorf("host order %s", got)
	}
	n := 0
	for _, c := range glibc.Totals {
		n += c.Hosts
	}
	if n != 5 || len(glibc.Totals) != len(CVEStates) {
		t.Errorf("totals %+v", glibc.Totals)
	}
	var b bytes.Buffer
	if err := WriteCVEAuditTable(&b, a, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"CVE-2023-4911  severity high  KEV due 2023-12-12",
		"patched by cycle/web/2026-11-20T02:00:00Z at 2026-11-20 02:41 UTC (03:41 CET), verified 2026-11-24 07:00 UTC (08:00 CET)",
		"scheduled: schedule patch-db, wave 3, window opening 2026-11-25 01:00 UTC (02:00 CET)",
		"libexpat1 2.5.0-1+deb12u4 (fixed in 2.5.0-1+deb12u5)",
		"running kernel 6.1.115-1",
		"last assessed 2026-11-12 09:00 UTC (10:00 CET), before the advisory",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestCVEAuditStatesNeedTheirEvidence(t *testing.T) {
	now := estateNow
	pub := now.Add(-5 * day)
	cases := []struct {
		name string
		h    CVEHost
		want string // "" = accepted
	}{
		{"patchable without candidate", CVEHost{State: CVEAffectedPatchable, Evidence: CVEEvidence{AssessedAt: now, Packages: []PackageEvidence{{Package: "p", Installed: "1"}}}}, "candidate"},
		{"patchable without assessment", CVEHost{State: CVEAffectedPatchable, Evidence: CVEEvidence{Packages: []PackageEvidence{{Package: "p", Installed: "1", Candidate: "2"}}}}, "assessed_at"},
		{"patched not yet verified", CVEHost{State: CVEPatched, Evidence: CVEEvidence{CycleID: "c", PatchedAt: now, AssessedAt: now.Add(-time.Hour)}}, "re-assessment"},
		{"patched and verified", CVEHost{State: CVEPatched, Evidence: CVEEvidence{CycleID: "c", PatchedAt: now.Add(-time.Hour), AssessedAt: now}}, ""},
		{"patched without cycle", CVEHost{State: CVEPatched, Evidence: CVEEvidence{PatchedAt: now.Add(-time.Hour), AssessedAt: now}}, "cycle_id"},
		{"unknown but assessed after the advisory", CVEHost{State: CVEUnknown, Evidence: CVEEvidence{AssessedAt: now}}, "not before published"},
		{"unknown, assessed before the advisory", CVEHost{State: CVEUnknown, Evidence: CVEEvidence{AssessedAt: pub.Add(-time.Hour)}}, ""},
		{"scheduled without window", CVEHost{State: CVEScheduled, Evidence: CVEEvidence{CycleID: "c"}}, "window_opens"},
		{"scheduled without cycle or schedule", CVEHost{State: CVEScheduled, Evidence: CVEEvidence{WindowOpens: now}}, "cycle_id or schedule_id"},
		{"fix not in repos with a candidate", CVEHost{State: CVEFixNotInRepos, Evidence: CVEEvidence{AssessedAt: now, Packages: []PackageEvidence{{Package: "p", Installed: "1", FixedVersion: "2", Candidate: "2"}}}}, "no candidate"},
		{"no fix but a fixed version", CVEHost{State: CVEAffectedNoFix, Evidence: CVEEvidence{AssessedAt: now, Packages: []PackageEvidence{{Package: "p", Installed: "1", FixedVersion: "2"}}}}, "no fixed_version"},
		{"reboot pending without what runs", CVEHost{State: CVERebootPending, Evidence: CVEEvidence{AssessedAt: now, Packages: []PackageEvidence{{Package: "k", Installed: "2"}}}}, "running_kernel"},
		{"not affected without assessment", CVEHost{State: CVENotAffected}, "assessed_at"},
		{"invalid state", CVEHost{State: "probably_fine", Evidence: CVEEvidence{AssessedAt: now}}, "want one of"},
		{"negative wave", CVEHost{State: CVEScheduled, Evidence: CVEEvidence{CycleID: "c", WindowOpens: now, Wave: intp(-1)}}, "negative"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.h.Host, c.h.Policy = "web-1", "web"
			_, err := BuildCVEAudit(CVEAuditInput{GeneratedAt: now, CVEs: []CVEEntry{{CVE: "CVE-2026-0001", Severity: domain.SeverityHigh, Published: pub, Hosts: []CVEHost{c.h}}}})
			switch {
			case c.want == "" && err != nil:
				t.Errorf("rejected: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("error %v, want one naming %q", err, c.want)
			}
		})
	}
}

func TestNormalizeCVEID(t *testing.T) {
	for in, want := range map[string]string{"cve-2023-4911": "CVE-2023-4911", " CVE-2026-103111 ": "CVE-2026-103111"} {
		if got, err := NormalizeCVEID(in); err != nil || got != want {
			t.Errorf("NormalizeCVEID(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "CVE-23-4911", "GHSA-5qpq-xqfv-j9pg", "CVE-2023-491", "CVE-2023-4911\x1b[2J"} {
		if _, err := NormalizeCVEID(bad); err == nil {
			t.Errorf("NormalizeCVEID(%q) accepted", bad)
		} else if strings.ContainsRune(err.Error(), 0x1b) {
			t.Errorf("error carries a raw ESC: %q", err)
		}
	}
}
