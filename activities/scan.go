package activities

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/hostscan"
	"github.com/patchflow/patchflow/inventory"
	"github.com/patchflow/patchflow/workflows"
)

// ResolveTargets reads the inventory again (so scheduled cycles see
// today's hosts) and returns the selected host names, split into staging
// and production by the rules `policy explain` shows them with:
// domain.SelectStaging (the staging terms and hosts, from the whole
// inventory, in inventory order, capped at the count) and
// domain.Production (the targets minus staging).
func (a *Activities) ResolveTargets(ctx context.Context, in workflows.ResolveInput) (workflows.ResolveResult, error) {
	_, done := a.beat(ctx)
	defer done()
	invalid := func(format string, args ...any) error {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), workflows.ErrInvalidInput, nil)
	}
	src := in.Inventory.Source
	inv, err := a.loadInventory(src, true)
	if err != nil {
		return workflows.ResolveResult{}, invalid("load inventory %s: %v", src, err)
	}
	sel, err := inventory.ParseSelector(in.Inventory.Select)
	if err != nil {
		return workflows.ResolveResult{}, invalid("inventory %s: select %v: %v", src, in.Inventory.Select, err)
	}
	hosts, err := inv.SelectStrict(sel)
	if err != nil {
		return workflows.ResolveResult{}, invalid("inventory %s: %v", src, err)
	}
	if len(hosts) == 0 {
		return workflows.ResolveResult{}, invalid("inventory %s: select %v matches no host", src, in.Inventory.Select)
	}
	staged := map[string]bool{}
	if len(in.Staging) > 0 {
		ssel, err := inventory.ParseSelector(in.Staging)
		if err != nil {
			return workflows.ResolveResult{}, invalid("inventory %s: staging select %v: %v", src, in.Staging, err)
		}
		shosts, err := inv.SelectStrict(ssel)
		if err != nil {
			return workflows.ResolveResult{}, invalid("inventory %s: staging: %v", src, err)
		}
		for _, h := range shosts {
			staged[h.Name] = true
		}
	}
	for _, n := range in.StagingHosts {
		if _, ok := inv.Lookup(n); !ok {
			return workflows.ResolveResult{}, invalid("inventory %s: staging host %q is not in the inventory", src, n)
		}
		staged[n] = true
	}
	var res workflows.ResolveResult
	if len(in.Staging) > 0 || len(in.StagingHosts) > 0 {
		res.Staging = domain.SelectStaging(inventory.Names(inv.Hosts), func(h string) bool { return staged[h] }, in.StagingCount)
		if len(res.Staging) == 0 {
			return workflows.ResolveResult{}, invalid("inventory %s: staging select %v matches no host", src, in.Staging)
		}
	}
	res.Production = domain.Production(inventory.Names(hosts), res.Staging)
	return res, nil
}

// scanHost scans one host (hostscan: pending updates, when each was first
// seen and published, and what each fixes). It is what ScanHosts runs per
// host.
func (a *Activities) scanHost(ctx context.Context, inventorySource, host string, opt hostscan.Options) (hostscan.Result, error) {
	s, err := a.open(ctx, inventorySource, host)
	if err != nil {
		return hostscan.Result{}, err
	}
	res, err := a.d.Scanner.Scan(ctx, hostscan.Target{Name: host, Conn: s.conn, Mgr: s.mgr, Sudo: s.host.Become}, opt)
	if err != nil {
		return hostscan.Result{}, classify(err)
	}
	for _, n := range res.Notes {
		a.d.Logger.Info("scan note", "host", host, "note", n)
	}
	return res, nil
}

// HostLock tells whether the host's workflow ID is held by a running
// HostPatch and by which cycle (its PatchCycle search attribute).
func (a *Activities) HostLock(ctx context.Context, in workflows.HostInput) (workflows.HostLockResult, error) {
	ctx, done := a.beat(ctx)
	defer done()
	if a.d.Client == nil {
		return workflows.HostLockResult{}, nil
	}
	desc, err := a.d.Client.DescribeWorkflowExecution(ctx, workflows.HostWorkflowID(in.Host), "")
	if err != nil {
		return workflows.HostLockResult{}, fmt.Errorf("describe workflow %s: %w", workflows.HostWorkflowID(in.Host), err)
	}
	info := desc.GetWorkflowExecutionInfo()
	res := workflows.HostLockResult{Running: info.GetCloseTime() == nil}
	if p, ok := info.GetSearchAttributes().GetIndexedFields()[workflows.AttrCycle.GetName()]; ok {
		_ = converter.GetDefaultDataConverter().FromPayload(p, &res.Cycle)
	}
	return res, nil
}
