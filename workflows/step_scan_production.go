package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
)

// productionScan is the scan of the production hosts that runs while
// staging does (compat.stagingFirst): shards that receive staging's plan
// at once and return each host's pins, then the production pre-download.
type productionScan struct {
	staging, hosts []string
	done           bool
}

// startProductionScan starts the production scan as a coroutine and
// returns at once; awaitProduction waits for it.
func (c *cycleRun) startProductionScan(ctx workflow.Context, staging, hosts []string) *productionScan {
	p := &productionScan{staging: staging, hosts: hosts}
	if len(hosts) == 0 {
		p.done = true
		return p
	}
	keys := shardPlanOf(c.rollout.plan.Entries)
	rules := c.spec.Patches
	shards := c.startScanShards(ctx, hosts, "scan", ScanShardInput{Plan: &keys, Rules: &rules, Fingerprint: c.makePlan != nil})
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { p.done = true }()
		_ = workflow.Await(detached(ctx), shards.allEnded)
		planned, nothing, failed := shards.outcome()
		for _, h := range planned {
			c.rollout.refs[h.Host] = h.Refs.Refs()
			if c.makePlan != nil {
				c.rollout.fingerprints[h.Host] = h
			}
		}
		for _, h := range nothing {
			c.hosts.skipUnplanned(h)
		}
		c.recordScanFailures(failed)
		c.noteUnproven(shards)
		c.countPlannedHosts(append(append([]string(nil), staging...), hosts...))
		if c.spec.PreDownload && !c.spec.DryRun && !c.ctl.canceled {
			c.preDownload(ctx, targetHosts{production: hosts})
		}
	})
	return p
}

// awaitProduction waits for the production scan (and its pre-download)
// to end; a cycle canceled meanwhile still waits, so its hosts' records
// are complete.
func (c *cycleRun) awaitProduction(ctx workflow.Context) {
	if c.production == nil {
		return
	}
	_ = workflow.Await(detached(ctx), func() bool { return c.production.done })
}

// scannedTargets are the targets whose scan has ended: while production
// is still being scanned, staging's.
func (c *cycleRun) scannedTargets(t targetHosts) targetHosts {
	if c.production != nil && !c.production.done {
		return targetHosts{staging: t.staging}
	}
	return t
}

// afterStaging waits for the production scan that ran during staging and
// sizes the production waves from it.
func (c *cycleRun) afterStaging(ctx workflow.Context, targets targetHosts) (string, bool) {
	if c.production == nil {
		return "", true
	}
	if !c.production.done {
		c.setState(ctx, domain.CycleScanning, "staging proven; waiting for the production scan")
		c.awaitProduction(ctx)
	}
	c.comp.note(targets.all(), c.rollout.scanFailed, c.rollout.refs)
	if err := c.size(targets); err != nil {
		return err.Error(), false
	}
	switch {
	case c.ctl.canceled:
		return "canceled during the production scan", false
	case c.ctl.aborting:
		return "aborted by operator during the production scan", false
	}
	return "", true
}

// noteUnproven adds to the plan's left-out updates those pending only on
// production hosts, once per package.
func (c *cycleRun) noteUnproven(shards *scanShardSet) {
	seen := map[string]bool{}
	for _, l := range c.rollout.plan.Left {
		seen[l.Manager+"\x00"+l.Name] = true
	}
	for _, r := range shards.results {
		for _, u := range r.Unproven {
			if k := u.Manager + "\x00" + u.Name; !seen[k] {
				seen[k] = true
				c.rollout.plan.Left = append(c.rollout.plan.Left, u)
			}
		}
	}
	c.st.Plan = c.rollout.plan
}

// countPlannedHosts sets each plan entry's host count to the hosts that
// pin it, staging and production (staging's votes counted staging only).
func (c *cycleRun) countPlannedHosts(hosts []string) {
	counts := make([]int, len(c.rollout.plan.Entries))
	for _, h := range hosts {
		for _, r := range c.rollout.refs[h] {
			if r >= 0 && r < len(counts) {
				counts[r]++
			}
		}
	}
	for i := range c.rollout.plan.Entries {
		c.rollout.plan.Entries[i].Hosts = counts[i]
	}
	c.st.Plan = c.rollout.plan
}
