package domain

import (
	"fmt"
	"slices"
	"time"
)

// CycleSpec is everything a patch cycle needs, as one typed,
// JSON-serialisable value: the resolved policy. The resolve layer turns a
// policy file into a CycleSpec; `policy explain` and `cycle start
// --dry-run` render it, and PatchCycle runs it, so what a reviewer reads
// is what runs. Durations are time.Duration (nanoseconds in JSON).
//
// The JSON names are part of every recorded cycle's history: never rename
// one; add fields instead.
type CycleSpec struct {
	// Policy is the policy name: part of the cycle ID, the PatchPolicy
	// search attribute and the policy metric label.
	Policy string `json:"policy"`
	// Inventory names the hosts; a cycle reads it again at its start, so
	// scheduled cycles see today's inventory.
	Inventory InventorySpec `json:"inventory"`
	// Staging selects the hosts patched first (SelectStaging).
	Staging StagingSpec `json:"staging"`
	// Patches decides which pending updates enter the plan (PatchRules).
	Patches PatchRules `json:"patches"`
	// Approval gates the rollout after the plan is built.
	Approval ApprovalSpec `json:"approval"`
	// Waves split the production hosts (targets minus staging) in order;
	// after the last wave its size repeats (PlanWaves).
	Waves []Wave `json:"waves"`
	// Budget bounds failed production hosts across all waves (Tolerated).
	Budget Budget `json:"budget"`
	// OnBudgetBreach is what the cycle does when the budget is exceeded.
	OnBudgetBreach BreachAction `json:"on_budget_breach"`
	// Host holds the per-host steps and their limits.
	Host HostSteps `json:"host"`
	// Checks run per host right after its patch (scope host) or after each
	// wave's bake (scope wave).
	Checks []Check `json:"checks,omitempty"`
	// BusyTimeout is how long a wave waits for a host that another cycle
	// is patching before skipping it. Default 10m.
	BusyTimeout time.Duration `json:"busy_timeout,omitempty"`
	// ScanParallel bounds hosts scanned (and finally verified) at once.
	// Default 20.
	ScanParallel int `json:"scan_parallel,omitempty"`
	// PreDownload fetches every host's planned packages into its package
	// cache before the approval gate; a host whose download fails is
	// skipped with the reason.
	PreDownload bool `json:"pre_download,omitempty"`
	// DryRun resolves, scans and plans, then reports without changing
	// hosts.
	DryRun bool `json:"dry_run,omitempty"`
	// Window is the maintenance window the rollout keeps to; nil runs
	// whenever started.
	Window *Window `json:"window,omitempty"`
	// SLA is the time to remediate per severity.
	SLA SLA `json:"sla,omitzero"`
}

// InventorySpec names the inventory and the terms selecting target hosts.
type InventorySpec struct {
	// Source is a path (absolute, as the worker reads it) or an http(s)
	// URL; see InventorySource.
	Source string `json:"source"`
	// Select holds selector terms, all of which apply ("group=web",
	// "env=prod").
	Select []string `json:"select,omitempty"`
}

// StagingSpec selects the staging hosts and how long they bake: hosts
// matching Select and hosts named in Hosts, from the whole inventory, in
// inventory order, capped at Count when Count > 0. Nothing set = no
// staging.
type StagingSpec struct {
	Select []string      `json:"select,omitempty"`
	Hosts  []string      `json:"hosts,omitempty"`
	Count  int           `json:"count,omitempty"`
	Bake   time.Duration `json:"bake,omitempty"`
}

// Enabled reports whether the policy has staging hosts.
func (s StagingSpec) Enabled() bool { return len(s.Select) > 0 || len(s.Hosts) > 0 }

// ApprovalSpec is the approval gate.
type ApprovalSpec struct {
	Mode ApprovalMode `json:"mode,omitempty"` // default auto
	// Timeout bounds a manual gate; 0 waits forever.
	Timeout   time.Duration         `json:"timeout,omitempty"`
	OnTimeout ApprovalTimeoutAction `json:"on_timeout,omitempty"` // default abort
	// RiskAbove makes an automatic gate manual when a planned update's
	// risk is above it (0: never).
	RiskAbove int `json:"risk_above,omitempty"`
	// HistoryRiskAbove makes an automatic gate manual when a planned
	// update's history risk (EntryHistory.Risk) is above it (0: never).
	HistoryRiskAbove int `json:"history_risk_above,omitempty"`
	// PlanMaxAge is how old a reviewed plan may be when it is applied
	// (DefaultPlanMaxAge when 0).
	PlanMaxAge time.Duration `json:"plan_max_age,omitempty"`
}

// Manual reports whether a person must approve this plan: the policy says
// so, or an update's risk or history risk is above the policy's threshold.
func (a ApprovalSpec) Manual(p Plan) bool { return a.WhyManual(p) != "" }

