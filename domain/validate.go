package domain

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
)

// Validate reports every problem of the spec at once, so a caller can
// reject a bad spec before it starts a workflow. A spec made from a
// policy that policies validated has none; this guards the workflow's own
// input.
func (s *CycleSpec) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("cycle spec: "+format, args...)) }
	if s.Policy == "" || strings.ContainsAny(s.Policy, "/ \t\n") {
		bad("policy name must be non-empty without '/' or spaces, got %q", s.Policy)
	}
	if s.Inventory.Source == "" {
		bad("inventory source is empty")
	}
	if len(s.Waves) == 0 {
		bad("at least one wave is needed")
	}
	for i, w := range s.Waves {
		if (w.Count > 0) == (w.Percent > 0) {
			bad("wave %d: set exactly one of count and percent, got count %d percent %g", i+1, w.Count, w.Percent)
		}
		if w.Count < 0 || w.Percent < 0 || w.Percent > 100 || w.MaxParallel < 0 {
			bad("wave %d: count, percent (<=100) and max_parallel must not be negative", i+1)
		}
	}
	if s.Budget.MaxFailures < 0 || s.Budget.MaxPercent < 0 || s.Budget.MaxPercent > 100 {
		bad("budget must be >= 0 (percent <= 100), got %d / %g%%", s.Budget.MaxFailures, s.Budget.MaxPercent)
	}
	if s.OnBudgetBreach != "" && !slices.Contains(BreachActions, s.OnBudgetBreach) {
		bad("on_budget_breach must be %s, got %q", Choices(BreachActions), s.OnBudgetBreach)
	}
	if m := s.Approval.Mode; m != "" && !slices.Contains(ApprovalModes, m) {
		bad("approval mode must be %s, got %q", Choices(ApprovalModes), m)
	}
	if t := s.Approval.OnTimeout; t != "" && !slices.Contains(ApprovalTimeoutActions, t) {
		bad("approval on_timeout must be %s, got %q", Choices(ApprovalTimeoutActions), t)
	}
	if h := s.Approval.HistoryRiskAbove; h < 0 || h > 100 {
		bad("approval history_risk_above must be 0 (never) to 100, got %d", h)
	}
	if s.Approval.PlanMaxAge < 0 {
		bad("approval plan_max_age must be >= 0, got %s", s.Approval.PlanMaxAge)
	}
	if a := s.Host.OnDecisionTimeout; a != "" && !slices.Contains(DecisionTimeoutActions, a) {
		bad("host on_decision_timeout must be %s, got %q", Choices(DecisionTimeoutActions), a)
	}
	if r := s.Host.Reboot; r != "" && !slices.Contains(RebootPolicies, r) {
		bad("host reboot must be %s, got %q", Choices(RebootPolicies), r)
	}
	if m := s.Patches.MinSeverity; m != "" && !m.Known() {
		bad("min_severity must be critical, high, medium or low, got %q", m)
	}
	if u := s.Patches.UnknownSeverity; u != "" && u != UnknownExcluded && !u.Known() {
		bad("unknown_severity must be critical, high, medium, low or exclude, got %q", u)
	}
	if s.Staging.Count < 0 {
		bad("staging count must be >= 0, got %d", s.Staging.Count)
	}
	for _, c := range s.Patches.Classes {
		if !slices.Contains(SelectableClasses, c) {
			bad("patch class must be %s, got %q", Choices(SelectableClasses), c)
		}
	}
	for _, g := range slices.Concat(s.Patches.Include, s.Patches.Exclude) {
		if _, err := path.Match(g, ""); err != nil {
			bad("package glob %q: %v", g, err)
		}
	}
	for _, h := range slices.Concat(s.Host.PreHooks, s.Host.PostHooks) {
		if len(h.Command) == 0 {
			bad("hook %q has no command", h.Name)
		}
	}
	for _, c := range s.Checks {
		errs = append(errs, c.validate()...)
	}
	if w := s.Window; w != nil {
		if (w.Cron == "") == (len(w.Days) == 0) {
			bad("window needs exactly one of cron and days")
		}
		if len(w.Days) > 0 && w.Start == "" {
			bad("window days need a start HH:MM")
		}
		if w.Duration <= 0 {
			bad("window duration must be > 0, got %s", w.Duration)
		}
	}
	return errors.Join(errs...)
}

func (c Check) validate() []error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("cycle spec: check %q: "+format, append([]any{c.Name}, args...)...))
	}
	switch c.Type {
	case CheckCommand:
		if len(c.Command) == 0 {
			bad("command check has no command")
		}
	case CheckTCP:
		if c.Address == "" {
			bad("tcp check has no address")
		}
	case CheckHTTP:
		if c.URL == "" {
			bad("http check has no url")
		}
	case CheckPromQL:
		if c.Prometheus == "" || c.Query == "" || (c.Threshold == nil && c.BeforeAfter == nil) {
			bad("promql check needs prometheus, query and a threshold or before_after")
		}
		if c.Threshold != nil && !slices.Contains(ThresholdOps, c.Threshold.Op) {
			bad("threshold op must be <, <=, >, >=, == or !=, got %q", c.Threshold.Op)
		}
	default:
		bad("type must be %s, got %q", Choices(CheckTypes), c.Type)
	}
	if c.Scope != "" && !slices.Contains(CheckScopes, c.Scope) {
		bad("scope must be %s, got %q", Choices(CheckScopes), c.Scope)
	}
	if c.BeforeAfter != nil && !c.OnWave() {
		bad("before_after compares a wave's before and after, so scope must be wave")
	}
	return errs
}
