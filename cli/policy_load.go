package cli

import (
	"errors"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/internal/yamldiag"
	"github.com/patchflow/patchflow/policies"
	"github.com/patchflow/patchflow/policyspec"
)

// policyFile is a policy file read the way a cycle runs it: the policy,
// its resolved spec (policyspec.Spec) and, when its inventory can be read
// here, the spec's rollout against it (policyspec.Preview).
type policyFile struct {
	policy   *policies.Policy
	spec     domain.CycleSpec
	warnings []string
	// rollout is nil when the inventory was not read; note says why.
	rollout *policyspec.Rollout
	note    string
}

// policyRead says what readPolicyFile demands beyond a valid policy.
type policyRead struct {
	// check vets the policy before its inventory is read (schedule
	// create refuses a policy without a window).
	check func(*policies.Policy) error
	// inventory makes an inventory file that does not exist here an
	// error: a cycle started now reads it on this machine's worker.
	inventory bool
	// noInventory leaves the inventory unread (explain --fleet-size).
	noInventory bool
}

// readPolicyFile reads, checks and resolves a policy file and previews it
// against its inventory. Every problem of the policy and of its inventory
// comes back positioned, in the policy or in the inventory file.
func readPolicyFile(file string, how policyRead) (*policyFile, error) {
	p, err := policies.Load(file)
	if err != nil {
		var errs yamldiag.Errors
		if errors.As(err, &errs) {
			return nil, errs
		}
		return nil, yamldiag.Errors{{File: file, Problem: err.Error()}}
	}
	if how.check != nil {
		if err := how.check(p); err != nil {
			return nil, err
		}
	}
	res, err := policyspec.Spec(p)
	if err != nil {
		return nil, yamldiag.Errors{{File: file, Object: "policy", Problem: err.Error()}}
	}
	f := &policyFile{policy: p, spec: res.Spec, warnings: res.Warnings}
	if how.noInventory {
		return f, nil
	}
	inv, note, errs := policyspec.ReadInventory(p)
	if errs != nil {
		return nil, errs
	}
	if inv == nil {
		if how.inventory && !f.inventoryIsURL() {
			return nil, yamldiag.Errors{p.ErrorAt("targets.inventory", "targets",
				"inventory %s does not exist; fix the path (relative to the policy file) or create the inventory", res.Spec.Inventory.Source)}
		}
		f.note = note
		return f, nil
	}
	if f.rollout, errs = policyspec.Preview(p, res.Spec, inv); errs != nil {
		return nil, errs
	}
	return f, nil
}

func (f *policyFile) inventoryIsURL() bool {
	_, isURL, _ := domain.InventorySource(f.policy.Source, f.policy.Targets.Inventory)
	return isURL
}

// problemList lists an error's problems, one per line to print: every
// positioned problem of a policy or an inventory, else the error itself.
func problemList(err error) []error {
	var errs yamldiag.Errors
	if errors.As(err, &errs) {
		return errs.Unwrap()
	}
	return []error{err}
}
