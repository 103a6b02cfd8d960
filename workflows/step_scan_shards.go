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
	shards := c.startScanShards(ctx, hosts, "scan", ScanShardInput{Fingerprint: c.makePlan != nil})
	votes := make([]*ShardVotes, len(shards.parts))
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
	// Every shard either votes or ends (a shard that fails before voting
	// has failed all its hosts).
	dctx := detached(ctx)
	_ = workflow.Await(dctx, func() bool {
		for k := range shards.parts {
			if votes[k] == nil && !shards.ended[k] {
				return false
			}
		}
		return true
	})
	var all []domain.Vote
	for k := range shards.parts {
		if votes[k] != nil {
			all = domain.MergeVotes(all, votes[k].Votes)
		}
	}
	c.setPlan(ctx, domain.BuildPlanFromVotes(all, c.spec.Patches, workflow.Now(ctx)))
	keys := shardPlanOf(c.rollout.plan.Entries)
	for k := range shards.parts {
		if votes[k] != nil && !shards.ended[k] {
			if err := workflow.SignalExternalWorkflow(dctx, shards.ids[k], "", signalPlan, keys).Get(dctx, nil); err != nil {
				workflow.GetLogger(ctx).Error("plan not delivered to a scan shard", "shard", shards.ids[k], "error", err)
			}
		}
	}
	_ = workflow.Await(dctx, shards.allEnded)
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
}

// shardPlanOf is the plan's pins as the shards need them.
func shardPlanOf(entries []domain.PlanEntry) ShardPlan {
	keys := ShardPlan{Entries: make([]PlanKey, len(entries))}
	for i, e := range entries {
		keys.Entries[i] = PlanKey{Manager: e.Manager, Name: e.Name, Version: e.Version}
	}
	return keys
}

// scanShardSet is a cycle's scan shards in flight.
type scanShardSet struct {
	ids     []string
	parts   [][]string
	ended   []bool
	results []ScanShardResult
	errs    []error
}

// startScanShards starts one ScanShard child per hostsPerScanShard hosts
// (workflow IDs <cycle>/scan/<k>), each with in's mode, and records each
// one's end.
func (c *cycleRun) startScanShards(ctx workflow.Context, hosts []string, verb string, in ScanShardInput) *scanShardSet {
	parts := chunk(hosts, hostsPerScanShard)
	s := &scanShardSet{ids: make([]string, len(parts)), parts: parts, ended: make([]bool, len(parts)),
		results: make([]ScanShardResult, len(parts)), errs: make([]error, len(parts))}
	for k, part := range parts {
		// Shards are numbered across the cycle (staging's scan, then
		// production's), so every shard has its own workflow ID.
		c.scanShardsStarted++
		s.ids[k] = c.st.CycleID + "/scan/" + strconv.Itoa(c.scanShardsStarted)
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID: s.ids[k], StaticSummary: fmt.Sprintf("%s %d hosts of %s", verb, len(part), c.st.CycleID),
			WaitForCancellation: true, ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
			TypedSearchAttributes: temporal.NewSearchAttributes(AttrPolicy.ValueSet(c.spec.Policy), AttrCycle.ValueSet(c.st.CycleID)),
		})
		shard := in
		shard.CycleID, shard.Policy, shard.Shard, shard.Hosts = c.st.CycleID, c.spec.Policy, k, part
		shard.Inventory, shard.ScanParallel, shard.CommandTimeout = c.spec.Inventory.Source, c.spec.ScanParallel, c.spec.Host.Limits().Command
		shard.Interactive = c.spec.Patches.Interactive
		f := workflow.ExecuteChildWorkflow(cctx, ScanShard, shard)
		workflow.Go(ctx, func(ctx workflow.Context) {
			s.errs[k] = f.Get(ctx, &s.results[k])
			s.ended[k] = true
		})
	}
	return s
}

func (s *scanShardSet) allEnded() bool {
	for _, e := range s.ended {
		if !e {
			return false
		}
	}
	return true
}

// outcome merges the ended shards' results; every host of a shard that
// failed is a host that could not be scanned.
func (s *scanShardSet) outcome() (planned []PlannedHost, nothing []string, failed []HostProblem) {
	for k, part := range s.parts {
		if s.errs[k] != nil {
			for _, h := range part {
				failed = append(failed, HostProblem{Host: h, Problem: "scan shard failed: " + reasonOf(s.errs[k])})
			}
			continue
		}
		planned = append(planned, s.results[k].Planned...)
		nothing = append(nothing, s.results[k].Nothing...)
		failed = append(failed, s.results[k].Failed...)
	}
	return planned, nothing, failed
}
