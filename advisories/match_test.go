package advisories

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/patchflow/patchflow/domain"
)

// The fleet's real expat update: the CVEs its changelog names between the
// installed and the candidate version, none of the older ones, and the
// upload urgency as the severity because no feed here rates them.
func TestExpatUpdateListsTheChangelogCVEs(t *testing.T) {
	db := testDB(t)
	a := db.AssessUpdate(bookworm, UpdateInput{Name: "libexpat1", SourceName: "expat",
		Installed: "2.5.0-1+deb12u2", Candidate: "2.5.0-1+deb12u5",
		Changelog: changelog(t, "libexpat1_2.5.0-1+deb12u5.changelog.Debian.gz")})
	want := []string{ // changelog entries deb12u3, deb12u4 and deb12u5
		"CVE-2024-28757", "CVE-2025-59375", "CVE-2026-24515", "CVE-2026-25210", "CVE-2026-32776",
		"CVE-2026-32777", "CVE-2026-32778", "CVE-2026-45186", "CVE-2026-50219", "CVE-2026-56131",
		"CVE-2026-56132", "CVE-2026-56403", "CVE-2026-56404", "CVE-2026-56405", "CVE-2026-56406",
		"CVE-2026-56407", "CVE-2026-56408", "CVE-2026-56409", "CVE-2026-56410", "CVE-2026-56411",
		"CVE-2026-56412", "CVE-2026-66046", "CVE-2026-72522", "CVE-2026-76957", "CVE-2026-77214",
		"CVE-2026-93990", "CVE-2026-102633",
	}
	if !slices.Equal(a.CVEs, want) {
		t.Fatalf("cves %v\nwant %v", a.CVEs, want)
	}
	for _, old := range []string{"CVE-2023-52425", "CVE-2024-45490", "CVE-2022-43680"} {
		if slices.Contains(a.CVEs, old) {
			t.Errorf("%s is fixed at or below the installed 2.5.0-1+deb12u2, yet listed", old)
		}
	}
	if a.Severity != domain.SeverityHigh || a.SeveritySource != "changelog:expat" {
		t.Errorf("severity %s from %q, want high from the upload urgency (changelog:expat)", a.Severity, a.SeveritySource)
	}
	if !a.SecurityFix || a.Risk != 30 {
		t.Errorf("security_fix %v risk %d, want true and 30 (high, not in KEV, no EPSS)", a.SecurityFix, a.Risk)
	}
	f := a.Fixes[slices.IndexFunc(a.Fixes, func(f Finding) bool { return f.ID == "CVE-2025-59375" })]
	if f.FixedVersion != "2.5.0-1+deb12u4" || f.DecidedBy != "changelog" || f.Channel != "bookworm-security" {
		t.Errorf("CVE-2025-59375 %+v, want fixed first in 2.5.0-1+deb12u4 by the changelog (bookworm-security)", f)
	}
	if f.Severity != domain.SeverityUnknown {
		t.Errorf("CVE-2025-59375 severity %s: no source rates this CVE, it must stay unknown", f.Severity)
	}
	if !hasNote(a.Notes, "27 CVEs not in KEV as of 2025-08-25 (older than this package, dated 2026-10-21)") {
		t.Errorf("notes %q, want the KEV staleness note", a.Notes)
	}
}

// A fix that came through a point release (bookworm, not
// bookworm-security) is still a security fix: the changelog names its CVEs.
func TestPointReleaseFixIsASecurityFix(t *testing.T) {
	db := testDB(t)
	a := db.AssessUpdate(bookworm, UpdateInput{Name: "libexpat1", SourceName: "expat",
		Installed: "2.5.0-1+deb12u1", Candidate: "2.5.0-1+deb12u2",
		Changelog: changelog(t, "libexpat1_2.5.0-1+deb12u5.changelog.Debian.gz")})
	if !slices.Equal(a.CVEs, []string{"CVE-2023-52425", "CVE-2024-8176", "CVE-2024-50602"}) || !a.SecurityFix {
		t.Fatalf("cves %v security_fix %v, want the three CVEs of the point release", a.CVEs, a.SecurityFix)
	}
	for _, f := range a.Fixes {
		if f.Channel != "bookworm" {
			t.Errorf("%s channel %q, want bookworm (point release)", f.ID, f.Channel)
		}
	}
}

