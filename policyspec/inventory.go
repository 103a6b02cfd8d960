package policyspec

import (
	"errors"
	"fmt"
	"os"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/internal/yamldiag"
	"github.com/patchflow/patchflow/inventory"
	"github.com/patchflow/patchflow/policies"
)

// ReadInventory reads the policy's inventory (domain.InventorySource) when
// this machine can. For a URL or a file that does not exist here it
// returns a note saying why not: the policy can still be checked on its
// own, and a cycle reads the inventory again when it starts. An inventory
// with problems gives its errors, positioned in the inventory file.
func ReadInventory(p *policies.Policy) (inv *inventory.Inventory, note string, errs yamldiag.Errors) {
	source, isURL, err := domain.InventorySource(p.Source, p.Targets.Inventory)
	switch {
	case err != nil:
		return nil, "", yamldiag.Errors{p.ErrorAt("targets.inventory", "targets", "%v", err)}
	case isURL:
		return nil, fmt.Sprintf("inventory %s is a URL; it is read when a cycle starts, not by this command", source), nil
	}
	if _, err := os.Stat(source); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Sprintf("inventory %s does not exist here; inventory checks skipped", source), nil
	}
	inv, err = inventory.Load(source)
	if err == nil {
		return inv, "", nil
	}
	if errors.As(err, &errs) {
		return nil, "", errs
	}
	return nil, "", yamldiag.Errors{p.ErrorAt("targets.inventory", "targets", "cannot read inventory: %v", err)}
}
