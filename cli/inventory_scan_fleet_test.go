package cli

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

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
}