// xz-utils 5.4.1-1+deb12u2 names only a GHSA: no CVE may be invented, and
// the installed deb12u1 already carries the CVE-2026-34743 fix, whatever the
// tracker's wrong fixed version says.
func TestXZUpdateNamesOnlyTheGHSA(t *testing.T) {
	db := testDB(t)
	in := UpdateInput{Name: "liblzma5", SourceName: "xz-utils", Installed: "5.4.1-1+deb12u1", Candidate: "5.4.1-1+deb12u2",
		Changelog: changelog(t, "liblzma5_5.4.1-1+deb12u2.changelog.Debian.gz")}
	a := db.AssessUpdate(bookworm, in)
	if len(a.CVEs) != 0 || !slices.Equal(a.Advisories, []string{"GHSA-5qpq-xqfv-j9pg"}) {
		t.Fatalf("cves %v advisories %v, want no CVE and GHSA-5qpq-xqfv-j9pg", a.CVEs, a.Advisories)
	}
	if len(a.StillOpen) != 0 {
		t.Errorf("still open %+v: the changelog shows CVE-2026-34743 fixed in the installed 5.4.1-1+deb12u1", a.StillOpen)
	}
	if a.Severity != domain.SeverityMedium || a.SeveritySource != "changelog:xz-utils" {
		t.Errorf("severity %s from %q, want medium from the upload urgency", a.Severity, a.SeveritySource)
	}

	// Without the changelog the stored tracker record decides, and its
	// bookworm fixed version 5.4.1-2+deb12u1 is above the candidate.
	in.Changelog = nil
	a = db.AssessUpdate(bookworm, in)
	if len(a.StillOpen) != 1 || a.StillOpen[0].ID != "CVE-2026-34743" || a.StillOpen[0].FixedVersion != "5.4.1-2+deb12u1" || a.StillOpen[0].DecidedBy != "vuln-list" {
		t.Errorf("still open %+v, want CVE-2026-34743 fixed in 5.4.1-2+deb12u1 per vuln-list", a.StillOpen)
	}
}

// The real bad-data trap: a host at 5.4.1-1+deb12u2 must not be flagged
// for CVE-2026-34743 forever when its changelog proves the fix.
func TestTrackerFixedVersionTrap(t *testing.T) {
	db := testDB(t)
	pkg := InstalledPackage{Name: "liblzma5", SourceName: "xz-utils", Version: "5.4.1-1+deb12u2"}
	rep := db.AssessInstalled(bookworm, []InstalledPackage{pkg}, "")
	if got := findingIDs(rep, "fix_available"); !slices.Equal(got, []string{"CVE-2026-34743"}) {
		t.Fatalf("without the changelog: fix available %v, want CVE-2026-34743 (the record's own claim)", got)
	}
	pkg.Changelog = changelog(t, "liblzma5_5.4.1-1+deb12u2.changelog.Debian.gz")
	rep = db.AssessInstalled(bookworm, []InstalledPackage{pkg}, "")
	if got := findingIDs(rep, "fix_available"); len(got) != 0 {
		t.Fatalf("with the installed changelog: fix available %v, want none (5.4.1-1+deb12u1 fixed CVE-2026-34743)", got)
	}

	// Updating from before the fix, the changelog decides: the point
	// release deb12u1 fixed it, not the tracker's 5.4.1-2+deb12u1.
	a := db.AssessUpdate(bookworm, UpdateInput{Name: "liblzma5", SourceName: "xz-utils", Installed: "5.4.1-1", Candidate: "5.4.1-1+deb12u2",
		Changelog: pkg.Changelog})
	i := slices.IndexFunc(a.Fixes, func(f Finding) bool { return f.ID == "CVE-2026-34743" })
	if i < 0 || a.Fixes[i].DecidedBy != "changelog" || a.Fixes[i].FixedVersion != "5.4.1-1+deb12u1" || a.Fixes[i].Channel != "bookworm" {
		t.Fatalf("fixes %+v, want CVE-2026-34743 fixed in 5.4.1-1+deb12u1 decided by the changelog", a.Fixes)
	}
	if !slices.Equal(a.Advisories, []string{"GHSA-5qpq-xqfv-j9pg"}) {
		t.Errorf("advisories %v", a.Advisories)
	}
}

