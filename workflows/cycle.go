package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// CycleInput is the input of PatchCycle (workflow ID CycleID(policy, start)).
type CycleInput struct {
	Spec CycleSpec `json:"spec"`
}

type cycleRun struct {
	spec     CycleSpec
	st       CycleStatus
	outcomes []HostOutcome // finished hosts, in the order they finished
	pins     map[string][]Pin
	approved bool
	aborting bool
	rollback bool // abort with rollback
	finished bool
	started  time.Time
	requests []string // MsgRollbackHost queue; the head is being served
	// hostRollbacks counts MsgRollbackHost rollbacks running.
	hostRollbacks int
	win           windowGate     // maintenance-window bookkeeping (window_gate.go)
	comp          complianceBook // for the report's compliance metrics (compliance.go)
}

// PatchCycle runs one patch cycle of a policy: resolve targets, scan and
// plan, approval gate, staging, production waves with one failure budget,
// final verification and report. See DESIGN.md section 2.
func PatchCycle(ctx workflow.Context, in CycleInput) (CycleResult, error) {
	spec := in.Spec
	if err := spec.Validate(); err != nil {
		return CycleResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrInvalidInput, nil)
	}
	info := workflow.GetInfo(ctx)
	c := &cycleRun{spec: spec, pins: map[string][]Pin{}, started: workflow.Now(ctx)}
	c.st = CycleStatus{CycleID: info.WorkflowExecution.ID, Policy: spec.Policy, State: CycleResolving, Started: c.started}
	if err := c.register(ctx); err != nil {
		return CycleResult{}, err
	}
	if err := c.registerWindow(ctx); err != nil {
		return CycleResult{}, err
	}
	upsert(ctx, AttrPolicy.ValueSet(spec.Policy), AttrCycle.ValueSet(c.st.CycleID), AttrCycleState.ValueSet(CycleResolving))
	workflow.Go(ctx, c.serveRollbackRequests)

	var targets ResolveResult
	actx := withActivity(ctx, actOptions{timeout: 2 * time.Minute, summary: "resolve " + spec.Inventory.Source})
	if err := workflow.ExecuteActivity(actx, ActResolveTargets, ResolveInput{Inventory: spec.Inventory,
		Staging: spec.Staging.Select, StagingHosts: spec.Staging.Hosts, StagingCount: spec.Staging.Count}).Get(ctx, &targets); err != nil {
		return c.finish(ctx, CycleFailed, "resolve targets: "+reasonOf(err)), nil
	}

	c.setState(ctx, CycleScanning, "")
	all := append(append([]string{}, targets.Staging...), targets.Production...)
	scans := c.scanAll(ctx, all)
	plan := BuildPlan(scans, spec.Patches)
	c.st.Plan = plan
	c.comp.note(all, scans, plan)
	for _, e := range plan.Entries {
		sev := e.Severity
		if severityRank[sev] == 0 {
			sev = metricSeverityFallback
		}
		metricsFor(ctx, spec.Policy, metricTagSeverity, sev).Counter(MetricPlannedUpdates).Inc(1)
	}
	for _, s := range scans {
		if p := plan.HostPins(s); len(p) > 0 {
			c.pins[s.Host] = p
		} else {
			c.outcomes = append(c.outcomes, HostOutcome{Host: s.Host, State: HostSkipped, Reason: "nothing to patch: no planned update pending"})
		}
	}
	if spec.PreDownload && !spec.DryRun {
		c.preDownload(ctx, all)
	}
	c.st.StagingHosts = c.withPins(targets.Staging)
	c.st.WaveHosts = AssignWaves(c.withPins(targets.Production), spec.Waves)
	c.st.Waves = len(c.st.WaveHosts)
	c.st.Budget = spec.Budget.Tolerated(len(c.withPins(targets.Production)))

	if spec.DryRun {
		return c.finish(ctx, CyclePlanned, "dry run: no host changed"), nil
	}
	if len(plan.Entries) == 0 || len(c.pins) == 0 {
		return c.finish(ctx, CycleCompleted, "nothing to patch"), nil
	}
	if c.aborting {
		return c.finishOrAbort(ctx, "aborted by operator before the rollout"), nil
	}
	if reason, ok := c.approvalGate(ctx); !ok {
		return c.finishOrAbort(ctx, reason), nil
	}
	if len(c.st.StagingHosts) > 0 {
		if reason, ok := c.stage(ctx); !ok {
			return c.finishOrAbort(ctx, reason), nil
		}
	}
	if reason, ok := c.rollOut(ctx); !ok {
		return c.finishOrAbort(ctx, reason), nil
	}
	c.verifyAll(ctx)
	return c.finish(ctx, CycleCompleted, ""), nil
}

// stage patches the staging hosts with the plan; any host not patched
// stops the cycle before production.
func (c *cycleRun) stage(ctx workflow.Context) (string, bool) {
	c.setState(ctx, CycleStaging, "")
	hosts := c.st.StagingHosts
	res := c.runWaveInWindow(ctx, 0, hosts, len(hosts), c.spec.Staging.Bake, len(hosts), "")
	c.outcomes = append(c.outcomes, res.Outcomes...)
	if res.AbortReason != "" {
		return c.policyAbort(res.AbortReason), false
	}
	if res.Aborted || c.aborting {
		return "aborted by operator during staging", false
	}
	var bad []string
	for _, o := range res.Outcomes {
		if o.State != HostPatched {
			bad = append(bad, fmt.Sprintf("%s %s (%s)", o.Host, o.State, o.Reason))
		}
	}
	if len(bad) > 0 {
		return "staging failed, production not touched: " + strings.Join(bad, "; "), false
	}
	return "", true
}

