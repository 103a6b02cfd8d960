package cli

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/patchflow/patchflow/workflows"
)

// CycleListOptions are the flags of `patchflow cycle list`.
type CycleListOptions struct {
	IO      IOStreams
	Factory *Factory
	Policy  string
	State   string
	Limit   int
	JSON    bool
}

// CycleListEntry is one row of `cycle list --json`.
type CycleListEntry struct {
	CycleID  string     `json:"cycle_id"`
	Policy   string     `json:"policy"`
	State    string     `json:"state"`
	Workflow string     `json:"workflow_status"`
	Started  time.Time  `json:"started"`
	Closed   *time.Time `json:"closed,omitempty"`
}

// NewCmdCycleList builds `patchflow cycle list`.
func NewCmdCycleList(f *Factory, runF func(*CycleListOptions) error) *cobra.Command {
	opts := &CycleListOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List cycles, newest first",
		Args:  wrapArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return cycleListRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Policy, "policy", "", "only cycles of this policy")
	cmd.Flags().StringVar(&opts.State, "state", "", "only cycles in this state (e.g. rolling_out, completed, failed)")
	cmd.Flags().IntVar(&opts.Limit, "limit", 50, "at most this many cycles")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the list as JSON")
	return cmd
}

// cycleQuery builds the visibility query; values are quoted so a policy
// name cannot change the query's meaning.
func cycleQuery(policy, state string) string {
	terms := []string{"WorkflowType = 'PatchCycle'"}
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "") + "'" }
	if policy != "" {
		terms = append(terms, workflows.AttrPolicy.GetName()+" = "+quote(policy))
	}
	if state != "" {
		terms = append(terms, workflows.AttrCycleState.GetName()+" = "+quote(state))
	}
	return strings.Join(terms, " AND ")
}

func cycleListRun(opts *CycleListOptions) error {
	ctx, c, done, err := opts.Factory.connect()
	if err != nil {
		return err
	}
	defer done()
	var entries []CycleListEntry
	var token []byte
	for len(entries) < opts.Limit {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: cycleQuery(opts.Policy, opts.State), PageSize: int32(min(opts.Limit, 1000)), NextPageToken: token,
		})
		if err != nil {
			return fmt.Errorf("list cycles: %w", err)
		}
		for _, e := range resp.Executions {
			entry := CycleListEntry{
				CycleID:  e.Execution.WorkflowId,
				Workflow: strings.ToLower(e.Status.String()),
				Started:  e.StartTime.AsTime(),
			}
			if e.CloseTime != nil {
				t := e.CloseTime.AsTime()
				entry.Closed = &t
			}
			fields := e.GetSearchAttributes().GetIndexedFields()
			_ = converter.GetDefaultDataConverter().FromPayload(fields[workflows.AttrPolicy.GetName()], &entry.Policy)
			_ = converter.GetDefaultDataConverter().FromPayload(fields[workflows.AttrCycleState.GetName()], &entry.State)
			entries = append(entries, entry)
		}
		token = resp.NextPageToken
		if len(token) == 0 {
			break
		}
	}
	// SQLite visibility cannot ORDER BY; sort here, newest first.
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].Started.After(entries[j].Started) })
	if len(entries) > opts.Limit {
		entries = entries[:opts.Limit]
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, map[string]any{"cycles": entries})
	}
	t := newTable(opts.IO.Out, "CYCLE", "STATE", "STARTED", "CLOSED")
	for _, e := range entries {
		closed := "-"
		if e.Closed != nil {
			closed = e.Closed.Local().Format(time.DateTime)
		}
		t.row(e.CycleID, e.State, e.Started.Local().Format(time.DateTime), closed)
	}
	t.flush()
	return nil
}