// pcre2 10.42-1+deb12u1 names no CVE; the tracker ties its DLA to
// CVE-2026-86145 (the stored CVE-2026-89161 record predates the link).
func TestPCRE2DLANamesWhatTheChangelogDoesNot(t *testing.T) {
	db := testDB(t)
	a := db.AssessUpdate(bookworm, UpdateInput{Name: "libpcre2-8-0", SourceName: "pcre2", Installed: "10.42-1", Candidate: "10.42-1+deb12u2",
		Changelog: changelog(t, "libpcre2-8-0_10.42-1+deb12u2.changelog.Debian.gz")})
	if !slices.Equal(a.CVEs, []string{"CVE-2026-86145", "CVE-2026-103111"}) {
		t.Errorf("cves %v, want CVE-2026-86145 (DLA-4772-1) and CVE-2026-103111 (changelog)", a.CVEs)
	}
	if !slices.Equal(a.Advisories, []string{"DLA-4772-1", "GHSA-r9hj-j2rw-4q3m"}) {
		t.Errorf("advisories %v", a.Advisories)
	}
	i := slices.IndexFunc(a.Fixes, func(f Finding) bool { return f.ID == "CVE-2026-86145" })
	if i < 0 || a.Fixes[i].DecidedBy != "vuln-list" || a.Fixes[i].FixedVersion != "10.42-1+deb12u1" {
		t.Errorf("fixes %+v, want CVE-2026-86145 fixed in 10.42-1+deb12u1 by DLA-4772-1", a.Fixes)
	}
	// The unstable fix does not reach bookworm: no fix yet there.
	if len(a.StillOpen) != 1 || a.StillOpen[0].ID != "CVE-2026-89161" || a.StillOpen[0].Status != StatusNoFixYet {
		t.Errorf("still open %+v, want CVE-2026-89161 with no fix yet in bookworm", a.StillOpen)
	}
	// The candidate alone, without a changelog: the DLA still counts.
	a = db.AssessUpdate(bookworm, UpdateInput{Name: "libpcre2-8-0", SourceName: "pcre2", Installed: "10.42-1", Candidate: "10.42-1+deb12u1"})
	if !slices.Equal(a.CVEs, []string{"CVE-2026-86145"}) || !slices.Equal(a.Advisories, []string{"DLA-4772-1"}) {
		t.Errorf("deb12u1 without changelog: cves %v advisories %v", a.CVEs, a.Advisories)
	}
}

// CVE-2023-4911 (glibc, DSA-5514-1) is in KEV: flagged with its dates, and
// the risk counts it.
func TestKEVFlagsGlibc(t *testing.T) {
	db := testDB(t)
	a := db.AssessUpdate(bookworm, UpdateInput{Name: "libc6", SourceName: "glibc", Installed: "2.36-9+deb12u2", Candidate: "2.36-9+deb12u3"})
	if !slices.Equal(a.CVEs, []string{"CVE-2023-4911"}) || !slices.Equal(a.Advisories, []string{"DSA-5514-1"}) {
		t.Fatalf("cves %v advisories %v", a.CVEs, a.Advisories)
	}
	if !a.KEV || a.KEVDateAdded != "2023-11-21" || a.KEVDueDate != "2023-12-12" {
		t.Errorf("kev %v added %q due %q, want true 2023-11-21 2023-12-12", a.KEV, a.KEVDateAdded, a.KEVDueDate)
	}
	if a.Risk != 50 {
		t.Errorf("risk %d, want 50 (unknown severity 20 + KEV 30)", a.Risk)
	}
	// Already fixed: nothing to report.
	a = db.AssessUpdate(bookworm, UpdateInput{Name: "libc6", SourceName: "glibc", Installed: "2.36-9+deb12u3", Candidate: "2.36-9+deb12u4"})
	if len(a.CVEs) != 0 || a.SecurityFix {
		t.Errorf("from deb12u3: cves %v, want none", a.CVEs)
	}
}

// EPSS comes with the score and percentile of the file's day.
func TestOpenSSLUpdateCarriesEPSS(t *testing.T) {
	db := testDB(t)
	a := db.AssessUpdate(bookworm, UpdateInput{Name: "libssl3", SourceName: "openssl", Installed: "3.0.17-1~deb12u2", Candidate: "3.0.22-1~deb12u2",
		Changelog: changelog(t, "libssl3_3.0.22-1~deb12u2.changelog.Debian.gz")})
	if !slices.Contains(a.CVEs, "CVE-2025-9230") || !slices.Contains(a.CVEs, "CVE-2026-28390") {
		t.Fatalf("cves %v, want CVE-2025-9230 and CVE-2026-28390 among them", a.CVEs)
	}
	if a.EPSS == nil || *a.EPSS != 0.00031 || *a.EPSSPercentile != 0.08989 {
		t.Fatalf("epss %v %v, want 0.00031 at percentile 0.08989", a.EPSS, a.EPSSPercentile)
	}
	if a.Severity != domain.SeverityHigh || a.Risk != 30 {
		t.Errorf("severity %s risk %d, want high (upload urgency) and 30", a.Severity, a.Risk)
	}
	if slices.Contains(a.CVEs, "CVE-2024-13176") {
		t.Error("CVE-2024-13176 is fixed below 3.0.17-1~deb12u2")
	}
}

