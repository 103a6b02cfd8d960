package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
)

// preDownload fetches each planned host's pins into its package cache
// before the approval gate, so the rollout does not wait on the
// repositories. A host whose download fails is skipped with the reason: it
// would fail to install the same versions.
func (c *cycleRun) preDownload(ctx workflow.Context, targets targetHosts) {
	p := &c.rollout
	hosts := p.withPins(targets.all())
	for _, f := range c.hostBatches(ctx, batchDownload, p.targets(hosts), c.spec.Host.Limits().Apply) {
		delete(p.refs, f.Host)
		c.hosts.record(HostResult{Host: f.Host, State: domain.HostSkipped, Reason: "pre-download failed: " + f.Problem})
	}
}

// wireTargets returns targets as activities and waves receive them: with
// references into the plan's pins, or (cycles recorded before v2) with
// their pins whole.
func (c *cycleRun) wireTargets(ts []HostTarget) []HostTarget {
	if c.compat.v2 {
		return ts
	}
	out := make([]HostTarget, len(ts))
	for i, t := range ts {
		out[i] = HostTarget{Host: t.Host, Pins: t.PinsFrom(c.rollout.pins)}
	}
	return out
}

// wirePins is the plan's pins sent once with referencing targets.
func (c *cycleRun) wirePins() []domain.Pin {
	if c.compat.v2 {
		return c.rollout.pins
	}
	return nil
}
