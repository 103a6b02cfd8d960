package workflows

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/notify"
)

// stageResult is how one stage (staging or a production wave) ended; the
// hosts' outcomes are in the ledger.
type stageResult struct {
	failures    int
	breached    bool
	aborted     bool
	abortReason string // a host's decision-timeout policy aborted the cycle
}

// runStage patches hosts as wave n (0 = staging). It runs them as one or
// more parts, one after the other, each a run of the wave's workflow: a
// part never holds more hosts than can finish before the maintenance
// window closes (the cycle parks between parts until the next window), nor
// more than hostsPerPart. A part bakes and runs the wave's checks when it
// is the wave's last or the window ends it; the checks then also cover the
// hosts of the parts before it that did not bake.
func (c *cycleRun) runStage(ctx workflow.Context, n int, hosts []string, parallel int, bake time.Duration, budgetLeft int, onBreach domain.BreachAction) stageResult {
	var total stageResult
	wave := &notify.WaveInfo{Number: n, Name: c.waveName(n), Hosts: len(hosts)}
	started := workflow.Now(ctx)
	c.notes.emit(ctx, notify.Event{Type: notify.WaveStarted, Wave: wave})
	defer func() {
		state := "completed"
		if total.breached || total.aborted || total.abortReason != "" || c.ctl.canceled {
			state = "failed"
		}
		c.notes.emit(ctx, notify.Event{Type: notify.WaveFinished, Wave: wave,
			Outcome: &notify.Outcome{State: state, Counts: notifyCounts(c.hosts.counts(hosts)), Duration: since(ctx, started)}})
	}()
	var before map[string]float64
	var unchecked []string
	rest := hosts
	for partNo := 1; len(rest) > 0; partNo++ {
		k := len(rest)
		if c.spec.Window != nil {
			if k = c.windowFit(ctx, len(rest), max(parallel, 1)); k == 0 {
				total.aborted = true
				break
			}
		}
		windowK := k
		if c.compat.v2 {
			k = min(k, hostsPerPart)
		}
		part, baking := rest[:k], k == len(rest) || k == windowK
		in := c.waveInput(n, part, parallel, max(budgetLeft-total.failures, 0), onBreach)
		if baking {
			in.Bake, in.CheckAlso = bake, unchecked
			unchecked = nil
		} else {
			in.SkipChecks = true
		}
		in.Before = before
		res := c.runWavePart(ctx, n, partNo, in)
		rest = rest[k:]
		before = res.Before
		if !baking {
			unchecked = append(unchecked, patchedIn(res.Outcomes)...)
		}
		total.failures += res.Failures
		total.breached = total.breached || res.Breached
		total.aborted = total.aborted || res.Aborted
		if res.AbortReason != "" {
			total.abortReason = res.AbortReason
		}
		if res.Breached || res.Aborted || res.AbortReason != "" || c.ctl.aborting || c.ctl.canceled {
			break
		}
	}
	return total
}

// waveInput is the input of a part of wave n.
func (c *cycleRun) waveInput(n int, hosts []string, parallel, budgetLeft int, onBreach domain.BreachAction) WaveInput {
	return WaveInput{CycleID: c.st.CycleID, Policy: c.spec.Policy, Wave: n, Inventory: c.spec.Inventory.Source,
		Targets: c.wireTargets(c.rollout.targets(hosts)), PlanPins: c.wirePins(),
		MaxParallel: parallel, BudgetLeft: budgetLeft, OnBreach: onBreach, Steps: c.spec.Host,
		Checks: c.spec.Checks, BusyTimeout: c.spec.BusyTimeout, Progress: WaveProgress{Paused: c.st.Paused, Aborted: c.ctl.aborting},
		Notify: c.hooks}
}

// waveName is wave n's name in the policy ("canary", "rest-2"), "staging"
// for 0.
func (c *cycleRun) waveName(n int) string {
	if n == 0 {
		return "staging"
	}
	if planned, err := domain.PlanWaves(c.spec.Waves, len(flattenWaves(c.rollout.waves))); err == nil && n <= len(planned) {
		return planned[n-1].Name
	}
	return waveLabel(n)
}

func flattenWaves(waves [][]string) []string {
	var out []string
	for _, w := range waves {
		out = append(out, w...)
	}
	return out
}

