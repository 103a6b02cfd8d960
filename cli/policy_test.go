package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/internal/yamldiag"
)

// policyInventory is a small inventory: web1..web4 (env=prod) and stg1
// (env=staging), all in group web, stg1 also in group staging.
var policyInventory = mustRead("../policyspec/testdata/web.inventory.yaml")

func mustRead(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// writePolicy writes a policy and, when inv != "", an inventory next to it.
func writePolicy(t *testing.T, body, inv string) string {
	t.Helper()
	dir := t.TempDir()
	if inv != "" {
		if err := os.WriteFile(filepath.Join(dir, "hosts.yaml"), []byte(inv), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, "policy.yaml")
	doc := "apiVersion: patchflow/v1\nkind: PatchPolicy\nmetadata: {name: web}\n" + body
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPolicyValidateExamples(t *testing.T) {
	files, _ := filepath.Glob("../policies/examples/*.yaml")
	if len(files) < 4 {
		t.Fatalf("found %d examples", len(files))
	}
	code, out, errOut := run(t, append([]string{"policy", "validate"}, files...)...)
	if code != ExitOK || errOut != "" {
		t.Fatalf("validate examples: exit %d, stderr:\n%s", code, errOut)
	}
	for _, f := range files {
		if !strings.Contains(out, f+": valid\n") {
			t.Errorf("output lacks %q:\n%s", f+": valid", out)
		}
	}
}

func TestPolicyValidateEveryErrorOfEveryFile(t *testing.T) {
	code, out, errOut := run(t, "policy", "validate", "../policies/testdata/duplicate_key.bad.yaml", "../policies/testdata/minimal.good.yaml", "../policies/testdata/kind.bad.yaml")
	if code != ExitFailure {
		t.Errorf("exit %d, want 1", code)
	}
	missing, err := filepath.Abs("../policies/testdata/hosts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	wantErr := `../policies/testdata/duplicate_key.bad.yaml:5:3: metadata: duplicate key "name" (first at 4:3)
../policies/testdata/duplicate_key.bad.yaml:10:1: policy: duplicate key "rollout" (first at 8:1)
../policies/testdata/minimal.good.yaml: note: inventory ` + missing + ` does not exist here; inventory checks skipped
../policies/testdata/kind.bad.yaml:1:13: policy: apiVersion must be "patchflow/v1", got "patchflow/v2"
../policies/testdata/kind.bad.yaml:2:7: policy: kind must be "PatchPolicy", got "Inventory"
`
	if errOut != wantErr {
		t.Errorf("stderr:\n%s\nwant:\n%s", errOut, wantErr)
	}
	wantOut := `../policies/testdata/duplicate_key.bad.yaml: 2 problems
../policies/testdata/minimal.good.yaml: valid
../policies/testdata/kind.bad.yaml: 2 problems
`
	if out != wantOut {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, wantOut)
	}
}

func TestPolicyValidateJSON(t *testing.T) {
	code, out, _ := run(t, "policy", "validate", "--json", "../policies/testdata/multidoc.bad.yaml", "../policies/examples/web-canary.yaml", "no-such.yaml")
	if code != ExitFailure {
		t.Errorf("exit %d, want 1", code)
	}
	var got PolicyValidateResult
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, out)
	}
	want := PolicyValidateResult{Files: []PolicyFileResult{
		{File: "../policies/testdata/multidoc.bad.yaml", Errors: []*yamldiag.Error{{File: "../policies/testdata/multidoc.bad.yaml", Line: 5, Col: 1, Object: "policy", Problem: "file holds more than one YAML document; put one policy per file"}}, Notes: []string{}},
		{File: "../policies/examples/web-canary.yaml", Valid: true, Errors: []*yamldiag.Error{}, Notes: []string{}},
		{File: "no-such.yaml", Errors: []*yamldiag.Error{{File: "no-such.yaml", Problem: "cannot read policy: open: no such file or directory"}}, Notes: []string{}},
	}}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	if !bytes.Equal(gb, wb) {
		t.Errorf("--json:\n%s\nwant:\n%s", gb, wb)
	}
	// Stable field names scripts rely on.
	for _, key := range []string{`"files"`, `"file"`, `"valid"`, `"errors"`, `"line"`, `"col"`, `"object"`, `"problem"`} {
		if !strings.Contains(out, key) {
			t.Errorf("--json lacks %s", key)
		}
	}
}

func TestPolicyValidateAgainstInventory(t *testing.T) {
	p := writePolicy(t, `targets:
  inventory: hosts.yaml
  select: [group=web, env=prod]
  staging:
    select: [group=stagin]
    hosts: [stg1, web9]
rollout:
  waves:
    - {name: canary, count: 1}
    - {name: big, count: 6}
`, policyInventory)
	code, _, errOut := run(t, "policy", "validate", p)
	if code != ExitFailure {
		t.Errorf("exit %d, want 1", code)
	}
	inv := filepath.Join(filepath.Dir(p), "hosts.yaml")
	lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
	// The first message's middle is the inventory package's wording; the
	// position, the object and the value are this command's.
	if len(lines) != 2 || !strings.HasPrefix(lines[0], p+`:8:14: targets.staging: select group=stagin: no group "stagin" in `+inv) ||
		!strings.Contains(lines[0], `"staging"`) || !strings.HasSuffix(lines[0], `, got "group=stagin"`) {
		t.Errorf("stderr:\n%s\nwant the unknown staging group at 8:14 with a suggestion", errOut)
	}
	if want := p + `:9:19: targets.staging: host "web9" is not in inventory ` + inv + `, got "web9"`; len(lines) < 2 || lines[1] != want {
		t.Errorf("stderr:\n%s\nwant second line:\n%s", errOut, want)
	}
	// With the staging fixed, the waves are checked against the fleet: 4
	// prod web hosts (stg1 is env=staging, so not a target).
	p = writePolicy(t, `targets:
  inventory: hosts.yaml
  select: [group=web, env=prod]
  staging: {hosts: [web1]}
rollout:
  waves:
    - {name: canary, count: 1}
    - {name: big, count: 6}
`, policyInventory)
	code, _, errOut = run(t, "policy", "validate", p)
	want := p + `:11:26: wave "big": count exceeds the 3 hosts in the rollout (targets minus staging), got 6` + "\n"
	if code != ExitFailure || errOut != want {
		t.Errorf("exit %d, stderr:\n%s\nwant:\n%s", code, errOut, want)
	}
}

func TestPolicyValidateEmptySelections(t *testing.T) {
	p := writePolicy(t, `targets:
  inventory: hosts.yaml
  select: [env=prod, group=staging]
`, policyInventory)
	code, _, errOut := run(t, "policy", "validate", p)
	want := p + `:6:11: targets: selects no hosts in inventory ` + filepath.Join(filepath.Dir(p), "hosts.yaml") + `, got "env=prod,group=staging"` + "\n"
	if code != ExitFailure || errOut != want {
		t.Errorf("exit %d, stderr:\n%s\nwant:\n%s", code, errOut, want)
	}
}

func TestPolicyValidateBrokenInventory(t *testing.T) {
	p := writePolicy(t, "targets: {inventory: hosts.yaml}\n", "apiVersion: patchflow/v1\nkind: Inventory\nhosts:\n  web1: {prot: 22}\n")
	code, _, errOut := run(t, "policy", "validate", p)
	inv := filepath.Join(filepath.Dir(p), "hosts.yaml")
	if code != ExitFailure || !strings.HasPrefix(errOut, inv+":4:") || !strings.Contains(errOut, `"prot"`) {
		t.Errorf("exit %d, stderr %q; want the inventory's error at its position", code, errOut)
	}
}

func TestPolicyUsage(t *testing.T) {
	for _, args := range [][]string{{"policy", "validate"}, {"policy", "explain"}, {"policy", "explain", "a", "b"}, {"policy", "explain", "--fleet-size", "-1", "a"}} {
		if code, _, _ := run(t, args...); code != ExitUsage {
			t.Errorf("patchflow %s: exit %d, want 2", strings.Join(args, " "), code)
		}
	}
}

func explain(t *testing.T, opts *PolicyExplainOptions) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	opts.IO = IOStreams{Out: &out, ErrOut: &errOut}
	opts.Now = func() time.Time { return time.Date(2026, 12, 20, 12, 0, 0, 0, time.UTC) }
	return ExitCode(policyExplainRun(opts)), out.String(), errOut.String()
}

func TestPolicyExplainTable(t *testing.T) {
	code, out, errOut := explain(t, &PolicyExplainOptions{File: "../policies/examples/web-canary.yaml"})
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"policy web-fleet (../policies/examples/web-canary.yaml)",
		"11 target hosts, 1 staging, 10 in waves",
		"staging web-stg1",
		"1 canary 1 2 30m web01",
		"2 ten-percent 1 2 15m web02",
		"3 half 5 3 10m web03,web04,web05,web06,web07",
		"4 half-2 3 3 10m web08,web09,web10",
		"budget 1 failed host tolerated of 10 (the smaller of count 2 and 10% of the fleet), on breach rollback_wave",
		"per host worst case 41m, reboot if_required, 1 pre and 1 post hooks",
		"next 5 windows (Europe/Berlin):",
		"Tue 2026-12-22 02:00 CET - 06:00 CET (2026-12-22 01:00 UTC)",
		"Wed 2026-12-23 02:00 CET - 06:00 CET (2026-12-23 01:00 UTC)",
		"Tue 2026-12-29 02:00 CET - 06:00 CET (2026-12-29 01:00 UTC)",
		"Wed 2026-12-30 02:00 CET - 06:00 CET (2026-12-30 01:00 UTC)",
		"Tue 2027-01-05 02:00 CET - 06:00 CET (2027-01-05 01:00 UTC)",
	} {
		if !strings.Contains(norm(out), want) {
			t.Errorf("explain output lacks %q:\n%s", want, out)
		}
	}
	// Thursday 24th and 31st are blackout dates.
	if strings.Contains(out, "2026-12-24") && strings.Contains(out, "Thu 2026-12-24") {
		t.Errorf("explain shows a window on a blackout date:\n%s", out)
	}
}

func TestPolicyExplainJSON(t *testing.T) {
	code, out, errOut := explain(t, &PolicyExplainOptions{File: "../policies/examples/database-manual.yaml", JSON: true})
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got PolicyExplainResult
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if got.Policy == nil || got.Policy.Approval.Mode != "manual" || !got.Spec.Approval.Manual(domain.Plan{}) || got.FleetSize != 3 || got.FailureBudget.Effective != 0 || got.Rollout == nil {
		t.Fatalf("policy/spec/fleet/budget = %+v %+v %d %+v", got.Policy, got.Spec.Approval, got.FleetSize, got.FailureBudget)
	}
	var hosts []string
	for _, w := range got.Rollout.Waves {
		if w.MaxParallel != 1 {
			t.Errorf("wave %s max_parallel %d, want 1 (one at a time)", w.Name, w.MaxParallel)
		}
		hosts = append(hosts, strings.Join(w.Hosts, "+"))
	}
	if strings.Join(hosts, ",") != "db01,db02,db03" {
		t.Errorf("hosts per wave = %v, want db01,db02,db03 one per wave", hosts)
	}
	if strings.Join(got.Rollout.Staging, ",") != "db-stg1" {
		t.Errorf("staging = %+v", got.Rollout)
	}
	// Sundays 01:00 in New York (EST, UTC-5).
	if len(got.NextWindows) != 5 || got.NextWindows[0].Start.Format(time.RFC3339) != "2026-12-27T01:00:00-05:00" ||
		got.NextWindows[0].End.Format(time.RFC3339) != "2026-12-27T06:00:00-05:00" {
		t.Errorf("next windows = %+v", got.NextWindows)
	}
	if got.Window == nil || got.Window.CronExpressions[0] != "0 1 * * 0" || got.Window.TimeZoneName != "America/New_York" {
		t.Errorf("window spec = %+v", got.Window)
	}
}

func TestPolicyExplainWithoutInventory(t *testing.T) {
	code, out, _ := explain(t, &PolicyExplainOptions{File: "../policies/testdata/anchors.good.yaml", JSON: true})
	var got PolicyExplainResult
	if code != ExitOK || json.Unmarshal([]byte(out), &got) != nil {
		t.Fatalf("exit %d: %s", code, out)
	}
	if got.FleetSize != -1 || got.Rollout != nil || len(got.Notes) != 2 || !strings.Contains(got.Notes[0], "is a URL") {
		t.Errorf("URL inventory: fleet %d rollout %+v notes %q", got.FleetSize, got.Rollout, got.Notes)
	}
	code, out, _ = explain(t, &PolicyExplainOptions{File: "../policies/testdata/anchors.good.yaml", FleetSize: 10})
	for _, want := range []string{"1 one 1 1 5m -", "2 two 2 1 5m -", "3 rest 7 1 0s -", "window none: cycles run when started"} {
		if code != ExitOK || !strings.Contains(norm(out), want) {
			t.Errorf("--fleet-size 10: exit %d, output lacks %q:\n%s", code, want, out)
		}
	}
}

func TestPolicyExplainInvalid(t *testing.T) {
	code, out, errOut := explain(t, &PolicyExplainOptions{File: "../policies/testdata/window_short.bad.yaml"})
	if code != ExitFailure || out != "" || !strings.Contains(errOut, "window_short.bad.yaml:9:13: window: duration (after jitter 15m) is shorter") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// `policy explain --fleet-size 10000000` with waves [{count: 1}] ran out of
// memory: the fleet size is capped (usage error); a plan of more waves than
// a cycle runs (domain.MaxWaves) is refused as the cycle refuses it; the
// table lists the first waves and sums up the rest.
func TestPolicyExplainHugeFleet(t *testing.T) {
	f := writeInventory(t, "p.yaml", "apiVersion: patchflow/v1\nkind: PatchPolicy\nmetadata: {name: one}\ntargets: {inventory: hosts.yaml}\nrollout:\n  waves: [{name: one, count: 1}]\n")
	code, _, errOut := run(t, "policy", "explain", f, "--fleet-size", "10000000")
	if code != ExitUsage || !strings.Contains(errOut, "--fleet-size must be from 0 to 1000000, got 10000000") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	code, _, errOut = run(t, "policy", "explain", f, "--fleet-size", "1000000")
	if code != ExitFailure || !strings.Contains(errOut, f+":6:10: rollout: the rollout of 1000000 hosts would need 1000000 waves (at most 1000)") {
		t.Errorf("a million waves: exit %d: %s", code, errOut)
	}
	code, out, errOut := run(t, "policy", "explain", f, "--fleet-size", "1000")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if n := strings.Count(out, "\n  "); n > 120 || !strings.Contains(out, "  100  one-100  1") || !strings.Contains(out, "... and 900 more waves with 900 hosts (explain lists the first 100)") {
		t.Errorf("explain printed %d indented lines:\n%.2000s", n, out)
	}
	code, out, _ = run(t, "policy", "explain", f, "--fleet-size", "1000", "--json")
	var got PolicyExplainResult
	if code != ExitOK || json.Unmarshal([]byte(out), &got) != nil || got.Rollout == nil || len(got.Rollout.Waves) != 1000 || got.Rollout.Waves[999].Name != "one-1000" {
		t.Errorf("explain --json: exit %d, %.500s", code, out)
	}
}

// --fleet-size plans for that many hosts instead of reading the inventory,
// even one that can be read.
func TestPolicyExplainFleetSizeWinsOverTheInventory(t *testing.T) {
	code, out, errOut := explain(t, &PolicyExplainOptions{File: "../policies/examples/web-canary.yaml", FleetSize: 20, JSON: true})
	var got PolicyExplainResult
	if code != ExitOK || json.Unmarshal([]byte(out), &got) != nil {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got.FleetSize != 20 || got.Rollout == nil || got.Rollout.Inventory != "" || len(got.Rollout.Waves) == 0 || len(got.Rollout.Waves[0].Hosts) != 0 {
		t.Errorf("--fleet-size 20: fleet %d, rollout %+v; want 20 hosts planned by size, no inventory read", got.FleetSize, got.Rollout)
	}
	if got.FailureBudget.Effective != 2 {
		t.Errorf("budget %d of 20, want 2 (10%% of 20, under count 2)", got.FailureBudget.Effective)
	}
}

// TestPolicyExplainVulnerabilityRules: what a policy selects by CVE, KEV
// and EPSS, and the risk above which a person approves, is what explain
// says the cycle will do.
func TestPolicyExplainVulnerabilityRules(t *testing.T) {
	inv, err := filepath.Abs("../policies/examples/inventory/estate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := writeInventory(t, "emergency.yaml", `apiVersion: patchflow/v1
kind: PatchPolicy
metadata: {name: cve-now}
targets: {inventory: `+inv+`, select: [group=estate]}
patches:
  classifications: [security]
  cves: [cve-2024-28757, CVE-2025-59375]
  kev: true
  min_epss: 0.2
approval: {mode: auto, risk_above: 60}
`)
	code, out, errOut := explain(t, &PolicyExplainOptions{File: f})
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"only fixes of CVE-2024-28757 CVE-2025-59375",
		"only fixes of KEV-listed CVEs",
		"only EPSS >= 0.2",
		"automatic, manual (wait up to 1d, then abort) when a planned update's risk is above 60",
	} {
		if !strings.Contains(norm(out), want) {
			t.Errorf("explain output lacks %q:\n%s", want, out)
		}
	}
}

// TestPolicyExplainInteractivePatches: patches.interactive shows in the
// table and, as written and as the cycle runs it, in --json.
func TestPolicyExplainInteractivePatches(t *testing.T) {
	inv, err := filepath.Abs("../policies/examples/inventory/estate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := writeInventory(t, "sles.yaml", `apiVersion: patchflow/v1
kind: PatchPolicy
metadata: {name: sles}
targets: {inventory: `+inv+`, select: [group=estate]}
patches:
  interactive: [SUSE-SLE-Module-Basesystem-15-SP5-2024-1234, kernel-default]
`)
	code, out, errOut := explain(t, &PolicyExplainOptions{File: f})
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if want := "interactive zypper patches SUSE-SLE-Module-Basesystem-15-SP5-2024-1234 kernel-default"; !strings.Contains(norm(out), want) {
		t.Errorf("explain output lacks %q:\n%s", want, out)
	}
	code, out, errOut = explain(t, &PolicyExplainOptions{File: f, JSON: true})
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got PolicyExplainResult
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	want := []string{"SUSE-SLE-Module-Basesystem-15-SP5-2024-1234", "kernel-default"}
	if !slices.Equal(got.Policy.Patches.Interactive, want) || !slices.Equal(got.Spec.Patches.Interactive, want) {
		t.Errorf("--json policy.patches.interactive = %q, spec.patches.interactive = %q, want %q both",
			got.Policy.Patches.Interactive, got.Spec.Patches.Interactive, want)
	}
}
