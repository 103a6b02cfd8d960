package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
)

// HostPatch modes.
const (
	HostModePatch    = "patch"    // patch to Pins
	HostModeRollback = "rollback" // return to Snapshot
)

// HostPatchInput is the input of one HostPatch run (workflow ID host/<name>).
type HostPatchInput struct {
	CycleID   string           `json:"cycle_id"`
	Policy    string           `json:"policy"`
	Wave      int              `json:"wave"` // 0 = staging
	Inventory string           `json:"inventory"`
	Host      string           `json:"host"`
	Mode      string           `json:"mode"`               // HostModePatch (default) or HostModeRollback
	Pins      []domain.Pin     `json:"pins,omitempty"`     // patch: the plan's pins for this host
	Snapshot  []domain.Pin     `json:"snapshot,omitempty"` // rollback: the versions to return to
	Reason    string           `json:"reason,omitempty"`   // rollback: why, for the host's final reason
	Steps     domain.HostSteps `json:"steps"`
	Checks    []domain.Check   `json:"checks,omitempty"`
}

// HostResult is one host's outcome as it travels: a HostPatch's result, a
// wave's record of its hosts. Snapshot is set once taken, so the cycle can
// roll the host back later.
type HostResult struct {
	Host     string           `json:"host"`
	Wave     int              `json:"wave"` // 0 = staging
	State    domain.HostState `json:"state"`
	Reason   string           `json:"reason,omitempty"`
	Pins     []domain.Pin     `json:"pins,omitempty"`
	Snapshot []domain.Pin     `json:"snapshot,omitempty"`
	Duration time.Duration    `json:"duration,omitempty"`
	// Finished is when HostPatch ended (workflow time), for time-to-patch.
	Finished time.Time `json:"finished,omitzero"`
	// Changed marks a failed host still at the plan's versions (a check
	// after the bake failed): a breach rollback returns it too.
	Changed bool `json:"changed,omitempty"`
	// SnapshotRef (1-based) points into WaveResult.Snapshots, where a wave
	// keeps each distinct snapshot once; the cycle resolves it.
	SnapshotRef int `json:"snapshot_ref,omitempty"`
	// SnapshotSet (waves since wave-pin-table) is the snapshot as
	// positions in WaveResult.SnapshotPins; the cycle resolves it.
	SnapshotSet *domain.RefSet `json:"snapshot_set,omitempty"`
	// AbortCycle: no operator decided in time and the policy
	// (on_decision_timeout abort) stops the cycle.
	AbortCycle bool `json:"abort_cycle,omitempty"`
	// RebootedAt is when the host came back from its last reboot, and
	// RolledBackAt when its last rollback to the snapshot was verified
	// (zero: none, or a host recorded before they were kept).
	RebootedAt   time.Time `json:"rebooted_at,omitzero"`
	RolledBackAt time.Time `json:"rolled_back_at,omitzero"`
}

// HostPatchResult is a host workflow's result.
type HostPatchResult struct {
	HostResult
	Attempts int  `json:"attempts"`
	Rebooted bool `json:"rebooted"`
}

// hostFailedSignal tells a wave at once that one of its hosts failed.
type hostFailedSignal struct {
	Host   string `json:"host"`
	Wave   int    `json:"wave"`
	Reason string `json:"reason,omitempty"`
	// State is failed, or needs_repair when the rollback failed too; Step
	// is the step that failed.
	State domain.HostState `json:"state,omitempty"`
	Step  string           `json:"step,omitempty"`
}

// errRollbackRequested stops a patch between steps when an operator asked
// for a rollback while it ran.
var errRollbackRequested = errors.New("rollback requested by an operator")

type hostRun struct {
	in       HostPatchInput
	ctl      hostControl
	prepare  bool // v2: precheck and snapshot in one activity
	snapshot []domain.Pin
	applied  bool // ApplyPins started: the host may have changed
	touched  bool // a pre hook or the install ran: finish even when canceled
	rebooted bool
	// rebootedAt and rolledBackAt are when the last reboot and rollback
	// ended (HostResult).
	rebootedAt, rolledBackAt time.Time
	started                  time.Time
	// failedStep is the step the last failure happened in.
	failedStep string
	// steps runs the host's activities: disconnected from cancellation,
	// so a canceled host never stops in the middle of a step.
	steps workflow.Context
}