// AlmaLinux: epoch in the fixed version, the CVE only in related, the
// severity only in the summary prefix.
func TestAlmaLinuxEpochAndRelated(t *testing.T) {
	db := testDB(t)
	alma := Host{Release: Release{"almalinux", "9"}, Family: RPM}
	a := db.AssessUpdate(alma, UpdateInput{Name: "openssl-libs", SourceName: "openssl", Installed: "1:3.5.1-4.el9_7", Candidate: "1:3.5.5-3.el9_8"})
	if !slices.Equal(a.CVEs, []string{"CVE-2026-28390"}) || !slices.Equal(a.Advisories, []string{"ALSA-2026:22312"}) {
		t.Fatalf("cves %v advisories %v", a.CVEs, a.Advisories)
	}
	if a.Severity != domain.SeverityMedium || a.SeveritySource != "vendor:almalinux-osv" {
		t.Errorf("severity %s from %q, want medium from the summary's Moderate:", a.Severity, a.SeveritySource)
	}
	// Without the epoch 3.5.5-3.el9_8 is older than 1:3.5.5-3.el9_8.
	a = db.AssessUpdate(alma, UpdateInput{Name: "openssl-libs", SourceName: "openssl", Installed: "3.5.1-4.el9_7", Candidate: "3.5.5-3.el9_8"})
	if len(a.CVEs) != 0 || len(a.StillOpen) != 1 {
		t.Errorf("epoch 0 candidate: cves %v still open %+v, want the CVE still open", a.CVEs, a.StillOpen)
	}
	// A Rocky host does not read AlmaLinux's data.
	a = db.AssessUpdate(Host{Release: Release{"rocky", "9"}}, UpdateInput{Name: "openssl-libs", Installed: "1:3.5.1-4.el9_7", Candidate: "1:3.5.5-3.el9_8"})
	if len(a.CVEs) != 0 {
		t.Errorf("rocky host matched AlmaLinux data: %v", a.CVEs)
	}
}

// Red Hat's OSV: CVE in upstream, severity from the classification link;
// the AUS stream's fix does not apply to a plain RHEL 8 host.
func TestRedHatOSV(t *testing.T) {
	db := testDB(t)
	in := UpdateInput{Name: "git-lfs", Installed: "0:2.13.3-2.el8", Candidate: "0:2.13.3-3.el8_6.1"}
	a := db.AssessUpdate(Host{Release: Release{"rhel-aus", "8.6"}}, in)
	if !slices.Equal(a.CVEs, []string{"CVE-2023-45288"}) || !slices.Equal(a.Advisories, []string{"GO-2024-2687", "RHSA-2024:4546"}) {
		t.Fatalf("cves %v advisories %v", a.CVEs, a.Advisories)
	}
	if a.Severity != domain.SeverityHigh || a.SeveritySource != "vendor:redhat-osv" {
		t.Errorf("severity %s from %q, want high (Red Hat Important)", a.Severity, a.SeveritySource)
	}
	if a := db.AssessUpdate(Host{Release: Release{"rhel", "8"}}, in); len(a.CVEs) != 0 {
		t.Errorf("rhel:8 matched an AUS stream's record: %v", a.CVEs)
	}
}

// SUSE: the fix is filed under a module; the severity comes from the CVSS
// vector (7.5) with the CVSS library.
func TestSUSEOSV(t *testing.T) {
	db := testDB(t)
	a := db.AssessUpdate(Host{Release: Release{"suse", "15.5"}}, UpdateInput{Name: "libopenssl3", SourceName: "openssl-3",
		Installed: "3.0.8-150500.5.55.1", Candidate: "3.0.8-150500.5.62.1"})
	if !slices.Equal(a.CVEs, []string{"CVE-2026-28390"}) || !slices.Equal(a.Advisories, []string{"SUSE-SU-2026:1432-1"}) {
		t.Fatalf("cves %v advisories %v", a.CVEs, a.Advisories)
	}
	if a.Severity != domain.SeverityHigh || a.SeveritySource != "cvss:suse-osv" {
		t.Errorf("severity %s from %q, want high from CVSS 7.5", a.Severity, a.SeveritySource)
	}
	skips := db.Skips()
	if skips.Count != 1 || !strings.Contains(skips.First[0].String(), "SUSE-SU-2026:1432-1: unknown openSUSE release") {
		t.Errorf("skips %+v, want the Leap Micro entry counted", skips)
	}
}

