package workflows

import (
	"fmt"
	"strconv"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
)

// scanShards runs the scan as ScanShard children: each scans its hosts and
// signals its votes; the plan is built from every shard's votes (exactly
// the plan one scan of every host would make) and signalled back; each
// shard returns its hosts' pins by reference.
func (c *cycleRun) scanShards(ctx workflow.Context, targets targetHosts) {
	hosts := targets.all()
	shards := chunk(hosts, hostsPerScanShard)
	votes := make([]*ShardVotes, len(shards))
	ch := workflow.GetSignalChannel(ctx, signalScanVotes)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var v ShardVotes
			ch.Receive(ctx, &v)
			if v.Shard >= 0 && v.Shard < len(votes) && votes[v.Shard] == nil {
				votes[v.Shard] = &v
			}
		}
	})
	futures := make([]workflow.ChildWorkflowFuture, len(shards))
	ended := make([]bool, len(shards))
	results := make([]ScanShardResult, len(shards))
	errs := make([]error, len(shards))
	for k, part := range shards {
		id := c.st.CycleID + "/scan/" + strconv.Itoa(k+1)
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID: id, StaticSummary: fmt.Sprintf("scan %d hosts of %s", len(part), c.st.CycleID),
			WaitForCancellation: true, ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
			TypedSearchAttributes: temporal.NewSearchAttributes(AttrPolicy.ValueSet(c.spec.Policy), AttrCycle.ValueSet(c.st.CycleID)),
		})
		futures[k] = workflow.ExecuteChildWorkflow(cctx, ScanShard, ScanShardInput{CycleID: c.st.CycleID, Policy: c.spec.Policy,
			Shard: k, Inventory: c.spec.Inventory.Source, Hosts: part, ScanParallel: c.spec.ScanParallel,
			CommandTimeout: c.spec.Host.Limits().Command})
		workflow.Go(ctx, func(ctx workflow.Context) {
			errs[k] = futures[k].Get(ctx, &results[k])
			ended[k] = true
		})
	}
	// Every shard either votes or ends (a shard that fails before voting
	// has failed all its hosts).
	dctx := detached(ctx)
	_ = workflow.Await(dctx, func() bool {
		for k := range shards {
			if votes[k] == nil && !ended[k] {
				return false
			}
		}
		return true
	})
	var all []domain.Vote
	var failed []HostProblem
	for k := range shards {
		if votes[k] == nil {
			continue
		}
		all = domain.MergeVotes(all, votes[k].Votes)
	}
	c.setPlan(ctx, domain.BuildPlanFromVotes(all, c.spec.Patches))
	keys := ShardPlan{Entries: make([]PlanKey, len(c.rollout.plan.Entries))}
	for i, e := range c.rollout.plan.Entries {
		keys.Entries[i] = PlanKey{Manager: e.Manager, Name: e.Name}
	}
	for k := range shards {
		if votes[k] != nil && !ended[k] {
			id := c.st.CycleID + "/scan/" + strconv.Itoa(k+1)
			if err := workflow.SignalExternalWorkflow(dctx, id, "", signalPlan, keys).Get(dctx, nil); err != nil {
				workflow.GetLogger(ctx).Error("plan not delivered to a scan shard", "shard", id, "error", err)
			}
		}
	}
	_ = workflow.Await(dctx, func() bool {
		for k := range shards {
			if !ended[k] {
				return false
			}
		}
		return true
	})
	for k, part := range shards {
		if errs[k] != nil {
			for _, h := range part {
				failed = append(failed, HostProblem{Host: h, Problem: "scan shard failed: " + reasonOf(errs[k])})
			}
			continue
		}
		failed = append(failed, results[k].Failed...)
		for _, h := range results[k].Planned {
			c.rollout.refs[h.Host] = h.Refs.Refs()
		}
		for _, h := range results[k].Nothing {
			c.hosts.record(HostResult{Host: h, State: domain.HostSkipped, Reason: "nothing to patch: no planned update pending"})
		}
	}
	c.recordScanFailures(failed)
}
