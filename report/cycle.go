package report

import (
	"slices"
	"time"

	"github.com/patchflow/patchflow/domain"
)

// CycleState is a patch cycle's state, package domain's. Like Severity it
// has no text methods of its own (workflow payloads carry it); Validate
// checks it before any writing and after any reading.
type CycleState = domain.CycleState

// HostResult is how one host ended in a cycle's wave. Its vocabulary is
// narrower than domain.HostState's, so it is a type of its own: a host's
// final state by name, awaiting_decision, and pending for every state of a
// host still running (a report says where a host ended, not which step it
// was at); ResultOf maps one to the other.
type HostResult string

// Host results.
const (
	HostPatched          = HostResult(domain.HostPatched)
	HostFailed           = HostResult(domain.HostFailed)
	HostRolledBack       = HostResult(domain.HostRolledBack)
	HostNeedsRepair      = HostResult(domain.HostNeedsRepair) // a rollback failed: fix by hand
	HostSkipped          = HostResult(domain.HostSkipped)
	HostCanceled         = HostResult(domain.HostCanceled) // the cycle was canceled before the host was changed
	HostAwaitingDecision = HostResult(domain.HostAwaitingDecision)
	HostPending          = HostResult(domain.HostPending)
)

// ResultOf is the result a report gives a host in state s: a final state
// by name, awaiting_decision as it is, any other state of a host still
// running as pending.
func ResultOf(s domain.HostState) HostResult {
	if s.Final() || s == domain.HostAwaitingDecision {
		return HostResult(s)
	}
	return HostPending
}

// HostResults lists every host result, in report order.
var HostResults = []HostResult{HostPatched, HostFailed, HostRolledBack, HostNeedsRepair, HostSkipped, HostCanceled, HostAwaitingDecision, HostPending}

// Valid reports whether r is one of HostResults.
func (r HostResult) Valid() bool { return slices.Contains(HostResults, r) }

// MarshalText implements encoding.TextMarshaler; it refuses invalid values.
func (r HostResult) MarshalText() ([]byte, error) { return marshalEnum("host result", r, r.Valid()) }

// UnmarshalText implements encoding.TextUnmarshaler; it refuses invalid values.
func (r *HostResult) UnmarshalText(b []byte) error {
	return unmarshalEnum("host result", b, r, HostResults)
}

// ApprovalMode is how a cycle's plan was approved.
type ApprovalMode string

// Approval modes.
const (
	// ApprovalAuto: the policy approves without a person.
	ApprovalAuto ApprovalMode = "auto"
	// ApprovalOperator: a person sent approve (signal or update).
	ApprovalOperator ApprovalMode = "operator"
	// ApprovalPlan: an approve named the sha256 of the reviewed plan the
	// cycle applies.
	ApprovalPlan ApprovalMode = "plan"
	// ApprovalTimeout: no approval came within the timeout and the policy
	// proceeded.
	ApprovalTimeout ApprovalMode = "timeout"
	// ApprovalPending: the cycle waits for (or ended waiting for) approval.
	ApprovalPending ApprovalMode = "pending"
)

// ApprovalModes lists every approval mode.
var ApprovalModes = []ApprovalMode{ApprovalAuto, ApprovalOperator, ApprovalPlan, ApprovalTimeout, ApprovalPending}

// Valid reports whether m is one of ApprovalModes.
func (m ApprovalMode) Valid() bool { return slices.Contains(ApprovalModes, m) }

// MarshalText implements encoding.TextMarshaler; it refuses invalid values.
func (m ApprovalMode) MarshalText() ([]byte, error) {
	return marshalEnum("approval mode", m, m.Valid())
}

// UnmarshalText implements encoding.TextUnmarshaler; it refuses invalid values.
func (m *ApprovalMode) UnmarshalText(b []byte) error {
	return unmarshalEnum("approval mode", b, m, ApprovalModes)
}