// HostPatch patches one host to its pins (prepare: precheck and snapshot,
// pre hooks, apply, reboot, verify, post hooks), or in rollback mode
// returns it to a snapshot. On failure it rolls back when the steps say
// so, tells its wave at once (for the failure budget), then waits for an
// operator decision (retry, skip, rollback) until the decision timeout.
//
// Canceled before any hook or install ran, it stops with the host
// unchanged (canceled). A host already touched is finished: the patch runs
// to its end, a failure is rolled back as the policy says, and no operator
// decision is awaited.
func HostPatch(ctx workflow.Context, in HostPatchInput) (HostPatchResult, error) {
	if in.Mode == "" {
		in.Mode = HostModePatch
	}
	h := &hostRun{in: in, started: workflow.Now(ctx), snapshot: in.Snapshot, steps: detached(ctx)}
	h.prepare = workflow.GetVersion(ctx, changeHostPrepare, workflow.DefaultVersion, 1) == 1
	h.ctl.status = HostStatus{Host: in.Host, Cycle: in.CycleID, Mode: in.Mode, State: domain.HostPending, Pins: in.Pins, Snapshot: in.Snapshot}
	if err := h.ctl.register(ctx); err != nil {
		return HostPatchResult{}, err
	}
	upsert(ctx, AttrPolicy.ValueSet(in.Policy), AttrCycle.ValueSet(in.CycleID),
		AttrHost.ValueSet(in.Host), AttrWave.ValueSet(waveLabel(in.Wave)), AttrHostState.ValueSet(string(domain.HostPending)))

	if in.Mode == HostModeRollback {
		why := in.Reason
		if why == "" {
			why = "rollback requested by the cycle"
		}
		return h.rollbackUntilDecided(ctx, why), nil
	}
	for attempt := 1; ; attempt++ {
		h.ctl.status.Attempt = attempt
		err := h.patchOnce(ctx)
		if err == nil {
			return h.finish(ctx, domain.HostPatched, ""), nil
		}
		if errors.Is(err, errCanceledUntouched) {
			return h.finish(ctx, domain.HostCanceled, "canceled before the host was changed"), nil
		}
		if errors.Is(err, errRollbackRequested) {
			return h.rollbackUntilDecided(ctx, "rollback requested by an operator"), nil
		}
		reason := fmt.Sprintf("%s failed: %s", h.ctl.status.State, reasonOf(err))
		h.notifyParent(ctx, reason, domain.HostFailed)
		if h.applied && h.in.Steps.RollbackOnFailure {
			if rerr := h.rollback(ctx); rerr != nil {
				return h.repairUntilDecided(ctx, reason+"; rollback failed: "+reasonOf(rerr)), nil
			}
			reason += "; rolled back to snapshot"
		} else if !h.applied {
			reason += "; host unchanged"
		}
		h.setState(ctx, domain.HostFailed, reason)
		switch d := h.awaitDecision(ctx); d {
		case MsgRetry:
			h.applied = false
			continue
		case MsgSkip:
			return h.finish(ctx, domain.HostSkipped, reason+"; skipped by operator"), nil
		case MsgRollback:
			// A host already rolled back is rolled back (and verified) again:
			// the operator or the breach policy asked for the snapshot state.
			return h.rollbackUntilDecided(ctx, strings.TrimSuffix(reason, "; rolled back to snapshot")), nil
		default:
			if ctx.Err() != nil {
				return h.finish(ctx, domain.HostFailed, reason+"; "+d), nil
			}
			return h.decisionTimedOut(ctx, domain.HostFailed, reason, d), nil
		}
	}
}

