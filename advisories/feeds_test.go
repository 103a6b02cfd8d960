package advisories

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestVulnListDebian(t *testing.T) {
	var recs []Record
	st, err := ParseVulnListDebian("testdata/vuln-list-debian", ParseOptions{Source: "vl"}, func(r Record) { recs = append(recs, r) })
	if err != nil {
		t.Fatal(err)
	}
	// The newest DSA/DLA date: DLA-4772-1, 04 Sep 2026.
	if !st.AsOf.Equal(date("2026-09-04")) {
		t.Errorf("as of %v, want 2026-09-04", st.AsOf)
	}
	// "- glibc <unfixed>" is sid's statement, inherited; DSA-5514-1 is bookworm's.
	var inherited, dsa *Record
	for i, r := range recs {
		if r.Package == "glibc" && r.Inherited {
			inherited = &recs[i]
		}
		if r.Package == "glibc" && r.Release.Version == "bookworm" {
			dsa = &recs[i]
		}
	}
	if inherited == nil || inherited.Status != StatusNoFixYet || inherited.Release.Version != "sid" {
		t.Errorf("glibc unfixed line: %+v", inherited)
	}
	if dsa == nil || dsa.Fixed != "2.36-9+deb12u3" || dsa.CVEs[0] != "CVE-2023-4911" || dsa.Advisories[0] != "DSA-5514-1" {
		t.Errorf("DSA-5514-1 bookworm: %+v", dsa)
	}
	// DLA-4772-1 lists no CVE; the CVE entry's {DLA-4772-1} links it.
	for _, r := range recs {
		if len(r.Advisories) > 0 && r.Advisories[0] == "DLA-4772-1" {
			if strings.Join(r.CVEs, ",") != "CVE-2026-86145" {
				t.Errorf("DLA-4772-1 cves %v, want CVE-2026-86145 (from its CVE entry's xref)", r.CVEs)
			}
		}
	}
	if r := find(recs, "xz-utils", "CVE-2026-34743", "bullseye"); r == nil || r.Status != StatusPostponed || r.Note != "Minor issue" {
		t.Errorf("bullseye postponed: %+v", r)
	}
	if r := find(recs, "pcre2", "CVE-2026-86145", "trixie"); r == nil || r.Status != StatusNoDSA {
		t.Errorf("trixie no-dsa: %+v", r)
	}
	if st.Skips.Count != 0 {
		t.Errorf("skips %+v", st.Skips)
	}
}

func TestVulnListDebianBadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.json", `{"Header":{"ID":"CVE-2026-1"},"Annotations":[{"Type":"package","Release":"bookworm","Package":"foo","Kind":"fixed","Version":"1:"}]}`)
	write("b.json", `{"Header":{"ID":"CVE-2026-2"},"Annotations":[{"Type":"package","Package":"foo","Kind":"removed"}]}`)
	write("c.json", `{"Header":{"ID":"CVE-2026-3"`)
	write("d.json", `{"Header":{"ID":"NOT-AN-ID"}}`)
	write("e.json", strings.Repeat(" ", maxRecordBytes+10))
	_, err := ParseVulnListDebian(dir, ParseOptions{}, func(Record) {})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err %v, want the oversized record refused", err)
	}
	os.Remove(filepath.Join(dir, "e.json"))
	st, err := ParseVulnListDebian(dir, ParseOptions{}, func(Record) {})
	if err != nil || st.Skips.Count != 4 || st.Records != 0 {
		t.Fatalf("err %v records %d skips %+v, want 4 skips", err, st.Records, st.Skips)
	}
	for _, want := range []string{"a.json: ", "b.json: ", "c.json: not a vuln-list-debian record: truncated", "d.json: unknown entry id"} {
		found := false
		for _, s := range st.Skips.First {
			found = found || strings.HasPrefix(s.String(), want)
		}
		if !found {
			t.Errorf("no skip starting %q in %v", want, st.Skips.First)
		}
	}
}

func TestOSVSkips(t *testing.T) {
	var recs []Record
	st, err := ParseOSV("testdata/osv-bad", ParseOptions{Source: "bad"}, func(r Record) { recs = append(recs, r) })
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 0 || st.Skips.Count != 4 {
		t.Fatalf("records %d skips %+v, want 0 and 4", len(recs), st.Skips)
	}
	got := make([]string, 0, len(st.Skips.First))
	for _, s := range st.Skips.First {
		got = append(got, s.String())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		`ALSA-2026:9999: demo fixed: rpm version "1:2.0-1 el9!"`,
		`ALSA-2026:9999: affected[1] demo-libs: range type "GIT" is not a distribution version range`,
		`PYSEC-2026-1: unknown ecosystem "PyPI"`,
		`truncated.json: not an OSV record: truncated`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("skips:\n%s\nwant %q", all, want)
		}
	}
}

func TestOSVZipAndDebian(t *testing.T) {
	// A zip as osv.dev publishes them, with the Debian DSA record.
	var buf bytes.Buffer
	zipOf(t, &buf, map[string][]byte{"DSA-3029-1.json": readFile(t, "testdata/osv/DSA-3029-1.json"), "README": []byte("x")})
	p := filepath.Join(t.TempDir(), "all.zip")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var recs []Record
	st, err := ParseOSV(p, ParseOptions{}, func(r Record) { recs = append(recs, r) })
	if err != nil || len(recs) != 1 {
		t.Fatalf("err %v records %+v", err, recs)
	}
	r := recs[0]
	if r.Release != (Release{"debian", "wheezy"}) || r.Package != "nginx" || r.Fixed != "1.2.1-2.2+wheezy3" || r.CVEs[0] != "CVE-2014-3616" || r.Advisories[0] != "DSA-3029-1" {
		t.Errorf("record %+v", r)
	}
	if !st.AsOf.Equal(time.Date(2014, 9, 20, 8, 18, 7, 0, time.UTC)) {
		t.Errorf("as of %v", st.AsOf)
	}
}

