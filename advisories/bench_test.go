package advisories

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
)

// The benchmarks match against a synthetic tracker dump of the real one's
// size and shape, generated here deterministically (never committed):
// 30,000 source packages; most have a few CVEs, some hundreds, one (the
// kernel's stand-in) several thousand; each CVE has four releases with the
// real status mix.
const (
	benchPackages = 30_000
	benchHosts    = 1_000
	benchPerHost  = 500
)

var bench struct {
	once   sync.Once
	dump   []byte
	db     *DB
	recs   int
	heapMB float64 // live heap the DB holds
}

// cveCount draws a package's CVE count: long-tailed like the real dump.
func cveCount(r *rand.Rand, i int) int {
	switch {
	case i == 0:
		return 6000
	case i < 30:
		return 300 + r.IntN(700)
	case i < 1500:
		return 10 + r.IntN(40)
	}
	return 1 + r.IntN(3)
}

func benchVersion(pkg, u int) string {
	return fmt.Sprintf("%d.%d.%d-%d+deb12u%d", 1+pkg%7, pkg%13, pkg%5, 1+pkg%3, u)
}

// syntheticTracker writes the dump: {pkg: {CVE: {description, scope,
// releases: {codename: {status, repositories, fixed_version, urgency,
// nodsa, nodsa_reason}}}}}.
func syntheticTracker() []byte {
	r := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	b.Grow(80 << 20)
	b.WriteByte('{')
	cve := 0
	urg := []string{"low", "medium", "high", "unimportant", "not yet assigned"}
	for p := 0; p < benchPackages; p++ {
		if p > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:{", fmt.Sprintf("srcpkg%05d", p))
		n := cveCount(r, p)
		for c := 0; c < n; c++ {
			if c > 0 {
				b.WriteByte(',')
			}
			cve++
			fmt.Fprintf(&b, `"CVE-%d-%d":{"description":"A synthetic flaw in a synthetic package that lets a remote attacker do something bad via a crafted input.","scope":"remote","releases":{`, 2000+cve%27, 10000+cve)
			for i, rel := range []string{"bookworm", "bullseye", "trixie", "sid"} {
				if i > 0 {
					b.WriteByte(',')
				}
				u := urg[r.IntN(len(urg))]
				fmt.Fprintf(&b, `%q:{"repositories":{%q:%q},`, rel, rel, benchVersion(p, 3))
				switch x := r.IntN(100); {
				case x < 70:
					fmt.Fprintf(&b, `"status":"resolved","fixed_version":%q,"urgency":%q}`, benchVersion(p, 1+r.IntN(8)), u)
				case x < 78:
					fmt.Fprintf(&b, `"status":"resolved","fixed_version":"0","urgency":"unimportant"}`)
				case x < 88:
					fmt.Fprintf(&b, `"status":"open","urgency":%q,"nodsa":"Minor issue","nodsa_reason":""}`, u)
				case x < 92:
					fmt.Fprintf(&b, `"status":"open","urgency":%q,"nodsa":"Minor issue","nodsa_reason":"postponed"}`, u)
				case x < 98:
					fmt.Fprintf(&b, `"status":"open","urgency":%q}`, u)
				default:
					b.WriteString(`"status":"undetermined","urgency":"not yet assigned"}`)
				}
			}
			b.WriteString("}}")
		}
		b.WriteByte('}')
	}
	b.WriteByte('}')
	return b.Bytes()
}

func benchSetup(b *testing.B) {
	bench.once.Do(func() {
		bench.dump = syntheticTracker()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		bld := NewBuilder()
		st, err := ParseDebianTracker(bytes.NewReader(bench.dump), ParseOptions{Source: "tracker", MaxBytes: 1 << 30}, bld.Add)
		if err != nil {
			panic(err)
		}
		bld.AddSource(SourceInfo{Name: "tracker", Kind: KindDebianTracker})
		bench.db, bench.recs = bld.Build(), st.Records
		runtime.GC()
		runtime.ReadMemStats(&after)
		bench.heapMB = float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
	})
}

// fleet draws hosts of 500 installed packages each: the popular packages
// on every host, the rest spread, three versions per package in the fleet.
func fleet() [][]InstalledPackage {
	r := rand.New(rand.NewPCG(3, 4))
	hosts := make([][]InstalledPackage, benchHosts)
	for h := range hosts {
		seen := map[int]bool{}
		pkgs := make([]InstalledPackage, 0, benchPerHost)
		for len(pkgs) < benchPerHost {
			p := r.IntN(benchPackages)
			if len(pkgs) < 150 {
				p = r.IntN(2000) // the common base: libc, openssl, systemd...
			}
			if seen[p] {
				continue
			}
			seen[p] = true
			name := fmt.Sprintf("srcpkg%05d", p)
			pkgs = append(pkgs, InstalledPackage{Name: "lib" + name, SourceName: name, Version: benchVersion(p, 2+r.IntN(3))})
		}
		hosts[h] = pkgs
	}
	return hosts
}

// BenchmarkParseTracker measures reading the full-size dump into a DB.
func BenchmarkParseTracker(b *testing.B) {
	benchSetup(b)
	b.SetBytes(int64(len(bench.dump)))
	b.ReportAllocs()
	for b.Loop() {
		bld := NewBuilder()
		if _, err := ParseDebianTracker(bytes.NewReader(bench.dump), ParseOptions{Source: "tracker", MaxBytes: 1 << 30}, bld.Add); err != nil {
			b.Fatal(err)
		}
		bld.Build()
	}
	b.ReportMetric(float64(bench.recs), "records")
	b.ReportMetric(bench.heapMB, "MB-index")
	b.ReportMetric(float64(len(bench.dump))/(1<<20), "MB-dump")
}

// BenchmarkMatchFleet measures matching 1,000 hosts x 500 installed
// packages against the full-size dump: one op is the whole fleet. The
// memo of (package, version) results is on, as in a scan: the first
// iteration fills it.
func BenchmarkMatchFleet(b *testing.B) { matchFleet(b, false) }

// BenchmarkMatchFleetNoMemo is the same without the memo: every package of
// every host matched against the index.
func BenchmarkMatchFleetNoMemo(b *testing.B) { matchFleet(b, true) }

func matchFleet(b *testing.B, noMemo bool) {
	benchSetup(b)
	bench.db.noMemo = noMemo
	defer func() { bench.db.noMemo = false }()
	hosts := fleet()
	findings := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		findings = 0
		for _, pkgs := range hosts {
			rep := bench.db.AssessInstalled(bookworm, pkgs, "")
			findings += rep.FixAvailable + rep.NoFix
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(benchHosts*benchPerHost), "ns/package")
	b.ReportMetric(float64(findings), "findings/fleet")
	if findings == 0 {
		b.Fatal("the synthetic fleet matched nothing")
	}
}

// BenchmarkAssessUpdate measures one pending update with its changelog.
func BenchmarkAssessUpdate(b *testing.B) {
	db := testDB(b)
	cl := changelog(b, "libexpat1_2.5.0-1+deb12u5.changelog.Debian.gz")
	in := UpdateInput{Name: "libexpat1", SourceName: "expat", Installed: "2.5.0-1+deb12u2", Candidate: "2.5.0-1+deb12u5", Changelog: cl}
	b.ReportAllocs()
	for b.Loop() {
		if a := db.AssessUpdate(bookworm, in); len(a.CVEs) == 0 {
			b.Fatal("no CVEs")
		}
	}
}
