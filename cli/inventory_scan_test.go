package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// scanInventory has this machine (local transport, read-only with
// --no-refresh) and a host whose SSH port is closed.
const scanInventory = `apiVersion: patchflow/v1
kind: Inventory
hosts:
  self:
    transport: local
  gone:
    address: 127.0.0.1
    port: 1
    ssh:
      connect_timeout: 2s
`

func writeScanInventory(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "inventory.yaml")
	if err := os.WriteFile(p, []byte(scanInventory), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestInventoryScanTableReportsFailedHostWithoutAbortingOthers(t *testing.T) {
	if _, err := os.Stat("/usr/bin/apt-get"); err != nil {
		t.Skip("the local host scan needs apt (Debian)")
	}
	inv := writeScanInventory(t)
	code, out, errOut := run(t, "inventory", "scan", "-i", inv, "--no-refresh", "--parallel", "2")
	if code != ExitFailure {
		t.Errorf("exit %d, want %d (a host failed)\nstdout:\n%s\nstderr:\n%s", code, ExitFailure, out, errOut)
	}
	if !regexp.MustCompile(`(?m)^HOST\s+PACKAGE\s+INSTALLED\s+CANDIDATE\s+CLASS\s+SEVERITY`).MatchString(out) {
		t.Errorf("no table header in:\n%s", out)
	}
	if !regexp.MustCompile(`(?m)^gone\s+\(failed: connect\)`).MatchString(out) {
		t.Errorf("failed host row missing:\n%s", out)
	}
	if !regexp.MustCompile(`(?m)^self\s+\S+`).MatchString(out) || strings.Contains(out, "self  (failed") {
		t.Errorf("local host should have been scanned:\n%s", out)
	}
	for _, want := range []string{"error: host gone: connect: ", "unreachable", "1 of 2 hosts scanned, 1 failed", "scanned 2/2 hosts"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestInventoryScanJSON(t *testing.T) {
	if _, err := os.Stat("/usr/bin/apt-get"); err != nil {
		t.Skip("the local host scan needs apt (Debian)")
	}
	inv := writeScanInventory(t)
	code, out, errOut := run(t, "inventory", "scan", "-i", inv, "--no-refresh", "--json")
	if code != ExitFailure {
		t.Errorf("exit %d, want 1; stderr:\n%s", code, errOut)
	}
	var res InventoryScanResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("stdout is not the JSON result: %v\n%s", err, out)
	}
	if len(res.Hosts) != 2 || res.Failed != 1 {
		t.Fatalf("hosts %d failed %d, want 2 and 1: %s", len(res.Hosts), res.Failed, out)
	}
	byName := map[string]HostScan{}
	for _, h := range res.Hosts {
		byName[h.Host] = h
	}
	if g := byName["gone"]; g.Error == nil || g.Error.Op != "connect" || g.Error.Kind != "unreachable" ||
		!strings.Contains(g.Error.Message, "host gone") {
		t.Errorf("gone: %+v", g.Error)
	}
	if s := byName["self"]; s.Error != nil || s.Manager != "apt" || s.Updates == nil {
		t.Errorf("self: manager %q error %+v updates %v", s.Manager, s.Error, s.Updates)
	}
	if !strings.Contains(out, `"updates": [`) {
		t.Errorf("updates must be a list, never null:\n%s", out)
	}
}

func TestInventoryScanUsage(t *testing.T) {
	inv := writeScanInventory(t)
	for _, args := range [][]string{
		{"inventory", "scan"},
		{"inventory", "scan", "-i", inv, "--parallel", "0"},
		{"inventory", "scan", "-i", inv, "--select", "nonsense"},
	} {
		code, _, errOut := run(t, args...)
		if code != ExitUsage {
			t.Errorf("patchflow %s: exit %d, want %d; stderr %q", strings.Join(args, " "), code, ExitUsage, errOut)
		}
	}
}