// dnf updateinfo gives the fixes on rpm hosts without any feed.
func TestUpdateinfoFixes(t *testing.T) {
	advs, _, err := ParseUpdateinfoInfo(open(t, "testdata/dnf/updateinfo-info.txt"))
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]UpdateinfoAdvisory{}
	for _, a := range advs {
		byID[a.ID] = a
	}
	db := NewBuilder().Build()
	a := db.AssessUpdate(Host{Release: Release{"patchflow-el", "9"}, Family: RPM}, UpdateInput{Name: "demo-tool", Installed: "2.0-1", Candidate: "2.1-1",
		Updateinfo: []UpdateinfoAdvisory{byID["PFSA-2026:0003"]}})
	if !slices.Equal(a.CVEs, []string{"CVE-2026-0002", "CVE-2026-0003"}) || !slices.Equal(a.Advisories, []string{"PFSA-2026:0003"}) {
		t.Fatalf("cves %v advisories %v", a.CVEs, a.Advisories)
	}
	if a.Severity != domain.SeverityLow || a.SeveritySource != "vendor:updateinfo" || a.Fixes[0].DecidedBy != "updateinfo:PFSA-2026:0003" {
		t.Errorf("severity %s from %q decided by %q", a.Severity, a.SeveritySource, a.Fixes[0].DecidedBy)
	}
	if !hasNote(a.Notes, "KEV unknown: no KEV source loaded") {
		t.Errorf("notes %q", a.Notes)
	}
}

// A version the library rejects is said so, never matched by guess.
func TestRejectedVersionIsNotMatched(t *testing.T) {
	db := testDB(t)
	a := db.AssessUpdate(bookworm, UpdateInput{Name: "libc6", SourceName: "glibc", Installed: "2.36-9+deb12u2", Candidate: "not a version"})
	if len(a.CVEs) != 0 || len(a.Notes) != 1 || !strings.Contains(a.Notes[0], "candidate debian version") {
		t.Errorf("cves %v notes %q", a.CVEs, a.Notes)
	}
	rep := db.AssessInstalled(bookworm, []InstalledPackage{{Name: "libc6", SourceName: "glibc", Version: "2.36 9"}}, "")
	if len(rep.Skipped) != 1 || rep.Skipped[0].Where != "libc6" {
		t.Errorf("skipped %+v, want libc6", rep.Skipped)
	}
}

func findingIDs(rep InstalledReport, list string) []string {
	var ids []string
	for _, p := range rep.Packages {
		fs := p.FixAvailable
		switch list {
		case "no_fix":
			fs = p.NoFix
		case "reboot_pending":
			fs = p.RebootPending
		}
		for _, f := range fs {
			ids = append(ids, f.ID)
		}
	}
	return ids
}

func hasNote(notes []string, want string) bool { return slices.Contains(notes, want) }

// patches.cves selects by Fixed: a CVE or an advisory id of the update.
func TestFixedSelectsByAnyID(t *testing.T) {
	db := testDB(t)
	a := db.AssessUpdate(bookworm, UpdateInput{Name: "libpcre2-8-0", SourceName: "pcre2", Installed: "10.42-1", Candidate: "10.42-1+deb12u2",
		Changelog: changelog(t, "libpcre2-8-0_10.42-1+deb12u2.changelog.Debian.gz")})
	for id, want := range map[string]bool{"CVE-2026-86145": true, "CVE-2026-103111": true, "DLA-4772-1": true, "GHSA-r9hj-j2rw-4q3m": true, "CVE-2026-89161": false, "CVE-2023-4911": false} {
		if a.Fixed(id) != want {
			t.Errorf("Fixed(%s) = %v, want %v", id, !want, want)
		}
	}
}

