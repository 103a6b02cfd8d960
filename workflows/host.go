package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"
)

// HostPatch modes.
const (
	HostModePatch    = "patch"    // patch to Pins
	HostModeRollback = "rollback" // return to Snapshot
)

// HostPatchInput is the input of one HostPatch run (workflow ID host/<name>).
type HostPatchInput struct {
	CycleID   string    `json:"cycle_id"`
	Policy    string    `json:"policy"`
	Wave      int       `json:"wave"` // 0 = staging
	Inventory string    `json:"inventory"`
	Host      string    `json:"host"`
	Mode      string    `json:"mode"`               // HostModePatch (default) or HostModeRollback
	Pins      []Pin     `json:"pins,omitempty"`     // patch: the plan's pins for this host
	Snapshot  []Pin     `json:"snapshot,omitempty"` // rollback: the versions to return to
	Reason    string    `json:"reason,omitempty"`   // rollback: why, for the host's final reason
	Steps     HostSteps `json:"steps"`
	Checks    []Check   `json:"checks,omitempty"`
}

// HostPatchResult is a host's final state. Snapshot is set once taken, so
// the cycle can roll the host back later.
type HostPatchResult struct {
	HostOutcome
	Attempts int  `json:"attempts"`
	Rebooted bool `json:"rebooted"`
}

// errRollbackRequested stops a patch between steps when an operator asked
// for a rollback while it ran.
var errRollbackRequested = errors.New("rollback requested by an operator")

type hostRun struct {
	in       HostPatchInput
	ctl      hostControl
	snapshot []Pin
	applied  bool // ApplyPins started: the host may have changed
	rebooted bool
	started  time.Time
}

// HostPatch patches one host to its pins (precheck, snapshot, pre hooks,
// apply, reboot, verify, post hooks), or in rollback mode returns it to a
// snapshot. On failure it rolls back when the steps say so, tells its parent
// at once (for the failure budget), then waits for an operator decision
// (retry, skip, rollback) until Steps.DecisionTimeout.
func HostPatch(ctx workflow.Context, in HostPatchInput) (HostPatchResult, error) {
	if in.Mode == "" {
		in.Mode = HostModePatch
	}
	h := &hostRun{in: in, started: workflow.Now(ctx), snapshot: in.Snapshot}
	h.ctl.status = HostStatus{Host: in.Host, Cycle: in.CycleID, Mode: in.Mode, State: HostPending, Pins: in.Pins, Snapshot: in.Snapshot}
	if err := h.ctl.register(ctx); err != nil {
		return HostPatchResult{}, err
	}
	upsert(ctx, AttrPolicy.ValueSet(in.Policy), AttrCycle.ValueSet(in.CycleID),
		AttrHost.ValueSet(in.Host), AttrWave.ValueSet(waveLabel(in.Wave)), AttrHostState.ValueSet(HostPending))

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
			return h.finish(ctx, HostPatched, ""), nil
		}
		if errors.Is(err, errRollbackRequested) {
			return h.rollbackUntilDecided(ctx, "rollback requested by an operator"), nil
		}
		reason := fmt.Sprintf("%s failed: %s", h.ctl.status.State, reasonOf(err))
		h.notifyParent(ctx, reason)
		if h.applied && h.in.Steps.RollbackOnFailure {
			if rerr := h.rollback(ctx); rerr != nil {
				return h.repairUntilDecided(ctx, reason+"; rollback failed: "+reasonOf(rerr)), nil
			}
			reason += "; rolled back to snapshot"
		} else if !h.applied {
			reason += "; host unchanged"
		}
		h.setState(ctx, HostFailed, reason)
		switch d := h.awaitDecision(ctx); d {
		case MsgRetry:
			h.applied = false
			continue
		case MsgSkip:
			return h.finish(ctx, HostSkipped, reason+"; skipped by operator"), nil
		case MsgRollback:
			// A host already rolled back is rolled back (and verified) again:
			// the operator or the breach policy asked for the snapshot state.
			return h.rollbackUntilDecided(ctx, strings.TrimSuffix(reason, "; rolled back to snapshot")), nil
		default:
			switch h.in.Steps.OnDecisionTimeout {
			case "skip":
				return h.finish(ctx, HostSkipped, reason+"; "+d+", skipped by policy"), nil
			case "abort":
				r := h.finish(ctx, HostFailed, reason+"; "+d+", the policy aborts the cycle")
				r.AbortCycle = true
				return r, nil
			}
			return h.finish(ctx, HostFailed, reason+"; "+d), nil
		}
	}
}

