package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"
)

// AbortRequest is the payload of the cycle's abort message.
type AbortRequest struct {
	// Rollback returns every host the cycle patched to its snapshot,
	// newest first, before the cycle ends.
	Rollback bool `json:"rollback"`
}

// CycleReply answers a cycle update with the state it left the cycle in.
type CycleReply struct {
	CycleID string `json:"cycle_id"`
	State   string `json:"state"`
	Paused  bool   `json:"paused"`
}

func (c *cycleRun) register(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (CycleStatus, error) {
		s := c.st
		s.Hosts = c.publicOutcomes()
		s.Counts = CountOutcomes(c.outcomes, c.pendingHosts())
		return s, nil
	}); err != nil {
		return err
	}
	handlers := []struct {
		name     string
		validate func(AbortRequest, HostRequest) error
		apply    func(workflow.Context, AbortRequest, HostRequest)
	}{
		{MsgApprove, func(AbortRequest, HostRequest) error { return c.validateApprove() }, func(workflow.Context, AbortRequest, HostRequest) { c.approved = true }},
		{MsgPause, func(AbortRequest, HostRequest) error { return c.validatePause() }, func(ctx workflow.Context, _ AbortRequest, _ HostRequest) { c.setPaused(ctx, true) }},
		{MsgResume, func(AbortRequest, HostRequest) error { return c.validateResume() }, func(ctx workflow.Context, _ AbortRequest, _ HostRequest) { c.setPaused(ctx, false) }},
		{MsgAbort, func(AbortRequest, HostRequest) error { return c.validateRunning() }, func(ctx workflow.Context, a AbortRequest, _ HostRequest) { c.abort(ctx, a) }},
		{MsgRollbackHost, func(_ AbortRequest, h HostRequest) error { return c.validateRollbackHost(h.Host) }, func(_ workflow.Context, _ AbortRequest, h HostRequest) {
			c.requests = append(c.requests, h.Host)
		}},
	}
	for _, hd := range handlers {
		hd := hd
		// One payload struct decodes every message: AbortRequest and
		// HostRequest have distinct fields and unknown ones are ignored.
		type payload struct {
			AbortRequest
			HostRequest
		}
		ch := workflow.GetSignalChannel(ctx, hd.name)
		workflow.Go(ctx, func(ctx workflow.Context) {
			for {
				var p payload
				ch.Receive(ctx, &p)
				if err := hd.validate(p.AbortRequest, p.HostRequest); err != nil {
					workflow.GetLogger(ctx).Warn("operator signal ignored", "signal", hd.name, "reason", err.Error())
					continue
				}
				hd.apply(ctx, p.AbortRequest, p.HostRequest)
			}
		})
		if err := workflow.SetUpdateHandlerWithOptions(ctx, hd.name,
			func(ctx workflow.Context, p payload) (CycleReply, error) {
				hd.apply(ctx, p.AbortRequest, p.HostRequest)
				return CycleReply{CycleID: c.st.CycleID, State: c.st.State, Paused: c.st.Paused}, nil
			},
			workflow.UpdateHandlerOptions{Validator: func(p payload) error { return hd.validate(p.AbortRequest, p.HostRequest) }},
		); err != nil {
			return err
		}
	}
	return nil
}

func (c *cycleRun) validateRunning() error {
	if c.finished || c.aborting {
		return fmt.Errorf("cycle %s is %s: nothing to steer", c.st.CycleID, c.st.State)
	}
	return nil
}

func (c *cycleRun) validateApprove() error {
	if err := c.validateRunning(); err != nil {
		return err
	}
	if c.approved || c.st.State != CycleAwaitingApproval && c.st.State != CycleResolving && c.st.State != CycleScanning {
		return fmt.Errorf("cycle %s is %s, not waiting for approval", c.st.CycleID, c.st.State)
	}
	return nil
}

func (c *cycleRun) validatePause() error {
	if err := c.validateRunning(); err != nil {
		return err
	}
	if c.st.Paused {
		return fmt.Errorf("cycle %s is already paused", c.st.CycleID)
	}
	return nil
}

func (c *cycleRun) validateResume() error {
	if err := c.validateRunning(); err != nil {
		return err
	}
	if !c.st.Paused && !c.win.parked {
		return fmt.Errorf("cycle %s is not paused (state %s)", c.st.CycleID, c.st.State)
	}
	return nil
}

func (c *cycleRun) validateRollbackHost(host string) error {
	if err := c.validateRunning(); err != nil {
		return err
	}
	for _, o := range c.outcomes {
		if o.Host == host && (o.State == HostPatched || o.Changed) {
			return nil
		}
	}
	return fmt.Errorf("host %q was not patched by cycle %s (or is not finished yet); a failed host is rolled back with the host's own rollback", host, c.st.CycleID)
}

