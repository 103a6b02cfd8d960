package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
)

// targetHosts are the cycle's resolved hosts.
type targetHosts struct {
	staging, production []string
}

func (t targetHosts) all() []string {
	return append(append([]string(nil), t.staging...), t.production...)
}

// resolve reads the inventory (again, so scheduled cycles see today's
// hosts) and splits the targets into staging and production.
func (c *cycleRun) resolve(ctx workflow.Context) (targetHosts, error) {
	var res ResolveResult
	actx := withActivity(ctx, actOptions{timeout: 2 * time.Minute, summary: "resolve " + c.spec.Inventory.Source})
	in := ResolveInput{Inventory: c.spec.Inventory, Staging: c.spec.Staging.Select,
		StagingHosts: c.spec.Staging.Hosts, StagingCount: c.spec.Staging.Count}
	if err := workflow.ExecuteActivity(actx, ActResolveTargets, in).Get(ctx, &res); err != nil {
		return targetHosts{}, err
	}
	return targetHosts{staging: res.Staging, production: res.Production}, nil
}

// fleetScan is what the scan found: every scanned host's pending updates
// as one compact table, and why the other hosts could not be scanned.
type fleetScan struct {
	table  domain.PendingTable
	failed []HostProblem
}

// scanAndPlan scans every target and builds the plan. Since v2 the scan
// runs in shards (ScanShard children of at most hostsPerScanShard hosts)
// that send their votes, receive the plan and return each host's pins by
// reference, so the cycle never holds every host's pending updates; cycles
// recorded before scan in batches from the cycle itself.
func (c *cycleRun) scanAndPlan(ctx workflow.Context, targets targetHosts) {
	if !c.compat.v2 {
		scan := c.scan(ctx, targets)
		c.plan(ctx, scan)
		c.recordScanFailures(scan.failed)
		return
	}
	if c.compat.stagingFirst && len(targets.staging) > 0 && (c.makePlan == nil || c.compat.reviewedStagingFirst) {
		c.scanShards(ctx, targetHosts{staging: targets.staging})
		c.production = c.startProductionScan(ctx, targets.staging, targets.production)
		return
	}
	c.scanShards(ctx, targets)
}

func (c *cycleRun) recordScanFailures(failed []HostProblem) {
	c.rollout.scanFailed = append(c.rollout.scanFailed, failed...)
	for _, f := range failed {
		c.hosts.recordScanFailure(f.Host, c.compat.scanFailure(), "scan failed: "+f.Problem)
	}
}

// scan scans every target in batches (one activity per batch, a few
// batches at once): the scan of cycles recorded before v2.
func (c *cycleRun) scan(ctx workflow.Context, targets targetHosts) fleetScan {
	cmd := c.spec.Host.Limits().Command
	results, _ := runBatches(ctx, targets.all(), c.compat.scanBatch(), c.batchesInFlight(),
		func(ctx workflow.Context, b []string) workflow.Future {
			actx := withActivity(ctx, actOptions{timeout: 3 * cmd * time.Duration(1+len(b)/batchParallel),
				summary: fmt.Sprintf("scan %d hosts: %s..%s", len(b), b[0], b[len(b)-1])})
			return workflow.ExecuteActivity(actx, ActScanHosts, ScanBatchInput{Inventory: c.spec.Inventory.Source, Hosts: b, Refresh: true, Parallel: batchParallel,
				Interactive: c.spec.Patches.Interactive})
		},
		failedScanBatch)
	var s fleetScan
	for _, r := range results {
		s.table.Merge(r.Table())
		s.failed = append(s.failed, r.Failed...)
	}
	return s
}

func (c *cycleRun) batchesInFlight() int {
	return max(1, orInt(c.spec.ScanParallel, domain.DefaultScanParallel)/batchParallel)
}

func orInt(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}
