package workflows

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
)

var mockAny = mock.Anything

func waveEnv(t *testing.T, f *fakeFleet) (*testsuite.TestWorkflowEnvironment, *childRecorder) {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(testLogger(t))
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(Wave)
	env.RegisterWorkflow(HostPatch)
	f.register(env)
	r := &childRecorder{}
	r.attach(env)
	env.SetStartWorkflowOptions(startOptions("cycle/web/t/wave/1"))
	return env, r
}

func waveInput(hosts ...string) WaveInput {
	in := WaveInput{CycleID: "cycle/web/t", Policy: "web", Wave: 1, Inventory: "inv.yaml", MaxParallel: 3, BudgetLeft: 10,
		Steps: domain.HostSteps{DecisionTimeout: time.Minute}}
	for _, h := range hosts {
		in.Targets = append(in.Targets, HostTarget{Host: h, Pins: []domain.Pin{{Name: "demo-app", Version: "1.0.1"}}})
	}
	return in
}

func TestWaveSlidingWindowNeverExceedsMaxParallel(t *testing.T) {
	hosts := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	f := newFakeFleet(hosts...)
	env, kids := waveEnv(t, f)
	// Hosts take different times, so the window refills out of order.
	for i, h := range hosts {
		d := time.Duration(1+i%3) * time.Minute
		env.OnActivity(ActApplyPins, mockAny, mock.MatchedBy(func(in HostInput) bool { return in.Host == h })).After(d).Return(f.ApplyPins)
	}
	before, err := f.host("h")
	if err != nil {
		t.Fatal(err)
	}
	wantSnap := domain.Pin{Name: "demo-app", Version: before.installed["demo-app"]}
	env.ExecuteWorkflow(Wave, waveInput(hosts...))
	var res WaveResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if kids.maxRunning != 3 {
		t.Errorf("at most %d hosts at once, want exactly max_parallel 3", kids.maxRunning)
	}
	var counts Counts
	for _, o := range res.Outcomes {
		counts.Add(o.State)
	}
	if len(res.Outcomes) != len(hosts) || counts.Patched != len(hosts) {
		t.Errorf("outcomes %+v", res.Outcomes)
	}
	// Eight hosts with the same installed versions share the one pin of
	// their snapshots.
	last := res.Outcomes[7]
	if len(res.SnapshotPins) != 1 || last.Snapshot != nil || last.SnapshotSet == nil || len(res.Snapshots) != 0 {
		t.Fatalf("snapshot pins %v, last host's snapshot %v set %v: want one shared pin, referenced", res.SnapshotPins, last.Snapshot, last.SnapshotSet)
	}
	if got := pinsAt(res.SnapshotPins, last.SnapshotSet); len(got) != 1 || got[0] != wantSnap {
		t.Errorf("last host's snapshot resolves to %v, want [%v]", got, wantSnap)
	}
}

func TestWaveContinuesAsNewCarryingProgress(t *testing.T) {
	hosts := []string{"a", "b", "c", "d", "e"}
	f := newFakeFleet(hosts...)
	f.badPins["b:demo-app=1.0.1"] = true
	env, _ := waveEnv(t, f)
	in := waveInput(hosts...)
	in.MaxParallel, in.HostsPerRun = 2, 2
	env.ExecuteWorkflow(Wave, in)
	err := env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) {
		t.Fatalf("first run ended with %v, want continue-as-new after 2 hosts", err)
	}
	var next WaveInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	p := next.Progress
	if p.Next != 0 || len(next.Targets) != 3 || next.Targets[0].Host != "c" || len(p.Outcomes) != 2 || len(p.Failed) != 1 || p.Failed[0] != "b" || p.Runs != 1 {
		t.Fatalf("carried progress %+v with %d targets, want the 3 hosts not started, 2 outcomes, b failed, 1 run", p, len(next.Targets))
	}

	// The following runs finish the wave without repeating a host.
	for run := 2; ; run++ {
		env, _ = waveEnv(t, f)
		env.ExecuteWorkflow(Wave, next)
		if err := env.GetWorkflowError(); errors.As(err, &can) {
			if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
				t.Fatal(err)
			}
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		var res WaveResult
		if err := env.GetWorkflowResult(&res); err != nil {
			t.Fatal(err)
		}
		if res.Runs != 3 || len(res.Outcomes) != 5 || res.Failures != 1 {
			t.Errorf("final: runs %d outcomes %d failures %d, want 3 runs, 5 outcomes, 1 failure", res.Runs, len(res.Outcomes), res.Failures)
		}
		break
	}
	for _, h := range hosts {
		if f.applyCalls[h] != 1 {
			t.Errorf("host %s applied %d times across runs, want once", h, f.applyCalls[h])
		}
	}
}

func TestWaveBudgetStopsNewHosts(t *testing.T) {
	hosts := []string{"a", "b", "c", "d"}
	f := newFakeFleet(hosts...)
	f.badPins["a:demo-app=1.0.1"] = true
	env, _ := waveEnv(t, f)
	in := waveInput(hosts...)
	in.MaxParallel, in.BudgetLeft = 1, 0
	in.Steps.DecisionTimeout = time.Hour
	env.ExecuteWorkflow(Wave, in)
	var res WaveResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if !res.Breached || len(res.Outcomes) != 1 || f.applyCalls["b"] != 0 {
		t.Errorf("breached %v, outcomes %d, b applied %d: the first failure must stop the wave", res.Breached, len(res.Outcomes), f.applyCalls["b"])
	}
}

func TestWaveBusyHostSkippedWithHolder(t *testing.T) {
	// The same host twice in one window: the second start finds the host's
	// workflow ID held, as a second cycle would.
	f := newFakeFleet("a")
	env, _ := waveEnv(t, f)
	env.OnActivity(ActApplyPins, mockAny, mockAny).After(10 * time.Minute).Return(f.ApplyPins)
	in := waveInput("a", "a")
	in.MaxParallel = 2
	in.BusyTimeout = 2 * time.Minute
	env.ExecuteWorkflow(Wave, in)
	var res WaveResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if len(res.Outcomes) != 2 {
		t.Fatalf("outcomes %+v", res.Outcomes)
	}
	busy, done := res.Outcomes[0], res.Outcomes[1]
	if busy.State != domain.HostSkipped || !strings.Contains(busy.Reason, "busy: patched by cycle/other/") {
		t.Errorf("busy host: %s %q", busy.State, busy.Reason)
	}
	if done.State != domain.HostPatched || f.applyCalls["a"] != 1 {
		t.Errorf("holder: %s, applied %d times, want patched once", done.State, f.applyCalls["a"])
	}
}
