package workflows

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/patchflow/patchflow/domain"
)

func hostEnv(t *testing.T, f *fakeFleet) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(testLogger(t))
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(HostPatch)
	f.register(env)
	env.SetStartWorkflowOptions(startOptions(HostWorkflowID("h1")))
	return env
}

func hostInput() HostPatchInput {
	return HostPatchInput{CycleID: "cycle/web/t", Policy: "web", Wave: 1, Inventory: "inv.yaml", Host: "h1",
		Pins:  []domain.Pin{{Name: "demo-app", Version: "1.0.2"}},
		Steps: domain.HostSteps{RollbackOnFailure: true, DecisionTimeout: time.Hour}}
}

func runHost(t *testing.T, env *testsuite.TestWorkflowEnvironment, in HostPatchInput) HostPatchResult {
	t.Helper()
	env.ExecuteWorkflow(HostPatch, in)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("host workflow: %v", err)
	}
	var r HostPatchResult
	if err := env.GetWorkflowResult(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestHostFailureRollsBackAndTimesOut(t *testing.T) {
	f := newFakeFleet("h1")
	f.badPins["demo-app=1.0.2"] = true
	env := hostEnv(t, f)
	var mid HostStatus
	env.RegisterDelayedCallback(func() {
		v, _ := env.QueryWorkflow(QueryStatus)
		_ = v.Get(&mid)
	}, 10*time.Minute)
	r := runHost(t, env, hostInput())
	if !mid.AwaitingDecision || mid.State != domain.HostAwaitingDecision || !strings.Contains(mid.Reason, "postinst failed") {
		t.Errorf("while waiting: %+v, want awaiting_decision with the install error", mid)
	}
	if r.State != domain.HostFailed || !strings.Contains(r.Reason, "applying failed") || !strings.Contains(r.Reason, "rolled back to snapshot") ||
		!strings.HasSuffix(r.Reason, "no operator decision within 1h") {
		t.Errorf("result %s: %q", r.State, r.Reason)
	}
	if v := f.installed("h1", "demo-app"); v != "1.0.0" {
		t.Errorf("demo-app = %s, want snapshot 1.0.0", v)
	}
	if len(r.Snapshot) != 1 || r.Snapshot[0] != (domain.Pin{Name: "demo-app", Version: "1.0.0"}) {
		t.Errorf("snapshot %v", r.Snapshot)
	}
}

func TestHostRetryAfterFix(t *testing.T) {
	f := newFakeFleet("h1")
	f.badPins["demo-app=1.0.2"] = true
	env := hostEnv(t, f)
	var rejected error
	env.RegisterDelayedCallback(func() {
		f.mu.Lock()
		delete(f.badPins, "demo-app=1.0.2") // the operator fixed the repository
		f.mu.Unlock()
		env.UpdateWorkflow(MsgRetry, "r1", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { rejected = err }, OnAccept: func() {}, OnComplete: func(any, error) {}})
	}, 20*time.Minute)
	r := runHost(t, env, hostInput())
	if rejected != nil || r.State != domain.HostPatched || r.Attempts != 2 {
		t.Errorf("retry: rejected=%v state %s attempts %d, want patched on attempt 2", rejected, r.State, r.Attempts)
	}
	if f.installed("h1", "demo-app") != "1.0.2" {
		t.Errorf("demo-app = %s after retry", f.installed("h1", "demo-app"))
	}
}

func TestHostSkipAndEarlyDecisionRejected(t *testing.T) {
	f := newFakeFleet("h1")
	f.hosts["h1"].down = true
	env := hostEnv(t, f)
	in := hostInput()
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(MsgSkip, nil) }, 5*time.Minute)
	r := runHost(t, env, in)
	if r.State != domain.HostSkipped || !strings.Contains(r.Reason, "prechecking failed") || !strings.Contains(r.Reason, "host unchanged") {
		t.Errorf("skip: %s %q", r.State, r.Reason)
	}
	// A decision before any failure is refused with the reason.
	var early error
	env = hostEnv(t, newFakeFleet("h1"))
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(MsgRetry, "r1", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { early = err }, OnAccept: func() {}, OnComplete: func(any, error) {}})
	}, 0)
	r = runHost(t, env, in)
	if early == nil || !strings.Contains(early.Error(), "not waiting for a decision") {
		t.Errorf("early retry: %v, want refusal", early)
	}
	if r.State != domain.HostPatched {
		t.Errorf("state %s, want patched", r.State)
	}
}

func TestHostFailedRollbackNeedsRepair(t *testing.T) {
	f := newFakeFleet("h1")
	f.badPins["demo-app=1.0.2"] = true
	f.rollbackFails["h1"] = true
	env := hostEnv(t, f)
	r := runHost(t, env, hostInput())
	if r.State != domain.HostNeedsRepair || !strings.Contains(r.Reason, "rollback failed") || !strings.Contains(r.Reason, "needs manual repair") {
		t.Errorf("state %s %q, want needs_repair", r.State, r.Reason)
	}
}

func TestHostRollbackSignalDuringPatch(t *testing.T) {
	f := newFakeFleet("h1")
	env := hostEnv(t, f)
	in := hostInput()
	in.Steps.PreHooks = []domain.Hook{{Name: "drain", Command: []string{"drain"}}}
	env.OnActivity(ActRunHook, mockAny, mockAny).After(time.Minute).Return(nil)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(MsgRollback, nil) }, 30*time.Second)
	r := runHost(t, env, in)
	if r.State != domain.HostRolledBack || !strings.Contains(r.Reason, "requested by an operator") {
		t.Errorf("state %s %q, want rolled_back on operator request", r.State, r.Reason)
	}
	if f.applyCalls["h1"] != 0 || f.installed("h1", "demo-app") != "1.0.0" {
		t.Errorf("apply ran %d times; demo-app %s", f.applyCalls["h1"], f.installed("h1", "demo-app"))
	}
}

// A host that disappears during the install cannot be rolled back either:
// it ends as needs_repair with both reasons, never silently half-patched.
func TestHostDisappearsMidPatch(t *testing.T) {
	f := newFakeFleet("h1")
	env := hostEnv(t, f)
	env.OnActivity(ActApplyPins, mockAny, mockAny).Return(func(ctx context.Context, in HostInput) (ApplyResult, error) {
		f.mu.Lock()
		f.hosts["h1"].down = true
		f.hosts["h1"].installed["demo-app"] = "1.0.2" // unpacked before the link dropped
		f.mu.Unlock()
		return ApplyResult{}, errors.New("run apt-get install on h1: connection lost")
	})
	r := runHost(t, env, hostInput())
	if r.State != domain.HostNeedsRepair || !strings.Contains(r.Reason, "connection lost") ||
		!strings.Contains(r.Reason, "rollback failed") || !strings.Contains(r.Reason, "no operator decision within 1h") {
		t.Errorf("state %s %q, want needs_repair naming the lost connection and the failed rollback", r.State, r.Reason)
	}
	if len(r.Snapshot) != 1 || r.Snapshot[0].Version != "1.0.0" {
		t.Errorf("snapshot %v: the repair target must be reported", r.Snapshot)
	}
}
