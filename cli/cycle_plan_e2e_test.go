package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchflow/patchflow/internal/schematest"
	"github.com/patchflow/patchflow/localfleet"
	"github.com/patchflow/patchflow/planfile"
	"github.com/patchflow/patchflow/workflows"
)

// TestPlanThenApplyOnTheFleet is the review flow on real hosts: `cycle
// plan` writes the plan and its Markdown; a host changed by hand makes
// `cycle start --plan` refuse, naming it, with no host changed; a new plan
// applies exactly its pinned versions, once; an edited policy is refused
// with its differences.
func TestPlanThenApplyOnTheFleet(t *testing.T) {
	localfleet.Require(t)
	fleet := localfleet.Start(t, localfleet.Config{Name: "pl", Subnet: 12, Hosts: 4, Logf: t.Logf})
	addr := startDev(t)
	policy := writeCyclePolicy(t, "plan-e2e", fleet.InventoryPath, "")
	dir := t.TempDir()
	planPath, mdPath := filepath.Join(dir, "plan.json"), filepath.Join(dir, "plan.md")

	code, out, errOut := run(t, "cycle", "plan", "-p", policy, "-o", planPath, "--markdown", mdPath, "--address", addr)
	if code != 0 {
		t.Fatalf("cycle plan: exit %d\n%s\n%s", code, out, errOut)
	}
	plan := readPlanFile(t, planPath)
	raw, _ := os.ReadFile(planPath)
	schematest.Validate(t, "plan/v1/plan.schema.json", raw)
	if len(plan.Hosts) != 4 || !strings.Contains(errOut, "plan "+plan.SHA256+" written to "+planPath) {
		t.Fatalf("plan of %d hosts; stderr:\n%s", len(plan.Hosts), errOut)
	}
	demo := -1
	for i, e := range plan.Entries {
		if e.Name == "demo-app" && e.Version == "1.0.1" {
			demo = i
		}
	}
	if demo < 0 {
		t.Fatalf("plan does not pin demo-app 1.0.1: %+v", plan.Entries)
	}
	md, _ := os.ReadFile(mdPath)
	if !strings.Contains(string(md), "| demo-app | 1.0.1 |") || !strings.Contains(string(md), plan.SHA256) {
		t.Errorf("markdown:\n%s", md)
	}
	for _, h := range fleet.Hosts {
		if v := installed(t, fleet, h.Name, "demo-app"); v != "1.0.0" {
			t.Fatalf("planning changed %s: demo-app %s", h.Name, v)
		}
	}

	// Someone upgrades demo-app on one host by hand: the plan no longer
	// applies, and nothing is changed anywhere.
	changed := fleet.Hosts[2].Name
	if out, err := fleet.Exec(context.Background(), changed, "apt-get", "install", "-y", "-q", "demo-app=1.0.1"); err != nil {
		t.Fatalf("upgrade demo-app on %s: %v\n%s", changed, err, out)
	}
	code, out, errOut = run(t, "cycle", "start", "-p", policy, "--plan", planPath, "--wait", "--address", addr)
	if code != ExitFailure || !strings.Contains(out, changed+": installed or candidate versions of its planned packages changed; now demo-app: installed 1.0.1") || !strings.Contains(out, "no host was changed") {
		t.Fatalf("start --plan after %s changed: exit %d\nstdout:\n%s\nstderr:\n%s", changed, code, out, errOut)
	}
	for _, h := range fleet.Hosts {
		if h.Name != changed {
			if v := installed(t, fleet, h.Name, "demo-app"); v != "1.0.0" {
				t.Errorf("a refused plan changed %s: demo-app %s", h.Name, v)
			}
		}
	}
	code, _, errOut = run(t, "cycle", "start", "-p", policy, "--plan", planPath, "--address", addr)
	if code != ExitFailure || !strings.Contains(errOut, "was already applied by cycle "+workflows.PlanCycleID("plan-e2e", plan.SHA256)) {
		t.Errorf("second start of one plan: exit %d: %s", code, errOut)
	}

	// A new plan is made from today's state and applied exactly.
	code, out, errOut = run(t, "cycle", "plan", "-p", policy, "-o", planPath, "--address", addr)
	if code != 0 {
		t.Fatalf("second cycle plan: exit %d\n%s\n%s", code, out, errOut)
	}
	plan = readPlanFile(t, planPath)
	code, out, errOut = run(t, "cycle", "start", "-p", policy, "--plan", planPath, "--wait", "--address", addr)
	if code != 0 || !strings.Contains(out, "cycle "+workflows.PlanCycleID("plan-e2e", plan.SHA256)+" completed") {
		t.Fatalf("start --plan: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, h := range plan.Hosts {
		for _, p := range plan.HostPins(h) {
			if v := installed(t, fleet, h.Name, p.Name); v != p.Version {
				t.Errorf("%s: %s %s after applying the plan, which pins %s", h.Name, p.Name, v, p.Version)
			}
		}
	}

	// An edited policy refuses the plan before anything starts.
	text, _ := os.ReadFile(policy)
	if err := os.WriteFile(policy, []byte(strings.Replace(string(text), "count: 1, bake: 1s", "count: 2, bake: 1s", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = run(t, "cycle", "start", "-p", policy, "--plan", planPath, "--address", addr)
	if code != ExitFailure || !strings.Contains(errOut, "changed since the plan was made") || !strings.Contains(errOut, "-13:     - {name: canary, count: 1, bake: 1s} | +13:     - {name: canary, count: 2, bake: 1s}") {
		t.Errorf("start --plan with an edited policy: exit %d:\n%s", code, errOut)
	}
}

func readPlanFile(t *testing.T, path string) *planfile.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := planfile.Read(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return p
}
