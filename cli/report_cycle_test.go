package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/internal/schematest"
	"github.com/patchflow/patchflow/report"
	"github.com/patchflow/patchflow/workflows"
)

// runReportCycle runs `report cycle ARGS` the way main would once the
// command is under `patchflow report`, against the package's test server,
// and returns the exit code and both streams.
func runReportCycle(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ts, _ := temporalServer(t)
	var out, errOut bytes.Buffer
	f := &Factory{IO: IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, Version: "test",
		TemporalClient: func(context.Context) (client.Client, error) {
			return client.NewClientFromExisting(ts.GetDefaultClient(), client.Options{Namespace: ts.GetDefaultNamespace()})
		}}
	cmd := NewCmdReportCycle(f, nil)
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	if err != nil {
		errOut.WriteString("error: " + err.Error() + "\n")
	}
	return ExitCode(err), out.String(), errOut.String()
}

// approveAs approves a cycle through a client whose identity is who, as
// an operator's CLI or the Temporal UI would.
func approveAs(t *testing.T, id, who string, req workflows.ApproveRequest) {
	t.Helper()
	ts, _ := temporalServer(t)
	c, err := client.NewClientFromExisting(ts.GetDefaultClient(), client.Options{Namespace: ts.GetDefaultNamespace(), Identity: who})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	h, err := c.UpdateWorkflow(context.Background(), client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: workflows.MsgApprove,
		Args: []any{req}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err != nil {
		t.Fatal(err)
	}
	var reply workflows.CycleReply
	if err := h.Get(context.Background(), &reply); err != nil {
		t.Fatalf("approve %s: %v", id, err)
	}
}

// TestReportCycleOnTheServer: a manual cycle approved by alice with one
// host whose install fails and is rolled back; `report cycle` shows who
// approved and when, the failed host's rollback to its snapshot, every
// host's final state and that no assessment has verified the fixes yet;
// and the next plan of any policy carries demo-app's history risk.
func TestReportCycleOnTheServer(t *testing.T) {
	_, fleet := temporalServer(t)
	hosts := []string{"evf-1", "evf-bad2", "evf-3"}
	policy := writeFleetPolicy(t, "evfast", hosts, `approval: {mode: manual, timeout: 1h}
rollback: {on_host_failure: true, decision_timeout: 1s}
rollout:
  waves: [{name: canary, count: 1}, {name: rest, percent: 100, max_parallel: 2}]
  failure_budget: {count: 1}
`)
	id := startOnServer(t, policy)
	awaitState(t, id, domain.CycleAwaitingApproval)
	approveAs(t, id, "alice@example.org", workflows.ApproveRequest{Comment: "CAB-7"})
	// The failed host is rolled back, and skipped when no one decides
	// (the policy's default): the cycle completes.
	awaitState(t, id, domain.CycleCompleted)

	code, out, errOut := runReportCycle(t, id, "--json")
	if code != ExitOK {
		t.Fatalf("report cycle --json: exit %d\n%s", code, errOut)
	}
	schematest.Validate(t, "report/cycle-evidence.schema.json", []byte(out))
	e, err := report.ReadCycleEvidence(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	a := e.Approval
	if a.Mode != report.ApprovalOperator || a.By != "alice@example.org" || a.Via != "update" || a.Comment != "CAB-7" ||
		a.Required != "the policy approves by manual" || a.At.Before(e.StartedAt) || a.RequestedAt.After(a.At) {
		t.Errorf("approval %+v", a)
	}
	if len(e.Plan.Entries) != 1 || e.Plan.Entries[0].Package != "demo-app" || e.Plan.Entries[0].CVEs[0] != "CVE-2026-0001" {
		t.Errorf("plan %+v", e.Plan.Entries)
	}
	final := map[string]report.HostResult{}
	for _, h := range e.Hosts {
		final[h.Host] = h.Result
	}
	if final["evf-1"] != report.HostPatched || final["evf-3"] != report.HostPatched || final["evf-bad2"] != report.HostSkipped {
		t.Errorf("final states %v", final)
	}
	if len(e.Rollbacks) != 1 || e.Rollbacks[0].Host != "evf-bad2" || e.Rollbacks[0].Result != report.HostRolledBack ||
		len(e.Rollbacks[0].To) != 1 || e.Rollbacks[0].To[0] != (report.Pin{Package: "demo-app", Version: "1.0.0"}) {
		t.Errorf("rollbacks %+v", e.Rollbacks)
	}
	if fleet.version("evf-bad2") != "1.0.0" {
		t.Errorf("evf-bad2 has %s, the pack says it was rolled back to 1.0.0", fleet.version("evf-bad2"))
	}
	if len(e.Waves) != 2 || e.Waves[0].Name != "canary" || e.Waves[0].Hosts[0].Host != "evf-1" ||
		e.Waves[0].Hosts[0].Installed[0] != (report.Pin{Package: "demo-app", Version: "1.0.1"}) {
		t.Errorf("waves %+v", e.Waves)
	}
	if e.Verify == nil || e.Verify.Hosts != 2 || len(e.Verify.Failed) != 0 {
		t.Errorf("final verify %+v, want the 2 patched hosts verified", e.Verify)
	}
	if len(e.Before) != 3 || e.AfterAssessment != "" || len(e.Remediation) != 3 || e.Remediation[0].State != report.RemediationNotReassessed {
		t.Errorf("before %d hosts, after %q, remediation %+v: without an assessment no fix is verified", len(e.Before), e.AfterAssessment, e.Remediation)
	}

	// The same hosts from the history alone, without the hosts query.
	_, derived, _ := runReportCycle(t, id, "--json", "--no-query")
	d, err := report.ReadCycleEvidence(strings.NewReader(derived))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hostsText(d.Hosts), hostsText(e.Hosts); got != want {
		t.Errorf("hosts derived from the history\n%s\ndiffer from the hosts query's\n%s", got, want)
	}

	file := filepath.Join(t.TempDir(), "evidence.html")
	if code, _, errOut := runReportCycle(t, id, "--html", file, "--time-zone", "Europe/Berlin"); code != ExitOK || !strings.Contains(errOut, "written to "+file) {
		t.Fatalf("--html: exit %d: %s", code, errOut)
	}
	if page, _ := os.ReadFile(file); !bytes.Contains(page, []byte("alice@example.org")) || !bytes.Contains(page, []byte("evf-bad2")) {
		t.Errorf("the HTML pack lacks the approver or the failed host")
	}
	if _, table, _ := runReportCycle(t, id); !strings.Contains(table, "Approval: by alice@example.org at ") || !strings.Contains(table, "evf-bad2     2      skipped") {
		t.Errorf("table:\n%s", table)
	}
	for _, bad := range [][]string{{id, "--json", "--html", file}, {id, "--time-zone", "Mars/Base"}, {}} {
		if code, _, _ := runReportCycle(t, bad...); code != ExitUsage {
			t.Errorf("report cycle %v: exit %d, want %d", bad, code, ExitUsage)
		}
	}
	if code, _, errOut := runReportCycle(t, "cycle/evfast/1999-01-01T00:00:00Z"); code != ExitFailure || !strings.Contains(errOut, "patchflow cycle list") {
		t.Errorf("unknown cycle: exit %d: %s", code, errOut)
	}

	// A later plan, of another policy, learns demo-app's failure.
	later := writeFleetPolicy(t, "evfast2", []string{"evf-4", "evf-5"}, "")
	code, out, errOut = runOnServer(t, "cycle", "start", "-p", later, "--dry-run", "--json")
	var res workflows.CycleResult
	if code != ExitOK || json.Unmarshal([]byte(out), &res) != nil || len(res.Plan.Entries) != 1 {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	pe := res.Plan.Entries[0]
	if pe.HistoryRisk == 0 || pe.History == nil || pe.History.Failed == 0 || pe.History.Basis != domain.HistoryBasisPath || res.History == nil || res.History.Cycles == 0 {
		t.Errorf("demo-app 1.0.1 after a failure: history risk %d, history %+v, source %+v", pe.HistoryRisk, pe.History, res.History)
	}
	// The dry run's pack: planned, never approved, the history risk shown.
	code, out, errOut = runReportCycle(t, res.CycleID, "--json")
	dry, err := report.ReadCycleEvidence(strings.NewReader(out))
	if code != ExitOK || err != nil {
		t.Fatalf("report cycle of the dry run: exit %d, %v\n%s", code, err, errOut)
	}
	if dry.State != domain.CyclePlanned || dry.Approval.Mode != report.ApprovalPending || len(dry.Waves) != 0 || dry.Verify != nil ||
		dry.Plan.Entries[0].HistoryRisk != pe.HistoryRisk || dry.Plan.Entries[0].History == nil || dry.Plan.HistoryFrom == nil {
		t.Errorf("dry run's pack: %s, approval %+v, %d waves, verify %+v, plan %+v", dry.State, dry.Approval, len(dry.Waves), dry.Verify, dry.Plan)
	}
	_, out, _ = runOnServer(t, "cycle", "start", "-p", later, "--dry-run")
	if !strings.Contains(out, "HISTORY") || !regexp.MustCompile(`demo-app\s+1\.0\.1 .* \d+ \(\d+/\d+ failed\)`).MatchString(out) {
		t.Errorf("the dry run's plan table shows no history risk:\n%s", out)
	}
}

func hostsText(hosts []report.CycleHost) string {
	var b strings.Builder
	for _, h := range hosts {
		b.WriteString(h.Host + " " + h.Stage + " " + string(h.Result) + " " + h.Reason + "\n")
	}
	return b.String()
}
