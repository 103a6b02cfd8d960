package workflows

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
)

// CycleSpec is everything a PatchCycle needs, as one typed, JSON-serialisable
// value. The layer above converts a policy file into a CycleSpec; this
// package never reads policies itself. Durations are time.Duration
// (nanoseconds in JSON).
type CycleSpec struct {
	// Policy is the policy name: part of the cycle ID, the PatchPolicy
	// search attribute and the policy metric label.
	Policy string `json:"policy"`
	// Inventory names the hosts; ResolveTargets reads it again at the start
	// of every cycle, so scheduled cycles see today's inventory.
	Inventory InventorySpec `json:"inventory"`
	// Staging selects the hosts (among the targets) patched first.
	Staging StagingSpec `json:"staging"`
	// Patches decides which pending updates enter the plan.
	Patches PatchRules `json:"patches"`
	// Approval gates the rollout after the plan is built.
	Approval ApprovalSpec `json:"approval"`
	// Waves split the production hosts (targets minus staging) in order.
	// Hosts left over after the last wave's count join the last wave.
	Waves []WaveSpec `json:"waves"`
	// Budget is the number of failed production hosts tolerated across all
	// waves; one more failure is a breach.
	Budget BudgetSpec `json:"budget"`
	// OnBudgetBreach is what the cycle does on a breach: "pause" (wait for
	// resume or abort), "rollback_wave" or "rollback_all".
	OnBudgetBreach string `json:"on_budget_breach"`
	// Host holds the per-host steps.
	Host HostSteps `json:"host"`
	// Checks run per host right after its patch (scope host) or after each
	// wave's bake (scope wave); see Check.
	Checks []Check `json:"checks,omitempty"`
	// BusyTimeout is how long a wave waits for a host that another cycle is
	// patching before skipping it. Default 10m.
	BusyTimeout time.Duration `json:"busy_timeout,omitempty"`
	// ScanParallel bounds hosts scanned (and finally verified) at once.
	// Default 20.
	ScanParallel int `json:"scan_parallel,omitempty"`
	// PreDownload fetches every host's planned packages into its package
	// cache before the approval gate, so the rollout does not wait on the
	// repositories; a host whose download fails is skipped with the reason.
	PreDownload bool `json:"pre_download,omitempty"`
	// DryRun resolves, scans and plans, then reports without changing hosts.
	DryRun bool `json:"dry_run,omitempty"`
	// Window is the maintenance window the rollout keeps to (window.go);
	// nil runs whenever started.
	Window *CycleWindow `json:"window,omitempty"`
	// SLA is the time to remediate per severity, for the SLA breach metric
	// (compliance.go).
	SLA SLASpec `json:"sla,omitzero"`
}

// InventorySpec names the inventory and the terms selecting target hosts.
type InventorySpec struct {
	Source string   `json:"source"`           // path or URL, as the worker can read it
	Select []string `json:"select,omitempty"` // selector terms, AND ("group=web", "env=prod")
}

// StagingSpec selects the staging hosts (among the targets) and how long
// they bake: hosts matching Select and hosts named in Hosts, combined, in
// name order, capped at Count when Count > 0. Nothing set = no staging.
type StagingSpec struct {
	Select []string      `json:"select,omitempty"`
	Hosts  []string      `json:"hosts,omitempty"`
	Count  int           `json:"count,omitempty"`
	Bake   time.Duration `json:"bake,omitempty"`
}