// setPaused records the pause and forwards it to the running wave, which
// stops starting hosts; hosts in flight finish.
func (c *cycleRun) setPaused(ctx workflow.Context, paused bool) {
	c.st.Paused = paused
	if !paused {
		c.resumeParked()
	}
	name := MsgResume
	if paused {
		name = MsgPause
	}
	if c.st.CurrentWorkflow != "" {
		workflow.SignalExternalWorkflow(ctx, c.st.CurrentWorkflow, "", name, nil)
	}
	if paused {
		upsert(ctx, AttrCycleState.ValueSet(CyclePaused))
	} else {
		upsert(ctx, AttrCycleState.ValueSet(c.st.State))
	}
}

func (c *cycleRun) abort(ctx workflow.Context, a AbortRequest) {
	c.aborting, c.rollback = true, a.Rollback
	c.st.Aborting = true
	if c.st.CurrentWorkflow != "" {
		workflow.SignalExternalWorkflow(ctx, c.st.CurrentWorkflow, "", MsgAbort, a)
	}
}

// approvalGate waits for approve when the policy says manual.
func (c *cycleRun) approvalGate(ctx workflow.Context) (string, bool) {
	if c.spec.Approval.Mode != "manual" {
		return "", true
	}
	c.st.AwaitingApproval = true
	c.setState(ctx, CycleAwaitingApproval, "")
	cond := func() bool { return c.approved || c.aborting }
	ok := true
	if t := c.spec.Approval.Timeout; t > 0 {
		ok, _ = workflow.AwaitWithTimeout(ctx, t, cond)
	} else {
		_ = workflow.Await(ctx, cond)
	}
	c.st.AwaitingApproval = false
	switch {
	case c.aborting:
		return "aborted by operator before approval", false
	case !ok && c.spec.Approval.OnTimeout == "proceed":
		workflow.GetLogger(ctx).Info("no approval within the timeout; proceeding as the policy says")
	case !ok:
		return "no approval within " + durationText(c.spec.Approval.Timeout), false
	}
	return "", true
}

func (c *cycleRun) setState(ctx workflow.Context, state, reason string) {
	if c.st.State != state && !(c.st.Paused && state != CyclePaused) {
		upsert(ctx, AttrCycleState.ValueSet(state))
	}
	c.st.State, c.st.Reason = state, reason
	d := state
	if reason != "" {
		d += ": " + reason
	}
	workflow.SetCurrentDetails(ctx, d)
}

// finishOrAbort ends a cycle that stopped early: aborted (rolling back
// first when asked) or failed with the reason.
func (c *cycleRun) finishOrAbort(ctx workflow.Context, reason string) CycleResult {
	if c.aborting {
		if c.rollback {
			c.rollbackHosts(ctx, c.changedHosts(-1), c.rollbackParallel(), "cycle aborted with rollback")
			reason += "; every patched host rolled back"
		}
		return c.finish(ctx, CycleAborted, reason)
	}
	return c.finish(ctx, CycleFailed, reason)
}

func (c *cycleRun) finish(ctx workflow.Context, state, reason string) CycleResult {
	// Rollbacks an operator asked for run to their end first; no new ones
	// are accepted once finished is set.
	c.finished = true
	_ = workflow.Await(ctx, func() bool { return len(c.requests) == 0 && c.hostRollbacks == 0 })
	c.st.Paused = false
	c.setState(ctx, state, reason)
	c.st.Counts = CountOutcomes(c.outcomes, c.pendingHosts())
	c.st.Hosts = c.publicOutcomes()
	m := metricsFor(ctx, c.spec.Policy, metricTagResult, state)
	m.Timer(MetricCycleDuration).Record(since(ctx, c.started))
	m.Counter(MetricCycles).Inc(1)
	c.reportCompliance(ctx, state)
	return CycleResult{CycleStatus: c.st, Finished: workflow.Now(ctx)}
}

// pendingHosts counts planned hosts without an outcome yet.
func (c *cycleRun) pendingHosts() int {
	done := map[string]bool{}
	for _, o := range c.outcomes {
		done[o.Host] = true
	}
	n := 0
	for _, h := range c.st.StagingHosts {
		if !done[h] {
			n++
		}
	}
	for _, w := range c.st.WaveHosts {
		for _, h := range w {
			if !done[h] {
				n++
			}
		}
	}
	return n
}

// publicOutcomes is the per-host list a query or the result shows: without
// pins (the plan has them) and with the snapshot only where an operator may
// need it to repair a host, so 10,000 hosts fit in one payload.
func (c *cycleRun) publicOutcomes() []HostOutcome {
	out := make([]HostOutcome, len(c.outcomes))
	for i, o := range c.outcomes {
		o.Pins, o.Finished = nil, time.Time{}
		if o.State != HostFailed && o.State != HostNeedsRepair {
			o.Snapshot = nil
		}
		out[i] = o
	}
	return out
}
