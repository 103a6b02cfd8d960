package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/internal/schematest"
	"github.com/patchflow/patchflow/report"
	"github.com/patchflow/patchflow/workflows"
)

// The cycle cases of jsonCases: cycles of the fake fleet (fakefleet_test.go)
// on the package's test server, driven by the real commands.

// jsonFleet names n hosts of a case; the fake fleet fails the install of
// hosts named with "bad".
func jsonFleet(prefix string, n int, bad ...string) []string {
	hosts := make([]string, 0, n+len(bad))
	for i := 1; i <= n; i++ {
		hosts = append(hosts, fmt.Sprintf("%s-%02d", prefix, i))
	}
	for _, b := range bad {
		hosts = append(hosts, prefix+"-"+b)
	}
	return hosts
}

// jsonCycleGate: a manual cycle of 40 hosts (two whose install fails),
// with webhooks to two real local receivers (one answers 410), started
// without waiting, seen at its approval gate, paused, approved, resumed,
// then finished: its status, every host, its hosts by state, its result,
// the cycle list and its evidence pack.
func jsonCycleGate(t *testing.T, c *jsonChecker) {
	temporalServer(t)
	var received atomic.Int64
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		received.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer ok.Close()
	gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusGone) }))
	defer gone.Close()
	policy := writeFleetPolicy(t, "js-gate", jsonFleet("js-gate", 38, "bad1", "bad2"), `approval: {mode: manual, timeout: 1h}
rollout:
  waves: [{name: canary, count: 1}, {name: half, percent: 50, max_parallel: 5}, {name: rest, percent: 100, max_parallel: 10}]
  failure_budget: {count: 5}
rollback: {decision_timeout: 1s, on_decision_timeout: skip}
notifications:
  webhooks: [{url: "`+ok.URL+`/hook"}, {url: "`+gone.URL+`/hook", events: [cycle.*]}]
`)
	var started struct {
		CycleID string `json:"cycle_id"`
	}
	if err := json.Unmarshal([]byte(c.server(t, "cycle-start", ExitOK, "cycle", "start", "-p", policy)), &started); err != nil {
		t.Fatal(err)
	}
	id := started.CycleID
	awaitState(t, id, domain.CycleAwaitingApproval)
	var gate workflows.CycleStatus
	if err := json.Unmarshal([]byte(c.server(t, "cycle-status", ExitOK, "cycle", "status", id)), &gate); err != nil {
		t.Fatal(err)
	}
	if a := gate.Approval; a == nil || a.Mode != workflows.ApprovalPending || a.Required != "the policy approves by manual" ||
		a.RequestedAt.Before(gate.PlannedAt) || gate.PlannedAt.IsZero() || !a.At.IsZero() {
		t.Errorf("at the gate: approval %+v, planned at %s; want it pending since the plan was made", a, gate.PlannedAt)
	}
	for _, verb := range []string{"pause", "approve", "resume"} {
		c.server(t, "cycle-control", ExitOK, "cycle", verb, id)
	}
	// A finished cycle still delivers its last events (cycle.finished)
	// before it closes: the counts are final once none is queued.
	st := awaitStatus(t, id, "the end of the cycle and its last webhook deliveries", func(st workflows.CycleStatus) bool {
		return st.State.Final() && st.Notifications != nil && st.Notifications.Queued == 0
	})
	if st.Counts.Total != 40 || st.Counts.Patched != 38 {
		t.Errorf("cycle ended %s with %+v; want 38 of 40 hosts patched", st.State, st.Counts)
	}
	if a := st.Approval; a == nil || a.Mode != workflows.ApprovedByOperator || a.Via != "update" || a.UpdateID == "" || a.At.Before(a.RequestedAt) {
		t.Errorf("approval %+v; want patchflow cycle approve's update, after the gate asked", a)
	}
	if h := st.History; h == nil || h.Error != "" || h.Since.IsZero() {
		t.Errorf("history %+v; want the earlier cycles read", h)
	}
	if n := st.Notifications; n == nil || n.Sent == 0 || int64(n.Sent) != received.Load() || n.Failed == 0 || n.LastError == "" {
		t.Errorf("notifications %+v, %d received; want every event sent counted, and the receiver that answers 410 failed", n, received.Load())
	}
	c.server(t, "cycle-status", ExitOK, "cycle", "status", id)
	c.server(t, "cycle-hosts", ExitOK, "cycle", "status", id, "--hosts")
	c.server(t, "cycle-hosts", ExitOK, "cycle", "status", id, "--hosts", "--state", "skipped,rolled_back,failed")
	c.server(t, "cycle-result", exitOf(st), "cycle", "status", id, "--watch")
	awaitList(t, "js-gate", id)
	c.server(t, "cycle-list", ExitOK, "cycle", "list", "--policy", "js-gate")
	if out := c.server(t, "cycle-list", ExitOK, "cycle", "list", "--policy", "js-no-such-policy"); !strings.Contains(out, `"cycles": []`) {
		t.Errorf("no cycle lists as []:\n%s", out)
	}
	e := c.evidence(t, runOnServer, id)
	if a := e.Approval; a.Mode != report.ApprovalOperator || a.Via != "update" || a.By == "" || a.Required != "the policy approves by manual" {
		t.Errorf("the evidence pack's approval %+v; want the operator who sent approve", a)
	}
	if len(e.Hosts) != 40 || len(e.Waves) != 3 || e.Verify == nil || e.Verify.Hosts != 38 {
		t.Errorf("the evidence pack has %d hosts, %d waves, final verify %+v; want 40 hosts, 3 waves, the 38 patched verified", len(e.Hosts), len(e.Waves), e.Verify)
	}
}

