package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/internal/schematest"
	"github.com/patchflow/patchflow/localfleet"
	"github.com/patchflow/patchflow/report"
	"github.com/patchflow/patchflow/workflows"
)

// evidencePolicy patches the fleet's real Debian security updates, demo-app
// 1.0.1 and demo-lib 1.1 (which asks for a reboot, and whose postinst fails
// on a host marked bad): ev-h1 is staging, then a canary of one and the
// rest two at a time; a failed host is rolled back and, undecided, skipped.
func evidencePolicy(t *testing.T, inventory string) string {
	t.Helper()
	policy := fmt.Sprintf(`apiVersion: patchflow/v1
kind: PatchPolicy
metadata: {name: evidence}
targets:
  inventory: %s
  select: [group=fleet]
  staging: {select: [group=staging]}
patches:
  classifications: [security]
  approve: [demo-app=1.0.1, demo-lib=1.1]
approval: {mode: manual, timeout: 10m}
rollout:
  waves:
    - {name: canary, count: 1, bake: 1s}
    - {name: rest, percent: 100, max_parallel: 2}
  failure_budget: {count: 1}
rollback: {on_host_failure: true, decision_timeout: 2s}
host:
  timeouts: {precheck: 1m, apply: 2m, reboot: 2m, verify: 1m, hook: 1m}
`, inventory)
	path := filepath.Join(t.TempDir(), "evidence.yaml")
	if err := os.WriteFile(path, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// reportOn runs `report cycle ARGS` against a Temporal frontend.
func reportOn(t *testing.T, addr string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	f := &Factory{IO: IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, Version: "test"}
	f.Temporal.Address = addr
	cmd := NewCmdReportCycle(f, nil)
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	if err != nil {
		errOut.WriteString("error: " + err.Error() + "\n")
	}
	return ExitCode(err), out.String(), errOut.String()
}

// cycleStatusOn is `cycle status ID --json` against a frontend.
func cycleStatusOn(t *testing.T, addr, id string) workflows.CycleStatus {
	t.Helper()
	code, out, errOut := run(t, "cycle", "status", id, "--json", "--address", addr)
	var st workflows.CycleStatus
	if code != ExitOK || json.Unmarshal([]byte(out), &st) != nil {
		t.Fatalf("cycle status %s: exit %d\n%s%s", id, code, out, errOut)
	}
	return st
}

// awaitOn polls a cycle's status until ok holds, as a user would.
func awaitOn(t *testing.T, addr, id, what string, ok func(workflows.CycleStatus) bool) workflows.CycleStatus {
	t.Helper()
	deadline := time.Now().Add(4 * time.Minute)
	for {
		st := cycleStatusOn(t, addr, id)
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("cycle %s: %s did not happen; state %s (%s)", id, what, st.State, st.Reason)
		}
		waitABit()
	}
}

// TestEvidencePackAndHistoryRiskOnTheFleet runs a real cycle on five
// Debian hosts through `patchflow dev`: an operator (alice) approves it,
// demo-lib 1.1 fails its postinst on ev-h4, which is rolled back; an
// assessment of the policy follows. `report cycle` must tie it together
// from Temporal, as the hosts' own state confirms. Then a new plan of the
// same policy learns from that cycle: demo-lib 1.1 is its riskiest update,
// the host carrying it is the canary, and a policy with history_risk_above
// 20 waits for a person, saying why.
func TestEvidencePackAndHistoryRiskOnTheFleet(t *testing.T) {
	localfleet.Require(t)
	fleet := localfleet.Start(t, localfleet.Config{Name: "ev", Subnet: 15, Hosts: 5, Logf: t.Logf})
	addr := startDev(t)
	bad := "ev-h4"
	if err := fleet.MarkBad(bad); err != nil {
		t.Fatal(err)
	}
	policy := evidencePolicy(t, fleet.InventoryPath)
	t.Logf("fleet security updates: %v", fleet.SecurityDetails)

	code, out, errOut := run(t, "cycle", "start", "-p", policy, "--address", addr)
	if code != ExitOK || !strings.HasPrefix(out, "started cycle ") {
		t.Fatalf("cycle start: exit %d\n%s%s", code, out, errOut)
	}
	id := strings.Fields(out)[2]
	awaitOn(t, addr, id, "awaiting approval", func(st workflows.CycleStatus) bool { return st.AwaitingApproval })
	alice, err := client.Dial(client.Options{HostPort: addr, Identity: "alice@example.org", Logger: quietSDKLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	h, err := alice.UpdateWorkflow(context.Background(), client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: workflows.MsgApprove,
		Args: []any{workflows.ApproveRequest{Comment: "CHG-4711"}}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err != nil {
		t.Fatal(err)
	}
	var reply workflows.CycleReply
	if err := h.Get(context.Background(), &reply); err != nil {
		t.Fatalf("approve: %v", err)
	}
	if code, out, errOut := run(t, "cycle", "status", id, "--watch", "--address", addr); code != ExitOK {
		t.Fatalf("cycle status --watch: exit %d\n%s%s", code, out, errOut)
	}
	for _, host := range []string{"ev-h1", "ev-h2", "ev-h3", "ev-h5"} {
		if v := installed(t, fleet, host, "demo-lib"); v != "1.1" {
			t.Fatalf("%s: demo-lib %s after the cycle, want 1.1", host, v)
		}
	}
	if v := installed(t, fleet, bad, "demo-lib"); v != "1.0" {
		t.Fatalf("%s: demo-lib %s, want the snapshot 1.0 after its rollback", bad, v)
	}

	// The first assessment of the policy after the cycle.
	in, err := specFromPolicy(policy, IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	assessID := workflows.AssessID(in.Spec.Policy, time.Now().Add(time.Second))
	run2, err := alice.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: assessID, TaskQueue: workflows.TaskQueue},
		workflows.Assess, workflows.AssessInput{Spec: in.Spec})
	if err != nil {
		t.Fatal(err)
	}
	var ar workflows.AssessResult
	if err := run2.Get(context.Background(), &ar); err != nil {
		t.Fatalf("assessment: %v", err)
	}

	code, out, errOut = reportOn(t, addr, id, "--json")
	if code != ExitOK {
		t.Fatalf("report cycle --json: exit %d\n%s", code, errOut)
	}
	schematest.Validate(t, "report/cycle-evidence.schema.json", []byte(out))
	e, err := report.ReadCycleEvidence(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	checkRealEvidence(t, fleet, e, assessID, bad)

	// Without a worker's hosts query, the history gives the same hosts.
	_, derived, _ := reportOn(t, addr, id, "--json", "--no-query")
	d, err := report.ReadCycleEvidence(strings.NewReader(derived))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hostsText(d.Hosts), hostsText(e.Hosts); got != want {
		t.Errorf("hosts derived from the history\n%s\ndiffer from the hosts query's\n%s", got, want)
	}
	file := filepath.Join(t.TempDir(), "evidence.html")
	if code, _, errOut := reportOn(t, addr, id, "--html", file); code != ExitOK {
		t.Fatalf("--html: exit %d: %s", code, errOut)
	}
	page, _ := os.ReadFile(file)
	if !bytes.Contains(page, []byte("alice@example.org")) || !bytes.Contains(page, []byte(assessID)) {
		t.Error("the HTML pack lacks the approver or the re-assessment")
	}
	if d := os.Getenv("PATCHFLOW_SCREENSHOT_DIR"); d != "" {
		_ = os.WriteFile(filepath.Join(d, "evidence-real.html"), page, 0o644)
	}
	if _, table, _ := reportOn(t, addr, id); !strings.Contains(table, "Approval: by alice@example.org at ") {
		t.Errorf("table:\n%s", table)
	} else {
		t.Logf("report cycle %s:\n%s", id, table)
	}

	checkHistoryRiskOnTheFleet(t, fleet, addr, policy, in.Spec, bad)
}

// checkRealEvidence checks the pack of the real cycle against what
// happened, host by host.
func checkRealEvidence(t *testing.T, fleet *localfleet.Fleet, e *report.CycleEvidence, assessID, bad string) {
	t.Helper()
	a := e.Approval
	if a.Mode != report.ApprovalOperator || a.By != "alice@example.org" || a.Via != "update" || a.Comment != "CHG-4711" ||
		a.Required != "the policy approves by manual" || a.At.Before(a.RequestedAt) {
		t.Errorf("approval %+v", a)
	}
	planned := map[string]string{}
	cves := 0
	for _, p := range e.Plan.Entries {
		planned[p.Package] = p.Version
		cves += len(p.CVEs)
	}
	if planned["demo-lib"] != "1.1" || planned["demo-app"] != "1.0.1" {
		t.Errorf("plan %v", planned)
	}
	for _, s := range fleet.SecurityDetails {
		if planned[s.Name] != s.Fixed {
			t.Errorf("plan pins %s=%q, the fleet's security update is %s", s.Name, planned[s.Name], s.Fixed)
		}
	}
	if len(fleet.SecurityDetails) > 0 && cves == 0 {
		t.Error("the plan's security updates name no CVE")
	}
	var staging report.WaveEvidence
	for _, w := range e.Waves {
		if w.Index == 0 {
			staging = w
		}
	}
	if staging.Name != "staging" || len(staging.Hosts) != 1 || staging.Hosts[0].Host != "ev-h1" || staging.Hosts[0].Result != report.HostPatched ||
		staging.Hosts[0].RebootedAt.IsZero() || !slices.Contains(staging.Hosts[0].Installed, report.Pin{Package: "demo-lib", Version: "1.1"}) {
		t.Errorf("staging %+v", staging)
	}
	if boots, _ := fleet.BootCount("ev-h1"); boots < 2 {
		t.Errorf("ev-h1 booted %d times, the pack says it rebooted", boots)
	}
	rebooted := map[string]bool{}
	for _, r := range e.Reboots {
		rebooted[r.Host] = true
	}
	if !rebooted["ev-h1"] || !rebooted["ev-h2"] {
		t.Errorf("reboots %+v, want the staging and canary hosts", e.Reboots)
	}
	if len(e.Rollbacks) != 1 || e.Rollbacks[0].Host != bad || e.Rollbacks[0].Result != report.HostRolledBack ||
		!strings.Contains(e.Rollbacks[0].Reason, "demo-lib") || !slices.Contains(e.Rollbacks[0].To, report.Pin{Package: "demo-lib", Version: "1.0"}) {
		t.Errorf("rollbacks %+v, want %s back to demo-lib 1.0 after its postinst failed", e.Rollbacks, bad)
	}
	final := map[string]report.HostResult{}
	for _, h := range e.Hosts {
		final[h.Host] = h.Result
	}
	if len(final) != 5 || final[bad] != report.HostSkipped || final["ev-h5"] != report.HostPatched {
		t.Errorf("final states %v", final)
	}
	if e.Verify == nil || e.Verify.Hosts != 4 || len(e.Verify.Failed) != 0 {
		t.Errorf("final verify %+v, want the 4 patched hosts verified", e.Verify)
	}
	if len(e.Before) != 5 {
		t.Errorf("before: %d hosts, want 5", len(e.Before))
	}
	if e.AfterAssessment != assessID || len(e.After) != 5 {
		t.Fatalf("after: %q with %d hosts, want %s of the 5 hosts", e.AfterAssessment, len(e.After), assessID)
	}
	rem := map[string]report.HostRemediation{}
	for _, r := range e.Remediation {
		rem[r.Host] = r
	}
	for _, host := range []string{"ev-h1", "ev-h2", "ev-h3", "ev-h5"} {
		if rem[host].State != report.RemediationVerified {
			t.Errorf("%s: remediation %+v, want verified by the re-assessment", host, rem[host])
		}
	}
	if r := rem[bad]; r.State != report.RemediationStillMissing || !slices.Contains(r.Missing, "demo-lib") {
		t.Errorf("%s: remediation %+v, want demo-lib still missing", bad, r)
	}
}

// checkHistoryRiskOnTheFleet plans the policy again after the cycle:
// demo-lib 1.1 failed on one of five hosts there, so its history risk is
// round(100 x 1.5 / 6) = 25 and the host that still lacks it goes first.
func checkHistoryRiskOnTheFleet(t *testing.T, fleet *localfleet.Fleet, addr, policy string, spec domain.CycleSpec, bad string) {
	t.Helper()
	for _, h := range fleet.Hosts {
		if out, err := fleet.Exec(context.Background(), h.Name, "apt-get", "install", "-y", "-q", "--allow-downgrades", "demo-app=1.0.0"); err != nil {
			t.Fatalf("downgrade demo-app on %s: %v\n%s", h.Name, err, out)
		}
	}
	// Staging proves the plan: demo-lib is pending on the staging host
	// again, so the plan pins it (on production only the rolled-back host
	// still has 1.0).
	if out, err := fleet.Exec(context.Background(), "ev-h1", "apt-get", "install", "-y", "-q", "--allow-downgrades", "demo-lib=1.0"); err != nil {
		t.Fatalf("downgrade demo-lib on the staging host: %v\n%s", err, out)
	}
	dir := t.TempDir()
	planPath, mdPath := filepath.Join(dir, "plan.json"), filepath.Join(dir, "plan.md")
	code, out, errOut := run(t, "cycle", "plan", "-p", policy, "-o", planPath, "--markdown", mdPath, "--address", addr)
	if code != ExitOK {
		t.Fatalf("cycle plan: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "HISTORY") || !strings.Contains(out, "25 (1/5 failed)") {
		t.Errorf("the plan table shows no history risk for demo-lib:\n%s", out)
	}
	raw, _ := os.ReadFile(planPath)
	schematest.Validate(t, "plan/v1/plan.schema.json", raw)
	plan := readPlanFile(t, planPath)
	risk := map[string]int{}
	for _, e := range plan.Entries {
		risk[e.Name] = e.HistoryRisk
		if e.Name == "demo-lib" && (e.History == nil || e.History.Runs != 5 || e.History.Failed != 1 || e.History.RolledBack != 1 ||
			e.History.Paths[0] != (domain.UpgradePath{From: "1.0", To: "1.1", Runs: 5, Failed: 1, RolledBack: 1})) {
			t.Errorf("demo-lib's history %+v", e.History)
		}
	}
	for name, r := range risk {
		if name != "demo-lib" && r >= risk["demo-lib"] {
			t.Errorf("%s has history risk %d, demo-lib %d: demo-lib must rank riskiest", name, r, risk["demo-lib"])
		}
	}
	if risk["demo-lib"] != 25 {
		t.Errorf("demo-lib history risk %d, want 25", risk["demo-lib"])
	}
	if len(plan.Waves) < 2 || plan.Waves[1].Name != "1" || strings.Join(plan.Waves[1].Hosts, " ") != bad {
		t.Errorf("plan waves %+v, want %s (the host carrying demo-lib) as the canary", plan.Waves, bad)
	}
	md, _ := os.ReadFile(mdPath)
	if !strings.Contains(string(md), "25: 1 of 5 runs failed, 1 rolled back (this upgrade, 1 cycles)") {
		t.Errorf("markdown lacks demo-lib's history:\n%s", md)
	}

	// A policy that gates on history risk above 20 asks a person.
	spec.Approval = domain.ApprovalSpec{HistoryRiskAbove: 20, Timeout: 10 * time.Minute}
	c, err := client.Dial(client.Options{HostPort: addr, Logger: quietSDKLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	id := workflows.CycleID(spec.Policy, time.Now().Add(2*time.Second))
	if _, err := startCycleInput(context.Background(), c, id, "history gate", workflows.CycleInput{Spec: spec}); err != nil {
		t.Fatal(err)
	}
	st := awaitOn(t, addr, id, "awaiting approval", func(st workflows.CycleStatus) bool { return st.AwaitingApproval })
	want := "history risk 25 of demo-lib 1.1 is above the policy's 20: 1 of 5 runs failed, 1 rolled back (this upgrade, 1 cycles)"
	if !strings.Contains(st.Reason, want) {
		t.Errorf("awaiting approval because %q, want %q", st.Reason, want)
	}
	for _, s := range st.Stages {
		if s.Stage == "1" && strings.Join(s.Hosts, " ") != bad {
			t.Errorf("canary %v, want %s", s.Hosts, bad)
		}
	}
	if code, out, errOut := run(t, "cycle", "abort", id, "--address", addr); code != ExitOK {
		t.Fatalf("abort: exit %d\n%s%s", code, out, errOut)
	}
	awaitOn(t, addr, id, "aborted", func(st workflows.CycleStatus) bool { return st.State == domain.CycleAborted })
	if v := installed(t, fleet, "ev-h2", "demo-app"); v != "1.0.0" {
		t.Errorf("the gated cycle changed ev-h2: demo-app %s", v)
	}
}
