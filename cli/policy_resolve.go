package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/patchflow/patchflow/internal/yamldiag"

	"github.com/patchflow/patchflow/inventory"
	"github.com/patchflow/patchflow/policies"
)

// ResolvedPolicy is a policy resolved against its inventory: which hosts
// are staged, which go through waves, and the plan of waves with hosts.
type ResolvedPolicy struct {
	Inventory string         `json:"inventory"` // the inventory file read
	Targets   []string       `json:"targets"`   // every host matching targets.select, by name
	Staging   []string       `json:"staging"`   // staging hosts (need not be targets)
	Fleet     []string       `json:"fleet"`     // targets minus staging: the hosts of the waves
	Waves     []ResolvedWave `json:"waves"`
	Budget    int            `json:"failure_budget"` // failed hosts tolerated across the rollout
}

// ResolvedWave is one wave with its hosts (assigned in name order).
type ResolvedWave struct {
	policies.PlannedWave
	Hosts []string `json:"hosts"`
}

// inventoryPath returns where the policy's inventory is read from: a path
// relative to the policy file's directory, or "" with a note for a URL
// (validate never fetches).
func inventoryPath(p *policies.Policy, policyFile string) (path, note string) {
	inv := p.Targets.Inventory
	if strings.Contains(inv, "://") {
		return "", fmt.Sprintf("inventory %s is a URL; it is read when a cycle starts, not by this command", inv)
	}
	if !filepath.IsAbs(inv) {
		inv = filepath.Join(filepath.Dir(policyFile), inv)
	}
	return inv, ""
}

// loadPolicyInventory reads the inventory a policy names. A missing file or
// a URL gives a note (the policy can still be checked on its own); an
// inventory with problems gives its errors, positioned in the inventory.
func loadPolicyInventory(p *policies.Policy, policyFile string) (*inventory.Inventory, string, yamldiag.Errors) {
	path, note := inventoryPath(p, policyFile)
	if path == "" {
		return nil, note, nil
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Sprintf("inventory %s does not exist here; inventory checks skipped", path), nil
	}
	inv, err := inventory.Load(path)
	if err == nil {
		return inv, "", nil
	}
	var ierrs yamldiag.Errors
	if errors.As(err, &ierrs) {
		return nil, "", ierrs
	}
	return nil, "", yamldiag.Errors{p.ErrorAt("targets.inventory", "targets", "cannot read inventory: %v", err)}
}

// ResolvePolicy checks a policy against an inventory (the checks that
// policies cannot do alone: groups, hosts and labels that exist, a staging
// that selects hosts, waves that fit the fleet) and resolves its plan.
// Every problem is reported at its position in the policy file.
func ResolvePolicy(p *policies.Policy, inv *inventory.Inventory) (*ResolvedPolicy, yamldiag.Errors) {
	var errs yamldiag.Errors
	targetSel, e := resolveTerms(p, inv, "targets.select", "targets", p.Targets.Select)
	errs = append(errs, e...)
	stagingSel, e := resolveTerms(p, inv, "targets.staging.select", "targets.staging", p.Targets.Staging.Select)
	errs = append(errs, e...)
	staged := map[string]bool{}
	for i, name := range p.Targets.Staging.Hosts {
		if _, ok := inv.Lookup(name); !ok {
			errs = append(errs, p.ErrorAt(fmt.Sprintf("targets.staging.hosts[%d]", i), "targets.staging",
				"host %q is not in inventory %s, got %q", name, inv.Source, name))
		}
		staged[name] = true
	}
	if len(errs) > 0 {
		return nil, errs
	}
	r := &ResolvedPolicy{Inventory: inv.Source, Targets: inventory.Names(inv.Select(targetSel))}
	if len(r.Targets) == 0 {
		errs = append(errs, p.ErrorAt("targets.select", "targets", "selects no hosts in inventory %s, got %q", inv.Source, targetSel.String()))
	}
	if len(p.Targets.Staging.Select) > 0 {
		for _, h := range inv.Select(stagingSel) {
			staged[h.Name] = true
		}
	}
	// Inventory order (natural name order), capped by count: the same
	// choice the cycle's ResolveTargets activity makes.
	for _, h := range inv.Hosts {
		if staged[h.Name] && (p.Targets.Staging.Count <= 0 || len(r.Staging) < p.Targets.Staging.Count) {
			r.Staging = append(r.Staging, h.Name)
		}
	}
	hasStaging := len(p.Targets.Staging.Select) > 0 || len(p.Targets.Staging.Hosts) > 0
	if hasStaging && len(r.Staging) == 0 {
		errs = append(errs, p.ErrorAt("targets.staging", "targets.staging", "selects no hosts in inventory %s, got %q", inv.Source, stagingSel.String()))
	}
	inStaging := map[string]bool{}
	for _, h := range r.Staging {
		inStaging[h] = true
	}
	for _, h := range r.Targets {
		if !inStaging[h] {
			r.Fleet = append(r.Fleet, h)
		}
	}
	plan, err := p.Plan(len(r.Fleet))
	var perrs yamldiag.Errors
	if errors.As(err, &perrs) {
		errs = append(errs, perrs...)
	} else if err != nil {
		errs = append(errs, p.ErrorAt("rollout", "rollout", "%v", err))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	next := 0
	for _, w := range plan {
		r.Waves = append(r.Waves, ResolvedWave{PlannedWave: w, Hosts: r.Fleet[next : next+w.Size]})
		next += w.Size
	}
	r.Budget = p.EffectiveBudget(len(r.Fleet))
	return r, nil
}

// resolveTerms parses and checks selector terms one by one, so an unknown
// group is reported at the term that names it.
func resolveTerms(p *policies.Policy, inv *inventory.Inventory, path, object string, terms []string) (inventory.Selector, yamldiag.Errors) {
	var errs yamldiag.Errors
	for i, term := range terms {
		at := fmt.Sprintf("%s[%d]", path, i)
		sel, err := inventory.ParseSelector([]string{term})
		if err == nil {
			_, err = inv.Resolve(sel)
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
