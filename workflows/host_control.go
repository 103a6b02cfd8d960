package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
)

// HostRequest names a host in cycle messages (MsgRollbackHost).
type HostRequest struct {
	Host string `json:"host"`
}

// DecisionReply answers a host update: the host's state after the decision
// was taken up.
type DecisionReply struct {
	Host  string           `json:"host"`
	State domain.HostState `json:"state"`
}

// hostControl holds the operator decisions of one HostPatch run. The
// handlers only record; the workflow's main coroutine acts.
type hostControl struct {
	status            HostStatus
	decision          string // retry, skip or rollback, while awaiting
	rollbackRequested bool   // rollback asked while the patch was running
	done              bool
}

func (c *hostControl) register(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (HostStatus, error) {
		return c.status, nil
	}); err != nil {
		return err
	}
	for _, name := range []string{MsgRetry, MsgSkip, MsgRollback} {
		ch := workflow.GetSignalChannel(ctx, name)
		workflow.Go(ctx, func(ctx workflow.Context) {
			for {
				ch.Receive(ctx, nil)
				if err := c.validate(name); err != nil {
					workflow.GetLogger(ctx).Warn("operator signal ignored", "signal", name, "reason", err.Error())
					continue
				}
				c.take(name)
			}
		})
		if err := workflow.SetUpdateHandlerWithOptions(ctx, name,
			func(ctx workflow.Context) (DecisionReply, error) {
				c.take(name)
				return DecisionReply{Host: c.status.Host, State: c.status.State}, nil
			},
			workflow.UpdateHandlerOptions{Validator: func() error { return c.validate(name) }},
		); err != nil {
			return err
		}
	}
	return nil
}

// validate accepts retry and skip only from a host waiting for a decision,
// and rollback from a waiting host or one still being patched.
func (c *hostControl) validate(name string) error {
	switch {
	case c.done:
		return fmt.Errorf("host %s: workflow is finishing (state %s); start a new cycle or rollback from the cycle", c.status.Host, c.status.State)
	case c.status.AwaitingDecision:
		return nil
	case name == MsgRollback && c.status.Mode == HostModePatch:
		return nil
	default:
		return fmt.Errorf("host %s is not waiting for a decision (state %s): %s applies only after a failure", c.status.Host, c.status.State, name)
	}
}

func (c *hostControl) take(name string) {
	if c.status.AwaitingDecision || c.status.State == domain.HostFailed || c.status.State == domain.HostNeedsRepair {
		c.decision = name
		return
	}
	if name == MsgRollback {
		c.rollbackRequested = true
	}
}