// patchOnce runs the steps once; the host's state names the failing step.
func (h *hostRun) patchOnce(ctx workflow.Context) error {
	in := h.in
	cmdTimeout := orDefault(in.Steps.CommandTimeout, defaultCommandTimeout)
	base := HostInput{Inventory: in.Inventory, Host: in.Host, CommandTimeout: cmdTimeout}

	if err := h.step(ctx, HostPrechecking, "precheck", ActPrecheck, base, nil, cmdTimeout, 0); err != nil {
		return err
	}
	if h.snapshot == nil {
		var snap SnapshotResult
		si := base
		si.Pins = in.Pins
		if err := h.step(ctx, HostSnapshotting, "snapshot", ActSnapshot, si, &snap, cmdTimeout, 0); err != nil {
			return err
		}
		h.snapshot = snap.Pins
		if h.snapshot == nil {
			h.snapshot = []Pin{}
		}
		h.ctl.status.Snapshot = h.snapshot
	}
	for _, hook := range in.Steps.PreHooks {
		if err := h.hook(ctx, HostPreHooks, "pre_hooks", hook, base); err != nil {
			return err
		}
	}
	if h.ctl.rollbackRequested {
		return errRollbackRequested
	}
	h.applied = true
	var applied ApplyResult
	ai := base
	ai.Pins = in.Pins
	if err := h.step(ctx, HostApplying, "apply", ActApplyPins, ai, &applied, orDefault(in.Steps.ApplyTimeout, defaultApplyTimeout), heartbeatTimeout(cmdTimeout)); err != nil {
		return err
	}
	if err := h.maybeReboot(ctx, applied.RebootRequired, base); err != nil {
		return err
	}
	vi := base
	vi.Pins, vi.Checks = in.Pins, in.Checks
	if err := h.verify(ctx, vi); err != nil {
		return err
	}
	for _, hook := range in.Steps.PostHooks {
		if err := h.hook(ctx, HostPostHooks, "post_hooks", hook, base); err != nil {
			return err
		}
	}
	if h.ctl.rollbackRequested {
		return errRollbackRequested
	}
	return nil
}

func (h *hostRun) maybeReboot(ctx workflow.Context, required bool, base HostInput) error {
	policy := h.in.Steps.Reboot
	if policy == "never" || (policy != "always" && !required) {
		return nil
	}
	var rb RebootResult
	if err := h.step(ctx, HostRebooting, "reboot", ActReboot, base, &rb, 2*time.Minute, 0, 1); err != nil {
		return err
	}
	wi := base
	wi.BootID = rb.BootID
	if err := h.step(ctx, HostRebooting, "reboot_wait", ActWaitForHost, wi, nil, orDefault(h.in.Steps.RebootTimeout, defaultRebootTimeout), 30*time.Second, 1); err != nil {
		return err
	}
	h.rebooted = true
	return nil
}

func (h *hostRun) verify(ctx workflow.Context, vi HostInput) error {
	var vr VerifyResult
	timeout := orDefault(h.in.Steps.CommandTimeout, defaultCommandTimeout) * time.Duration(2+len(vi.Checks))
	if err := h.step(ctx, HostVerifying, "verify", ActVerify, vi, &vr, timeout, 0); err != nil {
		return err
	}
	if len(vr.Problems) > 0 {
		return fmt.Errorf("%s", joinProblems(vr.Problems))
	}
	return nil
}

func (h *hostRun) hook(ctx workflow.Context, state, step string, hook Hook, base HostInput) error {
	hi := base
	hi.Hook = &hook
	t := orDefault(hook.Timeout, orDefault(h.in.Steps.CommandTimeout, defaultCommandTimeout))
	return h.step(ctx, state, step, ActRunHook, hi, nil, t+30*time.Second, 0, 1)
}

