package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Event names. Each is also the middle of the CloudEvents type
// (io.patchflow.<name>.v1) and names the data schema
// (schemas/events/v1/<name>.schema.json).
const (
	CycleStarted        = "cycle.started"
	CycleApprovalNeeded = "cycle.approval_needed"
	CycleApproved       = "cycle.approved"
	CyclePaused         = "cycle.paused"
	CycleResumed        = "cycle.resumed"
	CycleFinished       = "cycle.finished"
	CycleFailed         = "cycle.failed"
	CycleAborted        = "cycle.aborted"
	WaveStarted         = "wave.started"
	WaveFinished        = "wave.finished"
	HostFailed          = "host.failed"
	HostRolledBack      = "host.rolled_back"
	BudgetBreached      = "budget.breached"
	SLABreached         = "sla.breached"
)

// Events lists every event name in the order a cycle usually sends them.
var Events = []string{
	CycleStarted, CycleApprovalNeeded, CycleApproved, CyclePaused, CycleResumed,
	WaveStarted, HostFailed, HostRolledBack, WaveFinished, BudgetBreached,
	SLABreached, CycleFinished, CycleFailed, CycleAborted,
}

// SchemaVersion is the version of every event's data schema: the suffix of
// the CloudEvents type and the directory of the schema files.
const SchemaVersion = "v1"

// Event is one thing that happened in a cycle, as the workflow saw it. The
// workflow builds it (Time from workflow.Now, Seq from its own counters) and
// passes it to the notification activity, so a replayed workflow or a
// retried activity carries the same value and ID. It holds names and
// numbers only: never a secret, never an inventory.
type Event struct {
	// Type is one of the event names (CycleStarted, ...).
	Type string `json:"type"`
	// CycleID is the cycle's workflow ID, cycle/<policy>/<UTC start>.
	CycleID string `json:"cycle_id"`
	// Policy is the policy name (metadata.name).
	Policy string `json:"policy"`
	// Time is when it happened (workflow time).
	Time time.Time `json:"time"`
	// Seq tells repeats of one event about one subject apart within a
	// cycle: the nth pause or resume, a host's nth failure (after retries),
	// the nth budget breach. 0 and 1 both mean the first.
	Seq int `json:"seq,omitempty"`
	// Reason says why, in words (free text from the workflow: a failure,
	// an operator's abort, the pause cause). Required for cycle.failed,
	// cycle.paused and host.failed.
	Reason string `json:"reason,omitempty"`

	Cycle    *CycleInfo    `json:"cycle,omitempty"`    // cycle.started
	Approval *ApprovalInfo `json:"approval,omitempty"` // cycle.approval_needed, cycle.approved
	Outcome  *Outcome      `json:"outcome,omitempty"`  // cycle.finished, cycle.failed, cycle.aborted, wave.finished
	Wave     *WaveInfo     `json:"wave,omitempty"`     // wave.started, wave.finished
	Host     *HostInfo     `json:"host,omitempty"`     // host.failed, host.rolled_back
	Budget   *BudgetInfo   `json:"budget,omitempty"`   // budget.breached
	SLA      *SLAInfo      `json:"sla,omitempty"`      // sla.breached
}

// CycleInfo describes a starting cycle.
type CycleInfo struct {
	Targets int  `json:"targets"` // hosts the cycle resolved
	Staging int  `json:"staging"` // of which staging hosts
	Waves   int  `json:"waves"`   // production waves
	DryRun  bool `json:"dry_run"`
}

// ApprovalInfo describes an approval gate: what waits for approval
// (cycle.approval_needed) or how it was given (cycle.approved).
type ApprovalInfo struct {
	// Hosts and Updates size the plan: hosts with something to install and
	// package updates over all of them.
	Hosts   int `json:"hosts"`
	Updates int `json:"updates"`
	// Deadline is when the gate times out (zero: it waits forever);
	// OnTimeout is what happens then ("abort" or "proceed").
	Deadline  time.Time `json:"deadline,omitzero"`
	OnTimeout string    `json:"on_timeout,omitempty"`
	// By is how the gate opened (cycle.approved): "operator", "auto",
	// "timeout" (on_timeout proceed) or "plan" (a reviewed plan's hash).
	By string `json:"by,omitempty"`
}

