package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/notify"
)

// approvalGate waits for approve when the policy says manual, up to its
// timeout; on timeout the policy aborts (the default) or proceeds.
func (c *cycleRun) approvalGate(ctx workflow.Context) (string, bool) {
	a := c.spec.Approval
	if !a.Manual(c.rollout.plan) {
		return "", true
	}
	if why := a.PlanRequired(c.spec.Policy, c.apply != nil); why != "" {
		return why, false
	}
	c.st.AwaitingApproval = true
	c.setState(ctx, domain.CycleAwaitingApproval, "plan: "+c.rollout.plan.Summary())
	info := &notify.ApprovalInfo{Hosts: len(c.rollout.refs), Updates: len(c.rollout.plan.Entries), OnTimeout: string(a.OnTimeout)}
	if a.Timeout > 0 {
		info.Deadline = workflow.Now(ctx).Add(a.Timeout)
		if info.OnTimeout == "" {
			info.OnTimeout = string(domain.ApprovalTimeoutAbort)
		}
	}
	c.notes.emit(ctx, notify.Event{Type: notify.CycleApprovalNeeded, Approval: info})
	cond := func() bool { return c.ctl.approved || c.ctl.aborting }
	ok := true
	var err error
	if a.Timeout > 0 {
		ok, err = workflow.AwaitWithTimeout(ctx, a.Timeout, cond)
	} else {
		err = workflow.Await(ctx, cond)
	}
	c.st.AwaitingApproval = false
	switch {
	case c.canceledBy(err):
		return "canceled before approval", false
	case c.ctl.aborting:
		return "aborted by operator before approval", false
	case !ok && a.OnTimeout == domain.ApprovalTimeoutProceed:
		workflow.GetLogger(ctx).Info("no approval within the timeout; proceeding as the policy says")
		c.notes.emit(ctx, notify.Event{Type: notify.CycleApproved, Approval: &notify.ApprovalInfo{By: "timeout"}})
	case !ok:
		return "no approval within " + durationText(a.Timeout), false
	default:
		c.notes.emit(ctx, notify.Event{Type: notify.CycleApproved, Approval: &notify.ApprovalInfo{By: c.ctl.approvedBy}})
	}
	return "", true
}
