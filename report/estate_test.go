package report

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
)

// The estate the tests render: real Debian fixes (testdata/debian-fixes.tsv),
// the real glibc KEV case, and synthetic fixes on real package names, on
// hosts with 50-150 pending fixes, some never assessed, one whose
// assessment failed, one stale, one under exception, and hosts with
// hostile names.

var estateNow = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

const (
	hostileScript = `<script>document.title='pwned'</script>web-666`
	hostileANSI   = "web-\x1b[31mred\x1b[0m-\r\nfake"
	worstHost     = "web-042" // the libc6 KEV fix under a policy that counts KEV due dates
)

// catalogFix is a fix the estate can hand out.
type catalogFix struct {
	pkg, installed, fixed string
	ids                   []string
	sev                   Severity
}

// loadCatalog reads the real fixes and the synthetic ones on real names.
func loadCatalog(t testing.TB) (real, synthetic []catalogFix) {
	t.Helper()
	for _, line := range readTSV(t, "testdata/debian-fixes.tsv") {
		sev := domain.SeverityMedium
		if line[4] == "high" {
			sev = domain.SeverityHigh
		}
		real = append(real, catalogFix{pkg: line[0], installed: line[1], fixed: line[2], ids: strings.Split(line[5], ","), sev: sev})
	}
	sevs := []Severity{domain.SeverityCritical, domain.SeverityHigh, domain.SeverityHigh, domain.SeverityMedium, domain.SeverityMedium, domain.SeverityMedium, domain.SeverityLow, domain.SeverityLow, domain.SeverityUnknown}
	for i, line := range readTSV(t, "testdata/bookworm-packages.tsv") {
		synthetic = append(synthetic, catalogFix{pkg: line[0], installed: line[1], fixed: line[1] + "+deb12u9",
			ids: []string{fmt.Sprintf("CVE-2099-%05d", 10000+i)}, sev: sevs[i%len(sevs)]})
	}
	return real, synthetic
}

func readTSV(t testing.TB, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") || sc.Text() == "" {
			continue
		}
		out = append(out, strings.Split(sc.Text(), "\t"))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func epss(v float64) *float64 { return &v }

