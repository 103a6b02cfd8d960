package report

import (
	"time"

	"github.com/patchflow/patchflow/domain"
)

// Kinds and schema version written into every report, so a reader of a
// JSON file knows what it holds and which schema it follows.
const (
	KindCompliance    = "compliance_report"
	KindCVEAudit      = "cve_audit"
	KindCycleEvidence = "cycle_evidence"
	// SchemaVersion is the version of schemas/report/*.schema.json these
	// types follow; it changes only when a field changes meaning or goes.
	SchemaVersion = 1
)

// ComplianceReport is where every host in scope stands against the
// required fixes of its policy: built by BuildCompliance, rendered by
// WriteJSON, WriteComplianceTable and WriteComplianceHTML.
type ComplianceReport struct {
	Kind          string    `json:"kind"`
	SchemaVersion int       `json:"schema_version"`
	GeneratedAt   time.Time `json:"generated_at"`
	// TimeZone is the IANA zone the text renderings show beside UTC.
	TimeZone string `json:"time_zone"`
	// Generator says what made the report ("patchflow v0.9.0 report
	// compliance -p web"), for the footer.
	Generator string            `json:"generator"`
	Rules     ComplianceRules   `json:"rules"`
	Sources   []SourceFreshness `json:"sources"`
	Scope     Scope             `json:"scope"`
	Totals    Totals            `json:"totals"`
	// Hosts are in ranking order (docs/reports.md, "Ranking"): the host
	// furthest out of SLA first.
	Hosts []HostRow `json:"hosts"`
	// Exceptions are the risk exceptions in scope, the soonest to expire
	// first, expired ones included (they no longer cover anything).
	Exceptions []ExceptionRow `json:"exceptions"`
	// Trend is one point per retained assessment, oldest first.
	Trend []TrendPoint `json:"trend"`
}

// ComplianceRules are the parameters the states were derived with, so a
// reader can check them.
type ComplianceRules struct {
	// StaleAfterSeconds: a host whose last complete assessment is older is
	// stale_assessment.
	StaleAfterSeconds int64 `json:"stale_after_seconds"`
	// SourceMaxAgeSeconds: a source whose data is older is stale (unless
	// the source has its own max age).
	SourceMaxAgeSeconds int64 `json:"source_max_age_seconds"`
	// DueSoonFraction: a fix is due_soon when at most this fraction of its
	// SLA window is left.
	DueSoonFraction float64 `json:"due_soon_fraction"`
	// SLAs are the per-policy SLAs applied, by policy name.
	SLAs []PolicySLA `json:"slas"`
}

// PolicySLA is one policy's remediation SLA, as applied.
type PolicySLA struct {
	Policy string `json:"policy"`
	// Seconds per severity; 0 means no SLA for that severity.
	CriticalSeconds int64 `json:"critical_seconds"`
	HighSeconds     int64 `json:"high_seconds"`
	MediumSeconds   int64 `json:"medium_seconds"`
	LowSeconds      int64 `json:"low_seconds"`
	UnknownSeconds  int64 `json:"unknown_seconds"`
	// KEVDueDate: a KEV-listed CVE's due date counts as a deadline too.
	KEVDueDate bool `json:"kev_due_date"`
}

// Scope is what the report covers.
type Scope struct {
	Policies []string `json:"policies"`
	// Selectors are the host selectors the report was asked for, if any.
	Selectors []string `json:"selectors,omitempty"`
	// Hosts counts the host rows (host and policy pairs).
	Hosts int `json:"hosts"`
}

// Finding is one required fix missing on a host, as an assessment found
// it: the facts the caller fills in. advisories.UpdateAssessment carries
// the same fields under the same names.
type Finding struct {
	Package   string `json:"package"`
	Arch      string `json:"arch,omitempty"`
	Installed string `json:"installed"`
	// FixedVersion is the version that fixes it: the host's candidate when
	// its repositories have it, else the advisory's fixed version.
	FixedVersion string   `json:"fixed_version"`
	CVEs         []string `json:"cves"`
	// Advisories are the other ids (DSA, DLA, RHSA, GHSA...) of the fix.
	Advisories []string `json:"advisories,omitempty"`
	Severity   Severity `json:"severity"`
	KEV        bool     `json:"kev"`
	// KEVDueDate is CISA's due date (YYYY-MM-DD) of a KEV-listed CVE.
	KEVDueDate string `json:"kev_due_date,omitempty"`
	// EPSS is the highest EPSS score of its CVEs, absent when none has one.
	EPSS *float64 `json:"epss,omitempty"`
	Risk int      `json:"risk"`
	// FirstSeen is when an assessment first found the fix missing on this
	// host (or the advisory's release, if earlier and known): the start of
	// its SLA clock.
	FirstSeen time.Time `json:"first_seen"`
	// RebootPending: the fixed version is installed but not yet running
	// (a kernel, or a library a running service still maps): the host
	// stays exposed until it restarts.
	RebootPending bool `json:"reboot_pending,omitempty"`
}

// MissingFix is a Finding with what BuildCompliance derives from it at
// generated_at.
type MissingFix struct {
	Finding
	AgeSeconds int64 `json:"age_seconds"`
	// SLASeconds is the SLA window (due_at - first_seen); 0 without SLA.
	SLASeconds int64     `json:"sla_seconds"`
	DueAt      time.Time `json:"due_at,omitzero"`
	SLAState   SLAState  `json:"sla_state"`
	SLASource  SLASource `json:"sla_source,omitempty"`
	// Exception is the active risk exception that covers the fix, if any:
	// the one that expires first of those needed to cover all its CVEs.
	Exception *ExceptionRef `json:"exception,omitempty"`
}