// Approval openers (ApprovalInfo.By).
var approvedBy = []string{"operator", "auto", "timeout", "plan"}

// Counts sums host outcomes by final state. Its fields and JSON names
// match workflows.Counts, so a conversion notify.Counts(c) works.
type Counts struct {
	Total       int `json:"total"`
	Patched     int `json:"patched"`
	Failed      int `json:"failed"`
	RolledBack  int `json:"rolled_back"`
	Skipped     int `json:"skipped"`
	NeedsRepair int `json:"needs_repair"`
	Canceled    int `json:"canceled"`
	Pending     int `json:"pending"`
}

// Outcome is how a cycle or wave ended.
type Outcome struct {
	// State is the final cycle state (planned, completed,
	// completed_with_failures, failed, aborted, canceled)
	// or, for a wave, "completed" or "failed".
	State    string        `json:"state"`
	Counts   Counts        `json:"counts"`
	Duration time.Duration `json:"duration"`
}

// WaveInfo names a wave: Number 0 is staging, production waves count from 1.
type WaveInfo struct {
	Number int    `json:"number"`
	Name   string `json:"name,omitempty"`
	Hosts  int    `json:"hosts"`
}

// HostInfo describes one host's failure or rollback.
type HostInfo struct {
	Name string `json:"name"`
	Wave int    `json:"wave"` // 0 = staging
	// State is the host's state after the event: failed, needs_repair
	// (its rollback failed) or rolled_back.
	State string `json:"state"`
	// Step is where it failed (precheck, apply, verify, check, ...), if known.
	Step string `json:"step,omitempty"`
}

// BudgetInfo describes a failure-budget breach.
type BudgetInfo struct {
	Tolerated int    `json:"tolerated"` // failed hosts the policy tolerates
	Failed    int    `json:"failed"`    // failed hosts so far
	Wave      int    `json:"wave"`      // the wave that breached it
	Action    string `json:"action"`    // pause, rollback_wave or rollback_all
}

// SLAInfo describes updates that outlived the policy's time to remediate
// for one severity. Hosts is capped at MaxListedHosts names.
type SLAInfo struct {
	Severity string        `json:"severity"`
	SLA      time.Duration `json:"sla"`
	Updates  int           `json:"updates"` // updates past the SLA
	Hosts    []string      `json:"hosts"`   // hosts with such an update (first MaxListedHosts)
}

// MaxListedHosts caps host lists in events, so a payload stays small.
const MaxListedHosts = 20

// maxReason caps free text in payloads (runes).
const maxReason = 1000

