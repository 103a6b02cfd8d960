package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
)

// patchOnce runs the steps once; the host's state names the failing step.
func (h *hostRun) patchOnce(ctx workflow.Context) error {
	in := h.in
	lim := in.Steps.Limits()
	base := HostInput{Inventory: in.Inventory, Host: in.Host, CommandTimeout: lim.Command}

	if err := h.prepareHost(base); err != nil {
		return err
	}
	if !h.touched && ctx.Err() != nil {
		return errCanceledUntouched
	}
	h.touched = true
	for _, hook := range in.Steps.PreHooks {
		if err := h.hook(domain.HostPreHooks, "pre_hooks", hook, base); err != nil {
			return err
		}
	}
	if h.ctl.rollbackRequested {
		return errRollbackRequested
	}
	h.applied = true
	h.ctl.status.Applied = true
	var applied ApplyResult
	ai := base
	ai.Pins = in.Pins
	if err := h.step(domain.HostApplying, "apply", ActApplyPins, ai, &applied, lim.Apply); err != nil {
		return err
	}
	if err := h.maybeReboot(applied.RebootRequired, base); err != nil {
		return err
	}
	vi := base
	vi.Pins, vi.Checks = in.Pins, in.Checks
	if err := h.verify(vi); err != nil {
		return err
	}
	for _, hook := range in.Steps.PostHooks {
		if err := h.hook(domain.HostPostHooks, "post_hooks", hook, base); err != nil {
			return err
		}
	}
	if h.ctl.rollbackRequested {
		return errRollbackRequested
	}
	return nil
}

// prepareHost checks the host can be patched (reachable, package manager
// healthy, lock free, disk space, rollback path) and, the first time,
// snapshots the installed versions of the planned packages: one activity
// since v2 (one round trip less per host), two before.
func (h *hostRun) prepareHost(base HostInput) error {
	lim := h.in.Steps.Limits()
	if h.prepare {
		if h.snapshot != nil {
			// A retry: the snapshot stays the one from before the first
			// install; the activity only prechecks again.
			return h.step(domain.HostPrechecking, "precheck", ActPrecheck, base, nil, lim.Precheck)
		}
		var snap SnapshotResult
		pi := base
		pi.Pins = h.in.Pins
		if err := h.step(domain.HostPrechecking, "precheck", ActPrepare, pi, &snap, lim.Precheck); err != nil {
			return err
		}
		h.keepSnapshot(snap.Pins)
		return nil
	}
	if err := h.step(domain.HostPrechecking, "precheck", ActPrecheck, base, nil, lim.Precheck); err != nil {
		return err
	}
	if h.snapshot == nil {
		var snap SnapshotResult
		si := base
		si.Pins = h.in.Pins
		if err := h.step(domain.HostSnapshotting, "snapshot", ActSnapshot, si, &snap, lim.Command); err != nil {
			return err
		}
		h.keepSnapshot(snap.Pins)
	}
	return nil
}

func (h *hostRun) keepSnapshot(pins []domain.Pin) {
	h.snapshot = pins
	if h.snapshot == nil {
		h.snapshot = []domain.Pin{}
	}
	h.ctl.status.Snapshot = h.snapshot
}

func (h *hostRun) maybeReboot(required bool, base HostInput) error {
	if !h.in.Steps.Reboot.Reboots(required) {
		return nil
	}
	var rb RebootResult
	if err := h.step(domain.HostRebooting, "reboot", ActReboot, base, &rb, 2*time.Minute, 1); err != nil {
		return err
	}
	wi := base
	wi.BootID = rb.BootID
	if err := h.step(domain.HostRebooting, "reboot_wait", ActWaitForHost, wi, nil, h.in.Steps.Limits().Reboot, 1); err != nil {
		return err
	}
	h.rebooted = true
	h.rebootedAt = workflow.Now(h.steps)
	return nil
}

