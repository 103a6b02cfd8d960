package workflows

import (
	"fmt"
	"time"

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
			patched = append(patched, HostTarget{Host: h, Refs: c.rollout.refs[h]})
		}
	}
	verify := c.spec.Host.Limits().Verify
	results, _ := runBatches(ctx, patched, c.compat.scanBatch(), c.batchesInFlight(),
		func(ctx workflow.Context, b []HostTarget) workflow.Future {
			actx := withActivity(ctx, actOptions{timeout: 2 * verify * time.Duration(1+len(b)/batchParallel),
				summary: fmt.Sprintf("final verify %d hosts: %s..%s", len(b), b[0].Host, b[len(b)-1].Host)})
			in := VerifyBatchInput{Inventory: c.spec.Inventory.Source, Targets: c.wireTargets(b), PlanPins: c.wirePins(), Parallel: batchParallel}
			return workflow.ExecuteActivity(actx, ActVerifyHosts, in)
		},
		func(b []HostTarget, reason string) VerifyBatchResult {
			var r VerifyBatchResult
			for _, t := range b {
				r.Failed = append(r.Failed, HostProblem{Host: t.Host, Problem: reason})
			}
			return r
		})
	for _, r := range results {
		for _, f := range r.Failed {
			c.hosts.fail(f.Host, "final verify: "+f.Problem)
		}
	}
	c.refreshStages()
}
