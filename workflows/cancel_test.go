package workflows

import (
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
)

// TestCancelMidWaveFinishesTouchedHosts: Temporal's cancel (the UI's
// Cancel, RequestCancelWorkflow) while a wave has hosts inside their
// install. Those hosts finish (one patched, one whose install fails is
// rolled back as the policy says, without waiting for an operator); hosts
// not started stay untouched and are reported canceled; the cycle ends
// canceled with its summary readable. Before cancellation was defined the
// cycle's rollback server panicked on an empty queue and the cycle's
// workflow task failed forever.
func TestCancelMidWaveFinishesTouchedHosts(t *testing.T) {
	c := newCycleEnv(t, "h1", "h2", "h3", "h4")
	spec := testSpec()
	spec.Staging = domain.StagingSpec{}
	spec.Waves = []domain.Wave{{Count: 4, MaxParallel: 2}}
	spec.Budget = domain.Budget{MaxFailures: 3}
	c.fleet.badPins["h2:demo-app=1.0.1"] = true
	c.env.OnActivity(ActApplyPins, mockAny, mockAny).After(10 * time.Minute).Return(c.fleet.ApplyPins)
	var during CycleStatus
	c.env.RegisterDelayedCallback(func() {
		during = c.status(t)
		c.env.CancelWorkflow()
	}, 5*time.Minute)
	res := c.run(t, spec)

	if during.Wave != 1 || during.CurrentWorkflow == "" {
		t.Errorf("canceled at wave %d (%q), want inside wave 1", during.Wave, during.CurrentWorkflow)
	}
	if res.State != domain.CycleCanceled {
		t.Fatalf("cycle %s (%s), want canceled", res.State, res.Reason)
	}
	o := c.outcomes(t)
	if o["h1"].State != domain.HostPatched || c.fleet.installed("h1", "demo-app") != "1.0.1" {
		t.Errorf("h1 (installing when canceled) %s %q demo-app %s, want patched to 1.0.1", o["h1"].State, o["h1"].Reason, c.fleet.installed("h1", "demo-app"))
	}
	if o["h2"].State != domain.HostFailed || !strings.Contains(o["h2"].Reason, "rolled back to snapshot") || c.fleet.installed("h2", "demo-app") != "1.0.0" {
		t.Errorf("h2 (failing when canceled) %s %q demo-app %s, want failed and rolled back to 1.0.0", o["h2"].State, o["h2"].Reason, c.fleet.installed("h2", "demo-app"))
	}
	for _, h := range []string{"h3", "h4"} {
		if c.fleet.applyCalls[h] != 0 || c.fleet.installed(h, "demo-app") != "1.0.0" {
			t.Errorf("%s was changed after the cancel: %d installs, demo-app %s", h, c.fleet.applyCalls[h], c.fleet.installed(h, "demo-app"))
		}
		if o[h].State == domain.HostPatched || o[h].State == domain.HostFailed {
			t.Errorf("%s never started, reported %s %q", h, o[h].State, o[h].Reason)
		}
	}
	// Hosts never started were not reached: no outcome, still pending.
	if res.Counts.Patched != 1 || res.Counts.Failed != 1 || res.Counts.Pending != 2 || res.Counts.Total != 4 {
		t.Errorf("counts %+v, want 1 patched, 1 failed, 2 not reached of 4", res.Counts)
	}
}

// TestCancelAtTheApprovalGateChangesNothing: canceled while waiting for
// an operator's approval, the cycle ends canceled and no host is touched.
func TestCancelAtTheApprovalGateChangesNothing(t *testing.T) {
	c := newCycleEnv(t, hostNames(3)...)
	spec := testSpec()
	spec.Approval = domain.ApprovalSpec{Mode: domain.ApprovalManual, Timeout: 2 * time.Hour}
	c.env.RegisterDelayedCallback(c.env.CancelWorkflow, 30*time.Minute)
	res := c.run(t, spec)
	if res.State != domain.CycleCanceled {
		t.Fatalf("cycle %s (%s), want canceled", res.State, res.Reason)
	}
	if len(c.fleet.applyCalls) != 0 || len(c.kids.startModes) != 0 {
		t.Errorf("hosts touched after a cancel at the gate: installs %v, host workflows %v", c.fleet.applyCalls, c.kids.startModes)
	}
}
