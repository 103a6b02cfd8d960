package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/patchflow/patchflow/advisories"
	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/localfleet"
)

// TestInventoryScanFleet scans real hosts: every reachable one lists the
// demo upgrade and the real security updates, the unreachable one fails
// with its operation named, and the exit code is 1.
func TestInventoryScanFleet(t *testing.T) {
	f := localfleet.Start(t, localfleet.Config{Name: "cs", Subnet: 31, Hosts: 3})
	gone := f.Hosts[2].Name
	if err := f.SetReachable(gone, false); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "inventory", "scan", "-i", f.InventoryPath, "--parallel", "3")
	if code != ExitFailure {
		t.Errorf("exit %d, want 1 (one host unreachable)\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, h := range f.Hosts[:2] {
		row := regexp.MustCompile(`(?m)^` + h.Name + `\s+demo-app\s+1\.0\.0\s+1\.0\.2\s+feature\s+unknown\s+-\s+-\s+0\s+Fleet/fleet$`)
		if !row.MatchString(out) {
			t.Errorf("no demo-app row for %s in:\n%s", h.Name, out)
		}
		for _, s := range f.SecurityDetails {
			row := regexp.MustCompile(`(?m)^` + h.Name + `\s+` + regexp.QuoteMeta(s.Name) + `\s+` + regexp.QuoteMeta(s.Installed) +
				`\s+` + regexp.QuoteMeta(s.Fixed) + `\s+security\s+(critical|high|medium|low)\s+(CVE|GHSA)-\S+.*\s+Debian/bookworm-security$`)
			if !row.MatchString(out) {
				t.Errorf("security update %s missing for %s in:\n%s", s.Name, h.Name, out)
			}
		}
	}
	if !regexp.MustCompile(`(?m)^`+gone+`\s+\(failed: connect\)`).MatchString(out) ||
		!strings.Contains(errOut, "error: host "+gone+": connect: ") || !strings.Contains(errOut, "unreachable") {
		t.Errorf("unreachable host not reported:\nstdout:\n%s\nstderr:\n%s", out, errOut)
	}

	code, out, _ = run(t, "inventory", "scan", "-i", f.InventoryPath, "--select", "host="+f.Hosts[0].Name, "--json", "--no-refresh")
	var res InventoryScanResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 {
		t.Fatalf("--json: exit %d, %v\n%s", code, err, out)
	}
	if len(res.Hosts) != 1 || res.Hosts[0].Manager != "apt" || len(res.Hosts[0].Updates) != 2+len(f.SecurityDetails) {
		t.Errorf("JSON result: %+v", res)
	}
	scanJSONIdentifiesTheRealFixes(t, f)
	scanExposuresKeptApart(t, f)
}

