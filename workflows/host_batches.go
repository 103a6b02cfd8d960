package workflows

import (
	"fmt"
	"strconv"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
)

// Kinds of HostBatches work.
const (
	batchVerify   = "verify"
	batchDownload = "download"
)

// HostBatchesInput is one shard of a cycle's final verify or pre-download
// (workflow ID <cycle>/<kind>/<k>): at most hostsPerScanShard hosts, in
// batches of hostsPerBatch per activity.
type HostBatchesInput struct {
	Kind      string       `json:"kind"` // verify or download
	Inventory string       `json:"inventory"`
	Targets   []HostTarget `json:"targets"`
	PlanPins  []domain.Pin `json:"plan_pins,omitempty"`
	InFlight  int          `json:"in_flight"`
	// Timeout bounds one batch of batchParallel hosts.
	Timeout time.Duration `json:"timeout"`
}

// HostBatchesResult lists the hosts whose verify or download failed.
type HostBatchesResult struct {
	Failed []HostProblem `json:"failed,omitempty"`
}

// HostBatches runs a cycle's verify or pre-download for one shard of
// hosts, so the cycle's own history grows by shard, not by batch.
func HostBatches(ctx workflow.Context, in HostBatchesInput) (HostBatchesResult, error) {
	act := ActVerifyHosts
	if in.Kind == batchDownload {
		act = ActDownloadHosts
	}
	results, _ := runBatches(ctx, in.Targets, hostsPerBatch, max(in.InFlight, 1),
		func(ctx workflow.Context, b []HostTarget) workflow.Future {
			actx := withActivity(ctx, actOptions{timeout: in.Timeout * time.Duration(1+len(b)/batchParallel),
				summary: fmt.Sprintf("%s %d hosts: %s..%s", in.Kind, len(b), b[0].Host, b[len(b)-1].Host)})
			return workflow.ExecuteActivity(actx, act, TargetBatch{Inventory: in.Inventory, Targets: b, PlanPins: in.PlanPins, Parallel: batchParallel})
		},
		func(b []HostTarget, reason string) TargetBatchResult {
			var r TargetBatchResult
			for _, t := range b {
				r.Failed = append(r.Failed, HostProblem{Host: t.Host, Problem: reason})
			}
			return r
		})
	var out HostBatchesResult
	for _, r := range results {
		out.Failed = append(out.Failed, r.Failed...)
	}
	return out, nil
}

// hostBatches runs kind over targets: since v2 as HostBatches children of
// at most hostsPerScanShard hosts; before, as batches from the cycle.
func (c *cycleRun) hostBatches(ctx workflow.Context, kind string, targets []HostTarget, perBatch time.Duration) []HostProblem {
	if !c.compat.v2 {
		return c.legacyBatches(ctx, kind, targets, perBatch)
	}
	var failed []HostProblem
	if c.batchesStarted == nil {
		c.batchesStarted = map[string]int{}
	}
	for _, part := range chunk(targets, hostsPerScanShard) {
		// Numbered across the cycle per kind: staging's pre-download and
		// production's each get their own workflow IDs.
		c.batchesStarted[kind]++
		id := c.st.CycleID + "/" + kind + "/" + strconv.Itoa(c.batchesStarted[kind])
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID: id, StaticSummary: fmt.Sprintf("%s %d hosts of %s", kind, len(part), c.st.CycleID),
			WaitForCancellation: true, ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
			TypedSearchAttributes: temporal.NewSearchAttributes(AttrPolicy.ValueSet(c.spec.Policy), AttrCycle.ValueSet(c.st.CycleID)),
		})
		var res HostBatchesResult
		in := HostBatchesInput{Kind: kind, Inventory: c.spec.Inventory.Source, Targets: part, PlanPins: c.rollout.pins,
			InFlight: c.batchesInFlight(), Timeout: perBatch}
		if err := workflow.ExecuteChildWorkflow(cctx, HostBatches, in).Get(ctx, &res); err != nil {
			for _, t := range part {
				res.Failed = append(res.Failed, HostProblem{Host: t.Host, Problem: reasonOf(err)})
			}
		}
		failed = append(failed, res.Failed...)
	}
	return failed
}

// legacyBatches is hostBatches for cycles recorded before v2: the batches
// run from the cycle itself, with the pins of each host whole.
func (c *cycleRun) legacyBatches(ctx workflow.Context, kind string, targets []HostTarget, perBatch time.Duration) []HostProblem {
	act, what := ActVerifyHosts, "final verify"
	if kind == batchDownload {
		act, what = ActDownloadHosts, "pre-download on"
	}
	results, _ := runBatches(ctx, targets, c.compat.scanBatch(), c.batchesInFlight(),
		func(ctx workflow.Context, b []HostTarget) workflow.Future {
			actx := withActivity(ctx, actOptions{timeout: perBatch * time.Duration(1+len(b)/batchParallel),
				summary: fmt.Sprintf("%s %d hosts: %s..%s", what, len(b), b[0].Host, b[len(b)-1].Host)})
			return workflow.ExecuteActivity(actx, act, TargetBatch{Inventory: c.spec.Inventory.Source, Targets: c.wireTargets(b), Parallel: batchParallel})
		},
		func(b []HostTarget, reason string) TargetBatchResult {
			var r TargetBatchResult
			for _, t := range b {
				r.Failed = append(r.Failed, HostProblem{Host: t.Host, Problem: reason})
			}
			return r
		})
	var failed []HostProblem
	for _, r := range results {
		failed = append(failed, r.Failed...)
	}
	return failed
}
