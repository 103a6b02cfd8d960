package workflows

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/notify"
)

// Failure types of a cycle that did not succeed (the workflow's failure
// type in Temporal, so the UI and `temporal workflow list` show why).
const (
	ErrCycleFailed                = "CycleFailed"
	ErrCycleAborted               = "CycleAborted"
	ErrCycleCompletedWithFailures = "CycleCompletedWithFailures"
)

// finish ends the cycle: it rolls back on an abort that asked for it,
// waits for operator rollbacks in flight, settles the final state, records
// the metrics and the compliance report, and returns the result: as the
// workflow's result when the cycle succeeded, otherwise (since v2) as the
// details of a failed or canceled workflow.
func (c *cycleRun) finish(ctx workflow.Context, state domain.CycleState, reason string) (CycleResult, error) {
	if c.ctl.canceled {
		// Reporting must still happen on a canceled cycle.
		ctx = detached(ctx)
	}
	// A cycle that stopped during staging waits for its production scan
	// (no host changes there): no child is left running, every host has
	// its record.
	c.awaitProduction(ctx)
	if state == domain.CycleAborted && c.ctl.rollback {
		c.rollbackHosts(ctx, c.hosts.changed(-1), c.rollbackParallel(c.st.Wave), "cycle aborted with rollback")
		reason += "; every patched host rolled back"
	}
	// Rollbacks an operator asked for run to their end first; no new ones
	// are accepted once finished is set.
	c.ctl.finished = true
	_ = workflow.Await(ctx, func() bool { return len(c.ctl.requests) == 0 && c.ctl.hostRollbacks == 0 })
	if state == domain.CycleCompleted && c.compat.v2 && c.anyHostFailed() {
		state = domain.CycleCompletedWithFailures
		if reason == "" {
			reason = "some hosts were not patched; see hosts"
		}
	}
	c.st.Paused = false
	c.setState(ctx, state, reason)
	m := metricsFor(ctx, c.spec.Policy, metricTagResult, string(state))
	m.Timer(MetricCycleDuration).Record(since(ctx, c.started))
	m.Counter(MetricCycles).Inc(1)
	c.reportCompliance(ctx, state)
	c.notifyEnd(ctx, state, reason)
	c.notes.drain(ctx)
	res := CycleResult{CycleStatus: c.status(), Finished: workflow.Now(ctx), Reviewed: c.reviewedPlan}
	if !c.compat.v2 || state.Succeeded() {
		return res, nil
	}
	if state == domain.CycleCanceled && c.ctl.canceled {
		return CycleResult{}, temporal.NewCanceledError(res)
	}
	errType := ErrCycleFailed
	switch state {
	case domain.CycleAborted:
		errType = ErrCycleAborted
	case domain.CycleCompletedWithFailures:
		errType = ErrCycleCompletedWithFailures
	}
	return CycleResult{}, temporal.NewApplicationErrorWithOptions(summaryLine(res), errType,
		temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{res}})
}

// notifyEnd sends the cycle's last event: finished (also a dry run and a
// cycle that completed with failed hosts), failed, or aborted (also
// canceled).
func (c *cycleRun) notifyEnd(ctx workflow.Context, state domain.CycleState, reason string) {
	ev := notify.Event{Type: notify.CycleFinished, Reason: reason,
		Outcome: &notify.Outcome{State: string(state), Counts: notifyCounts(c.counts()), Duration: since(ctx, c.started)}}
	switch state {
	case domain.CycleFailed:
		ev.Type = notify.CycleFailed
		if ev.Reason == "" {
			ev.Reason = "failed"
		}
	case domain.CycleAborted, domain.CycleCanceled:
		ev.Type = notify.CycleAborted
	}
	c.notes.emit(ctx, ev)
}

// anyHostFailed reports whether a host ended failed, rolled back or in
// need of repair.
func (c *cycleRun) anyHostFailed() bool {
	cn := c.hosts.counts(c.hosts.order)
	return cn.Failed+cn.RolledBack+cn.NeedsRepair > 0
}

// summaryLine is the failure message of a cycle that did not succeed.
func summaryLine(r CycleResult) string {
	s := "cycle " + string(r.State)
	if r.Reason != "" {
		s += ": " + r.Reason
	}
	// Sprintf, not Fprintf: workflowcheck cannot tell a Builder from
	// os.Stdout and flags Fprintf in workflow code.
	cn := r.Counts
	return s + fmt.Sprintf("; hosts: %d patched, %d failed, %d rolled back, %d skipped", cn.Patched, cn.Failed+cn.NeedsRepair, cn.RolledBack, cn.Skipped)
}

// ResultOf returns the CycleResult of a finished cycle from the error its
// workflow ended with: the details of a failed or canceled cycle. It
// reports false for any other error (the cycle could not say).
func ResultOf(err error) (CycleResult, bool) {
	var res CycleResult
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.HasDetails() && app.Details(&res) == nil && res.CycleID != "" {
		return res, true
	}
	var canceled *temporal.CanceledError
	if errors.As(err, &canceled) && canceled.HasDetails() && canceled.Details(&res) == nil && res.CycleID != "" {
		return res, true
	}
	return CycleResult{}, false
}
