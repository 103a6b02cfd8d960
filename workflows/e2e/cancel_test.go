package e2e

import (
	"context"
	"errors"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/workflows"
)

// TestCancelAndFailedWave stops cycles on the real server and fleet the
// two ways an operator can from the Temporal UI, on six Debian hosts in
// one wave of two at a time whose pre hook takes two seconds:
//
//   - Terminate of a wave workflow: the cycle asks the hosts' own
//     workflows what the wave did, so a host the wave patched is still
//     known as changed and the budget breach's rollback_all returns it to
//     its snapshot (before, every host of a failed wave was marked failed
//     and unchanged, and patched hosts kept the new version).
//   - Cancel of the cycle (RequestCancelWorkflow): a host that was touched
//     (its pre hook ran) finishes its patch, a host not yet touched or
//     started is left as it was, no host workflow is left running, and
//     the cycle ends as a canceled workflow whose details hold its summary
//     (before, the cycle's rollback server panicked and the cycle stuck).
func TestCancelAndFailedWave(t *testing.T) {
	e := newEnv(t, 6)
	hosts := hostList(e.fleet)
	spec := func(policy string) domain.CycleSpec {
		s := e.spec(policy)
		s.Staging = domain.StagingSpec{}
		s.Waves = []domain.Wave{{Name: "all", Count: len(hosts), MaxParallel: 2}}
		s.Patches = domain.PatchRules{Include: []string{"demo-app"}, Approve: []string{"demo-app=1.0.1"}}
		s.Host.PreHooks = []domain.Hook{{Name: "drain", Command: []string{"sleep", "2"}}}
		s.Checks = nil
		return s
	}

	t.Run("a terminated wave's patched hosts are rolled back", func(t *testing.T) {
		start := time.Now()
		run := e.startCycle(spec("termwave"), start)
		wave := workflows.WaveID(run.GetID(), 1)
		ws := e.waveUntil(wave, func(ws workflows.WaveStatus) bool { return ws.Counts.Patched >= 1 })
		var patched []string
		for _, o := range ws.Hosts {
			if o.State == domain.HostPatched {
				patched = append(patched, o.Host)
			}
		}
		t.Logf("terminating %s with %v patched, %v in flight", wave, patched, ws.InFlight)
		must(t, e.c.TerminateWorkflow(context.Background(), wave, "", "operator terminated the wave"))
		res := e.wait(run)
		if res.State != domain.CycleFailed {
			t.Fatalf("cycle %s (%s), want failed on the wave's failure", res.State, res.Reason)
		}
		final := e.hosts(run.GetID())
		for _, h := range patched {
			if final[h].State != domain.HostRolledBack || e.installed(h, "demo-app") != "1.0.0" {
				t.Errorf("%s, patched by the terminated wave: %s %q, demo-app %s; want rolled back to 1.0.0 by rollback_all",
					h, final[h].State, final[h].Reason, e.installed(h, "demo-app"))
			}
		}
		for _, h := range hosts {
			if v := e.installed(h, "demo-app"); v != "1.0.0" {
				t.Errorf("%s: demo-app %s after the rollback of every changed host (%s %q), want 1.0.0", h, v, final[h].State, final[h].Reason)
			}
		}
		if n := e.countWorkflows(`PatchCycle = "`+run.GetID()+`" AND ExecutionStatus = "Running"`, 0); n != 0 {
			t.Errorf("%d workflows of the cycle still running", n)
		}
	})

	t.Run("cancel finishes touched hosts and leaves the rest", func(t *testing.T) {
		start := time.Now()
		run := e.startCycle(spec("cancel"), start)
		wave := workflows.WaveID(run.GetID(), 1)
		var touched string
		e.waveUntil(wave, func(ws workflows.WaveStatus) bool {
			for _, h := range ws.InFlight {
				if st, ok := e.hostStatus(h); ok && st.Cycle == run.GetID() && (st.State == domain.HostPreHooks || st.State == domain.HostApplying) {
					touched = h
					return true
				}
			}
			return false
		})
		t.Logf("canceling %s while %s runs its pre hook or install", run.GetID(), touched)
		must(t, e.c.CancelWorkflow(context.Background(), run.GetID(), ""))

		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		err := run.Get(ctx, nil)
		var canceled *temporal.CanceledError
		if !errors.As(err, &canceled) {
			t.Fatalf("cycle after cancel: %v, want a canceled workflow", err)
		}
		res, ok := workflows.ResultOf(err)
		if !ok || res.State != domain.CycleCanceled {
			t.Fatalf("canceled cycle's details: %+v %v, want its summary in state canceled", res.State, ok)
		}
		if st := e.describe(run.GetID()); st != enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED {
			t.Errorf("cycle workflow status %s, want CANCELED (what the Temporal UI shows)", st)
		}
		final := e.hosts(run.GetID())
		for _, h := range hosts {
			runs := e.dpkgRunsSince(h, start)
			v := e.installed(h, "demo-app")
			t.Logf("%s: %s %q, demo-app %s, %d dpkg runs", h, final[h].State, final[h].Reason, v, runs)
			switch {
			case h == touched:
				if final[h].State != domain.HostPatched || v != "1.0.1" || runs != 1 {
					t.Errorf("%s (touched when canceled) %s, demo-app %s, %d dpkg runs; want finished: patched to 1.0.1 once", h, final[h].State, v, runs)
				}
			case final[h].State == domain.HostPatched:
				if v != "1.0.1" || runs != 1 {
					t.Errorf("%s patched: demo-app %s, %d dpkg runs", h, v, runs)
				}
			default:
				if v != "1.0.0" || runs != 0 || final[h].State != "" && final[h].State != domain.HostCanceled {
					t.Errorf("%s: %s %q, demo-app %s, %d dpkg runs; want untouched (canceled or never started)", h, final[h].State, final[h].Reason, v, runs)
				}
			}
		}
		if res.Counts.Patched == len(hosts) {
			t.Errorf("every host patched: the cancel came too late to show anything")
		}
		if n := e.countWorkflows(`PatchCycle = "`+run.GetID()+`" AND ExecutionStatus = "Running"`, 0); n != 0 {
			t.Errorf("%d workflows of the canceled cycle still running", n)
		}
	})
}

