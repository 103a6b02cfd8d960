package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/notify"
)

// CycleInput is the input of PatchCycle (workflow ID CycleID(policy, start)).
type CycleInput struct {
	Spec domain.CycleSpec `json:"spec"`
	// Notify are the policy's webhooks: where events are sent (and where
	// the worker finds their secrets), never a secret itself.
	Notify []notify.Webhook `json:"notify,omitempty"`
	// MakePlan makes this dry run a reviewed plan's source; Apply runs a
	// reviewed plan exactly (reviewed_plan.go).
	MakePlan *MakePlan  `json:"make_plan,omitempty"`
	Apply    *ApplyPlan `json:"apply,omitempty"`
}

// cycleRun is what the steps of one cycle share: the spec, the status the
// queries answer with, the operator's messages, and the ledger of every
// host's outcome. Each step of the cycle lives in its own file (step_*.go)
// and keeps its own state there.
type cycleRun struct {
	spec    domain.CycleSpec
	compat  cycleCompat
	started time.Time
	st      CycleStatus
	ctl     cycleControl
	hosts   ledger
	rollout rolloutPlan
	win     windowGate
	comp    complianceBook
	// rollbacks numbers the cycle's rollback waves.
	rollbacks int
	notes     *notifier
	hooks     []notify.Webhook
	// waveNotes sums the notifications the waves sent (host events).
	waveNotes NotificationStatus
	makePlan  *MakePlan
	apply     *ApplyPlan
	// reviewedPlan is the plan a MakePlan dry run made.
	reviewedPlan *domain.ReviewedPlan
	// scanShardsStarted numbers the cycle's scan shards, batchesStarted
	// its HostBatches children per kind.
	scanShardsStarted int
	batchesStarted    map[string]int
	// production is the production scan running while staging does
	// (compat.stagingFirst); nil otherwise.
	production *productionScan
}

// PatchCycle runs one patch cycle of a policy: resolve targets, scan and
// plan, approval gate, staging, production waves with one failure budget,
// final verification and report (docs/architecture.md walks through it).
// A cycle that did not succeed ends as a failed workflow (canceled when
// Temporal canceled it) whose details hold the same CycleResult a
// successful one returns; ResultOf reads both.
func PatchCycle(ctx workflow.Context, in CycleInput) (CycleResult, error) {
	spec := in.Spec
	if err := spec.Validate(); err != nil {
		return CycleResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrInvalidInput, nil)
	}
	if err := in.validatePlan(); err != nil {
		return CycleResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrInvalidInput, nil)
	}
	c := &cycleRun{spec: spec, compat: readCycleCompat(ctx), started: workflow.Now(ctx), hooks: in.Notify,
		makePlan: in.MakePlan, apply: in.Apply}
	c.st = CycleStatus{CycleID: workflow.GetInfo(ctx).WorkflowExecution.ID, Policy: spec.Policy,
		State: domain.CycleResolving, Started: c.started}
	if in.Apply != nil {
		c.st.PlanSHA256 = in.Apply.SHA256
	}
	c.notes = newNotifier(ctx, c.st.CycleID, spec.Policy, in.Notify)
	if err := c.register(ctx); err != nil {
		return CycleResult{}, err
	}
	if err := c.registerWindow(ctx); err != nil {
		return CycleResult{}, err
	}
	upsert(ctx, AttrPolicy.ValueSet(spec.Policy), AttrCycle.ValueSet(c.st.CycleID), AttrCycleState.ValueSet(string(domain.CycleResolving)))
	workflow.Go(ctx, c.serveRollbackRequests)

	state, reason := c.run(ctx)
	return c.finish(ctx, state, reason)
}

