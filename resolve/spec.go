// Package resolve turns a validated policy into the typed CycleSpec a
// PatchCycle runs. It is the layer above both policies and workflows
// (DESIGN.md section 3): the CLI and the scheduler call it, workflows never
// read a policy file.
package resolve

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

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
// (relative to the policy file), so a worker reading it later finds the
// same file. Policy features that would make a cycle less safe if they
// were silently ignored are errors.
func Spec(p *policies.Policy) (Result, error) {
	var errs []error
	var warnings []string
	unsupported := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("policy %s: "+format, append([]any{p.Metadata.Name}, args...)...))
	}
	warn := func(format string, args ...any) {
		warnings = append(warnings, fmt.Sprintf("policy %s: "+format, append([]any{p.Metadata.Name}, args...)...))
	}

	source, err := InventorySource(p)
	if err != nil {
		errs = append(errs, err)
	}
	spec := domain.CycleSpec{
		Policy:    p.Metadata.Name,
		Inventory: domain.InventorySpec{Source: source, Select: p.Targets.Select},
		Staging:   stagingSpec(p),
		Patches:   patchRules(p, unsupported),
		Approval: domain.ApprovalSpec{
			Mode:      domain.ApprovalMode(p.Approval.Mode),
			Timeout:   p.Approval.Timeout.Std(),
			OnTimeout: domain.ApprovalTimeoutAction(p.Approval.OnTimeout),
		},
		Budget: domain.Budget{
			MaxFailures: p.Rollout.FailureBudget.Count,
			MaxPercent:  p.Rollout.FailureBudget.Percent,
		},
		OnBudgetBreach: domain.BreachAction(p.Rollout.OnBudgetBreach),
		Host:           hostSteps(p),
		SLA: domain.SLA{
			Critical: p.SLA.Critical.Std(), High: p.SLA.High.Std(), Medium: p.SLA.Medium.Std(),
			Low: p.SLA.Low.Std(), Unknown: p.SLA.Unknown.Std(),
		},
	}
	spec.Window = cycleWindow(p, spec.Host)
	for _, w := range p.Rollout.Waves {
		spec.Waves = append(spec.Waves, domain.Wave{
			Name: w.Name, Count: w.Count, Percent: w.Percent,
			MaxParallel: w.MaxParallel, Bake: w.Bake.Std(),
		})
	}
	for _, c := range p.Checks {
		spec.Checks = append(spec.Checks, check(c))
	}
	if p.Patches.MinAge > 0 {
		warn("patches.min_age is recorded but not enforced yet: every matching update is planned")
	}
	if len(p.Notifications.Webhooks) > 0 {
		warn("notifications are not sent by this version")
	}
	if err := spec.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return Result{}, errors.Join(errs...)
	}
	return Result{Spec: spec, Warnings: warnings}, nil
}

// InventorySource is the policy's inventory as a worker reads it: a URL as
// written, a path made absolute against the policy file's directory.
func InventorySource(p *policies.Policy) (string, error) {
	inv := p.Targets.Inventory
	if inv == "" {
		return "", fmt.Errorf("policy %s: targets.inventory is empty", p.Metadata.Name)
	}
	if u, err := url.Parse(inv); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		return inv, nil
	}
	if filepath.IsAbs(inv) {
		return inv, nil
	}
	base := "."
	if p.Source != "" {
		base = filepath.Dir(p.Source)
	}
	abs, err := filepath.Abs(filepath.Join(base, inv))
	if err != nil {
		return "", fmt.Errorf("policy %s: inventory %s: %w", p.Metadata.Name, inv, err)
	}
	return abs, nil
}

func stagingSpec(p *policies.Policy) domain.StagingSpec {
	s := domain.StagingSpec{
		Select: p.Targets.Staging.Select,
		Hosts:  p.Targets.Staging.Hosts,
		Count:  p.Targets.Staging.Count,
	}
	if len(p.Rollout.Waves) > 0 {
		// Staging bakes as long as the first wave: the policy gives staging
		// no bake of its own, and the canary's is the closest in spirit.
		s.Bake = p.Rollout.Waves[0].Bake.Std()
	}
	return s
}

func patchRules(p *policies.Policy, unsupported func(string, ...any)) domain.PatchRules {
	r := domain.PatchRules{
		MinSeverity: domain.Severity(p.Patches.MinSeverity),
		Include:     p.Patches.Include,
		Exclude:     p.Patches.Exclude,
		Approve:     p.Patches.Approve,
		Reject:      p.Patches.Reject,
	}
	for _, c := range p.Patches.Classifications {
		r.Classes = append(r.Classes, domain.Class(c))
	}
	switch u := p.Patches.UnknownSeverity; {
	case u == "" || u == "include":
		// Counted as the highest severity, an unknown one always passes.
		r.UnknownSeverity = domain.SeverityCritical
	case strings.HasPrefix(u, "as:"):
		r.UnknownSeverity = domain.Severity(strings.TrimPrefix(u, "as:"))
	case u == "exclude":
		r.UnknownSeverity = domain.UnknownExcluded
	default:
		unsupported("patches.unknown_severity %q is not understood", u)
	}
	return r
}

func hostSteps(p *policies.Policy) domain.HostSteps {
	t := p.Host.Timeouts
	hooks := func(argvs [][]string, kind string) []domain.Hook {
		var out []domain.Hook
		for i, argv := range argvs {
			out = append(out, domain.Hook{Name: fmt.Sprintf("%s-%d", kind, i+1), Command: argv})
		}
		return out
	}
	return domain.HostSteps{
		PreHooks:          hooks(p.Host.PreHooks, "pre"),
		PostHooks:         hooks(p.Host.PostHooks, "post"),
		Reboot:            domain.RebootPolicy(p.Host.Reboot),
		RollbackOnFailure: p.Rollback.OnHostFailure,
		DecisionTimeout:   p.Rollback.DecisionTimeout.Std(),
		OnDecisionTimeout: domain.DecisionTimeoutAction(p.Rollback.OnDecisionTimeout),
		PrecheckTimeout:   t.Precheck.Std(),
		ApplyTimeout:      t.Apply.Std(),
		RebootTimeout:     t.Reboot.Std(),
		VerifyTimeout:     t.Verify.Std(),
		HookTimeout:       t.Hook.Std(),
		// The short remote commands (scan, snapshot, checks) have no
		// timeout of their own in a policy: the longer of precheck and
		// verify bounds them.
		CommandTimeout: max(t.Precheck.Std(), t.Verify.Std(), time.Duration(0)),
	}
}

// check carries a policy check over field by field; the scope decides
// whether it runs in each host's verify or after a wave's bake.
func check(c policies.Check) domain.Check {
	out := domain.Check{
		Name: c.Name, Type: domain.CheckType(c.Type), Scope: domain.CheckScope(c.Scope), Command: c.Command,
		Address: c.Address, URL: c.URL, Expect: c.ExpectStatus,
		Prometheus: c.Prometheus, Query: c.Query, Timeout: c.Timeout.Std(),
	}
	if c.Threshold != nil {
		out.Threshold = &domain.Threshold{Op: c.Threshold.Op, Value: c.Threshold.Value}
	}
	if c.BeforeAfter != nil {
		out.BeforeAfter = &domain.BeforeAfter{MaxIncrease: c.BeforeAfter.MaxIncrease, MaxIncreasePercent: c.BeforeAfter.MaxIncreasePercent}
	}
	return out
}