// required says which detail each event type must carry.
var required = map[string]func(Event) error{
	CycleStarted: func(e Event) error { return need(e.Cycle != nil, "cycle") },
	CycleApprovalNeeded: func(e Event) error {
		if err := need(e.Approval != nil, "approval"); err != nil {
			return err
		}
		return oneOf("approval.on_timeout", e.Approval.OnTimeout, "", "abort", "proceed")
	},
	CycleApproved: func(e Event) error {
		if err := need(e.Approval != nil, "approval"); err != nil {
			return err
		}
		return oneOf("approval.by", e.Approval.By, approvedBy...)
	},
	CyclePaused:   func(e Event) error { return need(e.Reason != "", "reason") },
	CycleResumed:  func(Event) error { return nil },
	CycleFinished: func(e Event) error { return need(e.Outcome != nil, "outcome") },
	CycleFailed: func(e Event) error {
		return errors.Join(need(e.Outcome != nil, "outcome"), need(e.Reason != "", "reason"))
	},
	CycleAborted: func(e Event) error { return need(e.Outcome != nil, "outcome") },
	WaveStarted:  func(e Event) error { return need(e.Wave != nil, "wave") },
	WaveFinished: func(e Event) error {
		return errors.Join(need(e.Wave != nil, "wave"), need(e.Outcome != nil, "outcome"))
	},
	HostFailed: func(e Event) error {
		return errors.Join(needHost(e, "failed", "needs_repair"), need(e.Reason != "", "reason"))
	},
	HostRolledBack: func(e Event) error { return needHost(e, "rolled_back") },
	BudgetBreached: func(e Event) error {
		if err := need(e.Budget != nil, "budget"); err != nil {
			return err
		}
		return oneOf("budget.action", e.Budget.Action, "pause", "rollback_wave", "rollback_all")
	},
	SLABreached: func(e Event) error {
		if err := need(e.SLA != nil, "sla"); err != nil {
			return err
		}
		return oneOf("sla.severity", e.SLA.Severity, "critical", "high", "medium", "low", "unknown")
	},
}

// needHost requires a named host in one of the given states.
func needHost(e Event, states ...string) error {
	if e.Host == nil || e.Host.Name == "" {
		return errors.New("host with a name is required")
	}
	return oneOf("host.state", e.Host.State, states...)
}

func oneOf(field, got string, allowed ...string) error {
	if slices.Contains(allowed, got) {
		return nil
	}
	return fmt.Errorf("%s must be one of %s, got %q", field, strings.Join(allowed, ", "), got)
}

func need(ok bool, field string) error {
	if ok {
		return nil
	}
	return fmt.Errorf("%s is required", field)
}

// Validate reports an event that a receiver could not make sense of: an
// unknown type, no cycle, or a missing detail its type requires.
func (e Event) Validate() error {
	check, ok := required[e.Type]
	if !ok {
		return fmt.Errorf("event type %s is unknown; use one of %s", excerpt(e.Type), strings.Join(Events, ", "))
	}
	var errs []error
	if e.CycleID == "" {
		errs = append(errs, errors.New("cycle_id is required"))
	}
	if e.Policy == "" {
		errs = append(errs, errors.New("policy is required"))
	}
	if e.Time.IsZero() {
		errs = append(errs, errors.New("time is required"))
	}
	if err := check(e); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("event %s: %w", e.Type, err)
	}
	return nil
}

// Subject is the Temporal workflow ID the event is about: the cycle's,
// a wave's (<cycle id>/wave/<n>) or a host's (host/<name>).
func (e Event) Subject() string {
	switch {
	case e.Host != nil && (e.Type == HostFailed || e.Type == HostRolledBack):
		return "host/" + e.Host.Name
	case e.Wave != nil && (e.Type == WaveStarted || e.Type == WaveFinished):
		return e.CycleID + "/wave/" + strconv.Itoa(e.Wave.Number)
	}
	return e.CycleID
}

// ID is the event's stable identifier, the same for every delivery of it:
// "evt_" and 32 hex digits of the SHA-256 of the cycle ID, the type, what
// it is about (subject, and the severity for SLA breaches) and the
// sequence number. It is the CloudEvents id and the webhook-id header, so
// receivers de-duplicate retries and replays by it.
func (e Event) ID() string {
	seq := max(e.Seq, 1)
	about := e.Subject()
	if e.Type == SLABreached && e.SLA != nil {
		about += "#" + e.SLA.Severity
	}
	h := sha256.New()
	for _, part := range []string{"patchflow-event-v1", e.CycleID, e.Type, about, strconv.Itoa(seq)} {
		// Length prefixes keep ("a","bc") and ("ab","c") apart.
		fmt.Fprintf(h, "%d:%s;", len(part), part)
	}
	return "evt_" + hex.EncodeToString(h.Sum(nil)[:16])
}
