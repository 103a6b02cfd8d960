package advisories

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testDB builds a DB from the real extracts in testdata, in the
// precedence order a sources file would give them.
func testDB(t testing.TB) *DB {
	t.Helper()
	b := NewBuilder()
	add := func(name string, kind Kind, parse func(ParseOptions) (Stats, error)) {
		st, err := parse(ParseOptions{Source: name})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b.AddSource(SourceInfo{Name: name, Kind: kind, AsOf: st.AsOf, Records: st.Records, Skipped: st.Skips.Count})
		b.AddSkips(st.Skips)
	}
	add("vuln-list", KindVulnListDebian, func(o ParseOptions) (Stats, error) {
		return ParseVulnListDebian("testdata/vuln-list-debian", o, b.Add)
	})
	for _, d := range []string{"almalinux", "redhat", "suse", "osv"} {
		add(d+"-osv", KindOSV, func(o ParseOptions) (Stats, error) { return ParseOSV("testdata/"+d, o, b.Add) })
	}
	f := open(t, "testdata/kev/known_exploited_vulnerabilities.subset.json")
	cat, st, err := ParseKEV(f, ParseOptions{Source: "kev"})
	if err != nil {
		t.Fatal(err)
	}
	b.SetKEV(cat, SourceInfo{Name: "kev", Kind: KindKEV, AsOf: st.AsOf})
	b.AddSource(SourceInfo{Name: "kev", Kind: KindKEV, AsOf: st.AsOf, Records: st.Records})
	e, st, err := ParseEPSS(open(t, "testdata/epss/epss_scores-2026-02-21.csv.gz"), ParseOptions{Source: "epss"})
	if err != nil {
		t.Fatal(err)
	}
	b.SetEPSS(e, SourceInfo{Name: "epss", Kind: KindEPSS, AsOf: st.AsOf})
	b.AddSource(SourceInfo{Name: "epss", Kind: KindEPSS, AsOf: st.AsOf, Records: st.Records})
	return b.Build()
}

func open(t testing.TB, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// changelog parses one of the real changelog.Debian.gz files.
func changelog(t testing.TB, file string) *Changelog {
	t.Helper()
	cl, err := ParseChangelog(open(t, filepath.Join("testdata/debian-changelog", file)))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return cl
}

var bookworm = Host{Release: Release{"debian", "bookworm"}, Family: Deb}

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}
