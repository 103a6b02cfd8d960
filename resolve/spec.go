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

	"github.com/patchflow/patchflow/policies"
	"github.com/patchflow/patchflow/workflows"
)

// Result is a CycleSpec with the policy features this version records but
// does not enforce yet, for the CLI to show as warnings.
type Result struct {
	Spec     workflows.CycleSpec
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
	spec := workflows.CycleSpec{
		Policy:    p.Metadata.Name,
		Inventory: workflows.InventorySpec{Source: source, Select: p.Targets.Select},
		Staging:   stagingSpec(p),
		Patches:   patchRules(p, unsupported),
		Approval: workflows.ApprovalSpec{
			Mode:      p.Approval.Mode,
			Timeout:   p.Approval.Timeout.Std(),
			OnTimeout: p.Approval.OnTimeout,
		},
		Budget: workflows.BudgetSpec{
			MaxFailures: p.Rollout.FailureBudget.Count,
			MaxPercent:  p.Rollout.FailureBudget.Percent,
		},
		OnBudgetBreach: p.Rollout.OnBudgetBreach,
		Host:           hostSteps(p),
		Window:         cycleWindow(p),
		SLA: workflows.SLASpec{
			Critical: p.SLA.Critical.Std(), High: p.SLA.High.Std(), Medium: p.SLA.Medium.Std(),
			Low: p.SLA.Low.Std(), Unknown: p.SLA.Unknown.Std(),
		},
	}
	for _, w := range p.Rollout.Waves {
		spec.Waves = append(spec.Waves, workflows.WaveSpec{
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

func stagingSpec(p *policies.Policy) workflows.StagingSpec {
	s := workflows.StagingSpec{
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

func patchRules(p *policies.Policy, unsupported func(string, ...any)) workflows.PatchRules {
	r := workflows.PatchRules{
		Classes:     p.Patches.Classifications,
		MinSeverity: p.Patches.MinSeverity,
		Include:     p.Patches.Include,
		Exclude:     p.Patches.Exclude,
		Approve:     p.Patches.Approve,
		Reject:      p.Patches.Reject,
	}
	switch u := p.Patches.UnknownSeverity; {
	case u == "" || u == "include":
		// Counted as the highest severity, an unknown one always passes.
		r.UnknownSeverity = policies.SeverityCritical
	case strings.HasPrefix(u, "as:"):
		r.UnknownSeverity = strings.TrimPrefix(u, "as:")
	case u == "exclude":
		r.UnknownSeverity = "exclude"
	default:
		unsupported("patches.unknown_severity %q is not understood", u)
	}
	return r
}

func hostSteps(p *policies.Policy) workflows.HostSteps {
	t := p.Host.Timeouts
	hooks := func(argvs [][]string, kind string) []workflows.Hook {
		var out []workflows.Hook
		for i, argv := range argvs {
			out = append(out, workflows.Hook{Name: fmt.Sprintf("%s-%d", kind, i+1), Command: argv, Timeout: t.Hook.Std()})
		}
		return out
	}
	return workflows.HostSteps{
		PreHooks:          hooks(p.Host.PreHooks, "pre"),
		PostHooks:         hooks(p.Host.PostHooks, "post"),
		Reboot:            p.Host.Reboot,
		RollbackOnFailure: p.Rollback.OnHostFailure,
		DecisionTimeout:   p.Rollback.DecisionTimeout.Std(),
		OnDecisionTimeout: p.Rollback.OnDecisionTimeout,
		ApplyTimeout:      t.Apply.Std(),
		RebootTimeout:     t.Reboot.Std(),
		CommandTimeout:    max(t.Precheck.Std(), t.Verify.Std(), time.Duration(0)),
	}
}

// check carries a policy check over field by field; the scope decides
// whether it runs in each host's verify or after a wave's bake.
func check(c policies.Check) workflows.Check {
	out := workflows.Check{
		Name: c.Name, Type: c.Type, Scope: c.Scope, Command: c.Command,
		Address: c.Address, URL: c.URL, Expect: c.ExpectStatus,
		Prometheus: c.Prometheus, Query: c.Query, Timeout: c.Timeout.Std(),
	}
	if c.Threshold != nil {
		out.Threshold = &workflows.Threshold{Op: c.Threshold.Op, Value: c.Threshold.Value}
	}
	if c.BeforeAfter != nil {
		out.BeforeAfter = &workflows.BeforeAfter{MaxIncrease: c.BeforeAfter.MaxIncrease, MaxIncreasePercent: c.BeforeAfter.MaxIncreasePercent}
	}
	return out
}
