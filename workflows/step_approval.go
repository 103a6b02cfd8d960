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
	required := c.whyManual()
	if required == "" {
		c.st.Approval = &ApprovalRecord{Mode: ApprovedAuto, At: workflow.Now(ctx)}
		return "", true
	}
	if why := a.PlanRequired(c.spec.Policy, c.apply != nil); why != "" {
		return why, false
	}
	requested := workflow.Now(ctx)
	c.st.Approval = &ApprovalRecord{Mode: ApprovalPending, Required: required, RequestedAt: requested}
	c.st.AwaitingApproval = true
	reason := "plan: " + c.rollout.plan.Summary()
	if a.Mode != domain.ApprovalManual && a.Mode != domain.ApprovalPlan {
		// The policy approves automatically; say what made this plan
		// need a person.
		reason += "; " + required
	}
	c.setState(ctx, domain.CycleAwaitingApproval, reason)
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
		c.st.Approval = &ApprovalRecord{Mode: ApprovedOnTimeout, Required: required, RequestedAt: requested, At: workflow.Now(ctx)}
		c.notes.emit(ctx, notify.Event{Type: notify.CycleApproved, Approval: &notify.ApprovalInfo{By: "timeout"}})
	case !ok:
		return "no approval within " + durationText(a.Timeout), false
	default:
		c.st.Approval = c.approvedRecord(required, requested)
		c.notes.emit(ctx, notify.Event{Type: notify.CycleApproved, Approval: &notify.ApprovalInfo{By: c.ctl.approvedBy}})
	}
	return "", true
}
