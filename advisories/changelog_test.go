package advisories

import (
	"bytes"
	"compress/gzip"
	"slices"
	"strings"
	"testing"

	"github.com/patchflow/patchflow/domain"
)

func TestChangelogRealFiles(t *testing.T) {
	cl := changelog(t, "libexpat1_2.5.0-1+deb12u5.changelog.Debian.gz")
	// The trimmed tail ("# Older entries have been removed...") is dropped,
	// not counted as bad lines.
	if cl.Skips.Count != 0 || cl.Source != "expat" || len(cl.Entries) != 27 {
		t.Fatalf("source %s entries %d skips %+v", cl.Source, len(cl.Entries), cl.Skips)
	}
	e := cl.Entries[0]
	if e.Version != "2.5.0-1+deb12u5" || e.Distribution != "bookworm-security" || e.Urgency != "medium" ||
		!slices.Equal(e.CVEs, []string{"CVE-2026-56132", "CVE-2026-102633", "CVE-2026-77214", "CVE-2025-59375"}) {
		t.Errorf("first entry %+v", e)
	}
	if !timeEq("2026-10-21T22:34:41Z").Equal(e.Date) {
		t.Errorf("date %v", e.Date)
	}
	between, err := cl.Between("2.5.0-1+deb12u2", "2.5.0-1+deb12u5")
	if err != nil || len(between) != 3 || between[2].Version != "2.5.0-1+deb12u3" {
		t.Errorf("between: %v %+v", err, between)
	}
	if e, ok := cl.FixedIn("CVE-2025-59375"); !ok || e.Version != "2.5.0-1+deb12u4" {
		t.Errorf("FixedIn CVE-2025-59375: %v %s, want the oldest entry naming it, deb12u4", ok, e.Version)
	}

	xz := changelog(t, "liblzma5_5.4.1-1+deb12u2.changelog.Debian.gz")
	if e := xz.Entries[0]; len(e.CVEs) != 0 || !slices.Equal(e.Advisories, []string{"GHSA-5qpq-xqfv-j9pg"}) {
		t.Errorf("xz deb12u2: cves %v advisories %v; bug #1147318 is not an id", e.CVEs, e.Advisories)
	}
	if e := xz.Entries[1]; e.Distribution != "bookworm" || !slices.Equal(e.CVEs, []string{"CVE-2026-34743"}) {
		t.Errorf("xz deb12u1 (point release): %+v", e)
	}
	pcre := changelog(t, "libpcre2-8-0_10.42-1+deb12u2.changelog.Debian.gz")
	if e := pcre.Entries[1]; e.Version != "10.42-1+deb12u1" || len(e.CVEs)+len(e.Advisories) != 0 {
		t.Errorf("pcre2 deb12u1 names no id: %+v", e)
	}
	ssl := changelog(t, "libssl3_3.0.22-1~deb12u2.changelog.Debian.gz")
	// Tilde versions: 3.0.22-1~deb12u2 is older than 3.0.22-1.
	if b, _ := ssl.Between("3.0.22-1~deb12u1", "3.0.22-1"); len(b) != 1 || b[0].Urgency != "high" {
		t.Errorf("openssl between ~deb12u1 and 3.0.22-1: %+v", b)
	}
}

func TestChangelogBadInput(t *testing.T) {
	plain := "foo (1.0-1) unstable; urgency=low\n\n  * Fix CVE-2026-11111.\n\n -- A <a@b>  Mon, 05 Jan 2026 10:00:00 +0000\n\n" +
		"garbage line\nfoo (1.0:x) unstable; urgency=low\n  * CVE-2026-22222\n\nfoo (0.9-1) unstable; urgency=high\n  * Initial.\n"
	cl, err := ParseChangelog(strings.NewReader(plain))
	if err != nil {
		t.Fatal(err)
	}
	if len(cl.Entries) != 2 || cl.Skips.Count != 2 {
		t.Fatalf("entries %+v skips %+v, want 2 entries and 2 skips (a garbage line, a bad version)", cl.Entries, cl.Skips)
	}
	if _, err := cl.Between("0.9-1", "not a version"); err == nil {
		t.Error("a rejected candidate version was accepted")
	}
	for name, data := range map[string]string{
		"empty":     "",
		"no header": "  * just a line\n",
		"long line": "foo (1.0-1) unstable; urgency=low\n  " + strings.Repeat("x", maxLine+1) + "\n",
	} {
		if _, err := ParseChangelog(strings.NewReader(data)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(strings.Repeat(plain, 200)))
	zw.Close()
	if _, err := ParseChangelog(bytes.NewReader(gz.Bytes()[:gz.Len()-12])); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated gzip: %v", err)
	}
}