// decisionTimedOut ends a host nobody decided about, as the policy says.
func (h *hostRun) decisionTimedOut(ctx workflow.Context, state domain.HostState, reason, why string) HostPatchResult {
	if state == domain.HostNeedsRepair {
		r := h.finish(ctx, domain.HostNeedsRepair, reason+"; needs manual repair; "+why)
		r.AbortCycle = h.in.Steps.OnDecisionTimeout == domain.DecisionAbort
		return r
	}
	switch h.in.Steps.OnDecisionTimeout {
	case domain.DecisionSkip:
		return h.finish(ctx, domain.HostSkipped, reason+"; "+why+", skipped by policy")
	case domain.DecisionAbort:
		r := h.finish(ctx, domain.HostFailed, reason+"; "+why+", the policy aborts the cycle")
		r.AbortCycle = true
		return r
	}
	return h.finish(ctx, domain.HostFailed, reason+"; "+why)
}

// errCanceledUntouched stops a canceled host before anything changed it.
var errCanceledUntouched = errors.New("canceled before the host was changed")

// notifyParent tells the wave at once that this host failed, so the
// failure budget counts it before any operator decision.
func (h *hostRun) notifyParent(ctx workflow.Context, reason string, state domain.HostState) {
	// Only waves count failures; a rollback run's parent is the cycle.
	parent := workflow.GetInfo(ctx).ParentWorkflowExecution
	if parent == nil || h.in.Mode != HostModePatch {
		return
	}
	ev := hostFailedSignal{Host: h.in.Host, Wave: h.in.Wave, Reason: reason, State: state, Step: h.failedStep}
	// The signal is best effort: a parent that already closed needs no count.
	_ = workflow.SignalExternalWorkflow(h.steps, parent.ID, "", signalHostFailed, ev).Get(h.steps, nil)
}

// awaitDecision waits for retry, skip or rollback; on timeout (or when the
// host is canceled) it returns the reason text for the final state.
func (h *hostRun) awaitDecision(ctx workflow.Context) string {
	timeout := h.in.Steps.Limits().Decision
	h.ctl.status.AwaitingDecision = true
	reason := h.ctl.status.Reason
	h.setState(ctx, domain.HostAwaitingDecision, reason)
	ok, err := workflow.AwaitWithTimeout(ctx, timeout, func() bool { return h.ctl.decision != "" || h.ctl.rollbackRequested })
	h.ctl.status.AwaitingDecision = false
	d := h.ctl.decision
	if d == "" && h.ctl.rollbackRequested {
		d = MsgRollback // asked while the host was failing, before it waited
	}
	h.ctl.decision, h.ctl.rollbackRequested = "", false
	switch {
	case d != "":
		return d
	case err != nil:
		return "canceled while waiting for an operator decision"
	case !ok:
		return "no operator decision within " + durationText(timeout)
	}
	return d
}

func (h *hostRun) finish(ctx workflow.Context, state domain.HostState, reason string) HostPatchResult {
	h.ctl.done = true
	h.setState(ctx, state, reason)
	d := since(ctx, h.started)
	m := metricsFor(ctx, h.in.Policy, metricTagWave, waveLabel(h.in.Wave), metricTagResult, string(state))
	m.Counter(MetricHosts).Inc(1)
	m.Timer(MetricHostDuration).Record(d)
	return HostPatchResult{
		HostResult: HostResult{Host: h.in.Host, Wave: h.in.Wave, State: state, Reason: reason,
			Pins: h.in.Pins, Snapshot: h.snapshot, Duration: d, Finished: workflow.Now(ctx),
			RebootedAt: h.rebootedAt, RolledBackAt: h.rolledBackAt},
		Attempts: h.ctl.status.Attempt,
		Rebooted: h.rebooted,
	}
}

// setState records the host's state in its status, search attribute and
// current details (on the steps' context: a canceled host still reports).
func (h *hostRun) setState(_ workflow.Context, state domain.HostState, reason string) {
	if h.ctl.status.State != state {
		upsert(h.steps, AttrHostState.ValueSet(string(state)))
	}
	h.ctl.status.State, h.ctl.status.Reason = state, reason
	detail := string(state)
	if reason != "" {
		detail += ": " + reason
	}
	workflow.SetCurrentDetails(h.steps, detail)
}
