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
	var patched []HostTarget
	for _, h := range c.hosts.order {
		if r, _ := c.hosts.final(h); r.State == domain.HostPatched {
			patched = append(patched, HostTarget{Host: h, Refs: domain.NewRefSet(c.rollout.refs[h])})
		}
	}
	for _, f := range c.hostBatches(ctx, batchVerify, patched, 2*c.spec.Host.Limits().Verify) {
		c.hosts.fail(f.Host, "final verify: "+f.Problem)
	}
	c.refreshStages()
}
