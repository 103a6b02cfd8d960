package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"
)

// forEachBounded runs fn for every index with at most parallel running at
// once, starting them in index order, and returns when all finished.
func forEachBounded(ctx workflow.Context, n, parallel int, fn func(ctx workflow.Context, i int)) {
	parallel = max(parallel, 1)
	running, done, next := 0, 0, 0
	for next < n {
		_ = workflow.Await(ctx, func() bool { return running < parallel })
		i := next
		next++
		running++
		workflow.Go(ctx, func(ctx workflow.Context) {
			fn(ctx, i)
			running--
			done++
		})
	}
	_ = workflow.Await(ctx, func() bool { return done == n })
}

// scanAll scans hosts in batches (one activity per batch of hostsPerBatch
// hosts, batchesInFlight of them at once); a host whose scan fails is
// reported as skipped with the reason and left out of the plan.
func (c *cycleRun) scanAll(ctx workflow.Context, hosts []string) []ScanResult {
	batches := chunk(hosts, hostsPerBatch)
	results := make([]ScanBatchResult, len(batches))
	cmd := orDefault(c.spec.Host.CommandTimeout, defaultCommandTimeout)
	forEachBounded(ctx, len(batches), c.batchesInFlight(), func(ctx workflow.Context, i int) {
		b := batches[i]
		actx := withActivity(ctx, actOptions{timeout: 3 * cmd * time.Duration(1+len(b)/batchParallel), heartbeat: 3 * cmd,
			summary: fmt.Sprintf("scan %d hosts: %s..%s", len(b), b[0], b[len(b)-1])})
		in := ScanBatchInput{Inventory: c.spec.Inventory.Source, Hosts: b, Refresh: true, Parallel: batchParallel}
		if err := workflow.ExecuteActivity(actx, ActScanHosts, in).Get(ctx, &results[i]); err != nil {
			results[i] = ScanBatchResult{}
			for _, h := range b {
				results[i].Failed = append(results[i].Failed, HostProblem{Host: h, Problem: reasonOf(err)})
			}
		}
	})
	var out []ScanResult
	for _, r := range results {
		out = append(out, r.Results...)
		for _, f := range r.Failed {
			c.outcomes = append(c.outcomes, HostOutcome{Host: f.Host, State: HostSkipped, Reason: "scan failed: " + f.Problem})
		}
	}
	return out
}

// verifyAll is the final verification scan, in batches: every patched host
// must still be at the plan's versions with a healthy package manager.
func (c *cycleRun) verifyAll(ctx workflow.Context) {
	c.setState(ctx, CycleVerifying, "")
	index := map[string]int{}
	var targets []HostTarget
	for i, o := range c.outcomes {
		if o.State == HostPatched {
			index[o.Host] = i
			targets = append(targets, HostTarget{Host: o.Host, Pins: o.Pins})
		}
	}
	batches := chunkTargets(targets, hostsPerBatch)
	results := make([]VerifyBatchResult, len(batches))
	cmd := orDefault(c.spec.Host.CommandTimeout, defaultCommandTimeout)
	forEachBounded(ctx, len(batches), c.batchesInFlight(), func(ctx workflow.Context, i int) {
		b := batches[i]
		actx := withActivity(ctx, actOptions{timeout: 2 * cmd * time.Duration(1+len(b)/batchParallel), heartbeat: 2 * cmd,
			summary: fmt.Sprintf("final verify %d hosts: %s..%s", len(b), b[0].Host, b[len(b)-1].Host)})
		in := VerifyBatchInput{Inventory: c.spec.Inventory.Source, Targets: b, Parallel: batchParallel}
		if err := workflow.ExecuteActivity(actx, ActVerifyHosts, in).Get(ctx, &results[i]); err != nil {
			results[i] = VerifyBatchResult{}
			for _, t := range b {
				results[i].Failed = append(results[i].Failed, HostProblem{Host: t.Host, Problem: reasonOf(err)})
			}
		}
	})
	for _, r := range results {
		for _, f := range r.Failed {
			o := &c.outcomes[index[f.Host]]
			o.State, o.Reason, o.Changed = HostFailed, "final verify: "+f.Problem, true
		}
	}
}

