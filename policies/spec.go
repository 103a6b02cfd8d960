package policies

import (
	"fmt"
	"strings"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/notify"
)

// CycleSpec converts the policy into the domain.CycleSpec a PatchCycle
// runs, field by field and with no rule of its own: the rules (wave sizes,
// budget, windows, worst case) are domain's. The inventory is left as
// written; package policyspec makes it a path a worker can read.
func (p *Policy) CycleSpec() domain.CycleSpec {
	steps := p.hostSteps()
	spec := domain.CycleSpec{
		Policy:    p.Metadata.Name,
		Inventory: domain.InventorySpec{Source: p.Targets.Inventory, Select: p.Targets.Select},
		Staging: domain.StagingSpec{
			Select: p.Targets.Staging.Select,
			Hosts:  p.Targets.Staging.Hosts,
			Count:  p.Targets.Staging.Count,
		},
		Patches: p.Patches.rules(),
		Approval: domain.ApprovalSpec{
			Mode:       p.Approval.Mode,
			Timeout:    p.Approval.Timeout.Std(),
			OnTimeout:  p.Approval.OnTimeout,
			RiskAbove:  p.Approval.RiskAbove,
			PlanMaxAge: p.Approval.PlanMaxAge.Std(),
		},
		Waves: p.Rollout.waves(),
		Budget: domain.Budget{
			MaxFailures: p.Rollout.FailureBudget.Count,
			MaxPercent:  p.Rollout.FailureBudget.Percent,
		},
		OnBudgetBreach: p.Rollout.OnBudgetBreach,
		Host:           steps,
		SLA: domain.SLA{
			Critical: p.SLA.Critical.Std(), High: p.SLA.High.Std(), Medium: p.SLA.Medium.Std(),
			Low: p.SLA.Low.Std(), Unknown: p.SLA.Unknown.Std(), KEVDueDate: p.SLA.KEVDueDate,
		},
		Window: p.Window.CycleWindow(),
	}
	if len(spec.Waves) > 0 {
		// Staging bakes as long as the first wave: the policy gives staging
		// no bake of its own, and the canary's is the closest in spirit.
		spec.Staging.Bake = spec.Waves[0].Bake
	}
	if spec.Window != nil {
		spec.Window.HostWorstCase = steps.WorstCase()
	}
	for _, c := range p.Checks {
		spec.Checks = append(spec.Checks, c.check())
	}
	return spec
}

// rules is the patch selection as the plan applies it.
func (pt Patches) rules() domain.PatchRules {
	unknown, _ := pt.unknownSeverity()
	return domain.PatchRules{
		Classes:         pt.Classifications,
		MinSeverity:     pt.MinSeverity,
		UnknownSeverity: unknown,
		Include:         pt.Include,
		Exclude:         pt.Exclude,
		Approve:         pt.Approve,
		Reject:          pt.Reject,
		CVEs:            pt.cveIDs(),
		KEV:             pt.KEV,
		MinEPSS:         pt.MinEPSS,
		MinAge:          pt.MinAge.Std(),
		Interactive:     pt.Interactive,
	}
}

// cveIDs are patches.cves as advisories spell them (upper case): the
// policy may write cve-2024-45490.
func (pt Patches) cveIDs() []string {
	var out []string
	for _, c := range pt.CVEs {
		if id, err := domain.NormalizeCVEID(c); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// Webhooks are the policy's notification receivers as the cycle sends to
// them.
func (p *Policy) Webhooks() []notify.Webhook {
	var out []notify.Webhook
	for _, h := range p.Notifications.Webhooks {
		out = append(out, h.webhook())
	}
	return out
}

func (h Webhook) webhook() notify.Webhook {
	return notify.Webhook{URL: h.URL, URLFile: h.URLFile, URLEnv: h.URLEnv, Format: h.Format,
		SecretFile: h.SecretFile, SecretEnv: h.SecretEnv, Events: h.Events, Timeout: h.Timeout.Std()}
}

// unknownSeverity is how an update of unknown severity counts against
// min_severity, in the spec's terms: "include" counts it as critical (it
// always passes), "exclude" leaves it out, "as:<level>" counts it as that
// level. ok is false for anything else.
func (pt Patches) unknownSeverity() (domain.Severity, bool) {
	switch u := pt.UnknownSeverity; u {
	case "include":
		return domain.SeverityCritical, true
	case "exclude":
		return domain.UnknownExcluded, true
	default:
		level, ok := strings.CutPrefix(u, "as:")
		return domain.Severity(level), ok && domain.Severity(level).Known()
	}
}

// waves are the listed waves with their defaults filled in.
func (r Rollout) waves() []domain.Wave {
	out := make([]domain.Wave, len(r.Waves))
	for i, w := range r.Waves {
		out[i] = domain.Wave{Name: w.Name, Count: w.Count, Percent: w.Percent, MaxParallel: w.MaxParallel, Bake: w.Bake.Std()}
	}
	return out
}

// hostSteps are one host's steps and limits: what the host workflow runs
// and what its worst case (window validation, explain) is computed from.
func (p *Policy) hostSteps() domain.HostSteps {
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
		Reboot:            p.Host.Reboot,
		RollbackOnFailure: p.Rollback.OnHostFailure,
		DecisionTimeout:   p.Rollback.DecisionTimeout.Std(),
		OnDecisionTimeout: p.Rollback.OnDecisionTimeout,
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
func (c Check) check() domain.Check {
	out := domain.Check{
		Name: c.Name, Type: c.Type, Scope: c.Scope, Command: c.Command,
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