// runWavePart runs one part of wave n as a Wave child and records its
// hosts in the ledger, forwarding pause, resume and abort through
// c.st.CurrentWorkflow. The first part has the wave's ID; since v2 later
// parts add /part/<k> (cycles recorded before reused the wave's ID).
func (c *cycleRun) runWavePart(ctx workflow.Context, n, part int, in WaveInput) WaveResult {
	id := WaveID(c.st.CycleID, n)
	if n == 0 {
		id = c.st.CycleID + "/staging"
	}
	if part > 1 && c.compat.v2 {
		id += "/part/" + strconv.Itoa(part)
	}
	summary := fmt.Sprintf("wave %s of %s: %d hosts, max %d in parallel", waveLabel(n), c.st.CycleID, len(in.Targets), in.MaxParallel)
	res, err := c.runWaveChild(ctx, id, summary, in)
	if err != nil {
		res = c.waveFailed(ctx, n, in, err)
	}
	for _, o := range res.Outcomes {
		o.Snapshot, o.SnapshotRef, o.SnapshotSet = res.SnapshotOf(o), 0, nil
		c.hosts.record(o)
	}
	for _, f := range res.LateFailures {
		c.hosts.fail(f.Host, f.Problem)
	}
	c.waveNotes.add(res.Notifications)
	c.refreshStages()
	return res
}

// runWaveChild starts a Wave child workflow and waits for it. A canceled
// cycle waits for its wave to finish its hosts (the wave's result comes
// back as the details of its cancellation).
func (c *cycleRun) runWaveChild(ctx workflow.Context, id, summary string, in WaveInput) (WaveResult, error) {
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:          id,
		StaticSummary:       summary,
		WaitForCancellation: true,
		ParentClosePolicy:   enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
		TypedSearchAttributes: temporal.NewSearchAttributes(AttrPolicy.ValueSet(c.spec.Policy),
			AttrCycle.ValueSet(c.st.CycleID), AttrWave.ValueSet(waveLabel(in.Wave))),
	})
	c.st.Wave, c.st.CurrentWorkflow = in.Wave, id
	defer func() { c.st.CurrentWorkflow = "" }()
	var res WaveResult
	err := workflow.ExecuteChildWorkflow(cctx, Wave, in).Get(ctx, &res)
	var canceled *temporal.CanceledError
	if errors.As(err, &canceled) && canceled.HasDetails() && canceled.Details(&res) == nil {
		c.ctl.canceled = true
		return res, nil
	}
	return res, err
}

// waveFailed is the result of a wave whose workflow failed (terminated,
// timed out, or a bug): since v2 each host's own workflow says what it did,
// so hosts the wave patched stay known as changed and are rolled back with
// the rest; before v2 every host was marked failed and unchanged.
func (c *cycleRun) waveFailed(ctx workflow.Context, n int, in WaveInput, err error) WaveResult {
	why := "wave workflow failed: " + reasonOf(err)
	res := WaveResult{Wave: n, Breached: true}
	hosts := make([]string, len(in.Targets))
	for i, t := range in.Targets {
		hosts[i] = t.Host
	}
	if !c.compat.v2 {
		for _, h := range hosts {
			res.Outcomes = append(res.Outcomes, HostResult{Host: h, Wave: n, State: domain.HostFailed, Reason: why})
		}
		res.Failures = len(hosts)
		return res
	}
	var found HostResultsResult
	actx := withActivity(ctx, actOptions{timeout: 2 * time.Minute, summary: fmt.Sprintf("recover %d hosts of wave %s", len(hosts), waveLabel(n))})
	if rerr := workflow.ExecuteActivity(actx, ActHostResults, HostResultsInput{CycleID: c.st.CycleID, Wave: n, Hosts: hosts}).Get(ctx, &found); rerr != nil {
		workflow.GetLogger(ctx).Error("hosts of a failed wave could not be recovered", "wave", n, "error", rerr)
	}
	known := map[string]RecoveredHost{}
	for _, h := range found.Hosts {
		known[h.Host] = h
	}
	for _, h := range hosts {
		r, ok := known[h]
		switch {
		case !ok:
			r.HostResult = HostResult{Host: h, State: domain.HostFailed, Reason: why + "; what the host did is unknown", Changed: true}
		case !r.Started:
			r.HostResult = HostResult{Host: h, State: domain.HostSkipped, Reason: why + "; host not started"}
		case r.Running:
			r.State, r.Reason = domain.HostFailed, why+"; host workflow still running: "+r.Reason
		}
		r.Host, r.Wave = h, n
		if r.State.CountsAsFailure() {
			res.Failures++
		}
		res.Outcomes = append(res.Outcomes, r.HostResult)
	}
	return res
}