// step runs one activity with the host in state; attempts[0] overrides the
// default retry count (hooks and reboots run once: they are not idempotent).
func (h *hostRun) step(ctx workflow.Context, state, step, activity string, in HostInput, out any, timeout, heartbeat time.Duration, attempts ...int32) error {
	h.setState(ctx, state, "")
	o := actOptions{timeout: timeout, heartbeat: heartbeat, summary: h.summary(step, in)}
	if len(attempts) > 0 {
		o.attempts = attempts[0]
	}
	start := workflow.Now(ctx)
	err := workflow.ExecuteActivity(withActivity(ctx, o), activity, in).Get(ctx, out)
	metricsFor(ctx, h.in.Policy, metricTagStep, step).Timer(MetricStepDuration).Record(since(ctx, start))
	return err
}

func (h *hostRun) summary(step string, in HostInput) string {
	switch step {
	case "apply", "rollback":
		return step + " " + in.Host + ": " + pinsSummary(in.Pins)
	case "pre_hooks", "post_hooks":
		return step + " " + in.Host + ": " + in.Hook.Name
	}
	return step + " " + in.Host
}

func (h *hostRun) setState(ctx workflow.Context, state, reason string) {
	if h.ctl.status.State != state {
		upsert(ctx, AttrHostState.ValueSet(state))
	}
	h.ctl.status.State, h.ctl.status.Reason = state, reason
	detail := state
	if reason != "" {
		detail += ": " + reason
	}
	workflow.SetCurrentDetails(ctx, detail)
}

// notifyParent tells the wave (or cycle) at once that this host failed, so
// the failure budget counts it before any operator decision.
func (h *hostRun) notifyParent(ctx workflow.Context, reason string) {
	// Only waves count failures; a rollback run's parent is the cycle.
	parent := workflow.GetInfo(ctx).ParentWorkflowExecution
	if parent == nil || h.in.Mode != HostModePatch {
		return
	}
	ev := HostOutcome{Host: h.in.Host, Wave: h.in.Wave, State: HostFailed, Reason: reason}
	// The signal is best effort: a parent that already closed needs no count.
	_ = workflow.SignalExternalWorkflow(ctx, parent.ID, "", signalHostFailed, ev).Get(ctx, nil)
}

// awaitDecision waits for retry, skip or rollback; on timeout it returns
// the reason text for the final state.
func (h *hostRun) awaitDecision(ctx workflow.Context) string {
	timeout := orDefault(h.in.Steps.DecisionTimeout, defaultDecisionTimeout)
	h.ctl.status.AwaitingDecision = true
	reason := h.ctl.status.Reason
	h.setState(ctx, HostAwaitingDecision, reason)
	ok, _ := workflow.AwaitWithTimeout(ctx, timeout, func() bool { return h.ctl.decision != "" || h.ctl.rollbackRequested })
	h.ctl.status.AwaitingDecision = false
	d := h.ctl.decision
	if d == "" && h.ctl.rollbackRequested {
		d = MsgRollback // asked while the host was failing, before it waited
	}
	h.ctl.decision, h.ctl.rollbackRequested = "", false
	if !ok {
		return "no operator decision within " + durationText(timeout)
	}
	return d
}

func (h *hostRun) finish(ctx workflow.Context, state, reason string) HostPatchResult {
	h.ctl.done = true
	h.setState(ctx, state, reason)
	d := since(ctx, h.started)
	m := metricsFor(ctx, h.in.Policy, metricTagWave, waveLabel(h.in.Wave), metricTagResult, state)
	m.Counter(MetricHosts).Inc(1)
	m.Timer(MetricHostDuration).Record(d)
	return HostPatchResult{
		HostOutcome: HostOutcome{Host: h.in.Host, Wave: h.in.Wave, State: state, Reason: reason,
			Pins: h.in.Pins, Snapshot: h.snapshot, Duration: d, Finished: workflow.Now(ctx)},
		Attempts: h.ctl.status.Attempt,
		Rebooted: h.rebooted,
	}
}

func joinProblems(p []string) string {
	s := ""
	for i, x := range p {
		if i > 0 {
			s += "; "
		}
		s += x
	}
	return s
}
