// Package policyspec turns a validated policy file into the
// domain.CycleSpec a PatchCycle runs, and previews that spec's rollout
// against the policy's inventory with the functions the cycle itself runs
// (domain.SelectStaging, Production, PlanWaves, AssignWaves,
// Budget.Tolerated). It is the layer above both policies and inventory
// (docs/architecture.md): the CLI and the scheduler call it; workflows
// never read a policy file.
package policyspec

import (
	"errors"
	"fmt"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/policies"
)

// Result is a CycleSpec with the policy features this version records but
// does not enforce yet, for the CLI to show as warnings.
type Result struct {
	Spec     domain.CycleSpec
	Warnings []string
}

// Spec converts p into a CycleSpec. The inventory path becomes absolute
// (relative to the policy file, domain.InventorySource), so a worker
// reading it later finds the same file.
func Spec(p *policies.Policy) (Result, error) {
	var errs []error
	spec := p.CycleSpec()
	source, _, err := domain.InventorySource(p.Source, p.Targets.Inventory)
	if err != nil {
		errs = append(errs, fmt.Errorf("policy %s: %w", p.Metadata.Name, err))
	}
	spec.Inventory.Source = source
	if err := spec.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return Result{}, errors.Join(errs...)
	}
	return Result{Spec: spec}, nil
}