// PatchRules filter pending updates into the plan.
type PatchRules struct {
	// Classes admitted: "security", "bugfix", "feature", "critical"
	// (security of severity critical). Empty admits every class.
	Classes []string `json:"classes,omitempty"`
	// MinSeverity admits updates at or above it: critical, high, medium, low.
	// Empty admits every severity.
	MinSeverity string `json:"min_severity,omitempty"`
	// UnknownSeverity says how "unknown" counts against MinSeverity: as one
	// of the severities (default "low"), or "exclude" to leave such updates
	// out whenever MinSeverity is set.
	UnknownSeverity string `json:"unknown_severity,omitempty"`
	// Include and Exclude are package name globs (path.Match syntax); an
	// empty Include admits every name.
	Include []string `json:"include,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
	// Approve lists packages admitted whatever the class and severity rules
	// say: "name", or "name=version", which also pins that exact version in
	// the plan instead of the newest candidate. Reject lists packages
	// ("name" or "name=version") never admitted.
	Approve []string `json:"approve,omitempty"`
	Reject  []string `json:"reject,omitempty"`
}

// ApprovalSpec is the approval gate.
type ApprovalSpec struct {
	Mode    string        `json:"mode,omitempty"`    // "auto" (default) or "manual"
	Timeout time.Duration `json:"timeout,omitempty"` // manual: 0 = wait forever
	// OnTimeout: "abort" (default: the cycle fails, no host changed) or
	// "proceed" (the rollout starts as if approved).
	OnTimeout string `json:"on_timeout,omitempty"`
}

// WaveSpec sizes one wave: Count hosts, or Percent of the production hosts.
type WaveSpec struct {
	Name        string        `json:"name,omitempty"`
	Count       int           `json:"count,omitempty"`
	Percent     float64       `json:"percent,omitempty"`
	MaxParallel int           `json:"max_parallel,omitempty"` // default 1
	Bake        time.Duration `json:"bake,omitempty"`
}

// BudgetSpec bounds failed production hosts. When both are set the smaller
// bound applies; when neither is set no failure is tolerated.
type BudgetSpec struct {
	MaxFailures int     `json:"max_failures,omitempty"`
	MaxPercent  float64 `json:"max_percent,omitempty"`
}

// HostSteps are the steps and limits of one HostPatch.
type HostSteps struct {
	PreHooks  []Hook `json:"pre_hooks,omitempty"`
	PostHooks []Hook `json:"post_hooks,omitempty"`
	// Reboot: "if_required" (default), "always" or "never".
	Reboot string `json:"reboot,omitempty"`
	// RollbackOnFailure returns a failed host to its snapshot before it
	// waits for an operator decision.
	RollbackOnFailure bool `json:"rollback_on_failure,omitempty"`
	// DecisionTimeout is how long a failed host waits for retry, skip or
	// rollback. Default 1h.
	DecisionTimeout time.Duration `json:"decision_timeout,omitempty"`
	// OnDecisionTimeout: "fail" (default: the host ends failed), "skip"
	// (the host ends skipped, left as it is) or "abort" (the host ends
	// failed and the cycle aborts). A host whose rollback failed always
	// ends needs_repair.
	OnDecisionTimeout string `json:"on_decision_timeout,omitempty"`
	// ApplyTimeout bounds one package install (default 30m); RebootTimeout
	// bounds the wait for a rebooting host (default 15m); CommandTimeout
	// bounds other remote commands (default 5m).
	ApplyTimeout   time.Duration `json:"apply_timeout,omitempty"`
	RebootTimeout  time.Duration `json:"reboot_timeout,omitempty"`
	CommandTimeout time.Duration `json:"command_timeout,omitempty"`
}

// Hook is one command run on the host (argv, never a shell string).
type Hook struct {
	Name    string        `json:"name,omitempty"`
	Command []string      `json:"command"`
	Sudo    bool          `json:"sudo,omitempty"`
	Timeout time.Duration `json:"timeout,omitempty"`
}

// Check is a health check. Scope "host" (the default) runs it for each
// host right after that host is patched (part of verify); scope "wave" runs
// it after each wave's (and staging's) bake, once per patched host when it
// is a command or names "{host}", else once for the wave, where a failure
// fails every patched host of the wave.
//
// Types: "command" runs Command on the host and passes on exit 0; "tcp"
// dials Address (host:port, "{host}" replaced by the host's address) from
// the worker; "http" GETs URL and expects Expect (default 200); "promql"
// runs Query on the Prometheus server at Prometheus and passes when the
// value (the largest sample of a vector) meets Threshold, and, with
// BeforeAfter, when it grew by no more than the limits since before the
// wave started.
type Check struct {
	Name        string        `json:"name"`
	Type        string        `json:"type"`
	Scope       string        `json:"scope,omitempty"`
	Command     []string      `json:"command,omitempty"`
	Sudo        bool          `json:"sudo,omitempty"`
	Address     string        `json:"address,omitempty"`
	URL         string        `json:"url,omitempty"`
	Expect      int           `json:"expect,omitempty"`
	Prometheus  string        `json:"prometheus,omitempty"`
	Query       string        `json:"query,omitempty"`
	Threshold   *Threshold    `json:"threshold,omitempty"`
	BeforeAfter *BeforeAfter  `json:"before_after,omitempty"`
	Timeout     time.Duration `json:"timeout,omitempty"`
}

// Threshold passes when "<value> <Op> <Value>" holds; Op is one of
// <, <=, >, >=, ==, !=.
type Threshold struct {
	Op    string  `json:"op"`
	Value float64 `json:"value"`
}

// BeforeAfter fails a check whose value grew during the wave by more than
// MaxIncrease (absolute) or MaxIncreasePercent (relative), when set.
type BeforeAfter struct {
	MaxIncrease        float64 `json:"max_increase,omitempty"`
	MaxIncreasePercent float64 `json:"max_increase_percent,omitempty"`
}

// Check scopes.
const (
	ScopeHost = "host"
	ScopeWave = "wave"
)

// OnWave reports whether the check runs after a wave's bake (else right
// after each host's patch).
func (c Check) OnWave() bool { return c.Scope == ScopeWave }

func splitChecks(checks []Check) (host, wave []Check) {
	for _, c := range checks {
		if c.OnWave() {
			wave = append(wave, c)
		} else {
			host = append(host, c)
		}
	}
	return host, wave
}

// Breach policies.
const (
	BreachPause        = "pause"
	BreachRollbackWave = "rollback_wave"
	BreachRollbackAll  = "rollback_all"
)

var severityRank = map[string]int{"low": 1, "medium": 2, "high": 3, "critical": 4}

// Validate reports every problem of the spec at once, so a caller can
// reject a bad spec before it starts a workflow.
func (s *CycleSpec) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if s.Policy == "" || strings.ContainsAny(s.Policy, "/ \t\n") {
		bad("cycle spec: policy name must be non-empty without '/' or spaces, got %q", s.Policy)
	}
	if s.Inventory.Source == "" {
		bad("cycle spec: inventory source is empty")
	}
	if len(s.Waves) == 0 {
		bad("cycle spec: at least one wave is needed")
	}
	for i, w := range s.Waves {
		if (w.Count > 0) == (w.Percent > 0) {
			bad("cycle spec: wave %d: set exactly one of count and percent, got count %d percent %g", i+1, w.Count, w.Percent)
		}
		if w.Count < 0 || w.Percent < 0 || w.Percent > 100 || w.MaxParallel < 0 {
			bad("cycle spec: wave %d: count, percent (<=100) and max_parallel must not be negative", i+1)
		}
	}
	if s.Budget.MaxFailures < 0 || s.Budget.MaxPercent < 0 || s.Budget.MaxPercent > 100 {
		bad("cycle spec: budget must be >= 0 (percent <= 100), got %d / %g%%", s.Budget.MaxFailures, s.Budget.MaxPercent)
	}
	switch s.OnBudgetBreach {
	case "", BreachPause, BreachRollbackWave, BreachRollbackAll:
	default:
		bad("cycle spec: on_budget_breach must be pause, rollback_wave or rollback_all, got %q", s.OnBudgetBreach)
	}
	switch s.Approval.Mode {
	case "", "auto", "manual":
	default:
		bad("cycle spec: approval mode must be auto or manual, got %q", s.Approval.Mode)
	}
	switch s.Approval.OnTimeout {
	case "", "abort", "proceed":
	default:
		bad("cycle spec: approval on_timeout must be abort or proceed, got %q", s.Approval.OnTimeout)
	}
	switch s.Host.OnDecisionTimeout {
	case "", "fail", "skip", "abort":
	default:
		bad("cycle spec: host on_decision_timeout must be fail, skip or abort, got %q", s.Host.OnDecisionTimeout)
	}
	switch s.Host.Reboot {
	case "", "if_required", "always", "never":
	default:
		bad("cycle spec: host reboot must be if_required, always or never, got %q", s.Host.Reboot)
	}
	if s.Patches.MinSeverity != "" && severityRank[s.Patches.MinSeverity] == 0 {
		bad("cycle spec: min_severity must be critical, high, medium or low, got %q", s.Patches.MinSeverity)
	}
	if u := s.Patches.UnknownSeverity; u != "" && u != "exclude" && severityRank[u] == 0 {
		bad("cycle spec: unknown_severity must be critical, high, medium, low or exclude, got %q", u)
	}
	if s.Staging.Count < 0 {
		bad("cycle spec: staging count must be >= 0, got %d", s.Staging.Count)
	}
	for _, c := range s.Patches.Classes {
		switch c {
		case "security", "bugfix", "feature", "critical":
		default:
			bad("cycle spec: patch class must be security, bugfix, feature or critical, got %q", c)
		}
	}
	for _, g := range append(append([]string{}, s.Patches.Include...), s.Patches.Exclude...) {
		if _, err := path.Match(g, ""); err != nil {
			bad("cycle spec: package glob %q: %v", g, err)
		}
	}
	for _, h := range append(append([]Hook{}, s.Host.PreHooks...), s.Host.PostHooks...) {
		if len(h.Command) == 0 {
			bad("cycle spec: hook %q has no command", h.Name)
		}
	}
	for _, c := range s.Checks {
		switch c.Type {
		case "command":
			if len(c.Command) == 0 {
				bad("cycle spec: check %q: command check has no command", c.Name)
			}
		case "tcp":
			if c.Address == "" {
				bad("cycle spec: check %q: tcp check has no address", c.Name)
			}
		case "http":
			if c.URL == "" {
				bad("cycle spec: check %q: http check has no url", c.Name)
			}
		case "promql":
			if c.Prometheus == "" || c.Query == "" || (c.Threshold == nil && c.BeforeAfter == nil) {
				bad("cycle spec: check %q: promql check needs prometheus, query and a threshold or before_after", c.Name)
			}
			if c.Threshold != nil && !validOp(c.Threshold.Op) {
				bad("cycle spec: check %q: threshold op must be <, <=, >, >=, == or !=, got %q", c.Name, c.Threshold.Op)
			}
		default:
			bad("cycle spec: check %q: type must be command, tcp, http or promql, got %q", c.Name, c.Type)
		}
		if c.Scope != "" && c.Scope != ScopeHost && c.Scope != ScopeWave {
			bad("cycle spec: check %q: scope must be host or wave, got %q", c.Name, c.Scope)
		}
		if c.BeforeAfter != nil && !c.OnWave() {
			bad("cycle spec: check %q: before_after compares a wave's before and after, so scope must be wave", c.Name)
		}
	}
	if err := s.Window.validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func validOp(op string) bool {
	switch op {
	case "<", "<=", ">", ">=", "==", "!=":
		return true
	}
	return false
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