func (h *hostRun) verify(vi HostInput) error {
	var vr VerifyResult
	timeout := domain.SaturatingSum(h.in.Steps.Limits().Verify, domain.SaturatingMul(h.in.Steps.Limits().Command, 1+len(vi.Checks)))
	if err := h.step(domain.HostVerifying, "verify", ActVerify, vi, &vr, timeout); err != nil {
		return err
	}
	if len(vr.Problems) > 0 {
		return fmt.Errorf("%s", strings.Join(vr.Problems, "; "))
	}
	return nil
}

func (h *hostRun) hook(state domain.HostState, step string, hook domain.Hook, base HostInput) error {
	hi := base
	hi.Hook = &hook
	return h.step(state, step, ActRunHook, hi, nil, h.in.Steps.HookLimit(hook)+30*time.Second, 1)
}

// step runs one activity with the host in state; attempts[0] overrides the
// default retry count (hooks and reboots run once: they are not idempotent).
func (h *hostRun) step(state domain.HostState, step, activity string, in HostInput, out any, timeout time.Duration, attempts ...int32) error {
	ctx := h.steps
	h.setState(ctx, state, "")
	o := actOptions{timeout: timeout, summary: h.summary(step, in)}
	if len(attempts) > 0 {
		o.attempts = attempts[0]
	}
	start := workflow.Now(ctx)
	err := workflow.ExecuteActivity(withActivity(ctx, o), activity, in).Get(ctx, out)
	metricsFor(ctx, h.in.Policy, metricTagStep, step).Timer(MetricStepDuration).Record(since(ctx, start))
	if err != nil {
		h.failedStep = step
	}
	return err
}

func (h *hostRun) summary(step string, in HostInput) string {
	switch step {
	case "apply", "rollback":
		return step + " " + in.Host + ": " + domain.PinsSummary(in.Pins)
	case "pre_hooks", "post_hooks":
		return step + " " + in.Host + ": " + in.Hook.Name
	}
	return step + " " + in.Host
}

// rollback installs the snapshot pins, reboots if the package manager asks
// for it, and verifies the host is at the snapshot again.
func (h *hostRun) rollback(_ workflow.Context) error {
	lim := h.in.Steps.Limits()
	base := HostInput{Inventory: h.in.Inventory, Host: h.in.Host, CommandTimeout: lim.Command}
	ri := base
	ri.Pins = h.snapshot
	var applied ApplyResult
	err := h.step(domain.HostRollingBack, "rollback", ActRollback, ri, &applied, lim.Apply)
	if err == nil {
		err = h.maybeReboot(applied.RebootRequired, base)
	}
	if err == nil {
		err = h.verify(ri)
	}
	result := "ok"
	if err != nil {
		result = "failed"
	} else {
		h.rolledBackAt = workflow.Now(h.steps)
	}
	metricsFor(h.steps, h.in.Policy, metricTagResult, result).Counter(MetricRollbacks).Inc(1)
	return err
}

// rollbackUntilDecided rolls the host back; a failed rollback waits for an
// operator as needs_repair.
func (h *hostRun) rollbackUntilDecided(ctx workflow.Context, reason string) HostPatchResult {
	if err := h.rollback(ctx); err != nil {
		return h.repairUntilDecided(ctx, reason+"; rollback failed: "+reasonOf(err))
	}
	return h.finish(ctx, domain.HostRolledBack, reason+"; rolled back to snapshot")
}

// repairUntilDecided parks a host whose rollback failed: retry or rollback
// try the rollback again, skip leaves it marked for manual repair.
func (h *hostRun) repairUntilDecided(ctx workflow.Context, reason string) HostPatchResult {
	for {
		h.notifyParent(ctx, reason, domain.HostNeedsRepair)
		h.setState(ctx, domain.HostNeedsRepair, reason)
		switch d := h.awaitDecision(ctx); d {
		case MsgRetry, MsgRollback:
			err := h.rollback(ctx)
			if err == nil {
				return h.finish(ctx, domain.HostRolledBack, reason+"; rolled back to snapshot on operator retry")
			}
			reason = "rollback failed again: " + reasonOf(err)
		case MsgSkip:
			return h.finish(ctx, domain.HostNeedsRepair, reason+"; skipped by operator, needs manual repair")
		default:
			return h.decisionTimedOut(ctx, domain.HostNeedsRepair, reason, d)
		}
	}
}
