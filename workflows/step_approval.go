package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
)

// approvalGate waits for approve when the policy says manual, up to its
// timeout; on timeout the policy aborts (the default) or proceeds.
func (c *cycleRun) approvalGate(ctx workflow.Context) (string, bool) {
	a := c.spec.Approval
	if !a.Manual(c.rollout.plan) {
		return "", true
	}
	c.st.AwaitingApproval = true
	c.setState(ctx, domain.CycleAwaitingApproval, "plan: "+c.rollout.plan.Summary())
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
	case !ok:
		return "no approval within " + durationText(a.Timeout), false
	}
	return "", true
}
