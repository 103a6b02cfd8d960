package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/patchflow/patchflow/localfleet"
	"github.com/patchflow/patchflow/workflows"
)

// TestEmergencyCVEPolicyOnTheFleet: a policy naming one CVE of libexpat1's
// real security update (from the update's own changelog on the host)
// plans exactly that update, and says why every other pending update was
// left out.
func TestEmergencyCVEPolicyOnTheFleet(t *testing.T) {
	localfleet.Require(t)
	fleet := localfleet.Start(t, localfleet.Config{Name: "cv", Subnet: 17, Hosts: 2, Logf: t.Logf})
	addr := startDev(t)
	policy := filepath.Join(t.TempDir(), "cve.yaml")
	text := fmt.Sprintf(`apiVersion: patchflow/v1
kind: PatchPolicy
metadata: {name: cve-now}
targets:
  inventory: %s
  select: [group=fleet]
patches:
  classifications: [security, bugfix, feature]
  cves: [cve-2024-28757]
`, fleet.InventoryPath)
	if err := os.WriteFile(policy, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "cycle", "start", "-p", policy, "--dry-run", "--json", "--address", addr)
	var res workflows.CycleResult
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, out, errOut)
	}
	if len(res.Plan.Entries) != 1 || res.Plan.Entries[0].Name != "libexpat1" || res.Plan.Entries[0].Hosts != 2 {
		t.Fatalf("plan %+v, want libexpat1 alone on both hosts", res.Plan.Entries)
	}
	left := map[string]string{}
	for _, l := range res.Plan.Left {
		left[l.Name] = l.Reason
	}
	for _, name := range []string{"liblzma5", "demo-app"} {
		if left[name] != "fixes none of CVE-2024-28757" {
			t.Errorf("%s left out as %q, want \"fixes none of CVE-2024-28757\"", name, left[name])
		}
	}
}
