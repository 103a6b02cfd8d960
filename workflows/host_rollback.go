package workflows

import "go.temporal.io/sdk/workflow"

// rollback installs the snapshot pins, reboots if the package manager asks
// for it, and verifies the host is at the snapshot again.
func (h *hostRun) rollback(ctx workflow.Context) error {
	cmdTimeout := orDefault(h.in.Steps.CommandTimeout, defaultCommandTimeout)
	base := HostInput{Inventory: h.in.Inventory, Host: h.in.Host, CommandTimeout: cmdTimeout}
	ri := base
	ri.Pins = h.snapshot
	var applied ApplyResult
	err := h.step(ctx, HostRollingBack, "rollback", ActRollback, ri, &applied, orDefault(h.in.Steps.ApplyTimeout, defaultApplyTimeout), heartbeatTimeout(cmdTimeout))
	if err == nil {
		err = h.maybeReboot(ctx, applied.RebootRequired, base)
	}
	if err == nil {
		err = h.verify(ctx, ri)
	}
	result := "ok"
	if err != nil {
		result = "failed"
	}
	metricsFor(ctx, h.in.Policy, metricTagResult, result).Counter(MetricRollbacks).Inc(1)
	return err
}

// rollbackUntilDecided rolls the host back; a failed rollback waits for an
// operator as needs_repair.
func (h *hostRun) rollbackUntilDecided(ctx workflow.Context, reason string) HostPatchResult {
	if err := h.rollback(ctx); err != nil {
		return h.repairUntilDecided(ctx, reason+"; rollback failed: "+reasonOf(err))
	}
	return h.finish(ctx, HostRolledBack, reason+"; rolled back to snapshot")
}

// repairUntilDecided parks a host whose rollback failed: retry or rollback
// try the rollback again, skip leaves it marked for manual repair.
func (h *hostRun) repairUntilDecided(ctx workflow.Context, reason string) HostPatchResult {
	for {
		h.notifyParent(ctx, reason)
		h.setState(ctx, HostNeedsRepair, reason)
		switch d := h.awaitDecision(ctx); d {
		case MsgRetry, MsgRollback:
			err := h.rollback(ctx)
			if err == nil {
				return h.finish(ctx, HostRolledBack, reason+"; rolled back to snapshot on operator retry")
			}
			reason = "rollback failed again: " + reasonOf(err)
		case MsgSkip:
			return h.finish(ctx, HostNeedsRepair, reason+"; skipped by operator, needs manual repair")
		default:
			r := h.finish(ctx, HostNeedsRepair, reason+"; needs manual repair; "+d)
			r.AbortCycle = h.in.Steps.OnDecisionTimeout == "abort"
			return r
		}
	}
}