// estateInput builds the input of an estate of n hosts (n >= 60 gives
// every special host).
func estateInput(t testing.TB, n int, seed uint64) ComplianceInput {
	t.Helper()
	real, synthetic := loadCatalog(t)
	rng := rand.New(rand.NewPCG(seed, 7))
	now := estateNow
	in := ComplianceInput{
		GeneratedAt: now,
		TimeZone:    "Europe/Berlin",
		Generator:   "patchflow test (report compliance)",
		Policies:    []string{"web", "db"},
		Selectors:   []string{"env=prod"},
		SLAs: map[string]SLA{
			"web": {Critical: 7 * 24 * time.Hour, High: 14 * 24 * time.Hour, Medium: 30 * 24 * time.Hour, Low: 90 * 24 * time.Hour, Unknown: 30 * 24 * time.Hour, KEVDueDate: true},
			"db":  {Critical: 3 * 24 * time.Hour, High: 7 * 24 * time.Hour, Medium: 30 * 24 * time.Hour, Unknown: 30 * 24 * time.Hour},
		},
		StaleAfter: 48 * time.Hour,
		Sources: []SourceInput{
			{Name: "debian-tracker", AsOf: now.Add(-6 * time.Hour)},
			{Name: "cisa-kev", AsOf: time.Date(2025, 8, 25, 0, 0, 0, 0, time.UTC)}, // the real snapshot: stale
			{Name: "epss", AsOf: now.Add(-30 * time.Hour)},
			{Name: "debian-changelogs", AsOf: now.Add(-2 * time.Hour)},
		},
	}
	for i := range n {
		policy := "web"
		if i%3 == 2 {
			policy = "db"
		}
		name := fmt.Sprintf("%s-%03d", policy, i)
		switch i {
		case 42:
			name, policy = worstHost, "web"
		case 13:
			name, policy = hostileScript, "web"
		case 14:
			name, policy = hostileANSI, "web"
		}
		h := HostInput{Host: name, Policy: policy, LastAssessed: now.Add(-time.Duration(1+rng.IntN(5)) * time.Hour)}
		switch i {
		case 7, 8: // never assessed: a new host, and one whose policy was renamed
			h.LastAssessed = time.Time{}
			in.Hosts = append(in.Hosts, h)
			continue
		case 9: // the last attempt failed half-way; the fixes are from the run before
			h.LastAssessed = now.Add(-50 * time.Hour)
			h.Failure = &AssessmentFailure{At: now.Add(-90 * time.Minute), Error: "apt-get update on db-009: E: Could not get lock /var/lib/apt/lists/lock (held by process 4242)"}
		case 10: // stale: no assessment for five days
			h.LastAssessed = now.Add(-5 * 24 * time.Hour)
		case 11: // compliant
			in.Hosts = append(in.Hosts, h)
			continue
		case 12: // every missing fix under exception
			h.Missing = []Finding{
				{Package: "libexpat1", Installed: "2.5.0-1+deb12u4", FixedVersion: "2.5.0-1+deb12u5", CVEs: real[0].ids, Severity: domain.SeverityMedium, Risk: 20, FirstSeen: now.Add(-40 * 24 * time.Hour)},
			}
			in.Exceptions = append(in.Exceptions, Exception{ID: "EXC-2026-0042", CVEs: real[0].ids, Hosts: []string{name, "web-001"},
				Until: now.Add(20 * 24 * time.Hour), Reason: "vendor appliance: expat is not reachable from input; replaced in Q1", By: "alice@example.org", CreatedAt: now.Add(-30 * 24 * time.Hour)})
			in.Hosts = append(in.Hosts, h)
			continue
		case 42, 5, 13, 14:
		default:
			if i%5 == 1 || i%5 == 3 { // patched by the last cycles: compliant
				in.Hosts = append(in.Hosts, h)
				continue
			}
		}
		count := 50 + rng.IntN(101)
		picked := map[int]bool{}
		for len(h.Missing) < count {
			k := rng.IntN(len(synthetic) + len(real))
			if picked[k] {
				continue
			}
			picked[k] = true
			var c catalogFix
			if k < len(real) {
				c = real[k]
			} else {
				c = synthetic[k-len(real)]
			}
			if hasPackage(h.Missing, c.pkg) {
				continue
			}
			f := Finding{Package: c.pkg, Arch: "amd64", Installed: c.installed, FixedVersion: c.fixed, CVEs: c.ids, Severity: c.sev,
				Risk: 10 + rng.IntN(60), FirstSeen: now.Add(-time.Duration(1+rng.IntN(60*24)) * time.Hour)}
			if rng.IntN(4) == 0 {
				f.EPSS = epss(float64(rng.IntN(1000)) / 1000)
			}
			h.Missing = append(h.Missing, f)
		}
		if i == 42 || i == 5 {
			// glibc CVE-2023-4911 (KEV, due 2023-12-12), found on this host 20 days ago.
			h.Missing = append(h.Missing, Finding{Package: "libc6", Arch: "amd64", Installed: "2.36-9+deb12u2", FixedVersion: "2.36-9+deb12u3",
				CVEs: []string{"CVE-2023-4911"}, Advisories: []string{"DSA-5514-1"}, Severity: domain.SeverityHigh, KEV: true, KEVDueDate: "2023-12-12",
				EPSS: epss(0.7512), Risk: 83, FirstSeen: now.Add(-20 * 24 * time.Hour)})
		}
		if i%17 == 0 {
			h.RebootPending = true
			h.Missing = append(h.Missing, Finding{Package: "linux-image-amd64", Installed: "6.1.115-1", FixedVersion: "6.1.119-1",
				CVEs: []string{"CVE-2099-00001"}, Severity: domain.SeverityHigh, Risk: 40, FirstSeen: now.Add(-3 * 24 * time.Hour), RebootPending: true})
		}
		in.Hosts = append(in.Hosts, h)
	}
	in.Exceptions = append(in.Exceptions, Exception{ID: "EXC-2026-0007", CVEs: []string{"CVE-2025-31115"}, Hosts: []string{"web-000"},
		Until: now.Add(-3 * 24 * time.Hour), Reason: "expired: waiting for the xz rebuild", By: "bob", CreatedAt: now.Add(-60 * 24 * time.Hour)})
	in.Trend = estateTrend(n, 60, rng)
	return in
}

func hasPackage(fs []Finding, pkg string) bool {
	for _, f := range fs {
		if f.Package == pkg {
			return true
		}
	}
	return false
}

// estateTrend is one assessment a day for points days, with two missed
// days, compliance improving from about 20% to 60%.
func estateTrend(hosts, points int, rng *rand.Rand) []TrendPoint {
	var out []TrendPoint
	for d := points + 1; d >= 1; d-- {
		if d == 30 || d == 31 { // the scheduler was down for two days
			continue
		}
		frac := 0.12 + 0.26*float64(points+1-d)/float64(points)
		compliant := int(frac * float64(hosts))
		never := 2
		failed := rng.IntN(3)
		out = append(out, TrendPoint{
			At:               estateNow.Add(-time.Duration(d) * 24 * time.Hour),
			Compliant:        compliant,
			NeverAssessed:    never,
			AssessmentFailed: failed,
			Exception:        1,
			Noncompliant:     max(hosts-compliant-never-failed-1, 0),
			Missing:          SeverityCounts{Critical: 40 + rng.IntN(20), High: 300 + rng.IntN(80), Medium: 900, Low: 400, Unknown: 120},
		})
	}
	return out
}

// buildEstate builds the estate's report, its current point included in
// the trend as the assessment workflow would keep it.
func buildEstate(t testing.TB, n int) *ComplianceReport {
	t.Helper()
	in := estateInput(t, n, 1)
	first, err := BuildCompliance(in)
	if err != nil {
		t.Fatal(err)
	}
	in.Trend = append(in.Trend, first.Point())
	r, err := BuildCompliance(in)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
