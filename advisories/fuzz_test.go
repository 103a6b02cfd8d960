package advisories

import (
	"bytes"
	"strings"
	"testing"
)

// Every parser of outside input is fuzzed: no panic, no unbounded read,
// and what it emits is consistent (counts match, versions parse). Seeds:
// testdata/fuzz/<FuzzName>/ (the real extracts and broken variants).

// checkRecord fails on a record no parser should emit.
func checkRecord(t *testing.T, r Record) {
	t.Helper()
	if len(r.CVEs)+len(r.Advisories) == 0 || !validPackage(r.Package) {
		t.Fatalf("record without id or with a bad package: %+v", r)
	}
	if r.Status == StatusFixed {
		if _, err := ParseVersion(r.Release.Family(), r.Fixed); err != nil {
			t.Fatalf("fixed record with a rejected version: %+v: %v", r, err)
		}
	}
}

func FuzzDebianTracker(f *testing.F) {
	f.Add([]byte(`{"foo":{"CVE-2026-1000":{"releases":{"bookworm":{"status":"resolved","fixed_version":"1.0-1"}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		st, _ := ParseDebianTracker(bytes.NewReader(data), ParseOptions{MaxBytes: 1 << 20}, func(r Record) { checkRecord(t, r); n++ })
		if n != st.Records {
			t.Fatalf("emitted %d, counted %d", n, st.Records)
		}
	})
}

func FuzzVulnListRecord(f *testing.F) {
	f.Add([]byte(`{"Header":{"ID":"DLA-1-1"},"Annotations":[{"Type":"package","Release":"bookworm","Package":"a","Kind":"fixed","Version":"1"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var st Stats
		var advs []vulnListEntry
		xref := map[string][]string{}
		emit := func(r Record) { checkRecord(t, r) }
		if err := vulnListFile("f.json", bytes.NewReader(data), ParseOptions{}, &st, &advs, xref, emit); err != nil {
			t.Fatalf("a single in-memory record failed the whole parse: %v", err)
		}
		for i := range advs {
			vulnListAdvisory(&advs[i], xref, ParseOptions{}, &st, emit)
		}
	})
}

func FuzzOSVRecord(f *testing.F) {
	f.Add([]byte(`{"id":"X-1","related":["CVE-2026-1000"],"affected":[{"package":{"ecosystem":"AlmaLinux:9","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:1.0-1.el9"}]}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var st Stats
		n := 0
		if err := osvFile("f.json", bytes.NewReader(data), ParseOptions{}, &st, func(r Record) { checkRecord(t, r); n++ }); err != nil {
			t.Fatalf("a single in-memory record failed the whole parse: %v", err)
		}
		if n != st.Records {
			t.Fatalf("emitted %d, counted %d", n, st.Records)
		}
	})
}

func FuzzKEV(f *testing.F) {
	f.Add([]byte(`{"dateReleased":"2025-08-25T17:04:19.9796Z","count":9,"vulnerabilities":[{"cveID":"CVE-2023-4911","dateAdded":"2023-11-21"}]}`))
	f.Add([]byte("cveID,dateAdded,dueDate\nCVE-2023-4911,2023-11-21,2023-12-12\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cat, st, err := ParseKEV(bytes.NewReader(data), ParseOptions{MaxBytes: 1 << 20})
		if err != nil {
			return
		}
		if len(cat.Entries) != st.Records {
			t.Fatalf("%d entries, %d counted", len(cat.Entries), st.Records)
		}
		for id, e := range cat.Entries {
			if !IsCVE(id) || e.CVE != id {
				t.Fatalf("entry %q: %+v", id, e)
			}
		}
	})
}

func FuzzEPSS(f *testing.F) {
	f.Add([]byte("#model_version:v2025.03.14,score_date:2026-02-21T00:00:00+0000\ncve,epss,percentile\nCVE-2025-9230,0.00031,0.08989\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, st, err := ParseEPSS(bytes.NewReader(data), ParseOptions{MaxBytes: 1 << 20})
		if err != nil {
			return
		}
		if e.Len() != st.Records {
			t.Fatalf("%d scores, %d counted", e.Len(), st.Records)
		}
		for id := range e.scores {
			s, _ := e.Lookup(id)
			if s.Score < 0 || s.Score > 1 || s.Percentile < 0 || s.Percentile > 1 {
				t.Fatalf("%s: %+v", id, s)
			}
		}
	})
}

func FuzzChangelog(f *testing.F) {
	f.Add([]byte("foo (1.0-1) unstable; urgency=low\n\n  * CVE-2026-11111, GHSA-aaaa-bbbb-cccc.\n\n -- A <a@b>  Mon, 05 Jan 2026 10:00:00 +0000\n"), "0.9-1", "1.0-1")
	f.Fuzz(func(t *testing.T, data []byte, installed, candidate string) {
		cl, err := ParseChangelog(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, e := range cl.Entries {
			if _, err := ParseVersion(Deb, e.Version); err != nil {
				t.Fatalf("entry with a rejected version %q", e.Version)
			}
			for _, id := range e.CVEs {
				if !IsCVE(id) {
					t.Fatalf("%q listed as a CVE", id)
				}
			}
		}
		between, err := cl.Between(installed, candidate)
		if err != nil {
			return
		}
		cand, _ := ParseVersion(Deb, candidate)
		for _, e := range between {
			v, _ := ParseVersion(Deb, e.Version)
			if v.Compare(cand) > 0 {
				t.Fatalf("entry %s newer than the candidate %s", e.Version, candidate)
			}
		}
	})
}

func FuzzUpdateinfoInfo(f *testing.F) {
	rule := strings.Repeat("=", 79)
	f.Add([]byte(rule + "\n  Important: x\n" + rule + "\n  Update ID: RHSA-1\n       CVEs: CVE-2026-0001\n           : CVE-2026-0002\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		advs, _, err := ParseUpdateinfoInfo(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, a := range advs {
			if a.ID == "" {
				t.Fatalf("advisory without id: %+v", a)
			}
			for _, c := range a.CVEs {
				if !IsCVE(c) {
					t.Fatalf("%q listed as a CVE", c)
				}
			}
		}
	})
}

func FuzzSources(f *testing.F) {
	f.Add([]byte("apiVersion: patchflow/v1\nkind: AdvisorySources\nsources:\n  - name: kev\n    kind: kev\n    location: kev.json\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sf, err := ParseSources(data, "/etc/patchflow/advisories.yaml")
		if err != nil {
			return
		}
		for _, s := range sf.Sources {
			if !sourceNameRe.MatchString(s.Name) || !validKind(s.Kind) || s.Location == "" {
				t.Fatalf("accepted an invalid source %+v", s)
			}
		}
	})
}

func FuzzVersion(f *testing.F) {
	f.Add("1:2.5.0-1+deb12u5", "2.5.0-1~deb12u1")
	f.Add("1:3.5.5-3.el9_8", "0:3.5.5-3.el9_8")
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, fam := range []Family{Deb, RPM} {
			va, errA := ParseVersion(fam, a)
			vb, errB := ParseVersion(fam, b)
			if errA != nil || errB != nil {
				continue
			}
			if ab, ba := va.Compare(vb), vb.Compare(va); ab != -ba {
				t.Fatalf("%s: %q vs %q: %d and %d", fam, a, b, ab, ba)
			}
			if va.Compare(va) != 0 {
				t.Fatalf("%s: %q differs from itself", fam, a)
			}
		}
	})
}

func FuzzOSRelease(f *testing.F) {
	f.Add("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n")
	f.Add("NAME=\"SLES\"\nID=\"sles\"\nID_LIKE=\"suse\"\nVERSION_ID=\"15.5\"\n")
	f.Add("ID=almalinux\nVERSION_ID='9.4'\n")
	f.Fuzz(func(t *testing.T, text string) {
		rel, err := ReleaseFromOSRelease(text)
		if err != nil {
			if len(err.Error()) > 200 {
				t.Fatalf("error of %d bytes quotes too much of the input", len(err.Error()))
			}
			return
		}
		// A release key is what the host's scan and its JSON show.
		if !osReleaseIDRe.MatchString(rel.Distro) || !osReleaseVersionRe.MatchString(rel.Version) {
			t.Fatalf("release %q from %q", rel, text)
		}
	})
}