// preDownload fetches each host's pins into its cache; a host whose
// download fails is skipped (it would fail to install the same versions).
func (c *cycleRun) preDownload(ctx workflow.Context, hosts []string) {
	var targets []HostTarget
	for _, s := range hosts {
		if p := c.pins[s]; len(p) > 0 {
			targets = append(targets, HostTarget{Host: s, Pins: p})
		}
	}
	batches := chunkTargets(targets, hostsPerBatch)
	results := make([]DownloadBatchResult, len(batches))
	apply := orDefault(c.spec.Host.ApplyTimeout, defaultApplyTimeout)
	forEachBounded(ctx, len(batches), c.batchesInFlight(), func(ctx workflow.Context, i int) {
		b := batches[i]
		actx := withActivity(ctx, actOptions{timeout: apply * time.Duration(1+len(b)/batchParallel),
			heartbeat: heartbeatTimeout(orDefault(c.spec.Host.CommandTimeout, defaultCommandTimeout)),
			summary:   fmt.Sprintf("pre-download on %d hosts: %s..%s", len(b), b[0].Host, b[len(b)-1].Host)})
		in := DownloadBatchInput{Inventory: c.spec.Inventory.Source, Targets: b, Parallel: batchParallel}
		if err := workflow.ExecuteActivity(actx, ActDownloadHosts, in).Get(ctx, &results[i]); err != nil {
			results[i] = DownloadBatchResult{}
			for _, t := range b {
				results[i].Failed = append(results[i].Failed, HostProblem{Host: t.Host, Problem: reasonOf(err)})
			}
		}
	})
	for _, r := range results {
		for _, f := range r.Failed {
			delete(c.pins, f.Host)
			c.outcomes = append(c.outcomes, HostOutcome{Host: f.Host, State: HostSkipped, Reason: "pre-download failed: " + f.Problem})
		}
	}
}

func (c *cycleRun) batchesInFlight() int {
	return max(1, orInt(c.spec.ScanParallel, defaultScanParallel)/batchParallel)
}

func chunk(s []string, n int) [][]string {
	var out [][]string
	for len(s) > 0 {
		k := min(n, len(s))
		out = append(out, s[:k])
		s = s[k:]
	}
	return out
}

func chunkTargets(s []HostTarget, n int) [][]HostTarget {
	var out [][]HostTarget
	for len(s) > 0 {
		k := min(n, len(s))
		out = append(out, s[:k])
		s = s[k:]
	}
	return out
}

// changedHosts lists hosts this cycle changed (patched, or failed after a
// successful patch) in wave (or every wave for -1), newest first: the order
// a rollback takes.
func (c *cycleRun) changedHosts(wave int) []int {
	var idx []int
	for i := len(c.outcomes) - 1; i >= 0; i-- {
		o := c.outcomes[i]
		if (o.State == HostPatched || o.Changed) && (wave < 0 || o.Wave == wave) {
			idx = append(idx, i)
		}
	}
	return idx
}

func (c *cycleRun) rollbackParallel() int {
	p := 1
	if c.st.Wave > 0 && len(c.spec.Waves) > 0 {
		p = WaveAt(c.spec.Waves, c.st.Wave-1).MaxParallel
	}
	return max(p, 1)
}

// rollbackHosts runs a rollback HostPatch for each outcome index, starting
// them in the given order with at most parallel at once, and records the
// result in place.
func (c *cycleRun) rollbackHosts(ctx workflow.Context, idx []int, parallel int, why string) {
	if len(idx) == 0 {
		return
	}
	c.setState(ctx, CycleRollingBack, why)
	forEachBounded(ctx, len(idx), parallel, func(ctx workflow.Context, k int) {
		c.rollbackOne(ctx, idx[k], why)
	})
}

func (c *cycleRun) rollbackOne(ctx workflow.Context, i int, why string) {
	o := c.outcomes[i]
	in := HostPatchInput{CycleID: c.st.CycleID, Policy: c.spec.Policy, Wave: o.Wave, Inventory: c.spec.Inventory.Source,
		Host: o.Host, Mode: HostModeRollback, Pins: o.Pins, Snapshot: o.Snapshot, Steps: c.spec.Host, Reason: "rolled back by the cycle: " + why}
	r := runHostChild(ctx, in, orDefault(c.spec.BusyTimeout, defaultBusyTimeout), func() bool { return false })
	r.Wave, r.Pins, r.Snapshot = o.Wave, o.Pins, o.Snapshot
	if o.Reason != "" && r.State == HostRolledBack {
		r.Reason = o.Reason + "; " + r.Reason
	}
	c.outcomes[i] = r
}

// serveRollbackRequests runs MsgRollbackHost requests one at a time while
// the cycle runs.
func (c *cycleRun) serveRollbackRequests(ctx workflow.Context) {
	for {
		_ = workflow.Await(ctx, func() bool { return len(c.requests) > 0 })
		host := c.requests[0]
		c.hostRollbacks++
		for i := len(c.outcomes) - 1; i >= 0; i-- {
			if o := c.outcomes[i]; o.Host == host && (o.State == HostPatched || o.Changed) {
				c.rollbackOne(ctx, i, "operator asked to roll back "+host)
				break
			}
		}
		c.requests = c.requests[1:]
		c.hostRollbacks--
	}
}

func orInt(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}
