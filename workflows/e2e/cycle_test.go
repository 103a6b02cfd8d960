package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/localfleet"
	"github.com/patchflow/patchflow/workflows"
)

// TestCycles runs three cycles, in order, on one fleet of seven Debian
// hosts (wf-h1 staging, wf-h2 canary, then two waves of two and three)
// against the real Temporal server.
func TestCycles(t *testing.T) {
	e := newEnv(t, 7)
	hosts := hostList(e.fleet)
	staging, production := hosts[0], hosts[1:]
	t.Logf("fleet security updates: %v", e.fleet.SecurityDetails)

	t.Run("bad package fails on staging and never reaches production", func(t *testing.T) {
		start := time.Now()
		spec := e.spec("badapp")
		spec.Patches = domain.PatchRules{Include: []string{"demo-app"}, Approve: []string{"demo-app=1.0.2"}}
		id, res := e.runCycle(spec, start)
		if res.State != domain.CycleFailed || !strings.Contains(res.Reason, "staging failed") {
			t.Fatalf("cycle %s (%s), want failed at staging", res.State, res.Reason)
		}
		o := e.hosts(id)[staging]
		if o.State != domain.HostFailed || !strings.Contains(o.Reason, "post-installation script") || !strings.Contains(o.Reason, "rolled back to snapshot") {
			t.Errorf("staging host: %s %q, want failed with the postinst error, rolled back", o.State, o.Reason)
		}
		if v := e.installed(staging, "demo-app"); v != "1.0.0" {
			t.Errorf("staging demo-app = %s, want 1.0.0 after rollback", v)
		}
		for _, h := range production {
			if v := e.installed(h, "demo-app"); v != "1.0.0" {
				t.Errorf("production %s demo-app = %s, want untouched 1.0.0", h, v)
			}
			if n := e.maxOverlap([]string{h}, start); n != 0 {
				t.Errorf("production %s ran dpkg during the cycle", h)
			}
		}
	})

	t.Run("staging and three waves patched to the pinned versions", func(t *testing.T) {
		start := time.Now()
		spec := e.spec("web")
		spec.Patches = domain.PatchRules{Classes: []domain.Class{domain.ClassSecurity}, Approve: []string{"demo-app=1.0.1"}}
		spec.PreDownload = true
		id, res := e.runCycle(spec, start)
		if res.State != domain.CycleCompleted || res.Counts.Patched != 7 || res.Counts.Total != 7 {
			t.Fatalf("cycle %s (%s) %+v, want completed with 7 patched", res.State, res.Reason, res.Counts)
		}
		pinned := map[string]string{"demo-app": "1.0.1"}
		for _, s := range e.fleet.SecurityDetails {
			pinned[s.Name] = s.Fixed
		}
		planned := map[string]string{}
		for _, p := range res.Plan.Entries {
			planned[p.Name] = p.Version
		}
		for name, v := range pinned {
			if planned[name] != v {
				t.Errorf("plan pins %s=%q, want %q", name, planned[name], v)
			}
		}
		if _, ok := planned["demo-lib"]; ok {
			t.Errorf("plan has demo-lib, which is not a security update: %v", planned)
		}
		want := map[string][]string{"staging": {staging}, "1": production[:1], "2": production[1:3], "3": production[3:]}
		if got := stages(res.CycleStatus); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("stages %v, want %v", got, want)
		}
		for _, h := range hosts {
			for name, v := range pinned {
				if got := e.installed(h, name); got != v {
					t.Errorf("%s: %s = %s, want %s", h, name, got, v)
				}
			}
		}
		if n := e.maxOverlap(production, start); n > 2 || n < 1 {
			t.Errorf("hosts' dpkg records show %d hosts patching at once, want at most max_parallel 2 (and some)", n)
		}
		q := fmt.Sprintf("PatchCycle = %q AND PatchHostState = %q", id, domain.HostPatched)
		if n := e.countWorkflows(q, 7); n != 7 {
			t.Errorf("visibility query %s found %d host workflows, want 7", q, n)
		}
		e.record(id, "cycle_happy_v6.json")
		e.record(workflows.HostWorkflowID(staging), "host_patched_v6.json")
		e.record(workflows.WaveID(id, 3), "wave_rest_v6.json")
		e.record(id+"/scan/1", "scan_shard_v6.json")
		e.record(id+"/scan/2", "scan_shard_production_v6.json")
		e.record(id+"/verify/1", "host_batches_v6.json")
	})

	t.Run("bad library passes staging, breaches the budget in a wave, all rolled back", func(t *testing.T) {
		wave2 := production[1:3]
		for _, h := range wave2 {
			must(t, e.fleet.MarkBad(h))
		}
		start := time.Now()
		spec := e.spec("lib")
		spec.Patches = domain.PatchRules{Include: []string{"demo-lib"}, Approve: []string{"demo-lib=1.1"}}
		spec.Approval = domain.ApprovalSpec{Mode: domain.ApprovalManual, Timeout: 5 * time.Minute}
		run := e.startCycle(spec, start)
		id := run.GetID()
		st := e.statusUntil(id, time.Minute, func(s workflows.CycleStatus) bool { return s.AwaitingApproval })
		if len(st.Plan.Entries) != 1 || st.Plan.Entries[0].Version != "1.1" {
			t.Errorf("plan shown while awaiting approval: %+v", st.Plan.Entries)
		}
		if _, err := e.update(id, workflows.MsgResume); err == nil || !strings.Contains(err.Error(), "not paused") {
			t.Errorf("resume of an unpaused cycle: %v, want refusal naming why", err)
		}
		if reply, err := e.update(id, workflows.MsgApprove); err != nil || reply.CycleID != id {
			t.Fatalf("approve: %+v %v", reply, err)
		}
		res := e.wait(run)
		if res.State != domain.CycleFailed || !strings.Contains(res.Reason, "budget breached in wave 2") {
			t.Fatalf("cycle %s (%s), want budget breach in wave 2", res.State, res.Reason)
		}
		states := map[string]domain.HostState{}
		for h, o := range e.hosts(id) {
			states[h] = o.State
		}
		for _, h := range append([]string{staging, production[0]}, wave2...) {
			if states[h] != domain.HostRolledBack {
				t.Errorf("%s: state %s, want rolled_back", h, states[h])
			}
			if v := e.installed(h, "demo-lib"); v != "1.0" {
				t.Errorf("%s: demo-lib = %s, want snapshot 1.0", h, v)
			}
		}
		for _, h := range production[3:] {
			if _, ok := states[h]; ok || e.maxOverlap([]string{h}, start) != 0 {
				t.Errorf("%s in wave 3 was touched after the breach (state %q)", h, states[h])
			}
		}
		if boots, _ := e.fleet.BootCount(staging); boots < 2 {
			t.Errorf("staging host boot count %d: demo-lib 1.1 asks for a reboot", boots)
		}
		q := fmt.Sprintf("PatchCycle = %q AND PatchHostState = %q", id, domain.HostRolledBack)
		if n := e.countWorkflows(q, 4); n < 1 {
			t.Errorf("visibility query %s found %d host workflows", q, n)
		}
		e.record(id, "cycle_rollback_all_v6.json")
	})

	t.Run("a host failing on a held dpkg lock is retried by an operator update", func(t *testing.T) {
		host := production[0]
		release, err := e.fleet.HoldDpkgLock(host)
		must(t, err)
		defer release()
		spec := e.spec("retry")
		spec.Inventory.Select = []string{"group=canary"}
		spec.Staging = domain.StagingSpec{}
		spec.Waves = []domain.Wave{{Count: 1, MaxParallel: 1}}
		spec.Host.DecisionTimeout = 5 * time.Minute
		spec.Patches = domain.PatchRules{Include: []string{"demo-lib"}, Approve: []string{"demo-lib=1.1"}}
		run := e.startCycle(spec, time.Now())

		var hs workflows.HostStatus
		deadline := time.Now().Add(2 * time.Minute)
		for time.Now().Before(deadline) && !hs.AwaitingDecision {
			if v, err := e.c.QueryWorkflow(context.Background(), workflows.HostWorkflowID(host), "", workflows.QueryStatus); err == nil {
				_ = v.Get(&hs)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if !hs.AwaitingDecision || !strings.Contains(hs.Reason, "prechecking failed") || !strings.Contains(hs.Reason, "host unchanged") {
			t.Fatalf("host status %+v, want awaiting a decision after the precheck failed on the lock", hs)
		}
		t.Logf("host waits: %s", hs.Reason)
		must(t, release())
		h, err := e.c.UpdateWorkflow(context.Background(), client.UpdateWorkflowOptions{
			WorkflowID: workflows.HostWorkflowID(host), UpdateName: workflows.MsgRetry, WaitForStage: client.WorkflowUpdateStageCompleted})
		must(t, err)
		var reply workflows.DecisionReply
		must(t, h.Get(context.Background(), &reply))
		res := e.wait(run)
		if res.State != domain.CycleCompleted || res.Counts.Patched != 1 || res.BudgetUsed != 1 {
			t.Errorf("cycle %s %+v budget used %d, want completed (the retry patched it), 1 patched, the failure counted", res.State, res.Counts, res.BudgetUsed)
		}
		if v := e.installed(host, "demo-lib"); v != "1.1" {
			t.Errorf("%s demo-lib = %s after retry, want 1.1", host, v)
		}
	})

	t.Run("pause stops new hosts; abort with rollback returns every patched host", func(t *testing.T) {
		for _, h := range production[1:3] {
			_, err := e.fleet.Exec(context.Background(), h, "rm", "-f", localfleet.DemoFailFile)
			must(t, err)
		}
		start := time.Now()
		spec := e.spec("pause")
		spec.Staging = domain.StagingSpec{}
		spec.Waves = []domain.Wave{{Count: 1, MaxParallel: 1}, {Percent: 100, MaxParallel: 1}}
		spec.Patches = domain.PatchRules{Include: []string{"demo-lib"}, Approve: []string{"demo-lib=1.1"}}
		run := e.startCycle(spec, start)
		id := run.GetID()
		e.statusUntil(id, 2*time.Minute, func(s workflows.CycleStatus) bool { return s.Wave == 2 })
		reply, err := e.update(id, workflows.MsgPause)
		if err != nil || !reply.Paused {
			t.Fatalf("pause: %+v %v", reply, err)
		}
		if _, err := e.update(id, workflows.MsgPause); err == nil || !strings.Contains(err.Error(), "already paused") {
			t.Errorf("second pause: %v, want refusal", err)
		}
		// The host in flight finishes; no other starts while paused.
		var ws workflows.WaveStatus
		deadline := time.Now().Add(2 * time.Minute)
		for time.Now().Before(deadline) {
			v, err := e.c.QueryWorkflow(context.Background(), workflows.WaveID(id, 2), "", workflows.QueryStatus)
			if err == nil && v.Get(&ws) == nil && ws.Paused && len(ws.InFlight) == 0 {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		done := ws.Counts.Patched + ws.Counts.Failed
		time.Sleep(3 * time.Second)
		v, err := e.c.QueryWorkflow(context.Background(), workflows.WaveID(id, 2), "", workflows.QueryStatus)
		must(t, err)
		must(t, v.Get(&ws))
		if !ws.Paused || len(ws.InFlight) != 0 || ws.Counts.Patched+ws.Counts.Failed != done || ws.Counts.Pending == 0 {
			t.Errorf("wave while paused: %+v, want paused, nothing in flight, nothing new", ws)
		}
		if _, err := e.update(id, workflows.MsgAbort, workflows.AbortRequest{Rollback: true}); err != nil {
			t.Fatalf("abort: %v", err)
		}
		res := e.wait(run)
		if res.State != domain.CycleAborted || res.Counts.RolledBack == 0 || res.Counts.Patched != 0 {
			t.Errorf("cycle %s (%s) %+v, want aborted with every patched host rolled back", res.State, res.Reason, res.Counts)
		}
		for _, o := range e.hosts(res.CycleID) {
			if o.State == domain.HostRolledBack {
				if v := e.installed(o.Host, "demo-lib"); v != "1.0" {
					t.Errorf("%s demo-lib = %s after abort with rollback, want 1.0", o.Host, v)
				}
			}
		}
	})

	t.Run("a second cycle finds the host busy and skips it, naming the holder", func(t *testing.T) {
		one := func(policy string) domain.CycleSpec {
			spec := e.spec(policy)
			spec.Inventory.Select = []string{"group=staging"}
			spec.Staging = domain.StagingSpec{}
			spec.Waves = []domain.Wave{{Count: 1, MaxParallel: 1}}
			spec.Patches = domain.PatchRules{Include: []string{"demo-lib"}, Approve: []string{"demo-lib=1.1"}}
			spec.BusyTimeout = 2 * time.Second
			return spec
		}
		a := one("busya")
		a.Host.PreHooks = []domain.Hook{{Name: "slow-drain", Command: []string{"sleep", "8"}}}
		runA := e.startCycle(a, time.Now())
		var hs workflows.HostStatus
		deadline := time.Now().Add(2 * time.Minute)
		for time.Now().Before(deadline) && hs.State != domain.HostPreHooks {
			if v, err := e.c.QueryWorkflow(context.Background(), workflows.HostWorkflowID(staging), "", workflows.QueryStatus); err == nil {
				_ = v.Get(&hs)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if hs.Cycle != runA.GetID() {
			t.Fatalf("host %s status %+v, want it in cycle %s's pre hook", staging, hs, runA.GetID())
		}
		_, resB := e.runCycle(one("busyb"), time.Now())
		if len(resB.Hosts) != 1 || resB.Hosts[0].State != domain.HostSkipped || resB.Hosts[0].Reason != "busy: patched by "+runA.GetID() {
			t.Errorf("second cycle: %+v, want %s skipped as busy: patched by %s", resB.Hosts, staging, runA.GetID())
		}
		if resA := e.wait(runA); resA.Counts.Patched != 1 {
			t.Errorf("first cycle %s %+v, want its host patched", resA.State, resA.Counts)
		}
	})
}