// ExceptionRef names the exception that covers a fix.
type ExceptionRef struct {
	ID     string    `json:"id"`
	Until  time.Time `json:"until"`
	Reason string    `json:"reason"`
}

// HostRow is one host under one policy.
type HostRow struct {
	// Rank is the 1-based position in the ranking.
	Rank   int       `json:"rank"`
	Host   string    `json:"host"`
	Policy string    `json:"policy"`
	State  HostState `json:"state"`
	// LastAssessed is the end of the host's last complete assessment,
	// absent when there was none.
	LastAssessed time.Time `json:"last_assessed,omitzero"`
	// Failure is the host's latest failed assessment attempt, if it came
	// after the last complete one.
	Failure       *AssessmentFailure `json:"failure,omitempty"`
	RebootPending bool               `json:"reboot_pending"`
	Summary       HostSummary        `json:"summary"`
	// Missing lists the required fixes missing per the last complete
	// assessment: the soonest deadline first, excepted ones last.
	Missing []MissingFix `json:"missing"`
}

// AssessmentFailure is a failed assessment attempt of a host.
type AssessmentFailure struct {
	At    time.Time `json:"at"`
	Error string    `json:"error"`
}

// HostSummary condenses a host's missing fixes; excepted fixes count only
// in Excepted.
type HostSummary struct {
	Missing  int `json:"missing"`
	Excepted int `json:"excepted"`
	Breached int `json:"breached"`
	DueSoon  int `json:"due_soon"`
	KEV      int `json:"kev"`
	// WorstSeverity is the highest severity missing, absent when nothing is.
	WorstSeverity Severity `json:"worst_severity,omitempty"`
	// NextDue is the earliest deadline of a missing fix (passed or not):
	// the first ranking key.
	NextDue time.Time `json:"next_due,omitzero"`
	// OverdueSeconds is how long ago NextDue passed; 0 when it has not.
	OverdueSeconds int64 `json:"overdue_seconds"`
	// OldestFirstSeen is the oldest first_seen of a missing fix.
	OldestFirstSeen time.Time `json:"oldest_first_seen,omitzero"`
}

// Totals sum the host rows.
type Totals struct {
	Hosts int `json:"hosts"`
	// ByState has one entry per host state, in HostStates order.
	ByState []StateCount `json:"by_state"`
	// BySeverity has one entry per severity, in domain.Severities order; excepted
	// fixes are not counted there.
	BySeverity []SeverityTotal `json:"by_severity"`
	Missing    int             `json:"missing"`
	Excepted   int             `json:"excepted"`
	Breached   int             `json:"breached"`
	DueSoon    int             `json:"due_soon"`
	KEV        int             `json:"kev"`
	// CompliantRatio is compliant hosts / hosts (4 decimals); 0 without hosts.
	CompliantRatio float64 `json:"compliant_ratio"`
	// StaleSources counts the sources flagged stale.
	StaleSources int `json:"stale_sources"`
}

// StateCount is the number of hosts in one state.
type StateCount struct {
	State HostState `json:"state"`
	Hosts int       `json:"hosts"`
}

// SeverityTotal is what is missing at one severity across the report.
type SeverityTotal struct {
	Severity Severity `json:"severity"`
	// Missing counts missing fixes (host x package) not under exception.
	Missing int `json:"missing"`
	// Hosts counts hosts with at least one of them.
	Hosts    int `json:"hosts"`
	Breached int `json:"breached"`
	KEV      int `json:"kev"`
}

// ExceptionRow is one risk exception in the report.
type ExceptionRow struct {
	ID    string   `json:"id"`
	CVEs  []string `json:"cves"`
	Hosts []string `json:"hosts"`
	// Until is when the exception expires; from then on it covers nothing.
	Until     time.Time `json:"until"`
	Reason    string    `json:"reason"`
	By        string    `json:"by,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	Expired   bool      `json:"expired"`
	// CoveredFixes counts the missing fixes (host x package) this
	// exception covers at least one CVE of.
	CoveredFixes int `json:"covered_fixes"`
}

// TrendPoint is the summary of one retained assessment.
type TrendPoint struct {
	At time.Time `json:"at"`
	// Hosts is the sum of the state counts below.
	Hosts            int `json:"hosts"`
	Compliant        int `json:"compliant"`
	Noncompliant     int `json:"noncompliant"`
	NeverAssessed    int `json:"never_assessed"`
	AssessmentFailed int `json:"assessment_failed"`
	StaleAssessment  int `json:"stale_assessment"`
	Exception        int `json:"exception"`
	// CompliantRatio is compliant / hosts (4 decimals).
	CompliantRatio float64 `json:"compliant_ratio"`
	// Missing counts missing fixes not under exception, by severity.
	Missing SeverityCounts `json:"missing"`
}

// SeverityCounts is a count per severity.
type SeverityCounts struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Unknown  int `json:"unknown"`
}

// Add counts one at severity s.
func (c *SeverityCounts) Add(s Severity, n int) {
	switch s {
	case domain.SeverityCritical:
		c.Critical += n
	case domain.SeverityHigh:
		c.High += n
	case domain.SeverityMedium:
		c.Medium += n
	case domain.SeverityLow:
		c.Low += n
	default:
		c.Unknown += n
	}
}

// Of returns the count at severity s.
func (c SeverityCounts) Of(s Severity) int {
	switch s {
	case domain.SeverityCritical:
		return c.Critical
	case domain.SeverityHigh:
		return c.High
	case domain.SeverityMedium:
		return c.Medium
	case domain.SeverityLow:
		return c.Low
	}
	return c.Unknown
}