func TestUpdateinfoInfo(t *testing.T) {
	advs, skips, err := ParseUpdateinfoInfo(open(t, "testdata/dnf/updateinfo-info.txt"))
	if err != nil || skips.Count != 0 || len(advs) != 5 {
		t.Fatalf("err %v skips %+v advisories %d", err, skips, len(advs))
	}
	byID := map[string]UpdateinfoAdvisory{}
	for _, a := range advs {
		byID[a.ID] = a
	}
	if a := byID["RHSA-2024:4546"]; a.Severity != domain.SeverityHigh || !slices.Equal(a.CVEs, []string{"CVE-2023-45288"}) || len(a.Bugs) != 1 || a.Title != "Important: git-lfs security update" {
		t.Errorf("RHSA: %+v", a)
	}
	// Severity None: the title's prefix decides.
	if a := byID["ALSA-2026:22312"]; a.Severity != domain.SeverityMedium || a.VendorSeverity != "" {
		t.Errorf("ALSA: %+v", a)
	}
	if a := byID["PFSA-2026:0003"]; !slices.Equal(a.CVEs, []string{"CVE-2026-0002", "CVE-2026-0003"}) || a.Severity != domain.SeverityLow {
		t.Errorf("continuation lines: %+v", a)
	}
	if a := byID["PFSA-2026:0001"]; a.Issued.Format("2006-01-02") != "2026-01-15" || a.Type != "security" {
		t.Errorf("issued: %+v", a)
	}
	if a := byID["PFBA-2026:0002"]; a.Severity != domain.SeverityUnknown || a.Type != "bugfix" {
		t.Errorf("bugfix: %+v", a)
	}
	rule := strings.Repeat("=", 79)
	_, skips, err = ParseUpdateinfoInfo(strings.NewReader(rule + "\n  title\n" + rule + "\n       Type: security\n"))
	if err != nil || skips.Count != 1 {
		t.Errorf("block without Update ID: err %v skips %+v", err, skips)
	}
}

func TestVersions(t *testing.T) {
	for _, c := range []struct {
		fam  Family
		a, b string
		want int
	}{
		{Deb, "1:1.0-1", "2.0-1", 1},
		{Deb, "3.0.22-1~deb12u2", "3.0.22-1", -1},
		{Deb, "5.4.1-1+deb12u2", "5.4.1-2+deb12u1", -1},
		{Deb, "2.5.0-1+deb12u5", "2.5.0-1+deb12u5", 0},
		{RPM, "1:3.5.5-3.el9_8", "3.5.5-3.el9_8", 1},
		{RPM, "0:2.13.3-3.el8_6.1", "2.13.3-3.el8_6.1", 0},
		{RPM, "1.0~rc1-1", "1.0-1", -1},
	} {
		got, err := CompareVersions(c.fam, c.a, c.b)
		if err != nil || got != c.want {
			t.Errorf("%s %s vs %s: %d %v, want %d", c.fam, c.a, c.b, got, err, c.want)
		}
	}
	for _, c := range []struct {
		fam Family
		v   string
	}{{Deb, ""}, {Deb, "a1.0"}, {Deb, "1.0 -1"}, {Deb, "x:1.0"}, {RPM, "1:"}, {RPM, "a:1.0"}, {RPM, "1.0-1-2"}, {RPM, "1.0/2"}, {RPM, strings.Repeat("1", 300)}} {
		if _, err := ParseVersion(c.fam, c.v); err == nil {
			t.Errorf("%s %q accepted", c.fam, c.v)
		}
	}
}

func TestExtractIDs(t *testing.T) {
	cves, others := extractIDs("fix CVE-2026-1234, (CVE-2026-123456) and xCVE-2026-1111 CVE-2026-12 CVE-2026-2222x CVE-2026-3333.\n" +
		"GHSA-5qpq-xqfv-j9pg; DSA-5514-1, DLA-4772-1 and bug #1147318; CVE-2026-1234 again")
	if !slices.Equal(cves, []string{"CVE-2026-1234", "CVE-2026-123456", "CVE-2026-3333"}) {
		t.Errorf("cves %v", cves)
	}
	if !slices.Equal(others, []string{"GHSA-5qpq-xqfv-j9pg", "DSA-5514-1", "DLA-4772-1"}) {
		t.Errorf("others %v", others)
	}
}

// What dnf 4 printed on the test fleet's dnf host (captured by
// TestFleetRealUpdates with PATCHFLOW_SAVE_UPDATEINFO).
func TestUpdateinfoInfoFromTheFleet(t *testing.T) {
	advs, skips, err := ParseUpdateinfoInfo(open(t, "testdata/dnf/updateinfo-info.fleet.txt"))
	if err != nil || skips.Count != 0 || len(advs) != 3 {
		t.Fatalf("err %v skips %+v advisories %+v", err, skips, advs)
	}
	want := map[string]string{"PFEA-2026:0003": "enhancement unknown ", "PFBA-2026:0002": "bugfix unknown ", "PFSA-2026:0001": "security high CVE-2026-0001"}
	for _, a := range advs {
		if got := a.Type + " " + string(a.Severity) + " " + strings.Join(a.CVEs, ","); got != want[a.ID] {
			t.Errorf("%s: %q, want %q", a.ID, got, want[a.ID])
		}
	}
}