// WhyManual says why a person must approve this plan ("history risk 75 of
// demo-lib 1.1 is above the policy's 50"); empty when no one must.
func (a ApprovalSpec) WhyManual(p Plan) string {
	switch {
	case a.Mode == ApprovalManual || a.Mode == ApprovalPlan:
		return "the policy approves by " + string(a.Mode)
	case a.RiskAbove > 0 && p.MaxRisk() > a.RiskAbove:
		e := p.Entries[slices.IndexFunc(p.Entries, func(e PlanEntry) bool { return e.Risk == p.MaxRisk() })]
		return fmt.Sprintf("risk %d of %s %s is above the policy's %d", e.Risk, e.Name, e.Version, a.RiskAbove)
	case a.HistoryRiskAbove > 0 && p.MaxHistoryRisk() > a.HistoryRiskAbove:
		e := p.Entries[slices.IndexFunc(p.Entries, func(e PlanEntry) bool { return e.HistoryRisk == p.MaxHistoryRisk() })]
		why := ""
		if e.History != nil {
			why = ": " + e.History.Text()
		}
		return fmt.Sprintf("history risk %d of %s %s is above the policy's %d%s", e.HistoryRisk, e.Name, e.Version, a.HistoryRiskAbove, why)
	}
	return ""
}

// HostSteps are the steps and limits of one host's patch.
type HostSteps struct {
	PreHooks  []Hook       `json:"pre_hooks,omitempty"`
	PostHooks []Hook       `json:"post_hooks,omitempty"`
	Reboot    RebootPolicy `json:"reboot,omitempty"` // default if_required
	// RollbackOnFailure returns a failed host to its snapshot before it
	// waits for an operator decision.
	RollbackOnFailure bool `json:"rollback_on_failure,omitempty"`
	// DecisionTimeout is how long a failed host waits for retry, skip or
	// rollback. Default 1h.
	DecisionTimeout   time.Duration         `json:"decision_timeout,omitempty"`
	OnDecisionTimeout DecisionTimeoutAction `json:"on_decision_timeout,omitempty"` // none: the host ends failed
	// Timeouts of the steps; see HostSteps' methods for the defaults.
	PrecheckTimeout time.Duration `json:"precheck_timeout,omitempty"`
	ApplyTimeout    time.Duration `json:"apply_timeout,omitempty"`
	RebootTimeout   time.Duration `json:"reboot_timeout,omitempty"`
	VerifyTimeout   time.Duration `json:"verify_timeout,omitempty"`
	HookTimeout     time.Duration `json:"hook_timeout,omitempty"`
	// CommandTimeout bounds each remote command of the short steps (scan,
	// snapshot, checks). Cycles recorded before the precheck and verify
	// timeouts existed used it for those too.
	CommandTimeout time.Duration `json:"command_timeout,omitempty"`
}

// Hook is one command run on the host (argv, never a shell string).
type Hook struct {
	Name    string        `json:"name,omitempty"`
	Command []string      `json:"command"`
	Sudo    bool          `json:"sudo,omitempty"`
	Timeout time.Duration `json:"timeout,omitempty"`
}

// Check is a health check. Types: "command" runs Command on the host and
// passes on exit 0; "tcp" dials Address (host:port, "{host}" replaced by
// the host's address) from the worker; "http" GETs URL and expects Expect
// (default 200); "promql" runs Query on the Prometheus server at
// Prometheus and passes when the value (the largest sample of a vector)
// meets Threshold, and, with BeforeAfter, when it grew by no more than the
// limits since before the wave started. A wave-scoped check runs once per
// patched host when it is a command or names "{host}", else once for the
// wave, where a failure fails every patched host of the wave.
type Check struct {
	Name        string        `json:"name"`
	Type        CheckType     `json:"type"`
	Scope       CheckScope    `json:"scope,omitempty"` // default host
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

// OnWave reports whether the check runs after a wave's bake (else right
// after each host's patch).
func (c Check) OnWave() bool { return c.Scope == ScopeWave }

// SplitChecks separates host-scoped from wave-scoped checks.
func SplitChecks(checks []Check) (host, wave []Check) {
	for _, c := range checks {
		if c.OnWave() {
			wave = append(wave, c)
		} else {
			host = append(host, c)
		}
	}
	return host, wave
}

// Threshold passes when "<value> <Op> <Value>" holds; Op is one of
// <, <=, >, >=, ==, !=.
type Threshold struct {
	Op    string  `json:"op"`
	Value float64 `json:"value"`
}

// ThresholdOps are the comparison operators a threshold may use.
var ThresholdOps = []string{"<", "<=", ">", ">=", "==", "!="}

// BeforeAfter fails a check whose value grew during the wave by more than
// MaxIncrease (absolute) or MaxIncreasePercent (relative), when set.
type BeforeAfter struct {
	MaxIncrease        float64 `json:"max_increase,omitempty"`
	MaxIncreasePercent float64 `json:"max_increase_percent,omitempty"`
}

// SLA is the time to remediate an update, per severity; 0 means no SLA
// for that severity.
type SLA struct {
	Critical time.Duration `json:"critical,omitempty"`
	High     time.Duration `json:"high,omitempty"`
	Medium   time.Duration `json:"medium,omitempty"`
	Low      time.Duration `json:"low,omitempty"`
	Unknown  time.Duration `json:"unknown,omitempty"`
	// KEVDueDate makes a KEV-listed CVE's due date its deadline when that
	// is sooner.
	KEVDueDate bool `json:"kev_due_date,omitempty"`
}

// For returns the SLA of a severity.
func (s SLA) For(sev Severity) time.Duration {
	switch sev {
	case SeverityCritical:
		return s.Critical
	case SeverityHigh:
		return s.High
	case SeverityMedium:
		return s.Medium
	case SeverityLow:
		return s.Low
	}
	return s.Unknown
}
