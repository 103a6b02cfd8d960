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

// scan scans every target in batches (one activity per batch, a few
// batches at once). The batches come back as compact tables, so the
// cycle's history grows with the fleet's distinct updates, not with hosts
// x packages. A host whose scan failed is recorded as failed (skipped in
// cycles recorded before v2) with the operation and reason.
func (c *cycleRun) scan(ctx workflow.Context, targets targetHosts) fleetScan {
	cmd := c.spec.Host.Limits().Command
	results, _ := runBatches(ctx, targets.all(), c.compat.scanBatch(), c.batchesInFlight(),
		func(ctx workflow.Context, b []string) workflow.Future {
			actx := withActivity(ctx, actOptions{timeout: 3 * cmd * time.Duration(1+len(b)/batchParallel),
				summary: fmt.Sprintf("scan %d hosts: %s..%s", len(b), b[0], b[len(b)-1])})
			return workflow.ExecuteActivity(actx, ActScanHosts, ScanBatchInput{Inventory: c.spec.Inventory.Source, Hosts: b, Refresh: true, Parallel: batchParallel})
		},
		func(b []string, reason string) ScanBatchResult {
			var r ScanBatchResult
			for _, h := range b {
				r.Failed = append(r.Failed, HostProblem{Host: h, Problem: reason})
			}
			return r
		})
	var s fleetScan
	for _, r := range results {
		s.table.Merge(r.Table())
		s.failed = append(s.failed, r.Failed...)
	}
	for _, f := range s.failed {
		c.hosts.recordScanFailure(f.Host, c.compat.scanFailure(), "scan failed: "+f.Problem)
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
