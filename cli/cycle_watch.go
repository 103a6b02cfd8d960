package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/workflows"
)

// watchInterval is how often a watching command asks a running cycle for
// its status: often enough to feel live, cheap for the worker.
const watchInterval = time.Second

// cycleSnapshot is a cycle's status, whether it still runs (the status
// query) or has finished (its result).
type cycleSnapshot struct {
	Status   workflows.CycleStatus
	Result   *workflows.CycleResult // set once the cycle has finished
	Workflow string                 // Temporal's execution status
}

// fetchCycle asks Temporal for a cycle's status. A running cycle answers
// the status query (which needs a worker); a closed one is read from its
// result, which needs none.
func fetchCycle(ctx context.Context, c client.Client, id string) (cycleSnapshot, error) {
	desc, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return cycleSnapshot{}, fmt.Errorf("cycle %s: %w", id, err)
	}
	status := desc.WorkflowExecutionInfo.Status
	snap := cycleSnapshot{Workflow: status.String()}
	if status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		var r workflows.CycleResult
		if err := c.GetWorkflow(ctx, id, "").Get(ctx, &r); err != nil {
			// A cycle that did not succeed ends as a failed (or canceled)
			// workflow whose failure carries the same result.
			var ok bool
			if r, ok = workflows.ResultOf(err); !ok {
				return snap, fmt.Errorf("cycle %s ended without a result (%s): %w", id, status, err)
			}
		}
		snap.Status, snap.Result = r.CycleStatus, &r
		return snap, nil
	}
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := c.QueryWorkflow(qctx, id, "", workflows.QueryStatus)
	if err != nil {
		if errors.Is(qctx.Err(), context.DeadlineExceeded) {
			return snap, fmt.Errorf("cycle %s is running but no worker answered its status query within 10s: is `patchflow worker` or `patchflow dev` running?", id)
		}
		return snap, fmt.Errorf("query status of cycle %s: %w", id, err)
	}
	if err := v.Get(&snap.Status); err != nil {
		return snap, fmt.Errorf("decode status of cycle %s: %w", id, err)
	}
	return snap, nil
}

// watchCycle shows progress until the cycle finishes and returns its
// result.
func watchCycle(ctx context.Context, c client.Client, id string, p *cycleProgress) (workflows.CycleResult, error) {
	t := time.NewTicker(watchInterval)
	defer t.Stop()
	for {
		snap, err := fetchCycle(ctx, c, id)
		if err != nil {
			return workflows.CycleResult{}, err
		}
		if p != nil {
			p.update(snap.Status)
		}
		if snap.Result != nil {
			return *snap.Result, nil
		}
		select {
		case <-ctx.Done():
			return workflows.CycleResult{}, fmt.Errorf("stopped watching cycle %s (it goes on; `patchflow cycle status %s --watch` shows it): %w", id, id, ctx.Err())
		case <-t.C:
		}
	}
}

// cycleExit maps a finished cycle to the exit codes (exitcode.go):
// hosts that failed or were rolled back give 3, a cycle that failed or
// was aborted without touching hosts gives 1.
func cycleExit(r workflows.CycleResult) error {
	c := r.Counts
	if c.Failed+c.RolledBack+c.NeedsRepair > 0 || r.State == domain.CycleCompletedWithFailures {
		return SilentError(ExitHostsFailed)
	}
	switch r.State {
	case domain.CycleFailed, domain.CycleAborted, domain.CycleCanceled:
		return SilentError(ExitFailure)
	}
	return nil
}

// watchToEnd follows a cycle to its end (progress on the error stream
// unless asJSON), prints its summary or JSON result and returns the exit
// code the result calls for.
func watchToEnd(ctx context.Context, c client.Client, id string, io IOStreams, asJSON bool) error {
	var progress *cycleProgress
	if !asJSON {
		progress = newCycleProgress(io.ErrOut)
	}
	r, err := watchCycle(ctx, c, id, progress)
	if err != nil {
		return err
	}
	if asJSON {
		if err := printJSON(io.Out, r); err != nil {
			return err
		}
	} else {
		printCycleSummary(io.Out, r)
	}
	return cycleExit(r)
}
