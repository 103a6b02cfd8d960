package workflows

import (
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

// scanAll scans hosts with bounded parallelism; a host whose scan fails is
// reported as skipped with the reason and left out of the plan.
func (c *cycleRun) scanAll(ctx workflow.Context, hosts []string) []ScanResult {
	results := make([]*ScanResult, len(hosts))
	failures := make([]string, len(hosts))
	timeout := 3 * orDefault(c.spec.Host.CommandTimeout, defaultCommandTimeout)
	forEachBounded(ctx, len(hosts), orInt(c.spec.ScanParallel, defaultScanParallel), func(ctx workflow.Context, i int) {
		actx := withActivity(ctx, actOptions{timeout: timeout, heartbeat: time.Minute, summary: "scan " + hosts[i]})
		var r ScanResult
		if err := workflow.ExecuteActivity(actx, ActScanHost, ScanInput{Inventory: c.spec.Inventory.Source, Host: hosts[i], Refresh: true}).Get(ctx, &r); err != nil {
			failures[i] = "scan failed: " + reasonOf(err)
			return
		}
		r.Host = hosts[i]
		results[i] = &r
	})
	var out []ScanResult
	for i, r := range results {
		if r == nil {
			c.outcomes = append(c.outcomes, HostOutcome{Host: hosts[i], State: HostSkipped, Reason: failures[i]})
			continue
		}
		out = append(out, *r)
	}
	return out
}

// verifyAll is the final verification scan: every patched host must still
// be at the plan's versions with a healthy package manager.
func (c *cycleRun) verifyAll(ctx workflow.Context) {
	c.setState(ctx, CycleVerifying, "")
	var idx []int
	for i, o := range c.outcomes {
		if o.State == HostPatched {
			idx = append(idx, i)
		}
	}
	timeout := 2 * orDefault(c.spec.Host.CommandTimeout, defaultCommandTimeout)
	forEachBounded(ctx, len(idx), orInt(c.spec.ScanParallel, defaultScanParallel), func(ctx workflow.Context, k int) {
		o := &c.outcomes[idx[k]]
		actx := withActivity(ctx, actOptions{timeout: timeout, summary: "final verify " + o.Host})
		var vr VerifyResult
		err := workflow.ExecuteActivity(actx, ActVerify, HostInput{Inventory: c.spec.Inventory.Source, Host: o.Host, Pins: o.Pins}).Get(ctx, &vr)
		switch {
		case err != nil:
			o.State, o.Reason, o.Changed = HostFailed, "final verify: "+reasonOf(err), true
		case len(vr.Problems) > 0:
			o.State, o.Reason, o.Changed = HostFailed, "final verify: "+joinProblems(vr.Problems), true
		}
	})
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
	if c.st.Wave > 0 && c.st.Wave <= len(c.spec.Waves) {
		p = c.spec.Waves[c.st.Wave-1].MaxParallel
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
