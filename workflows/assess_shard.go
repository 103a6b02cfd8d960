package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/report"
)

// AssessShardInput is one shard of an assessment: at most hostsPerShard
// hosts, the policy's rules and SLA, and the exceptions in force.
type AssessShardInput struct {
	AssessID   string             `json:"assess_id"`
	Policy     string             `json:"policy"`
	Inventory  string             `json:"inventory"`
	Hosts      []string           `json:"hosts"`
	Rules      domain.PatchRules  `json:"rules"`
	SLA        domain.SLA         `json:"sla,omitzero"`
	KEVDueDate bool               `json:"kev_due_date,omitempty"`
	Exceptions []report.Exception `json:"exceptions,omitempty"`
	// ScanParallel bounds hosts scanned at once (default 20).
	ScanParallel   int           `json:"scan_parallel,omitempty"`
	CommandTimeout time.Duration `json:"command_timeout,omitempty"`
}

// AssessedHost is one host as its assessment found it: the scan (pending
// updates and exposures by reference), when, and which of its pending
// updates the policy requires.
type AssessedHost struct {
	domain.HostScan
	Assessed time.Time `json:"assessed"`
	// Required are positions in the shard's Updates: the pending updates
	// the policy's rules admit, the fixes it requires.
	Required []int `json:"required,omitempty"`
}

// AssessShardResult holds a shard's facts, kept compact: each distinct
// pending update and exposure once, hosts pointing at theirs.
type AssessShardResult struct {
	Updates   []domain.Pending  `json:"updates,omitempty"`
	Exposures []domain.Exposure `json:"exposures,omitempty"`
	Hosts     []AssessedHost    `json:"hosts,omitempty"`
	Failed    []HostProblem     `json:"failed,omitempty"`
	// Assessed is when the shard's scans ended: the time of its failures.
	Assessed time.Time `json:"assessed"`
	// Point and Totals are the shard's share of the assessment's summary.
	Point  report.TrendPoint `json:"point"`
	Totals AssessTotals      `json:"totals"`
}

// AssessShard scans its hosts (pending updates, what each fixes, the
// installed packages' exposures, the running kernel and reboot state),
// marks the fixes the policy requires, and evaluates the shard with the
// same rules `patchflow report compliance` applies (package report), so
// the metrics and the report agree.
func AssessShard(ctx workflow.Context, in AssessShardInput) (AssessShardResult, error) {
	table, exposures, failed := scanInBatches(ctx, in.Inventory, in.Hosts, in.ScanParallel, in.CommandTimeout, scanForAssessment, nil)
	now := workflow.Now(ctx)
	out := AssessShardResult{Failed: failed}
	for _, h := range table.Hosts {
		ah := AssessedHost{HostScan: h, Assessed: now}
		for _, i := range h.Updates {
			u := table.Updates[i]
			if in.Rules.Admit(domain.PlanEntry{Manager: u.Manager, Name: u.Name, Version: u.Candidate, Class: u.Class, Vulns: u.Vulns}) == "" {
				ah.Required = append(ah.Required, i)
			}
		}
		out.Hosts = append(out.Hosts, ah)
	}
	out.Updates, out.Exposures, out.Assessed = table.Updates, exposures.Rows, now
	var err error
	if out.Point, out.Totals, err = evaluateShard(in, out, now); err != nil {
		// Facts a scan produced are valid input; a report that cannot be
		// built from them is a bug, and the shard says so rather than
		// summarise wrongly.
		workflow.GetLogger(ctx).Error("assessment shard not evaluated", "error", err)
		return out, fmt.Errorf("evaluate assessment shard: %w", err)
	}
	return out, nil
}

// evaluateShard runs the compliance rules of package report over the
// shard's facts: the one implementation of host states, SLA states and
// exception coverage.
func evaluateShard(in AssessShardInput, r AssessShardResult, now time.Time) (report.TrendPoint, AssessTotals, error) {
	ci := report.ComplianceInput{GeneratedAt: now, Policies: []string{in.Policy},
		SLAs: map[string]report.SLA{in.Policy: ReportSLA(in.SLA, in.KEVDueDate)}, Exceptions: in.Exceptions}
	ci.Hosts = ComplianceHosts(in.Policy, r)
	rep, err := report.BuildCompliance(ci)
	if err != nil {
		return report.TrendPoint{At: now}, AssessTotals{}, err
	}
	var t AssessTotals
	for _, s := range rep.Totals.BySeverity {
		t.Missing.Add(s.Severity, s.Missing)
	}
	t.KEV, t.Breached, t.DueSoon, t.Excepted = rep.Totals.KEV, rep.Totals.Breached, rep.Totals.DueSoon, rep.Totals.Excepted
	for _, h := range rep.Hosts {
		for _, m := range h.Missing {
			if m.Severity == domain.SeverityCritical && m.Exception == nil {
				t.OldestCritical = domain.EarliestKnown(t.OldestCritical, m.FirstSeen)
			}
		}
	}
	return rep.Point(), t, nil
}
