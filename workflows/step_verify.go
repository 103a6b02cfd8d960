package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
)

// verifyAll is the final verification scan, in batches: every host the
// cycle patched must still be at the plan's versions with a healthy
// package manager. A host that is not is failed (and stays changed, so a
// later rollback includes it).
func (c *cycleRun) verifyAll(ctx workflow.Context) {
	c.setState(ctx, domain.CycleVerifying, "")
	if c.compat.verifyAfterRollbacks {
		// A host an operator is rolling back is not the plan's to verify.
		_ = workflow.Await(ctx, func() bool { return len(c.ctl.requests) == 0 && c.ctl.hostRollbacks == 0 })
	}
	var patched []HostTarget
	for _, h := range c.hosts.order {
		if r, _ := c.hosts.final(h); r.State == domain.HostPatched {
			patched = append(patched, HostTarget{Host: h, Refs: domain.NewRefSet(c.rollout.refs[h])})
		}
	}
	for _, f := range c.hostBatches(ctx, batchVerify, patched, 2*c.spec.Host.Limits().Verify) {
		if r, _ := c.hosts.final(f.Host); c.compat.verifyAfterRollbacks && r.State != domain.HostPatched {
			continue // rolled back by an operator while the verify ran
		}
		c.hosts.fail(f.Host, "final verify: "+f.Problem)
	}
	c.refreshStages()
}