func patchedIn(outcomes []HostResult) []string {
	var out []string
	for _, o := range outcomes {
		if o.State == domain.HostPatched {
			out = append(out, o.Host)
		}
	}
	return out
}

// rollbackHosts returns hosts to their snapshots, in the given order
// (newest first), at most parallel at once. Since v2 the rollback runs
// through wave workflows in rollback mode (<cycle>/rollback/<k>), so a
// rollback of any size keeps every history small; before v2 the cycle ran
// one host workflow per host itself.
func (c *cycleRun) rollbackHosts(ctx workflow.Context, hosts []string, parallel int, why string) {
	if len(hosts) == 0 {
		return
	}
	c.setState(ctx, domain.CycleRollingBack, why)
	if !c.compat.v2 {
		forEachBounded(ctx, len(hosts), parallel, func(ctx workflow.Context, k int) {
			c.rollbackOne(ctx, hosts[k], "rolled back by the cycle: "+why)
		})
		return
	}
	// A rollback runs to its end even when the cycle is canceled: hosts
	// half rolled back are worse than either state.
	dctx := detached(ctx)
	for _, part := range chunk(hosts, hostsPerPart) {
		c.rollbacks++
		in := WaveInput{CycleID: c.st.CycleID, Policy: c.spec.Policy, Mode: HostModeRollback, Inventory: c.spec.Inventory.Source,
			PlanPins: c.rollout.pins, MaxParallel: parallel, Steps: c.spec.Host, BusyTimeout: c.spec.BusyTimeout,
			Reason: "rolled back by the cycle: " + why}
		var snaps snapshotTable
		var pins pinTable
		for _, h := range part {
			r, _ := c.hosts.final(h)
			t := HostTarget{Host: h, Refs: domain.NewRefSet(c.rollout.refs[h]), Wave: r.Wave}
			if c.compat.pinTable {
				t.SnapshotSet = pins.set(c.hosts.snapshot(h))
			} else {
				t.Snapshot = snaps.intern(c.hosts.snapshot(h))
			}
			in.Targets = append(in.Targets, t)
		}
		in.Snapshots, in.SnapshotPins = snaps.list, pins.list
		id := c.st.CycleID + "/rollback/" + strconv.Itoa(c.rollbacks)
		res, err := c.runWaveChild(dctx, id, fmt.Sprintf("roll back %d hosts of %s", len(part), c.st.CycleID), in)
		if err != nil {
			workflow.GetLogger(ctx).Error("rollback wave failed", "wave", id, "error", err)
			for _, h := range part {
				c.hosts.fail(h, "rollback wave failed: "+reasonOf(err))
			}
			continue
		}
		for _, o := range res.Outcomes {
			c.recordRollback(o)
		}
	}
	c.refreshStages()
}

// recordRollback records a host's rollback result, keeping the wave it was
// patched in, its snapshot and why it failed before.
func (c *cycleRun) recordRollback(r HostResult) {
	prev, _ := c.hosts.final(r.Host)
	r.Wave = prev.Wave
	r.Snapshot = c.hosts.snapshot(r.Host)
	if prev.Reason != "" && r.State == domain.HostRolledBack {
		r.Reason = prev.Reason + "; " + r.Reason
	}
	c.hosts.record(r)
}

// rollbackOne runs a rollback host workflow for one host from the cycle
// itself (an operator's rollback-host, and rollbacks of cycles recorded
// before v2).
func (c *cycleRun) rollbackOne(ctx workflow.Context, host, reason string) {
	prev, _ := c.hosts.final(host)
	in := HostPatchInput{CycleID: c.st.CycleID, Policy: c.spec.Policy, Wave: prev.Wave, Inventory: c.spec.Inventory.Source,
		Host: host, Mode: HostModeRollback, Pins: c.rollout.hostPins(host), Snapshot: c.hosts.snapshot(host), Steps: c.spec.Host, Reason: reason}
	c.recordRollback(runHostChild(ctx, in, orDefaultDuration(c.spec.BusyTimeout, domain.DefaultBusyTimeout), func() bool { return false }))
}

func orDefaultDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
