package activities

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/patchflow/patchflow/hostscan"
	"github.com/patchflow/patchflow/inventory"
	"github.com/patchflow/patchflow/workflows"
)

// ResolveTargets reads the inventory again (so scheduled cycles see
// today's hosts) and returns the selected host names, split into staging
// (the staging terms and hosts, from the whole inventory) and production
// (the targets minus staging).
func (a *Activities) ResolveTargets(ctx context.Context, in workflows.ResolveInput) (workflows.ResolveResult, error) {
	ctx, done := a.beat(ctx)
	defer done()
	invalid := func(format string, args ...any) error {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), workflows.ErrInvalidInput, nil)
	}
	inv, err := a.loadInventory(in.Inventory.Source, true)
	if err != nil {
		return workflows.ResolveResult{}, invalid("load inventory %s: %v", in.Inventory.Source, err)
	}
	sel, err := inventory.ParseSelector(in.Inventory.Select)
	if err != nil {
		return workflows.ResolveResult{}, invalid("inventory %s: select %v: %v", in.Inventory.Source, in.Inventory.Select, err)
	}
	hosts, err := inv.Resolve(sel)
	if err != nil {
		return workflows.ResolveResult{}, invalid("inventory %s: %v", in.Inventory.Source, err)
	}
	if len(hosts) == 0 {
		return workflows.ResolveResult{}, invalid("inventory %s: select %v matches no host", in.Inventory.Source, in.Inventory.Select)
	}
	var res workflows.ResolveResult
	if len(in.Staging) == 0 && len(in.StagingHosts) == 0 {
		res.Production = inventory.Names(hosts)
		return res, nil
	}
	// Staging hosts come from the whole inventory (a staging group need not
	// be among the targets), as `policy explain` shows them; the count
	// keeps the first in inventory order. Production is the targets minus
	// staging.
	staging := map[string]bool{}
	if len(in.Staging) > 0 {
		ssel, err := inventory.ParseSelector(in.Staging)
		if err != nil {
			return workflows.ResolveResult{}, invalid("inventory %s: staging select %v: %v", in.Inventory.Source, in.Staging, err)
		}
		shosts, err := inv.Resolve(ssel)
		if err != nil {
			return workflows.ResolveResult{}, invalid("inventory %s: staging: %v", in.Inventory.Source, err)
		}
		for _, h := range shosts {
			staging[h.Name] = true
		}
	}
	for _, n := range in.StagingHosts {
		if _, ok := inv.Lookup(n); !ok {
			return workflows.ResolveResult{}, invalid("inventory %s: staging host %q is not in the inventory", in.Inventory.Source, n)
		}
		staging[n] = true
	}
	for _, h := range inv.Hosts {
		if staging[h.Name] && (in.StagingCount <= 0 || len(res.Staging) < in.StagingCount) {
			res.Staging = append(res.Staging, h.Name)
		}
	}
	chosen := map[string]bool{}
	for _, n := range res.Staging {
		chosen[n] = true
	}
	for _, h := range hosts {
		if !chosen[h.Name] {
			res.Production = append(res.Production, h.Name)
		}
	}
	if len(res.Staging) == 0 {
		return workflows.ResolveResult{}, invalid("inventory %s: staging select %v matches no host", in.Inventory.Source, in.Staging)
	}
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
		return hostscan.Result{}, classify("scan", host, err)
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
