package workflows

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/notify"
)

// AbortRequest is the payload of the cycle's abort message.
type AbortRequest struct {
	// Rollback returns every host the cycle patched to its snapshot,
	// newest first, before the cycle ends.
	Rollback bool `json:"rollback"`
}

// ApproveRequest is the payload of the cycle's approve message.
type ApproveRequest struct {
	// PlanSHA256 approves by reviewed plan: it must be the sha256 of the
	// plan the cycle applies (required when the policy approves by plan).
	PlanSHA256 string `json:"plan_sha256,omitempty"`
	// Comment is the approver's note (a change ticket), kept in the
	// cycle's approval record.
	Comment string `json:"comment,omitempty"`
}

// CycleReply answers a cycle update with the state it left the cycle in.
type CycleReply struct {
	CycleID string            `json:"cycle_id"`
	State   domain.CycleState `json:"state"`
	Paused  bool              `json:"paused"`
}

// cycleControl is what operators asked of the cycle. The message handlers
// only record; the cycle's steps act on it.
type cycleControl struct {
	approved bool
	// approvedBy is who opened the approval gate (notify.ApprovalInfo.By):
	// an operator, or "plan" when the approval named the reviewed plan the
	// cycle applies (its sha256 is the status's plan_sha256).
	approvedBy string
	// approveSignals counts the approve signals received, valid or not;
	// approval is the message that approved.
	approveSignals int
	approval       approval
	// approvingUpdate is the ID of the approve update being applied.
	approvingUpdate string
	aborting        bool
	rollback        bool // abort with rollback
	canceled        bool // Temporal canceled the cycle
	finished        bool
	requests        []string // MsgRollbackHost queue; the head is being served
	// hostRollbacks counts MsgRollbackHost rollbacks running.
	hostRollbacks int
}

func (c *cycleRun) register(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (CycleStatus, error) {
		return c.status(), nil
	}); err != nil {
		return err
	}
	if err := workflow.SetQueryHandler(ctx, QueryHosts, func(q HostsQuery) (HostsPage, error) {
		return c.hosts.reports(q), nil
	}); err != nil {
		return err
	}
	handlers := []struct {
		name     string
		validate func(controlPayload) error
		apply    func(workflow.Context, controlPayload)
	}{
		{MsgApprove, func(p controlPayload) error { return c.validateApprove(p.ApproveRequest) }, func(ctx workflow.Context, p controlPayload) { c.approve(ctx, p.ApproveRequest) }},
		{MsgPause, func(controlPayload) error { return c.validatePause() }, func(ctx workflow.Context, _ controlPayload) { c.setPaused(ctx, true) }},
		{MsgResume, func(controlPayload) error { return c.validateResume() }, func(ctx workflow.Context, _ controlPayload) { c.setPaused(ctx, false) }},
		{MsgAbort, func(controlPayload) error { return c.validateRunning() }, func(ctx workflow.Context, p controlPayload) { c.abort(ctx, p.AbortRequest) }},
		{MsgRollbackHost, func(p controlPayload) error { return c.validateRollbackHost(p.Host) }, func(_ workflow.Context, p controlPayload) {
			c.ctl.requests = append(c.ctl.requests, p.Host)
		}},
	}
	for _, hd := range handlers {
		ch := workflow.GetSignalChannel(ctx, hd.name)
		workflow.Go(ctx, func(ctx workflow.Context) {
			for {
				var p controlPayload
				ch.Receive(ctx, &p)
				if hd.name == MsgApprove {
					c.ctl.approveSignals++
				}
				if err := hd.validate(p); err != nil {
					workflow.GetLogger(ctx).Warn("operator signal ignored", "signal", hd.name, "reason", err.Error())
					continue
				}
				hd.apply(ctx, p)
			}
		})
		if err := workflow.SetUpdateHandlerWithOptions(ctx, hd.name,
			func(ctx workflow.Context, p controlPayload) (CycleReply, error) {
				if hd.name == MsgApprove {
					// The approval record names the update that approved.
					c.ctl.approvingUpdate = workflow.GetCurrentUpdateInfo(ctx).ID
					defer func() { c.ctl.approvingUpdate = "" }()
				}
				hd.apply(ctx, p)
				return CycleReply{CycleID: c.st.CycleID, State: c.st.State, Paused: c.st.Paused}, nil
			},
			workflow.UpdateHandlerOptions{Validator: func(p controlPayload) error { return hd.validate(p) }},
		); err != nil {
			return err
		}
	}
	return nil
}

// controlPayload decodes every operator message: AbortRequest,
// HostRequest and ApproveRequest have distinct fields and unknown ones are
// ignored.
type controlPayload struct {
	AbortRequest
	HostRequest
	ApproveRequest
}

// status is the status query's answer: the summary, with the first hosts
// that did not end patched.
func (c *cycleRun) status() CycleStatus {
	s := c.st
	s.Counts = c.counts()
	if len(c.hooks) > 0 {
		n := c.notes.status
		n.add(c.waveNotes)
		s.Notifications = &n
	}
	s.Hosts, s.HostsOmitted = c.hosts.notPatched(maxReportedHosts)
	return s
}