// waveUntil queries a wave workflow until cond holds (or fails the test
// after three minutes).
func (e *env) waveUntil(id string, cond func(workflows.WaveStatus) bool) workflows.WaveStatus {
	e.t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	var ws workflows.WaveStatus
	for time.Now().Before(deadline) {
		if v, err := e.c.QueryWorkflow(context.Background(), id, "", workflows.QueryStatus); err == nil && v.Get(&ws) == nil && cond(ws) {
			return ws
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatalf("wave %s: condition not met within 3m; last status %+v", id, ws)
	return ws
}

// hostStatus is a host workflow's status query, if it answers.
func (e *env) hostStatus(host string) (workflows.HostStatus, bool) {
	var st workflows.HostStatus
	v, err := e.c.QueryWorkflow(context.Background(), workflows.HostWorkflowID(host), "", workflows.QueryStatus)
	return st, err == nil && v.Get(&st) == nil
}

// describe is a workflow's status as the server records it.
func (e *env) describe(id string) enumspb.WorkflowExecutionStatus {
	e.t.Helper()
	d, err := e.c.DescribeWorkflowExecution(context.Background(), id, "")
	if err != nil {
		e.t.Fatalf("describe %s: %v", id, err)
	}
	return d.GetWorkflowExecutionInfo().GetStatus()
}

// dpkgRunsSince counts a host's dpkg runs that started at or after t,
// from the host's own records.
func (e *env) dpkgRunsSince(host string, t time.Time) int {
	e.t.Helper()
	ivs, err := e.fleet.PackageOpTimes(host)
	must(e.t, err)
	n := 0
	for _, iv := range ivs {
		if !iv.Start.Before(t) {
			n++
		}
	}
	return n
}