// CycleEvidence is the evidence pack of one patch cycle, for auditors:
// what was missing before, what was planned and approved, what each wave
// did, what rebooted and rolled back, and what the re-assessment found.
// Built by BuildCycleEvidence, rendered by WriteJSON,
// WriteCycleEvidenceTable and WriteCycleEvidenceHTML.
type CycleEvidence struct {
	Kind          string            `json:"kind"`
	SchemaVersion int               `json:"schema_version"`
	GeneratedAt   time.Time         `json:"generated_at"`
	TimeZone      string            `json:"time_zone"`
	Generator     string            `json:"generator"`
	CycleID       string            `json:"cycle_id"`
	Policy        string            `json:"policy"`
	State         CycleState        `json:"state"`
	StartedAt     time.Time         `json:"started_at"`
	FinishedAt    time.Time         `json:"finished_at,omitzero"`
	Sources       []SourceFreshness `json:"sources"`
	// Before is each target host's findings from the assessment the plan
	// was made from, by host name.
	Before   []HostFindings `json:"before"`
	Plan     Plan           `json:"plan"`
	Approval Approval       `json:"approval"`
	// Waves in order, staging (index 0) first.
	Waves []WaveEvidence `json:"waves"`
	// Reboots lists every host reboot of the cycle, by time.
	Reboots []Reboot `json:"reboots"`
	// Rollbacks lists every rollback of the cycle, by time.
	Rollbacks []Rollback `json:"rollbacks"`
	// Verify is the final verification of every patched host; nil when
	// the cycle did not reach it.
	Verify *FinalVerify `json:"verify,omitempty"`
	// AfterAssessment names the first assessment of the policy after the
	// cycle (empty: none yet); After is each target host's findings in
	// it, by host name, and Remediation whether each planned host's fixes
	// were verified there.
	AfterAssessment string            `json:"after_assessment,omitempty"`
	After           []HostFindings    `json:"after"`
	Remediation     []HostRemediation `json:"remediation"`
	// Hosts is every target host's final state in the cycle, by host name
	// (empty when it could not be read).
	Hosts []CycleHost `json:"hosts"`
	// Results counts hosts by their final state (Hosts), or else by their
	// last result in the waves.
	Results []HostResultCount `json:"results"`
	// Timeline is every dated event above, oldest first.
	Timeline []Event `json:"timeline"`
}

// HostFindings is one host's assessment: the required fixes missing then.
type HostFindings struct {
	Host       string    `json:"host"`
	AssessedAt time.Time `json:"assessed_at,omitzero"`
	// Error is set when the assessment of this host failed.
	Error    string    `json:"error,omitempty"`
	Findings []Finding `json:"findings"`
}

// Plan is the pinned content set of the cycle.
type Plan struct {
	CreatedAt time.Time   `json:"created_at"`
	Entries   []PlanEntry `json:"entries"`
	// HistoryFrom says what earlier cycles the history risks come from.
	HistoryFrom *HistorySource `json:"history_from,omitempty"`
}

// PlanEntry is one pinned package version.
type PlanEntry struct {
	Manager  string   `json:"manager"`
	Package  string   `json:"package"`
	Version  string   `json:"version"`
	CVEs     []string `json:"cves"`
	Severity Severity `json:"severity"`
	KEV      bool     `json:"kev"`
	Risk     int      `json:"risk"`
	// Hosts counts the target hosts with this update pending.
	Hosts int `json:"hosts"`
	// HistoryRisk is 0-100 from earlier cycles' runs of the update,
	// History the evidence (nil: no earlier run known).
	HistoryRisk int          `json:"history_risk"`
	History     *PlanHistory `json:"history,omitempty"`
}

// Approval says who approved the plan, when and how.
type Approval struct {
	Mode ApprovalMode `json:"mode"`
	// By is the identity that approved (operator mode).
	By string    `json:"by,omitempty"`
	At time.Time `json:"at,omitzero"`
	// Via is the channel: "policy" (auto), "signal" (Temporal UI or CLI),
	// "update" (CLI).
	Via     string `json:"via,omitempty"`
	Comment string `json:"comment,omitempty"`
	// PlanSHA256 is the reviewed plan an approval by plan named.
	PlanSHA256 string `json:"plan_sha256,omitempty"`
	// Required says why a person had to approve, and RequestedAt since
	// when the cycle waited.
	Required    string    `json:"required,omitempty"`
	RequestedAt time.Time `json:"requested_at,omitzero"`
}