// A changelog of another source package is not evidence for this one.
func TestChangelogOfAnotherPackageIsIgnored(t *testing.T) {
	db := testDB(t)
	a := db.AssessUpdate(bookworm, UpdateInput{Name: "libc6", SourceName: "glibc", Installed: "2.36-9+deb12u2", Candidate: "2.36-9+deb12u3",
		Changelog: changelog(t, "libexpat1_2.5.0-1+deb12u5.changelog.Debian.gz")})
	if !slices.Equal(a.CVEs, []string{"CVE-2023-4911"}) || !hasNote(a.Notes, "changelog of expat ignored: the package's source is glibc") {
		t.Errorf("cves %v notes %q", a.CVEs, a.Notes)
	}
}

// Adding a package manager's advisory to a finding never changes the
// index's shared alias lists.
func TestUpdateinfoDoesNotTouchTheIndex(t *testing.T) {
	db := testDB(t)
	in := UpdateInput{Name: "openssl-libs", SourceName: "openssl", Installed: "1:3.5.1-4.el9_7", Candidate: "1:3.5.5-3.el9_8",
		Updateinfo: []UpdateinfoAdvisory{{ID: "RHSA-2026:22312", CVEs: []string{"CVE-2026-28390"}, Severity: domain.SeverityMedium}}}
	alma := Host{Release: Release{"almalinux", "9"}, Family: RPM}
	a := db.AssessUpdate(alma, in)
	if !slices.Equal(a.Fixes[0].Aliases, []string{"ALSA-2026:22312", "RHSA-2026:22312"}) {
		t.Fatalf("aliases %v", a.Fixes[0].Aliases)
	}
	in.Updateinfo = nil
	if b := db.AssessUpdate(alma, in); !slices.Equal(b.Fixes[0].Aliases, []string{"ALSA-2026:22312"}) {
		t.Errorf("the index's aliases changed: %v", b.Fixes[0].Aliases)
	}
}

// A realistic host: 120 pending updates, four of them real security
// fixes, the rest updates no source knows (and two with versions the
// library rejects). Only the four carry ids; the rest stay unknown.
func TestAssessUpdatesOfABusyHost(t *testing.T) {
	db := testDB(t)
	ins := []UpdateInput{
		{Name: "libexpat1", SourceName: "expat", Installed: "2.5.0-1+deb12u2", Candidate: "2.5.0-1+deb12u5", Changelog: changelog(t, "libexpat1_2.5.0-1+deb12u5.changelog.Debian.gz")},
		{Name: "liblzma5", SourceName: "xz-utils", Installed: "5.4.1-1+deb12u1", Candidate: "5.4.1-1+deb12u2", Changelog: changelog(t, "liblzma5_5.4.1-1+deb12u2.changelog.Debian.gz")},
		{Name: "libpcre2-8-0", SourceName: "pcre2", Installed: "10.42-1", Candidate: "10.42-1+deb12u2"},
		{Name: "libc6", SourceName: "glibc", Installed: "2.36-9+deb12u2", Candidate: "2.36-9+deb12u3"},
	}
	for i := range 114 {
		ins = append(ins, UpdateInput{Name: fmt.Sprintf("lib%03d", i), Installed: fmt.Sprintf("1.%d-1", i), Candidate: fmt.Sprintf("1.%d-1+deb12u1", i)})
	}
	ins = append(ins, UpdateInput{Name: "weird", Installed: "1.0-1", Candidate: "1.0 -2"}, UpdateInput{Name: "weird2", Installed: "", Candidate: "1.0-1"})
	as := db.AssessUpdates(bookworm, ins)
	fixes := 0
	for i, a := range as {
		if a.SecurityFix {
			fixes++
			if i >= 4 {
				t.Errorf("%s: security fix %v from nowhere", a.Package, a.CVEs)
			}
			continue
		}
		if a.Severity != domain.SeverityUnknown || a.Risk != 0 || len(a.CVEs)+len(a.Advisories) != 0 {
			t.Errorf("%s: %+v, want nothing known", a.Package, a)
		}
	}
	if fixes != 4 {
		t.Errorf("%d security fixes, want 4", fixes)
	}
	if n := as[len(as)-2].Notes; len(n) != 1 || !strings.HasPrefix(n[0], "candidate debian version") {
		t.Errorf("rejected candidate: notes %q", n)
	}
	if n := as[len(as)-1].Notes; len(n) != 1 || n[0] != "not installed yet: a new package fixes nothing on this host" {
		t.Errorf("new package: notes %q", n)
	}
}
