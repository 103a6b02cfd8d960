package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/workflows"
)

// The cycle verbs against a real Temporal server (in process) running the
// real workflows on the fake fleet: no root, no hosts. The real-fleet
// end-to-end tests (cycle_e2e_test.go) run the same verbs on real hosts.

// TestCycleStartWaitPatchesEveryHost: start --wait shows the cycle to its
// end and exits 0; status, status --hosts and list find it afterwards.
func TestCycleStartWaitPatchesEveryHost(t *testing.T) {
	_, fleet := temporalServer(t)
	hosts := []string{"wait-1", "wait-2", "wait-3"}
	policy := writeFleetPolicy(t, "wait", hosts, "rollout:\n  waves: [{name: canary, count: 1}, {name: rest, percent: 100, max_parallel: 2}]\n")
	code, out, errOut := runOnServer(t, "cycle", "start", "-p", policy, "--wait")
	if code != ExitOK || !strings.Contains(errOut, "started cycle cycle/wait/") || !strings.Contains(out, "completed") {
		t.Fatalf("cycle start --wait: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, h := range hosts {
		if v := fleet.version(h); v != "1.0.1" {
			t.Errorf("%s has demo-app %s after the cycle, want 1.0.1", h, v)
		}
	}
	id := strings.Fields(errOut[strings.Index(errOut, "started cycle ")+len("started cycle "):])[0]
	st := statusOnServer(t, id)
	if st.State != domain.CycleCompleted || st.Counts.Patched != 3 || len(st.Stages) != 2 {
		t.Errorf("status: %s, counts %+v, %d stages; want completed, 3 patched in 2 waves", st.State, st.Counts, len(st.Stages))
	}
	code, out, _ = runOnServer(t, "cycle", "status", id, "--hosts", "--json")
	var page workflows.HostsPage
	if code != ExitOK || json.Unmarshal([]byte(out), &page) != nil || page.Total != 3 {
		t.Errorf("status --hosts --json: exit %d: %s", code, out)
	}
	awaitList(t, "wait", id)
}

// awaitList polls `cycle list --policy` until it lists the cycle
// (visibility is updated asynchronously).
func awaitList(t *testing.T, policy, id string) {
	t.Helper()
	for range 100 {
		code, out, _ := runOnServer(t, "cycle", "list", "--policy", policy, "--json")
		var l struct {
			Cycles []CycleListEntry `json:"cycles"`
		}
		if code == ExitOK && json.Unmarshal([]byte(out), &l) == nil && len(l.Cycles) > 0 && l.Cycles[0].CycleID == id {
			return
		}
		waitABit()
	}
	t.Errorf("cycle list --policy %s never listed %s", policy, id)
}

// TestCycleDryRunAndStart: --dry-run plans without changing a host and
// prints the plan as JSON; a plain start answers with the cycle's ID and
// how to watch it.
func TestCycleDryRunAndStart(t *testing.T) {
	_, fleet := temporalServer(t)
	policy := writeFleetPolicy(t, "dry", []string{"dry-1", "dry-2"}, "")
	code, out, errOut := runOnServer(t, "cycle", "start", "-p", policy, "--dry-run", "--json")
	var res workflows.CycleResult
	if code != ExitOK || json.Unmarshal([]byte(out), &res) != nil {
		t.Fatalf("--dry-run --json: exit %d\n%s%s", code, out, errOut)
	}
	if res.State != domain.CyclePlanned || len(res.Plan.Entries) != 1 || res.Plan.Entries[0].Name != "demo-app" || res.Plan.Entries[0].Version != "1.0.1" {
		t.Errorf("dry run: %s, plan %+v; want planned, demo-app 1.0.1", res.State, res.Plan)
	}
	if fleet.version("dry-1") != "1.0.0" {
		t.Error("a dry run changed a host")
	}
	code, out, errOut = runOnServer(t, "cycle", "start", "-p", policy)
	if code != ExitOK || !strings.HasPrefix(out, "started cycle cycle/dry/") || !strings.Contains(out, "watch it: patchflow cycle status cycle/dry/") {
		t.Fatalf("cycle start: exit %d\n%s%s", code, out, errOut)
	}
	id := strings.Fields(out)[2]
	code, out, _ = runOnServer(t, "cycle", "status", id, "--watch")
	if code != ExitOK || !strings.Contains(out, "completed") || fleet.version("dry-2") != "1.0.1" {
		t.Errorf("status --watch: exit %d\n%s", code, out)
	}
}

// TestCycleApprovePauseResume: a manual cycle waits for approve; paused,
// it starts no host even when approved; resumed, it patches every host.
func TestCycleApprovePauseResume(t *testing.T) {
	_, fleet := temporalServer(t)
	policy := writeFleetPolicy(t, "gate", []string{"gate-1", "gate-2"}, "approval: {mode: manual, timeout: 1h}\n")
	id := startOnServer(t, policy)
	awaitState(t, id, domain.CycleAwaitingApproval)
	for _, step := range []struct {
		verb, want string
	}{
		{"pause", "pause accepted; cycle is awaiting_approval, paused"},
		{"approve", "approve accepted"},
	} {
		if code, out, errOut := runOnServer(t, "cycle", step.verb, id); code != ExitOK || !strings.Contains(out, step.want) {
			t.Fatalf("cycle %s: exit %d\n%s%s", step.verb, code, out, errOut)
		}
	}
	st := awaitStatus(t, id, "the approved cycle waiting paused", func(st workflows.CycleStatus) bool { return st.Paused && !st.AwaitingApproval })
	if st.Counts.Patched != 0 || fleet.version("gate-1") != "1.0.0" {
		t.Fatalf("a paused cycle patched hosts: %+v", st.Counts)
	}
	if code, _, errOut := runOnServer(t, "cycle", "approve", id); code != ExitFailure || !strings.Contains(errOut, "not waiting for approval") {
		t.Errorf("second approve: exit %d, %q; want the validator's refusal", code, errOut)
	}
	if code, out, errOut := runOnServer(t, "cycle", "resume", id, "--json"); code != ExitOK || !strings.Contains(out, `"paused": false`) {
		t.Fatalf("cycle resume --json: exit %d\n%s%s", code, out, errOut)
	}
	if st := awaitState(t, id, domain.CycleCompleted); st.Counts.Patched != 2 {
		t.Errorf("after resume: %+v, want both hosts patched", st.Counts)
	}
}

// TestCycleAbort: abort --rollback ends a cycle waiting for approval with no
// host changed; a second abort is refused.
func TestCycleAbort(t *testing.T) {
	_, fleet := temporalServer(t)
	policy := writeFleetPolicy(t, "abort", []string{"abort-1"}, "approval: {mode: manual, timeout: 1h}\n")
	id := startOnServer(t, policy)
	awaitState(t, id, domain.CycleAwaitingApproval)
	if code, out, errOut := runOnServer(t, "cycle", "abort", id, "--rollback"); code != ExitOK || !strings.Contains(out, "abort accepted") {
		t.Fatalf("cycle abort: exit %d\n%s%s", code, out, errOut)
	}
	st := awaitState(t, id, domain.CycleAborted)
	if !strings.Contains(st.Reason, "aborted by operator before approval") || fleet.version("abort-1") != "1.0.0" {
		t.Errorf("aborted cycle: %q, host at %s", st.Reason, fleet.version("abort-1"))
	}
	if code, _, errOut := runOnServer(t, "cycle", "abort", id); code != ExitFailure || !strings.Contains(errOut, "abort "+id) {
		t.Errorf("abort of a finished cycle: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runOnServer(t, "cycle", "status", "cycle/abort/1999-01-01T00:00:00Z"); code != ExitFailure || !strings.Contains(errOut, "cycle/abort/1999-01-01T00:00:00Z") {
		t.Errorf("status of an unknown cycle: exit %d, %q", code, errOut)
	}
}

// TestCycleFailedHostExitsThree: a host whose install fails and whose
// decision times out into abort gives exit code 3 and says why.
func TestCycleFailedHostExitsThree(t *testing.T) {
	temporalServer(t)
	policy := writeFleetPolicy(t, "failing", []string{"failing-bad1"}, "rollback: {decision_timeout: 1s, on_decision_timeout: abort}\n")
	code, out, errOut := runOnServer(t, "cycle", "start", "-p", policy, "--wait")
	if code != ExitHostsFailed || !strings.Contains(out, "failing-bad1") || !strings.Contains(out, "postinst failed") {
		t.Errorf("cycle start --wait with a failing host: exit %d, want 3\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// TestCycleOfAnUnreachableFleetExitsThree: a cycle that can reach no host
// is not "nothing to patch" (exit 0, as a scheduled job would record it):
// every host is failed at the scan with the reason, and the exit code is 3.
func TestCycleOfAnUnreachableFleetExitsThree(t *testing.T) {
	temporalServer(t)
	policy := writeFleetPolicy(t, "gone", []string{"gone-1", "gone-2"}, "")
	code, out, errOut := runOnServer(t, "cycle", "start", "-p", policy, "--wait")
	if code != ExitHostsFailed || !strings.Contains(out, "completed_with_failures") || !strings.Contains(out, "2 could not be scanned") || strings.Contains(out, ": nothing to patch\n") {
		t.Errorf("cycle start --wait on an unreachable fleet: exit %d, want 3\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, h := range []string{"gone-1", "gone-2"} {
		if !strings.Contains(out, h) || !strings.Contains(out, "no route to host") {
			t.Errorf("summary does not name %s and why it failed:\n%s", h, out)
		}
	}
	if strings.Contains(out, "staging") {
		t.Errorf("unscanned hosts listed under staging in a policy without staging:\n%s", out)
	}
}

// TestCycleExtendWindow: a cycle outside its window parks before changing a
// host; extend-window opens the window and the cycle goes on.
func TestCycleExtendWindow(t *testing.T) {
	_, fleet := temporalServer(t)
	// New Year's first hour, UTC: closed unless the test runs then.
	policy := writeFleetPolicy(t, "parked", []string{"parked-1"}, `window: {cron: "0 0 1 1 *", duration: 1h, timezone: UTC}
host: {timeouts: {precheck: 5m, apply: 10m, reboot: 10m, verify: 5m, hook: 5m}}
`)
	code, out, errOut := runOnServer(t, "cycle", "start", "-p", policy)
	if code != ExitOK || !strings.Contains(errOut, "maintenance window is closed") {
		t.Fatalf("cycle start outside the window: exit %d\n%s%s", code, out, errOut)
	}
	id := strings.Fields(out)[2]
	st := awaitState(t, id, domain.CycleParked)
	if st.Window == nil || st.Window.ParkedUntil.IsZero() || fleet.version("parked-1") != "1.0.0" {
		t.Fatalf("parked cycle: window %+v, host at %s", st.Window, fleet.version("parked-1"))
	}
	code, out, errOut = runOnServer(t, "cycle", "extend-window", id, "--duration", "2h")
	if code != ExitOK || !strings.Contains(out, "window extended by 2h0m0s") {
		t.Fatalf("extend-window: exit %d\n%s%s", code, out, errOut)
	}
	awaitState(t, id, domain.CycleCompleted)
	if fleet.version("parked-1") != "1.0.1" {
		t.Error("the host was not patched after the window was extended")
	}
}