func TestEcosystemRelease(t *testing.T) {
	for eco, want := range map[string]string{
		"Debian:12": "debian:bookworm", "Ubuntu:22.04:LTS": "ubuntu:22.04", "AlmaLinux:9": "almalinux:9",
		"Rocky Linux:8": "rocky:8", "Red Hat:enterprise_linux:9::appstream": "rhel:9", "Red Hat:rhel_eus:9.2::baseos": "rhel-eus:9.2",
		"SUSE:Linux Enterprise Server 15 SP5-LTSS": "suse:15.5", "SUSE:Linux Enterprise Module for Basesystem 15 SP6": "suse:15.6",
		"SUSE:Linux Enterprise Micro 5.5": "suse-micro:5.5", "openSUSE:Leap 15.5": "opensuse-leap:15.5",
	} {
		rel, _, err := EcosystemRelease(eco)
		if err != nil || rel.String() != want {
			t.Errorf("%s: %v %v, want %s", eco, rel, err, want)
		}
	}
	for _, eco := range []string{"PyPI", "Ubuntu:Pro:22.04:LTS", "Debian:99", "Red Hat:openshift:4.14::el9", ""} {
		if _, _, err := EcosystemRelease(eco); err == nil {
			t.Errorf("%q accepted", eco)
		}
	}
}

func TestKEV(t *testing.T) {
	for _, f := range []string{"known_exploited_vulnerabilities.subset.json", "known_exploited_vulnerabilities.subset.csv"} {
		cat, st, err := ParseKEV(open(t, "testdata/kev/"+f), ParseOptions{})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(cat.Entries) != 5 || st.Records != 5 {
			t.Errorf("%s: %d entries, want 5 (whatever count says)", f, len(cat.Entries))
		}
		e := cat.Entries["CVE-2023-4911"]
		if e.DateAdded != "2023-11-21" || e.DueDate != "2023-12-12" || e.Ransomware != "Unknown" {
			t.Errorf("%s: %+v", f, e)
		}
		if strings.HasSuffix(f, ".json") {
			if cat.Declared != 1404 || cat.Version != "2025.08.25" || !cat.Released.Equal(time.Date(2025, 8, 25, 17, 4, 19, 979600000, time.UTC)) {
				t.Errorf("json: declared %d version %s released %v", cat.Declared, cat.Version, cat.Released)
			}
		} else if !cat.Released.Equal(date("2024-05-30")) {
			t.Errorf("csv: released %v, want the newest dateAdded 2024-05-30", cat.Released)
		}
	}
	for name, data := range map[string]string{
		"truncated json": `{"vulnerabilities":[{"cveID":"CVE-2023-4911"`,
		"no list":        `{"title":"x"}`,
		"csv header":     "a,b,c\n1,2,3\n",
		"empty":          "",
		"bad csv quote":  "cveID,dateAdded\n\"CVE-2023-4911,2023-11-21\n",
	} {
		if _, _, err := ParseKEV(strings.NewReader(data), ParseOptions{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	_, st, err := ParseKEV(strings.NewReader(`{"vulnerabilities":[{"cveID":"nope","dateAdded":"2023-01-01"},{"cveID":"CVE-2023-1234","dateAdded":"yesterday"},{"cveID":7}]}`), ParseOptions{})
	if err != nil || st.Skips.Count != 3 {
		t.Errorf("err %v skips %+v, want 3 skips", err, st.Skips)
	}
}

func TestEPSS(t *testing.T) {
	for _, f := range []string{"epss_scores-2026-02-21.csv.gz", "epss_scores-2026-02-21.csv"} {
		e, st, err := ParseEPSS(open(t, "testdata/epss/"+f), ParseOptions{})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		s, ok := e.Lookup("CVE-2025-9230")
		if !ok || s.Score != 0.00031 || s.Percentile != 0.08989 || e.Model != "v2025.03.14" || !st.AsOf.Equal(date("2026-02-21")) {
			t.Errorf("%s: %+v %v model %s as of %v", f, s, ok, e.Model, st.AsOf)
		}
	}
	data := "cve,epss,percentile\nCVE-2026-1001,0.5,0.9\nCVE-2026-1002,1.5,0.9\nnot-a-cve,0.1,0.1\nCVE-2026-1003,0.1\n"
	e, st, err := ParseEPSS(strings.NewReader(data), ParseOptions{})
	if err != nil || e.Len() != 1 || st.Skips.Count != 3 {
		t.Errorf("err %v len %d skips %+v", err, e.Len(), st.Skips)
	}
	// A truncated gzip file is an error, not a silently short list.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("cve,epss,percentile\n" + strings.Repeat("CVE-2026-1000,0.1,0.2\n", 1000)))
	zw.Close()
	if _, _, err := ParseEPSS(bytes.NewReader(gz.Bytes()[:gz.Len()/2]), ParseOptions{}); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated gzip: %v", err)
	}
	if _, _, err := ParseEPSS(strings.NewReader("date,model,epss,percentile\n"), ParseOptions{}); err == nil {
		t.Error("the per-CVE time series was accepted as a daily file")
	}
	if _, _, err := ParseEPSS(bytes.NewReader(gz.Bytes()), ParseOptions{MaxBytes: 100}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the limit: %v", err)
	}
}
