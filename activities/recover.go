package activities

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/workflows"
)

// HostResults asks each host's own workflows what they did in a cycle,
// for the hosts of a wave whose workflow failed before it could say: the
// result of a finished host workflow, the status of a running one (its
// snapshot, and whether the install started), or that the cycle never
// started one for the host.
func (a *Activities) HostResults(ctx context.Context, in workflows.HostResultsInput) (workflows.HostResultsResult, error) {
	ctx, done := a.beat(ctx)
	defer done()
	var res workflows.HostResultsResult
	if a.d.Client == nil {
		return res, fmt.Errorf("recover hosts of %s: this worker has no Temporal client", in.CycleID)
	}
	for _, h := range in.Hosts {
		r, err := a.hostResult(ctx, in.CycleID, h)
		if err != nil {
			return res, err
		}
		res.Hosts = append(res.Hosts, r)
		progress(ctx, fmt.Sprintf("%d of %d hosts recovered", len(res.Hosts), len(in.Hosts)))
	}
	return res, nil
}

func (a *Activities) hostResult(ctx context.Context, cycleID, host string) (workflows.RecoveredHost, error) {
	id := workflows.HostWorkflowID(host)
	q := fmt.Sprintf("WorkflowId = %s AND %s = %s", quoteVisibility(id), workflows.AttrCycle.GetName(), quoteVisibility(cycleID))
	list, err := a.d.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: q, PageSize: 1})
	if err != nil {
		return workflows.RecoveredHost{}, fmt.Errorf("list workflows of %s in %s: %w", id, cycleID, err)
	}
	r := workflows.RecoveredHost{HostResult: workflows.HostResult{Host: host}}
	if len(list.GetExecutions()) == 0 {
		return r, nil
	}
	run := list.GetExecutions()[0].GetExecution()
	r.Started = true
	if list.GetExecutions()[0].GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		r.Running = true
		v, err := a.d.Client.QueryWorkflow(ctx, id, run.GetRunId(), workflows.QueryStatus)
		if err != nil {
			return r, fmt.Errorf("query %s: %w", id, err)
		}
		var st workflows.HostStatus
		if err := v.Get(&st); err != nil {
			return r, fmt.Errorf("decode status of %s: %w", id, err)
		}
		r.State, r.Reason, r.Snapshot, r.Changed = st.State, string(st.State), st.Snapshot, st.Applied
		return r, nil
	}
	var out workflows.HostPatchResult
	if err := a.d.Client.GetWorkflow(ctx, id, run.GetRunId()).Get(ctx, &out); err != nil {
		r.State, r.Reason, r.Changed = domain.HostFailed, "host workflow ended without a result: "+message(err), true
		return r, nil
	}
	r.HostResult = out.HostResult
	return r, nil
}

// quoteVisibility quotes a value for a visibility query: single quotes,
// with a single quote or backslash inside escaped.
func quoteVisibility(s string) string {
	out := []byte{'\''}
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' || s[i] == '\\' {
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(append(out, '\''))
}
