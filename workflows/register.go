package workflows

import "go.temporal.io/sdk/worker"

// Register adds every patchflow workflow to a worker (or a replayer): one
// list, so no worker misses a child type its cycles start.
func Register(r worker.WorkflowRegistry) {
	for _, wf := range []any{PatchCycle, ScanShard, Wave, HostPatch, HostBatches, Assess, AssessShard, ExceptionWorkflow} {
		r.RegisterWorkflow(wf)
	}
}
