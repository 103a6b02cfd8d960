package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/internal/schematest"
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
// then finished: its status, every host, its hosts by state, its result
// and the cycle list.
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
	c.server(t, "cycle-status", ExitOK, "cycle", "status", id)
	for _, verb := range []string{"pause", "approve", "resume"} {
		c.server(t, "cycle-control", ExitOK, "cycle", verb, id)
	}
	st := awaitStatus(t, id, "the end of the cycle", func(st workflows.CycleStatus) bool { return st.State.Final() })
	if st.Counts.Total != 40 || st.Counts.Patched != 38 {
		t.Errorf("cycle ended %s with %+v; want 38 of 40 hosts patched", st.State, st.Counts)
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

// jsonCycleOutcomes: a cycle waited for whose failing hosts are rolled
// back and then abort it for want of an operator (exit 3), its failed
// hosts, a dry run, and a dry run whose rules keep every update out.
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
	c.server(t, "cycle-hosts", ExitOK, "cycle", "status", res.CycleID, "--hosts", "--state", "failed")
	c.server(t, "cycle-status", ExitOK, "cycle", "status", res.CycleID)
	dry := writeFleetPolicy(t, "js-dry", jsonFleet("js-dry", 60), "")
	c.server(t, "cycle-result", ExitOK, "cycle", "start", "-p", dry, "--dry-run")
	none := writeFleetPolicy(t, "js-none", jsonFleet("js-none", 3), "patches: {reject: [demo-app]}\n")
	out := c.server(t, "cycle-result", ExitOK, "cycle", "start", "-p", none, "--dry-run")
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Plan.Left) != 1 || !strings.Contains(out, `"entries": []`) {
		t.Errorf("a plan of nothing has entries [] and demo-app left out (%v):\n%.2000s", err, out)
	}
	c.server(t, "cycle-status", ExitOK, "cycle", "status", res.CycleID)
}

// jsonCyclePlan makes a reviewed plan, checks the plan file too, and
// starts the cycle that applies it.
func jsonCyclePlan(t *testing.T, c *jsonChecker) {
	temporalServer(t)
	policy := writeFleetPolicy(t, "js-plan", jsonFleet("js-plan", 12), "rollout:\n  waves: [{name: canary, count: 2}, {name: rest, percent: 100, max_parallel: 4}]\n")
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
	id := c.server(t, "cycle-start", ExitOK, "cycle", "start", "-p", policy, "--plan", plan)
	var started struct {
		CycleID string `json:"cycle_id"`
	}
	if err := json.Unmarshal([]byte(id), &started); err != nil {
		t.Fatal(err)
	}
	st := awaitStatus(t, started.CycleID, "the end of the plan's cycle", func(st workflows.CycleStatus) bool { return st.State.Final() })
	c.server(t, "cycle-result", exitOf(st), "cycle", "status", started.CycleID, "--watch")
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
// by its cycle; the cycle's status while they wait.
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
	c.server(t, "host-decision", ExitOK, "host", "rollback", "js-decide-d-bad")
	awaitStatus(t, id, "the end of the cycle", func(st workflows.CycleStatus) bool { return st.State.Final() })
}
