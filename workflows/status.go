package workflows

import "time"

// Cycle states (the PatchCycleState search attribute and CycleStatus.State).
const (
	CycleResolving        = "resolving"
	CycleScanning         = "scanning"
	CycleAwaitingApproval = "awaiting_approval"
	CycleStaging          = "staging"
	CycleRollingOut       = "rolling_out"
	CyclePaused           = "paused"
	CycleRollingBack      = "rolling_back"
	CycleVerifying        = "verifying"
	CyclePlanned          = "planned" // dry run finished
	CycleCompleted        = "completed"
	CycleFailed           = "failed"
	CycleAborted          = "aborted"
)

// Host states (the PatchHostState search attribute and HostOutcome.State).
// Final states are patched, failed, rolled_back, skipped and needs_repair.
const (
	HostPending          = "pending"
	HostPrechecking      = "prechecking"
	HostSnapshotting     = "snapshotting"
	HostPreHooks         = "pre_hooks"
	HostApplying         = "applying"
	HostRebooting        = "rebooting"
	HostVerifying        = "verifying"
	HostPostHooks        = "post_hooks"
	HostRollingBack      = "rolling_back"
	HostAwaitingDecision = "awaiting_decision"
	HostBusy             = "busy"

	HostPatched     = "patched"
	HostFailed      = "failed"
	HostRolledBack  = "rolled_back"
	HostSkipped     = "skipped"
	HostNeedsRepair = "needs_repair" // a rollback failed: fix by hand
)

// HostOutcome is one host's state in a wave or cycle, with the reason for
// anything but success and the snapshot a later rollback returns it to.
type HostOutcome struct {
	Host     string        `json:"host"`
	Wave     int           `json:"wave"` // 0 = staging
	State    string        `json:"state"`
	Reason   string        `json:"reason,omitempty"`
	Pins     []Pin         `json:"pins,omitempty"`
	Snapshot []Pin         `json:"snapshot,omitempty"`
	Duration time.Duration `json:"duration,omitempty"`
	// Finished is when HostPatch ended (workflow time), for time-to-patch;
	// the cycle's result leaves it out.
	Finished time.Time `json:"finished,omitzero"`
	// Changed marks a failed host still at the plan's versions (a check
	// after the bake failed): a breach rollback returns it too.
	Changed bool `json:"changed,omitempty"`
	// SnapshotRef (1-based) points into WaveResult.Snapshots, where a wave
	// keeps each distinct snapshot once; the cycle resolves it into Snapshot.
	SnapshotRef int `json:"snapshot_ref,omitempty"`
	// AbortCycle: no operator decided in time and the policy
	// (on_decision_timeout abort) stops the cycle.
	AbortCycle bool `json:"abort_cycle,omitempty"`
}

// Counts sums host outcomes by final state.
type Counts struct {
	Total       int `json:"total"`
	Patched     int `json:"patched"`
	Failed      int `json:"failed"`
	RolledBack  int `json:"rolled_back"`
	Skipped     int `json:"skipped"`
	NeedsRepair int `json:"needs_repair"`
	Pending     int `json:"pending"`
}

// CountOutcomes sums outcomes by state; Total is the number of outcomes
// plus pending (hosts not done yet).
func CountOutcomes(outcomes []HostOutcome, pending int) Counts {
	c := Counts{Pending: pending, Total: len(outcomes) + pending}
	for _, o := range outcomes {
		switch o.State {
		case HostPatched:
			c.Patched++
		case HostRolledBack:
			c.RolledBack++
		case HostSkipped:
			c.Skipped++
		case HostNeedsRepair:
			c.NeedsRepair++
		default:
			c.Failed++
		}
	}
	return c
}

// CycleStatus answers the cycle's "status" query.
type CycleStatus struct {
	CycleID          string        `json:"cycle_id"`
	Policy           string        `json:"policy"`
	State            string        `json:"state"`
	Reason           string        `json:"reason,omitempty"`
	Wave             int           `json:"wave"`  // current wave, 0 = staging or none
	Waves            int           `json:"waves"` // number of production waves
	CurrentWorkflow  string        `json:"current_workflow,omitempty"`
	Paused           bool          `json:"paused"`
	AwaitingApproval bool          `json:"awaiting_approval"`
	Aborting         bool          `json:"aborting"`
	Budget           int           `json:"budget"`        // failures tolerated
	BudgetUsed       int           `json:"budget_used"`   // failures so far
	Counts           Counts        `json:"counts"`        // finished waves
	Hosts            []HostOutcome `json:"hosts"`         // finished hosts (pins are in Plan)
	WaveHosts        [][]string    `json:"wave_hosts"`    // hosts per production wave
	StagingHosts     []string      `json:"staging_hosts"` // staging hosts
	Plan             Plan          `json:"plan"`
	Started          time.Time     `json:"started"`
	// Window is set for a cycle with a maintenance window (window.go).
	Window *WindowStatus `json:"window,omitempty"`
}

// CycleResult is what a finished cycle returns (also for dry runs).
type CycleResult struct {
	CycleStatus
	Finished time.Time `json:"finished"`
}

// WaveStatus answers a wave's "status" query.
type WaveStatus struct {
	Wave        int           `json:"wave"`
	State       string        `json:"state"` // running, paused, draining, done
	Paused      bool          `json:"paused"`
	Breached    bool          `json:"breached"`
	Aborted     bool          `json:"aborted"`
	InFlight    []string      `json:"in_flight"`
	MaxParallel int           `json:"max_parallel"`
	Failures    int           `json:"failures"`
	BudgetLeft  int           `json:"budget_left"`
	Counts      Counts        `json:"counts"`
	Hosts       []HostOutcome `json:"hosts"`
}

// HostStatus answers a host workflow's "status" query.
type HostStatus struct {
	Host             string `json:"host"`
	Cycle            string `json:"cycle"`
	Mode             string `json:"mode"`
	State            string `json:"state"`
	Reason           string `json:"reason,omitempty"`
	Attempt          int    `json:"attempt"`
	AwaitingDecision bool   `json:"awaiting_decision"`
	Pins             []Pin  `json:"pins,omitempty"`
	Snapshot         []Pin  `json:"snapshot,omitempty"`
}