// evidence runs `report cycle ID --json` through runner, checks it
// against the evidence pack's schema and reads it back as the report
// package reads a file.
func (c *jsonChecker) evidence(t *testing.T, runner func(*testing.T, ...string) (int, string, string), id string) *report.CycleEvidence {
	t.Helper()
	out := c.checkWith(t, runner, "report/cycle-evidence", ExitOK, "report", "cycle", id)
	e, err := report.ReadCycleEvidence(strings.NewReader(out))
	if err != nil {
		t.Fatalf("report cycle --json does not read back: %v\n%.2000s", err, out)
	}
	return e
}

// exitOf is the exit code a finished cycle's watch gives.
func exitOf(st workflows.CycleStatus) int {
	return ExitCode(cycleExit(workflows.CycleResult{CycleStatus: st}))
}

// jsonCycleAbort aborts a cycle at its approval gate.
func jsonCycleAbort(t *testing.T, c *jsonChecker) {
	temporalServer(t)
	policy := writeFleetPolicy(t, "js-abort", jsonFleet("js-abort", 5), "approval: {mode: manual, timeout: 1h}\n")
	id := startOnServer(t, policy)
	awaitState(t, id, domain.CycleAwaitingApproval)
	c.server(t, "cycle-control", ExitOK, "cycle", "abort", id, "--rollback")
	awaitState(t, id, domain.CycleAborted)
}