// rollOut runs the production waves with one failure budget and applies
// the breach policy.
func (c *cycleRun) rollOut(ctx workflow.Context) (string, bool) {
	for i, hosts := range c.st.WaveHosts {
		n := i + 1
		if err := workflow.Await(ctx, func() bool { return !c.st.Paused || c.aborting }); err != nil {
			return "canceled", false
		}
		if c.aborting {
			return "aborted by operator", false
		}
		c.setState(ctx, CycleRollingOut, "")
		w := WaveAt(c.spec.Waves, i)
		left := max(c.st.Budget-c.st.BudgetUsed, 0)
		res := c.runWaveInWindow(ctx, n, hosts, max(w.MaxParallel, 1), w.Bake, left, c.spec.OnBudgetBreach)
		c.outcomes = append(c.outcomes, res.Outcomes...)
		c.st.BudgetUsed += res.Failures
		if res.AbortReason != "" {
			return c.policyAbort(res.AbortReason), false
		}
		if res.Aborted || c.aborting {
			return "aborted by operator in wave " + waveLabel(n), false
		}
		if !res.Breached {
			continue
		}
		reason := fmt.Sprintf("failure budget breached in wave %d: %d failed hosts, %d tolerated", n, c.st.BudgetUsed, c.st.Budget)
		switch c.spec.OnBudgetBreach {
		case BreachRollbackWave:
			c.rollbackHosts(ctx, c.changedHosts(n), max(w.MaxParallel, 1), reason)
			return reason + "; wave rolled back", false
		case BreachRollbackAll:
			c.rollbackHosts(ctx, c.changedHosts(-1), max(w.MaxParallel, 1), reason)
			return reason + "; every patched host rolled back", false
		default:
			c.st.Paused = true
			c.setState(ctx, CyclePaused, reason+"; resume to continue, abort to stop")
			if err := workflow.Await(ctx, func() bool { return !c.st.Paused || c.aborting }); err != nil {
				return "canceled", false
			}
			if c.aborting {
				return reason + "; aborted by operator", false
			}
			// The operator accepted the failures: the next one breaches again.
			c.st.Budget = c.st.BudgetUsed
		}
	}
	return "", true
}

// runWave starts one Wave child and waits for it, forwarding pause, resume
// and abort through c.st.CurrentWorkflow.
func (c *cycleRun) runWave(ctx workflow.Context, n int, hosts []string, parallel int, bake time.Duration, budgetLeft int, onBreach string) WaveResult {
	id := WaveID(c.st.CycleID, n)
	if n == 0 {
		id = c.st.CycleID + "/staging"
	}
	in := WaveInput{CycleID: c.st.CycleID, Policy: c.spec.Policy, Wave: n, Inventory: c.spec.Inventory.Source,
		MaxParallel: parallel, Bake: bake, BudgetLeft: budgetLeft, OnBreach: onBreach, Steps: c.spec.Host,
		Checks: c.spec.Checks, BusyTimeout: c.spec.BusyTimeout, Progress: WaveProgress{Paused: c.st.Paused, Aborted: c.aborting}}
	for _, h := range hosts {
		in.Targets = append(in.Targets, HostTarget{Host: h, Pins: c.pins[h]})
	}
	summary := fmt.Sprintf("wave %s of %s: %d hosts, max %d in parallel", waveLabel(n), c.st.CycleID, len(hosts), parallel)
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:    id,
		StaticSummary: summary,
		TypedSearchAttributes: temporal.NewSearchAttributes(AttrPolicy.ValueSet(c.spec.Policy),
			AttrCycle.ValueSet(c.st.CycleID), AttrWave.ValueSet(waveLabel(n))),
	})
	c.st.Wave, c.st.CurrentWorkflow = n, id
	defer func() { c.st.CurrentWorkflow = "" }()
	var res WaveResult
	if err := workflow.ExecuteChildWorkflow(cctx, Wave, in).Get(ctx, &res); err != nil {
		res = WaveResult{Wave: n, Breached: true}
		for _, h := range hosts {
			res.Outcomes = append(res.Outcomes, HostOutcome{Host: h, Wave: n, State: HostFailed, Pins: c.pins[h],
				Reason: "wave workflow failed: " + reasonOf(err)})
		}
		res.Failures = len(hosts)
	}
	for i := range res.Outcomes {
		o := &res.Outcomes[i]
		o.Pins = c.pins[o.Host]
		if o.SnapshotRef > 0 && o.SnapshotRef <= len(res.Snapshots) {
			o.Snapshot, o.SnapshotRef = res.Snapshots[o.SnapshotRef-1], 0
		}
	}
	return res
}

// policyAbort turns an abort asked by a host's decision-timeout policy
// into a cycle abort without rollback.
func (c *cycleRun) policyAbort(why string) string {
	c.aborting, c.st.Aborting = true, true
	return "aborted: no operator decision for " + why
}

// withPins keeps the hosts that have something to patch, in order.
func (c *cycleRun) withPins(hosts []string) []string {
	var out []string
	for _, h := range hosts {
		if len(c.pins[h]) > 0 {
			out = append(out, h)
		}
	}
	return out
}
