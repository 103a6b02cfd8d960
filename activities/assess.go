package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/patchflow/patchflow/inventory"
	"github.com/patchflow/patchflow/report"
	"github.com/patchflow/patchflow/workflows"
)

// AssessContext reads what an assessment evaluates against beyond the
// policy: the risk exceptions in force (running Exception workflows, their
// host selectors resolved against the assessment's inventory) and the
// dates of the advisory data the scans match against.
func (a *Activities) AssessContext(ctx context.Context, in workflows.AssessContextInput) (workflows.AssessContext, error) {
	ctx, done := a.beat(ctx)
	defer done()
	var out workflows.AssessContext
	if a.d.Scanner != nil && a.d.Scanner.Feeds != nil {
		if db, err := a.d.Scanner.Feeds.DB(); err == nil {
			for _, s := range db.Sources() {
				out.Sources = append(out.Sources, report.SourceInput{Name: s.Name, AsOf: s.AsOf})
			}
		}
	}
	if a.d.Client == nil {
		return out, nil
	}
	exceptions, err := ActiveExceptions(ctx, a.d.Client)
	if err != nil {
		return out, err
	}
	if len(exceptions) == 0 {
		return out, nil
	}
	inv, err := a.loadInventory(in.Inventory, true)
	if err != nil {
		return out, fmt.Errorf("load inventory %s to resolve exceptions: %w", in.Inventory, err)
	}
	for _, e := range exceptions {
		sel, err := inventory.ParseSelector(e.Select)
		if err != nil {
			a.d.Logger.Warn("exception selector not understood; it covers no host", "exception", e.ID, "error", err)
			continue
		}
		hosts, err := inv.SelectStrict(sel)
		if err != nil {
			a.d.Logger.Info("exception selects nothing in this inventory", "exception", e.ID, "inventory", in.Inventory, "error", err)
			continue
		}
		out.Exceptions = append(out.Exceptions, report.Exception{ID: e.ID, CVEs: e.CVEs, Hosts: inventory.Names(hosts),
			Until: e.Until, Reason: e.Reason, By: e.By, CreatedAt: e.CreatedAt})
	}
	return out, nil
}

// ActiveExceptions lists the exceptions in force: running Exception
// workflows, read from their memo.
func ActiveExceptions(ctx context.Context, c interface {
	ListWorkflow(context.Context, *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error)
}) ([]workflows.Exception, error) {
	var out []workflows.Exception
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: "WorkflowType = 'ExceptionWorkflow' AND ExecutionStatus = 'Running'", NextPageToken: token})
		if err != nil {
			return nil, fmt.Errorf("list exceptions: %w", err)
		}
		for _, ex := range resp.GetExecutions() {
			p, ok := ex.GetMemo().GetFields()[workflows.ExceptionMemo]
			if !ok {
				continue
			}
			var raw json.RawMessage
			if err := converter.GetDefaultDataConverter().FromPayload(p, &raw); err != nil {
				continue
			}
			var e workflows.Exception
			if json.Unmarshal(raw, &e) == nil && e.ID != "" {
				out = append(out, e)
			}
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	slices.SortFunc(out, func(a, b workflows.Exception) int { return a.Until.Compare(b.Until) })
	return out, nil
}
