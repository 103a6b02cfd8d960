package policyspec

import (
	"fmt"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/internal/yamldiag"
	"github.com/patchflow/patchflow/inventory"
	"github.com/patchflow/patchflow/policies"
)

// Rollout is a spec's rollout against an inventory: the hosts a cycle
// started now would stage and roll out in each wave, and the failures it
// would tolerate, when every target has something to patch (a cycle
// leaves out hosts with nothing pending).
type Rollout struct {
	Inventory  string   `json:"inventory"`  // the inventory file read
	Targets    []string `json:"targets"`    // every host matching targets.select, in inventory order
	Staging    []string `json:"staging"`    // staging hosts (need not be targets)
	Production []string `json:"production"` // targets minus staging: the hosts of the waves
	Waves      []Wave   `json:"waves"`
	// Budget is how many failed production hosts the rollout tolerates.
	Budget int `json:"failure_budget"`
}

// Wave is one planned wave with its hosts (nil when only the fleet size
// is known).
type Wave struct {
	domain.PlannedWave
	Hosts []string `json:"hosts"`
}

// Preview checks the policy against an inventory (the checks policies
// cannot do alone: groups, hosts and labels that exist, a staging that
// selects hosts, waves that fit the rollout) and computes the rollout of
// spec, the policy's resolved spec, with the functions the cycle runs.
// Every problem is reported at its position in the policy file.
func Preview(p *policies.Policy, spec domain.CycleSpec, inv *inventory.Inventory) (*Rollout, yamldiag.Errors) {
	var errs yamldiag.Errors
	targetSel, e := selectTerms(p, inv, "targets.select", "targets", spec.Inventory.Select)
	errs = append(errs, e...)
	stagingSel, e := selectTerms(p, inv, "targets.staging.select", "targets.staging", spec.Staging.Select)
	errs = append(errs, e...)
	staged := map[string]bool{}
	for i, name := range spec.Staging.Hosts {
		if _, ok := inv.Lookup(name); !ok {
			errs = append(errs, p.ErrorAt(fmt.Sprintf("targets.staging.hosts[%d]", i), "targets.staging",
				"host %q is not in inventory %s, got %q", name, inv.Source, name))
		}
		staged[name] = true
	}
	if len(errs) > 0 {
		return nil, errs
	}
	r := &Rollout{Inventory: inv.Source, Targets: inventory.Names(inv.Select(targetSel))}
	if len(r.Targets) == 0 {
		errs = append(errs, p.ErrorAt("targets.select", "targets", "selects no hosts in inventory %s, got %q", inv.Source, targetSel.String()))
	}
	if len(spec.Staging.Select) > 0 {
		for _, h := range inv.Select(stagingSel) {
			staged[h.Name] = true
		}
	}
	r.Staging = domain.SelectStaging(inventory.Names(inv.Hosts), func(h string) bool { return staged[h] }, spec.Staging.Count)
	if spec.Staging.Enabled() && len(r.Staging) == 0 {
		errs = append(errs, p.ErrorAt("targets.staging", "targets.staging", "selects no hosts in inventory %s, got %q", inv.Source, stagingSel.String()))
	}
	r.Production = domain.Production(r.Targets, r.Staging)
	waves, werrs := planWaves(p, spec, len(r.Production), r.Production)
	if errs = append(errs, werrs...); len(errs) > 0 {
		errs.Sort()
		return nil, errs
	}
	r.Waves, r.Budget = waves, spec.Budget.Tolerated(len(r.Production))
	return r, nil
}

// PlanFleet plans spec's waves for n production hosts whose names are not
// known (the inventory cannot be read here), with the failures tolerated.
func PlanFleet(p *policies.Policy, spec domain.CycleSpec, n int) ([]Wave, int, yamldiag.Errors) {
	waves, errs := planWaves(p, spec, n, nil)
	if len(errs) > 0 {
		return nil, 0, errs
	}
	return waves, spec.Budget.Tolerated(n), nil
}

// planWaves checks the waves against a rollout of n hosts
// (domain.CheckWaves), plans them (domain.PlanWaves) and assigns hosts
// (domain.AssignWaves) when they are known.
func planWaves(p *policies.Policy, spec domain.CycleSpec, n int, hosts []string) ([]Wave, yamldiag.Errors) {
	var errs yamldiag.Errors
	for _, wp := range domain.CheckWaves(spec.Waves, n) {
		path := fmt.Sprintf("rollout.waves[%d]", wp.Index)
		if wp.Field != "" {
			path += "." + wp.Field
		}
		errs = append(errs, p.ErrorAt(path, p.WaveObject(wp.Index), "%s", wp.Problem))
	}
	if len(errs) > 0 {
		errs.Sort()
		return nil, errs
	}
	planned, err := domain.PlanWaves(spec.Waves, n)
	if err != nil {
		return nil, yamldiag.Errors{p.ErrorAt("rollout.waves", "rollout", "%v", err)}
	}
	assigned := domain.AssignWaves(hosts, planned)
	out := make([]Wave, len(planned))
	for i, w := range planned {
		out[i] = Wave{PlannedWave: w}
		if hosts != nil {
			out[i].Hosts = assigned[i]
		}
	}
	return out, nil
}

// selectTerms parses and checks selector terms one by one, so an unknown
// group is reported at the term that names it.
func selectTerms(p *policies.Policy, inv *inventory.Inventory, path, object string, terms []string) (inventory.Selector, yamldiag.Errors) {
	var errs yamldiag.Errors
	for i, term := range terms {
		at := fmt.Sprintf("%s[%d]", path, i)
		sel, err := inventory.ParseSelector([]string{term})
		if err == nil {
			_, err = inv.SelectStrict(sel)
		}
		if err != nil {
			errs = append(errs, p.ErrorAt(at, object, "%v, got %q", err, term))
		}
	}
	sel, err := inventory.ParseSelector(terms)
	if err != nil && len(errs) == 0 {
		errs = append(errs, p.ErrorAt(path, object, "%v", err))
	}
	return sel, errs
}