// run takes the cycle through its steps and returns how it ended.
func (c *cycleRun) run(ctx workflow.Context) (domain.CycleState, string) {
	targets, reason, ok := c.targetsAndPlan(ctx)
	switch {
	case !ok && c.apply != nil:
		return c.stopped(reason)
	case !ok:
		return domain.CycleFailed, reason
	}
	c.learnHistory(ctx)
	if c.production != nil && (c.spec.DryRun || c.makePlan != nil || c.rollout.empty() || c.whyManual() != "") {
		// A dry run, a reviewed plan, an empty plan and a person at the
		// gate see every host: the production scan ends first.
		c.awaitProduction(ctx)
	}
	c.comp.note(c.scannedTargets(targets).all(), c.rollout.scanFailed, c.rollout.refs)
	if c.spec.PreDownload && !c.spec.DryRun {
		// With a production scan running, production downloads after it.
		c.preDownload(ctx, c.scannedTargets(targets))
	}
	if err := c.size(targets); err != nil {
		return domain.CycleFailed, err.Error()
	}
	if c.makePlan != nil && !c.ctl.canceled {
		p, err := c.reviewed()
		if err != nil {
			return domain.CycleFailed, err.Error()
		}
		c.reviewedPlan = p
	}
	c.notes.emit(ctx, notify.Event{Type: notify.CycleStarted, Cycle: &notify.CycleInfo{
		Targets: len(targets.all()), Staging: len(c.rollout.staging), Waves: len(c.rollout.waves), DryRun: c.spec.DryRun}})
	switch {
	case c.ctl.canceled:
		return domain.CycleCanceled, "canceled before the rollout"
	case c.spec.DryRun:
		return domain.CyclePlanned, "dry run: no host changed"
	case c.compat.stagingFirst && len(c.rollout.stagingUnscanned) > 0:
		// Staging's scan is the plan's source: a staging host not
		// scanned is a plan not proven, whatever else was found.
		return domain.CycleFailed, "staging not proven, production not touched: " + c.rollout.stagingUnscanned
	case c.rollout.empty() && len(c.rollout.scanFailed) > 0:
		// Not "nothing to patch": the hosts not scanned may have updates.
		return domain.CycleCompleted, fmt.Sprintf("nothing to patch on the hosts scanned; %d could not be scanned", len(c.rollout.scanFailed))
	case c.rollout.empty():
		return domain.CycleCompleted, "nothing to patch"
	case c.compat.v2 && len(c.rollout.stagingUnscanned) > 0:
		return domain.CycleFailed, "staging not proven, production not touched: " + c.rollout.stagingUnscanned
	case c.ctl.aborting:
		return c.stopped("aborted by operator before the rollout")
	}
	if reason, ok := c.approvalGate(ctx); !ok {
		return c.stopped(reason)
	}
	if len(c.rollout.staging) > 0 {
		if reason, ok := c.stage(ctx); !ok {
			return c.stopped(reason)
		}
	}
	if reason, ok := c.afterStaging(ctx, targets); !ok {
		return c.stopped(reason)
	}
	if reason, ok := c.rollOut(ctx); !ok {
		return c.stopped(reason)
	}
	c.verifyAll(ctx)
	if c.ctl.canceled {
		return domain.CycleCanceled, "canceled during the final verify"
	}
	return domain.CycleCompleted, ""
}

// targetsAndPlan finds the cycle's hosts and plan: from the inventory and
// a scan, or from the reviewed plan it applies.
func (c *cycleRun) targetsAndPlan(ctx workflow.Context) (targetHosts, string, bool) {
	if c.apply != nil {
		if !c.compat.v2 {
			return targetHosts{}, "this worker's cycle version cannot apply a plan", false
		}
		return c.applyReviewed(ctx)
	}
	targets, err := c.resolve(ctx)
	if err != nil {
		return targetHosts{}, "resolve targets: " + reasonOf(err), false
	}
	c.setState(ctx, domain.CycleScanning, "")
	c.scanAndPlan(ctx, targets)
	return targets, "", true
}

// stopped is the end of a cycle that stopped early: canceled, aborted by an
// operator (or a host's decision-timeout policy), or failed.
func (c *cycleRun) stopped(reason string) (domain.CycleState, string) {
	switch {
	case c.ctl.canceled:
		return domain.CycleCanceled, reason
	case c.ctl.aborting:
		return domain.CycleAborted, reason
	}
	return domain.CycleFailed, reason
}