// jsonCycleOutcomes: a cycle waited for whose failing hosts abort it for
// want of an operator (exit 3), its failed hosts and its evidence pack; a
// dry run whose plan has learnt from those failures (history risk), and
// its evidence pack; and a dry run whose rules keep every update out.
func jsonCycleOutcomes(t *testing.T, c *jsonChecker) {
	temporalServer(t)
	failing := writeFleetPolicy(t, "js-fail", jsonFleet("js-fail", 30, "bad1", "bad2", "bad3"), `rollout:
  waves: [{name: canary, count: 2}, {name: rest, percent: 100, max_parallel: 8}]
  failure_budget: {count: 5}
rollback: {decision_timeout: 1s, on_decision_timeout: abort}
`)
	var res workflows.CycleResult
	if err := json.Unmarshal([]byte(c.server(t, "cycle-result", ExitHostsFailed, "cycle", "start", "-p", failing, "--wait")), &res); err != nil {
		t.Fatal(err)
	}
	if res.State != domain.CycleAborted || res.Counts.Failed != 3 {
		t.Errorf("the failing cycle ended %s with %+v; want aborted with the 3 bad hosts failed", res.State, res.Counts)
	}
	if a := res.Approval; a == nil || a.Mode != workflows.ApprovedAuto || a.At.IsZero() || res.PlannedAt.IsZero() {
		t.Errorf("approval %+v, planned at %s; want the policy's automatic approval", a, res.PlannedAt)
	}
	c.server(t, "cycle-hosts", ExitOK, "cycle", "status", res.CycleID, "--hosts", "--state", "failed")
	c.server(t, "cycle-status", ExitOK, "cycle", "status", res.CycleID)
	if e := c.evidence(t, runOnServer, res.CycleID); e.State != domain.CycleAborted || e.Approval.Mode != report.ApprovalAuto || len(e.Hosts) != 33 {
		t.Errorf("the failing cycle's evidence pack: %s, approval %+v, %d hosts; want aborted, approved by the policy, 33 hosts", e.State, e.Approval, len(e.Hosts))
	}

	dry := writeFleetPolicy(t, "js-dry", jsonFleet("js-dry", 60), "")
	var planned workflows.CycleResult
	if err := json.Unmarshal([]byte(c.server(t, "cycle-result", ExitOK, "cycle", "start", "-p", dry, "--dry-run")), &planned); err != nil {
		t.Fatal(err)
	}
	if len(planned.Plan.Entries) != 1 || planned.Approval != nil || planned.History == nil || planned.History.Cycles == 0 {
		t.Fatalf("the dry run: plan %+v, approval %+v, history %+v; want demo-app planned from the earlier cycles' history, no approval", planned.Plan, planned.Approval, planned.History)
	}
	if pe := planned.Plan.Entries[0]; pe.HistoryRisk == 0 || pe.History == nil || pe.History.Failed < 3 || len(pe.History.Paths) == 0 {
		t.Errorf("demo-app %s after js-fail's 3 failed hosts: history risk %d, history %+v", pe.Version, pe.HistoryRisk, pe.History)
	}
	if e := c.evidence(t, runOnServer, planned.CycleID); e.State != domain.CyclePlanned || e.Approval.Mode != report.ApprovalPending ||
		len(e.Plan.Entries) != 1 || e.Plan.Entries[0].HistoryRisk != planned.Plan.Entries[0].HistoryRisk || e.Plan.HistoryFrom == nil {
		t.Errorf("the dry run's evidence pack: %s, approval %+v, plan %+v; want planned, never approved, demo-app's history risk", e.State, e.Approval, e.Plan)
	}
	none := writeFleetPolicy(t, "js-none", jsonFleet("js-none", 3), "patches: {reject: [demo-app]}\n")
	out := c.server(t, "cycle-result", ExitOK, "cycle", "start", "-p", none, "--dry-run")
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Plan.Left) != 1 || !strings.Contains(out, `"entries": []`) {
		t.Errorf("a plan of nothing has entries [] and demo-app left out (%v):\n%.2000s", err, out)
	}
	c.server(t, "cycle-status", ExitOK, "cycle", "status", res.CycleID)
}