// counts sums every target's outcome, with the planned hosts that have
// none yet as pending.
func (c *cycleRun) counts() Counts {
	all := c.hosts.counts(c.hosts.order)
	for _, h := range c.rollout.staging {
		if !c.hosts.has(h) {
			all.Total++
			all.Pending++
		}
	}
	for _, w := range c.rollout.waves {
		for _, h := range w {
			if !c.hosts.has(h) {
				all.Total++
				all.Pending++
			}
		}
	}
	return all
}

func (c *cycleRun) validateRunning() error {
	if c.ctl.finished || c.ctl.aborting || c.ctl.canceled {
		return fmt.Errorf("cycle %s is %s: nothing to steer", c.st.CycleID, c.st.State)
	}
	return nil
}

func (c *cycleRun) validateApprove(r ApproveRequest) error {
	if err := c.validateRunning(); err != nil {
		return err
	}
	switch s := c.st.State; {
	case c.ctl.approved, s != domain.CycleAwaitingApproval && s != domain.CycleResolving && s != domain.CycleScanning:
		return fmt.Errorf("cycle %s is %s, not waiting for approval", c.st.CycleID, c.st.State)
	}
	byPlan := c.spec.Approval.Mode == domain.ApprovalPlan
	switch {
	case r.PlanSHA256 == "" && !byPlan:
		return nil
	case c.apply == nil:
		return fmt.Errorf("cycle %s applies no reviewed plan, so no plan can approve it", c.st.CycleID)
	case r.PlanSHA256 == "":
		return fmt.Errorf("policy %s approves by reviewed plan: approve with the plan it runs (patchflow cycle approve %s --plan FILE)", c.spec.Policy, c.st.CycleID)
	case r.PlanSHA256 != c.apply.SHA256:
		return fmt.Errorf("plan %s is not the plan cycle %s applies (%s): approve with the reviewed plan", r.PlanSHA256, c.st.CycleID, c.apply.SHA256)
	}
	return nil
}

func (c *cycleRun) approve(ctx workflow.Context, r ApproveRequest) {
	c.noteApproval(ctx, r)
	c.ctl.approved = true
	c.ctl.approvedBy = "operator"
	if r.PlanSHA256 != "" {
		c.ctl.approvedBy = "plan"
	}
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
	if c.hosts.isChanged(host) {
		return nil
	}
	return fmt.Errorf("host %q was not patched by cycle %s (or is not finished yet); a failed host is rolled back with the host's own rollback", host, c.st.CycleID)
}

// setPaused records the pause and forwards it to the running wave, which
// stops starting hosts; hosts in flight finish.
func (c *cycleRun) setPaused(ctx workflow.Context, paused bool) {
	c.st.Paused = paused
	if paused {
		c.notes.emit(ctx, notify.Event{Type: notify.CyclePaused, Reason: "paused by an operator"})
	} else {
		c.notes.emit(ctx, notify.Event{Type: notify.CycleResumed})
	}
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
		upsert(ctx, AttrCycleState.ValueSet(string(domain.CyclePaused)))
	} else {
		upsert(ctx, AttrCycleState.ValueSet(string(c.st.State)))
	}
}

func (c *cycleRun) abort(ctx workflow.Context, a AbortRequest) {
	c.ctl.aborting, c.ctl.rollback = true, a.Rollback
	c.st.Aborting = true
	if c.st.CurrentWorkflow != "" {
		workflow.SignalExternalWorkflow(ctx, c.st.CurrentWorkflow, "", MsgAbort, a)
	}
}

// awaitUnpaused waits while the cycle is paused (or until an abort). It
// returns false when the cycle was canceled.
func (c *cycleRun) awaitUnpaused(ctx workflow.Context) bool {
	err := workflow.Await(ctx, func() bool { return !c.st.Paused || c.ctl.aborting })
	return !c.canceledBy(err)
}

// canceledBy notes a cancellation an Await reported and says whether
// there was one.
func (c *cycleRun) canceledBy(err error) bool {
	var canceled *temporal.CanceledError
	if err != nil && (errors.As(err, &canceled) || errors.Is(err, workflow.ErrCanceled)) {
		c.ctl.canceled, c.st.Canceling = true, true
	}
	return c.ctl.canceled
}

func (c *cycleRun) setState(ctx workflow.Context, state domain.CycleState, reason string) {
	if c.ctl.canceled {
		ctx = detached(ctx)
	}
	if c.st.State != state && !(c.st.Paused && state != domain.CyclePaused) {
		upsert(ctx, AttrCycleState.ValueSet(string(state)))
	}
	c.st.State, c.st.Reason = state, reason
	d := string(state)
	if reason != "" {
		d += ": " + reason
	}
	workflow.SetCurrentDetails(ctx, d)
}

// serveRollbackRequests runs MsgRollbackHost requests one at a time while
// the cycle runs.
func (c *cycleRun) serveRollbackRequests(ctx workflow.Context) {
	for {
		if err := workflow.Await(ctx, func() bool { return len(c.ctl.requests) > 0 }); err != nil {
			// Canceled: requests already taken are still served, on a
			// context the cancellation does not stop.
			ctx = detached(ctx)
			if len(c.ctl.requests) == 0 {
				return
			}
		}
		host := c.ctl.requests[0]
		c.ctl.hostRollbacks++
		if c.hosts.isChanged(host) {
			c.rollbackOne(ctx, host, "rolled back by the cycle: operator asked to roll back "+host)
		}
		c.ctl.requests = c.ctl.requests[1:]
		c.ctl.hostRollbacks--
	}
}
