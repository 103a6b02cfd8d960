package cli

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/patchflow/patchflow/domain"
)

// TestPlanTableShowsWhatEachUpdateFixes: the plan table of a dry run and
// of cycle status says per planned update its severity, CVEs (or, with
// none, its other ids), KEV membership and risk.
func TestPlanTableShowsWhatEachUpdateFixes(t *testing.T) {
	p := domain.Plan{Entries: []domain.PlanEntry{
		{Manager: "apt", Name: "libc6", Version: "2.36-9+deb12u3", Class: domain.ClassSecurity, Hosts: 12,
			Vulns: domain.Vulns{Severity: domain.SeverityHigh, CVEs: []string{"CVE-2023-4911"}, KEV: true, Risk: 57}},
		{Manager: "apt", Name: "libexpat1", Version: "2.5.0-1+deb12u5", Class: domain.ClassSecurity, Hosts: 12,
			Vulns: domain.Vulns{Severity: domain.SeverityHigh, CVEs: []string{"CVE-2024-28757", "CVE-2025-59375", "CVE-2026-24515"}, Risk: 30}},
		{Manager: "apt", Name: "liblzma5", Version: "5.4.1-1+deb12u2", Class: domain.ClassSecurity, Hosts: 3,
			Vulns: domain.Vulns{Severity: domain.SeverityMedium, Advisories: []string{"GHSA-5qpq-xqfv-j9pg"}, Risk: 20}},
		{Manager: "zypper", Name: "demo-tool", Version: "1.1-150500.3.1", Class: domain.ClassFeature, Hosts: 2,
			Vulns: domain.Vulns{Severity: domain.SeverityUnknown}},
	}}
	var b bytes.Buffer
	printPlanTable(&b, p)
	for _, row := range []string{
		`MANAGER\s+PACKAGE\s+VERSION\s+CLASS\s+SEVERITY\s+FIXES\s+KEV\s+RISK\s+HISTORY\s+HOSTS`,
		`apt\s+libc6\s+2\.36-9\+deb12u3\s+security\s+high\s+CVE-2023-4911\s+KEV\s+57\s+-\s+12`,
		`apt\s+libexpat1\s+2\.5\.0-1\+deb12u5\s+security\s+high\s+CVE-2024-28757,CVE-2025-59375 \+1\s+-\s+30\s+-\s+12`,
		`apt\s+liblzma5\s+5\.4\.1-1\+deb12u2\s+security\s+medium\s+GHSA-5qpq-xqfv-j9pg\s+-\s+20\s+-\s+3`,
		`zypper\s+demo-tool\s+1\.1-150500\.3\.1\s+feature\s+unknown\s+-\s+-\s+0\s+-\s+2`,
	} {
		if !regexp.MustCompile(`(?m)^` + row + `$`).MatchString(b.String()) {
			t.Errorf("plan table lacks a row matching %s:\n%s", row, b.String())
		}
	}
}