// WaveEvidence is one wave and each host's result in it.
type WaveEvidence struct {
	Index      int               `json:"index"`
	Name       string            `json:"name"`
	StartedAt  time.Time         `json:"started_at,omitzero"`
	FinishedAt time.Time         `json:"finished_at,omitzero"`
	Hosts      []WaveHost        `json:"hosts"`
	Results    []HostResultCount `json:"results"`
}

// WaveHost is one host's run in a wave.
type WaveHost struct {
	Host       string     `json:"host"`
	Result     HostResult `json:"result"`
	StartedAt  time.Time  `json:"started_at,omitzero"`
	FinishedAt time.Time  `json:"finished_at,omitzero"`
	Reason     string     `json:"reason,omitempty"`
	// Installed are the pinned versions the host ended at.
	Installed []Pin `json:"installed,omitempty"`
	// RebootedAt is when the host came back from its reboot, if it rebooted.
	RebootedAt time.Time `json:"rebooted_at,omitzero"`
}

// Pin is an exact package version; Version "" means absent.
type Pin struct {
	Package string `json:"package"`
	Version string `json:"version"`
}

// Reboot is one host reboot during the cycle.
type Reboot struct {
	Host string    `json:"host"`
	Wave int       `json:"wave"`
	At   time.Time `json:"at"`
}

// Rollback is one host returned to its snapshot.
type Rollback struct {
	Host   string    `json:"host"`
	Wave   int       `json:"wave"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
	// Result is rolled_back, or needs_repair when the rollback failed.
	Result HostResult `json:"result"`
	// To are the snapshot versions restored.
	To []Pin `json:"to,omitempty"`
}

// HostResultCount is the number of hosts with one result.
type HostResultCount struct {
	Result HostResult `json:"result"`
	Hosts  int        `json:"hosts"`
}

// Event is one dated step of the cycle for the timeline. Per-host events
// are kept for hosts that did not end patched; reboots have their own list.
type Event struct {
	At     time.Time `json:"at"`
	What   EventKind `json:"what"`
	Host   string    `json:"host,omitempty"`
	Wave   *int      `json:"wave,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// EventKind names a timeline event.
type EventKind string

// Timeline events.
const (
	EventCycleStarted      EventKind = "cycle_started"
	EventAssessed          EventKind = "assessed"
	EventPlanCreated       EventKind = "plan_created"
	EventApprovalRequested EventKind = "approval_requested"
	EventApproved          EventKind = "approved"
	EventWaveStarted       EventKind = "wave_started"
	EventHostResult        EventKind = "host_result"
	EventRollback          EventKind = "rollback"
	EventWaveFinished      EventKind = "wave_finished"
	EventVerified          EventKind = "final_verify"
	EventReassessed        EventKind = "reassessed"
	EventCycleFinished     EventKind = "cycle_finished"
)

// EventKinds lists every event kind.
var EventKinds = []EventKind{EventCycleStarted, EventAssessed, EventPlanCreated, EventApprovalRequested, EventApproved, EventWaveStarted,
	EventHostResult, EventRollback, EventWaveFinished, EventVerified, EventReassessed, EventCycleFinished}

// Valid reports whether k is one of EventKinds.
func (k EventKind) Valid() bool { return slices.Contains(EventKinds, k) }

// MarshalText implements encoding.TextMarshaler; it refuses invalid values.
func (k EventKind) MarshalText() ([]byte, error) { return marshalEnum("event", k, k.Valid()) }

// UnmarshalText implements encoding.TextUnmarshaler; it refuses invalid values.
func (k *EventKind) UnmarshalText(b []byte) error { return unmarshalEnum("event", b, k, EventKinds) }
