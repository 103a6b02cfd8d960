package workflows

import (
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/notify"
)

// runHost runs one HostPatch child. A host whose workflow is already
// running belongs to another cycle: the wave retries until BusyTimeout,
// then skips it naming the cycle that holds it.
func (w *waveRun) runHost(ctx workflow.Context, t HostTarget) HostResult {
	in := HostPatchInput{CycleID: w.in.CycleID, Policy: w.in.Policy, Wave: w.in.Wave, Inventory: w.in.Inventory,
		Host: t.Host, Mode: w.in.Mode, Pins: t.PinsFrom(w.in.PlanPins), Steps: w.in.Steps, Checks: w.hostChecks}
	if w.in.Mode == HostModeRollback {
		in.Wave, in.Checks, in.Reason = t.Wave, nil, w.in.Reason
		in.Snapshot = w.in.SnapshotOf(t)
	}
	return runHostChild(ctx, in, orDefaultDuration(w.in.BusyTimeout, domain.DefaultBusyTimeout), func() bool { return w.p.Aborted || w.canceled })
}

// runHostChild starts HostPatch as a child with the host's workflow ID and
// returns its outcome; it is shared by waves and by cycle rollbacks.
func runHostChild(ctx workflow.Context, in HostPatchInput, busyTimeout time.Duration, aborted func() bool) HostResult {
	summary := "patch " + in.Host + ": " + domain.PinsSummary(in.Pins)
	if in.Mode == HostModeRollback {
		summary = "roll back " + in.Host + " to " + domain.PinsSummary(in.Snapshot)
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            HostWorkflowID(in.Host),
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		StaticSummary:         summary,
		StaticDetails:         fmt.Sprintf("cycle %s, wave %s, mode %s", in.CycleID, waveLabel(in.Wave), in.Mode),
		// A canceled wave waits for its hosts, and a wave that closes
		// asks them to cancel rather than terminating them: a host is
		// never cut off in the middle of a package operation.
		WaitForCancellation: true,
		ParentClosePolicy:   enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			AttrPolicy.ValueSet(in.Policy), AttrCycle.ValueSet(in.CycleID), AttrHost.ValueSet(in.Host),
			AttrWave.ValueSet(waveLabel(in.Wave)), AttrHostState.ValueSet(string(domain.HostPending))),
	})
	deadline := workflow.Now(ctx).Add(busyTimeout)
	failed := func(reason string) HostResult {
		return HostResult{Host: in.Host, Wave: in.Wave, State: domain.HostFailed, Reason: reason, Pins: in.Pins}
	}
	for {
		fut := workflow.ExecuteChildWorkflow(cctx, HostPatch, in)
		err := fut.GetChildWorkflowExecution().Get(ctx, nil)
		if err == nil {
			var res HostPatchResult
			if err := fut.Get(ctx, &res); err != nil {
				return failed("host workflow failed: " + reasonOf(err))
			}
			return res.HostResult
		}
		if !isAlreadyStarted(err) {
			return failed("start host workflow: " + reasonOf(err))
		}
		now := workflow.Now(ctx)
		if !now.Before(deadline) || aborted() {
			return HostResult{Host: in.Host, Wave: in.Wave, State: domain.HostSkipped, Pins: in.Pins,
				Reason: "busy: patched by " + holderOf(ctx, in.Host)}
		}
		wait := min(busyRetryInterval, deadline.Sub(now))
		if _, err := workflow.AwaitWithTimeout(ctx, wait, aborted); err != nil {
			return HostResult{Host: in.Host, Wave: in.Wave, State: domain.HostCanceled, Pins: in.Pins,
				Reason: "canceled while another cycle held the host"}
		}
	}
}

// isAlreadyStarted reports a start refused because the host's workflow ID
// is held by a running workflow (the server reports it as the child error's
// cause; the SDK's test environment as the service error).
func isAlreadyStarted(err error) bool {
	var child *temporal.ChildWorkflowExecutionAlreadyStartedError
	var svc *serviceerror.WorkflowExecutionAlreadyStarted
	return errors.As(err, &child) || errors.As(err, &svc)
}

// holderOf names the cycle whose HostPatch holds the host's workflow ID.
func holderOf(ctx workflow.Context, host string) string {
	var lock HostLockResult
	actx := withActivity(ctx, actOptions{timeout: time.Minute, summary: "who patches " + host})
	if err := workflow.ExecuteActivity(actx, ActHostLock, HostInput{Host: host}).Get(ctx, &lock); err != nil || lock.Cycle == "" {
		return "another cycle"
	}
	return lock.Cycle
}

func (w *waveRun) register(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (WaveStatus, error) {
		state := "running"
		switch {
		case w.canceled:
			state = "canceling"
		case w.p.Paused:
			state = "paused"
		case w.noMoreLaunches() && len(w.inFlight) > 0:
			state = "draining"
		}
		var counts Counts
		for _, o := range w.p.Outcomes {
			counts.Add(o.State)
		}
		pending := len(w.in.Targets) - w.p.Next + len(w.inFlight)
		counts.Total += pending
		counts.Pending = pending
		return WaveStatus{Wave: w.in.Wave, Mode: w.in.Mode, State: state, Paused: w.p.Paused, Breached: w.p.Breached, Aborted: w.p.Aborted,
			InFlight: append([]string(nil), w.inFlight...), MaxParallel: w.in.MaxParallel, Failures: len(w.p.Failed),
			BudgetLeft: w.in.BudgetLeft, Counts: counts, Hosts: w.p.Outcomes}, nil
	}); err != nil {
		return err
	}
	for _, name := range []string{MsgPause, MsgResume, MsgAbort, signalHostFailed} {
		ch := workflow.GetSignalChannel(ctx, name)
		workflow.Go(ctx, func(ctx workflow.Context) {
			for {
				var ev hostFailedSignal
				ch.Receive(ctx, &ev)
				w.onSignal(ctx, name, ev)
			}
		})
	}
	return nil
}

func (w *waveRun) onSignal(ctx workflow.Context, name string, ev hostFailedSignal) {
	switch name {
	case MsgPause:
		w.p.Paused = true
	case MsgResume:
		w.p.Paused = false
	case MsgAbort:
		w.p.Aborted = true
	case signalHostFailed:
		if ev.Host != "" && w.in.Mode == HostModePatch {
			state := domain.HostFailed
			if ev.State == domain.HostNeedsRepair {
				state = domain.HostNeedsRepair
			}
			w.notes.emit(ctx, notify.Event{Type: notify.HostFailed, Reason: ev.Reason,
				Host: &notify.HostInfo{Name: ev.Host, Wave: w.in.Wave, State: string(state), Step: ev.Step}})
			w.countFailure(ctx, ev.Host)
		}
	}
}

// drainSignals handles signals that arrived but were not yet received, so
// none is lost when the run continues as new.
func (w *waveRun) drainSignals(ctx workflow.Context) {
	for _, name := range []string{MsgPause, MsgResume, MsgAbort, signalHostFailed} {
		ch := workflow.GetSignalChannel(ctx, name)
		for {
			var ev hostFailedSignal
			if !ch.ReceiveAsync(&ev) {
				break
			}
			w.onSignal(ctx, name, ev)
		}
	}
}