// scanExposuresKeptApart: `inventory scan --exposures` on a real Debian
// host, with the real vuln-list extract synced, lists the installed
// packages' vulnerabilities that have no fix to install apart from the
// pending updates: each in a no-fix state, none of them a CVE a pending
// update of the same package fixes, and the running kernel is the host's.
func scanExposuresKeptApart(t *testing.T, f *localfleet.Fleet) {
	host := f.Hosts[0].Name
	cache := t.TempDir()
	if code, _, errOut := run(t, "advisories", "sync", "--sources", advisorySources(t, ""), "--cache", cache); code != ExitOK {
		t.Fatalf("advisories sync: exit %d\n%s", code, errOut)
	}
	code, out, errOut := run(t, "inventory", "scan", "-i", f.InventoryPath, "--select", "host="+host, "--json", "--exposures", "--advisory-cache", cache)
	var res InventoryScanResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != ExitOK || len(res.Hosts) != 1 {
		t.Fatalf("--exposures --json: exit %d, %v\n%s\n%s", code, err, out, errOut)
	}
	hs := res.Hosts[0]
	fixes := map[string]bool{}
	for _, u := range hs.Updates {
		for _, c := range u.CVEs {
			fixes[u.Name+" "+c] = true
		}
	}
	noFix := map[string]bool{"no_fix_yet": true, "no_dsa": true, "postponed": true, "end_of_life": true, "undetermined": true, domain.RebootPending: true}
	for _, e := range hs.Exposures {
		t.Logf("exposed: %s %s %s %s %s fixed %q", e.Package, e.Version, e.ID, e.State, e.Severity, e.Fixed)
		if !noFix[e.State] {
			t.Errorf("exposure %+v is in state %q, not one without a fix to install", e, e.State)
		}
		if fixes[e.Package+" "+e.ID] {
			t.Errorf("exposure %+v is fixed by a pending update of %s: the two lists must stay apart", e, e.Package)
		}
	}
	if !slices.ContainsFunc(hs.Exposures, func(e domain.Exposure) bool { return e.Package == "libpcre2-8-0" && e.ID == "CVE-2026-89161" }) {
		t.Errorf("exposures %+v lack libpcre2-8-0's CVE-2026-89161 (fixed in unstable only: no fix for bookworm)", hs.Exposures)
	}
	uname, err := f.Exec(context.Background(), host, "uname", "-r")
	if err != nil {
		t.Fatal(err)
	}
	if hs.RunningKernel == "" || hs.RunningKernel != strings.TrimSpace(string(uname)) {
		t.Errorf("running kernel %q, want the host's uname -r %q", hs.RunningKernel, strings.TrimSpace(string(uname)))
	}
	code, out, _ = run(t, "inventory", "scan", "-i", f.InventoryPath, "--select", "host="+host, "--exposures", "--advisory-cache", cache, "--no-refresh")
	if code != ExitOK || !regexp.MustCompile(`(?m)^HOST\s+EXPOSED PACKAGE\s+VERSION\s+VULNERABILITY\s+STATE`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^`+host+`\s+libpcre2-8-0\s+\S+\s+CVE-2026-89161\s+no_fix_yet\s`).MatchString(out) {
		t.Errorf("--exposures table: exit %d\n%s", code, out)
	}
}

// scanJSONIdentifiesTheRealFixes: `inventory scan --json` on a real Debian
// host lists, for libexpat1, exactly the CVEs its candidate's changelog
// names between the installed and the candidate version, with a severity
// that is not unknown; for liblzma5 the GHSA and no invented CVE. With a
// KEV source synced that is older than the packages, the host's notes say
// so instead of implying that nothing is exploited.
func scanJSONIdentifiesTheRealFixes(t *testing.T, f *localfleet.Fleet) {
	host := f.Hosts[0].Name
	cache := t.TempDir()
	td, err := filepath.Abs("../advisories/testdata/kev/known_exploited_vulnerabilities.subset.csv")
	if err != nil {
		t.Fatal(err)
	}
	sources := filepath.Join(t.TempDir(), "advisories.yaml")
	text := "apiVersion: patchflow/v1\nkind: AdvisorySources\nsources:\n  - name: kev\n    kind: kev\n    location: " + td + "\n"
	if err := os.WriteFile(sources, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, "advisories", "sync", "--sources", sources, "--cache", cache); code != ExitOK {
		t.Fatalf("advisories sync: exit %d\n%s", code, errOut)
	}
	code, out, errOut := run(t, "inventory", "scan", "-i", f.InventoryPath, "--select", "host="+host, "--json", "--advisory-cache", cache)
	var res InventoryScanResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != ExitOK || len(res.Hosts) != 1 {
		t.Fatalf("--json: exit %d, %v\n%s\n%s", code, err, out, errOut)
	}
	hs := res.Hosts[0]
	by := map[string]domain.Update{}
	for _, u := range hs.Updates {
		by[u.Name] = u
	}
	seen := 0
	for _, s := range f.SecurityDetails {
		u, ok := by[s.Name]
		if !ok {
			t.Errorf("%s %s -> %s missing from the JSON scan", s.Name, s.Installed, s.Fixed)
			continue
		}
		switch s.Name {
		case "libexpat1":
			seen++
			want := hostChangelogCVEs(t, f, host, s)
			if got := slices.Sorted(slices.Values(u.CVEs)); len(want) == 0 || !slices.Equal(got, want) {
				t.Errorf("libexpat1 %s -> %s lists CVEs %v, want exactly its changelog's %v", s.Installed, s.Fixed, u.CVEs, want)
			}
			if !u.Severity.Known() || u.SeveritySource == "" {
				t.Errorf("libexpat1 severity %q from %q, want a known severity and where it came from", u.Severity, u.SeveritySource)
			}
			note := regexp.MustCompile(`^\d+ CVEs not in KEV as of 2024-05-30 \(older than this package, dated \d{4}-\d\d-\d\d\): .*libexpat1 ` + regexp.QuoteMeta(s.Fixed))
			if !slices.ContainsFunc(hs.Notes, note.MatchString) {
				t.Errorf("host notes %q do not say the KEV source is older than libexpat1 %s", hs.Notes, s.Fixed)
			}
		case "liblzma5":
			seen++
			if len(u.CVEs) != 0 || !slices.Contains(u.Advisories, "GHSA-5qpq-xqfv-j9pg") {
				t.Errorf("liblzma5 %s -> %s: CVEs %v advisories %v, want the GHSA and no CVE", s.Installed, s.Fixed, u.CVEs, u.Advisories)
			}
		}
	}
	if seen == 0 {
		t.Errorf("the fleet's security updates %v include neither libexpat1 nor liblzma5", f.SecurityUpdates)
	}
	// The table says the same under it, on stderr.
	code, out, errOut = run(t, "inventory", "scan", "-i", f.InventoryPath, "--select", "host="+host, "--advisory-cache", cache)
	if code != ExitOK || !regexp.MustCompile(`(?m)^note: host `+host+`: \d+ CVEs not in KEV as of 2024-05-30 `).MatchString(errOut) {
		t.Errorf("table: exit %d, stderr does not note the stale KEV source:\n%s\n%s", code, errOut, out)
	}
}

// hostChangelogCVEs reads the candidate's changelog.Debian.gz on the host
// from the downloaded .deb and returns the CVE ids its entries after the
// installed version name, sorted.
func hostChangelogCVEs(t *testing.T, f *localfleet.Fleet, host string, s localfleet.SecurityUpdate) []string {
	t.Helper()
	script := `set -e -o pipefail; d=$(mktemp -d); trap 'rm -rf "$d"' EXIT; cd "$d"; apt-get download -q=2 "$1=$2" >/dev/null; dpkg-deb --fsys-tarfile ./*.deb | tar -xO "./usr/share/doc/$1/changelog.Debian.gz"`
	out, err := f.Exec(context.Background(), host, "bash", "-c", script, "bash", s.Name, s.Fixed)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := advisories.ParseChangelog(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	between, err := cl.Between(s.Installed, s.Fixed)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range between {
		for _, c := range e.CVEs {
			if !slices.Contains(ids, c) {
				ids = append(ids, c)
			}
		}
	}
	slices.Sort(ids)
	return ids
}