// jsonCyclePlan makes a reviewed plan, checks the plan file too, and
// starts the cycle that applies it; the policy approves by plan, so the
// cycle waits at its gate until an approve names the plan, and its
// evidence pack says which plan approved it.
func jsonCyclePlan(t *testing.T, c *jsonChecker) {
	temporalServer(t)
	policy := writeFleetPolicy(t, "js-plan", jsonFleet("js-plan", 12), `approval: {mode: plan, timeout: 1h}
rollout:
  waves: [{name: canary, count: 2}, {name: rest, percent: 100, max_parallel: 4}]
`)
	plan := filepath.Join(t.TempDir(), "plan.json")
	out := c.server(t, "cycle-result", ExitOK, "cycle", "plan", "-p", policy, "-o", plan)
	if !strings.Contains(out, `"reviewed_plan"`) {
		t.Fatalf("cycle plan --json has no reviewed_plan:\n%.2000s", out)
	}
	raw, err := os.ReadFile(plan)
	if err != nil {
		t.Fatal(err)
	}
	schematest.Validate(t, "plan/v1/plan.schema.json", raw)
	var file struct {
		SHA256 string `json:"sha256"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	id := c.server(t, "cycle-start", ExitOK, "cycle", "start", "-p", policy, "--plan", plan)
	var started struct {
		CycleID string `json:"cycle_id"`
	}
	if err := json.Unmarshal([]byte(id), &started); err != nil {
		t.Fatal(err)
	}
	awaitState(t, started.CycleID, domain.CycleAwaitingApproval)
	var gate workflows.CycleStatus
	if err := json.Unmarshal([]byte(c.server(t, "cycle-status", ExitOK, "cycle", "status", started.CycleID)), &gate); err != nil {
		t.Fatal(err)
	}
	if gate.PlanSHA256 != file.SHA256 || gate.Approval == nil || gate.Approval.Mode != workflows.ApprovalPending || gate.History != nil {
		t.Errorf("at the gate: plan %s, approval %+v, history %+v; want plan %s awaiting approval, its reviewed risks kept", gate.PlanSHA256, gate.Approval, gate.History, file.SHA256)
	}
	c.server(t, "cycle-control", ExitOK, "cycle", "approve", started.CycleID, "--plan", plan)
	st := awaitStatus(t, started.CycleID, "the end of the plan's cycle", func(st workflows.CycleStatus) bool { return st.State.Final() })
	if a := st.Approval; a == nil || a.Mode != workflows.ApprovedByPlan || a.PlanSHA256 != file.SHA256 || a.Via != "update" {
		t.Errorf("approval %+v; want the approve that named plan %s", a, file.SHA256)
	}
	c.server(t, "cycle-result", exitOf(st), "cycle", "status", started.CycleID, "--watch")
	if e := c.evidence(t, runOnServer, started.CycleID); e.Approval.Mode != report.ApprovalPlan || e.Approval.PlanSHA256 != file.SHA256 {
		t.Errorf("the evidence pack's approval %+v; want by plan %s", e.Approval, file.SHA256)
	}
}

// jsonCycleWindow: a cycle outside its window parks; its status shows the
// window; extend-window lets it go on, and its status says until when.
func jsonCycleWindow(t *testing.T, c *jsonChecker) {
	temporalServer(t)
	policy := writeFleetPolicy(t, "js-window", jsonFleet("js-window", 4), `window: {cron: "0 0 1 1 *", duration: 1h, timezone: Europe/Berlin}
host: {timeouts: {precheck: 5m, apply: 10m, reboot: 10m, verify: 5m, hook: 5m}}
`)
	id := startOnServer(t, policy)
	awaitState(t, id, domain.CycleParked)
	c.server(t, "cycle-status", ExitOK, "cycle", "status", id)
	c.server(t, "cycle-control", ExitOK, "cycle", "extend-window", id, "--duration", "2h")
	awaitState(t, id, domain.CycleCompleted)
	if out := c.server(t, "cycle-status", ExitOK, "cycle", "status", id); !strings.Contains(out, `"extended_until"`) {
		t.Errorf("the status of a cycle whose window was extended says until when:\n%.3000s", out)
	}
}

// jsonHostDecisions: hosts waiting for an operator are retried, skipped
// and rolled back, and a patched host of the running cycle is rolled back
// by its cycle; the cycle's status while they wait, and its evidence pack
// with the rollbacks.
func jsonHostDecisions(t *testing.T, c *jsonChecker) {
	temporalServer(t)
	policy := writeFleetPolicy(t, "js-decide", []string{"js-decide-a-ok", "js-decide-b-flaky", "js-decide-c-bad", "js-decide-d-bad"}, `rollout:
  waves: [{name: canary, count: 1}, {name: rest, percent: 100, max_parallel: 3}]
  failure_budget: {count: 10}
rollback: {decision_timeout: 1h}
`)
	id := startOnServer(t, policy)
	for _, h := range []string{"js-decide-b-flaky", "js-decide-c-bad", "js-decide-d-bad"} {
		awaitHostDecision(t, h)
	}
	c.server(t, "cycle-status", ExitOK, "cycle", "status", id)
	c.server(t, "host-decision", ExitOK, "host", "retry", "js-decide-b-flaky")
	c.server(t, "host-decision", ExitOK, "host", "skip", "js-decide-c-bad")
	if out := c.server(t, "host-decision", ExitOK, "host", "rollback", "js-decide-a-ok"); !strings.Contains(out, "rollback requested from "+id) {
		t.Errorf("host rollback of a patched host:\n%s", out)
	}
	// The last decision ends the wave and starts the final verify, which
	// must not meet a-ok halfway through its rollback.
	awaitStatus(t, id, "the rollback of js-decide-a-ok", func(st workflows.CycleStatus) bool {
		return hostState(st, "js-decide-a-ok") == domain.HostRolledBack
	})
	c.server(t, "host-decision", ExitOK, "host", "rollback", "js-decide-d-bad")
	awaitStatus(t, id, "the end of the cycle", func(st workflows.CycleStatus) bool { return st.State.Final() })
	// The failed installs of b-flaky, c-bad and d-bad were rolled back at
	// once (the policy's rollback.on_host_failure, on by default; b-flaky
	// was then retried and patched), a-ok by its cycle.
	e := c.evidence(t, runOnServer, id)
	var rolled []string
	for _, r := range e.Rollbacks {
		rolled = append(rolled, r.Host)
		if r.Result != report.HostRolledBack || r.At.IsZero() {
			t.Errorf("the evidence pack's rollback of %s: %s at %s; want rolled back, and when", r.Host, r.Result, r.At)
		}
	}
	slices.Sort(rolled)
	if !slices.Equal(rolled, []string{"js-decide-a-ok", "js-decide-b-flaky", "js-decide-c-bad", "js-decide-d-bad"}) {
		t.Errorf("the evidence pack's rollbacks are of %v; want a-ok, b-flaky (before its retry), c-bad and d-bad", rolled)
	}
}
