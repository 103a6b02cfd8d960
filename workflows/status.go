package workflows

import (
	"time"

	"github.com/patchflow/patchflow/domain"
)

// HostReport is one host's state as the cycle's status and result show
// it: the latest outcome of the host in this cycle.
type HostReport struct {
	Host string `json:"host"`
	// Wave is the production wave (1-based), 0 for staging and for hosts
	// that never reached a wave; Stage names it: "scan" (the host could
	// not be scanned), "staging", "1", "2", ...
	Wave   int              `json:"wave"`
	Stage  string           `json:"stage"`
	State  domain.HostState `json:"state"`
	Reason string           `json:"reason,omitempty"`
	// Snapshot is kept for failed hosts and hosts that need repair: what
	// an operator returns them to by hand.
	Snapshot []domain.Pin `json:"snapshot,omitempty"`
	// Duration is the host workflow's own run time.
	Duration time.Duration `json:"duration,omitempty"`
}

// Counts sums host outcomes by final state.
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

// Add counts one host in state s.
func (c *Counts) Add(s domain.HostState) {
	c.Total++
	switch s {
	case domain.HostPatched:
		c.Patched++
	case domain.HostRolledBack:
		c.RolledBack++
	case domain.HostSkipped:
		c.Skipped++
	case domain.HostNeedsRepair:
		c.NeedsRepair++
	case domain.HostCanceled:
		c.Canceled++
	default:
		c.Failed++
	}
}

// Done is the number of hosts with a final state.
func (c Counts) Done() int { return c.Total - c.Pending }

// StageStatus is the progress of staging or of one production wave.
type StageStatus struct {
	Stage  string `json:"stage"` // "staging", "1", "2", ...
	Counts Counts `json:"counts"`
	// Hosts names the stage's hosts when the cycle is small enough to list
	// them (see maxListedHosts); otherwise the hosts query pages them.
	Hosts []string `json:"hosts,omitempty"`
}

// CycleStatus answers the cycle's "status" query and is the body of its
// result. It stays small whatever the fleet: per-host detail is paged by
// the "hosts" query (QueryHosts); Hosts here holds the first hosts that
// did not end patched.
type CycleStatus struct {
	CycleID          string            `json:"cycle_id"`
	Policy           string            `json:"policy"`
	State            domain.CycleState `json:"state"`
	Reason           string            `json:"reason,omitempty"`
	Wave             int               `json:"wave"`  // current wave, 0 = staging or none
	Waves            int               `json:"waves"` // number of production waves
	CurrentWorkflow  string            `json:"current_workflow,omitempty"`
	Paused           bool              `json:"paused"`
	AwaitingApproval bool              `json:"awaiting_approval"`
	Aborting         bool              `json:"aborting"`
	Canceling        bool              `json:"canceling,omitempty"`
	Budget           int               `json:"budget"`      // failures tolerated
	BudgetUsed       int               `json:"budget_used"` // failures so far
	Counts           Counts            `json:"counts"`
	Stages           []StageStatus     `json:"stages,omitempty"`
	// Hosts are hosts that did not end patched, at most maxReportedHosts;
	// HostsOmitted counts the rest (the hosts query has them all).
	Hosts        []HostReport `json:"hosts"`
	HostsOmitted int          `json:"hosts_omitted,omitempty"`
	Plan         domain.Plan  `json:"plan"`
	Started      time.Time    `json:"started"`
	// Window is set for a cycle with a maintenance window.
	Window *WindowStatus `json:"window,omitempty"`
	// Notifications is set for a cycle with webhooks: what was delivered
	// and what failed (a failure never holds up the rollout).
	Notifications *NotificationStatus `json:"notifications,omitempty"`
	// PlanSHA256 is the reviewed plan the cycle applies.
	PlanSHA256 string `json:"plan_sha256,omitempty"`
	// PlannedAt is when the plan was made (zero in cycles recorded before
	// it was kept).
	PlannedAt time.Time `json:"planned_at,omitzero"`
	// History is what earlier cycles the plan's history risks come from.
	History *HistoryStatus `json:"history,omitempty"`
	// Approval is how the approval gate opened (or that it waits).
	Approval *ApprovalRecord `json:"approval,omitempty"`
}

// CycleResult is what a finished cycle returns: as the workflow's result
// when it succeeded, else as the details of its failure (ResultOf reads
// both).
type CycleResult struct {
	CycleStatus
	Finished time.Time `json:"finished"`
	// Reviewed is the plan a dry run made for review (CycleInput.MakePlan).
	Reviewed *domain.ReviewedPlan `json:"reviewed_plan,omitempty"`
}

// HostsQuery pages the hosts of a cycle (QueryHosts). States, when set,
// keeps only hosts in those states.
type HostsQuery struct {
	Offset int                `json:"offset,omitempty"`
	Limit  int                `json:"limit,omitempty"` // default and maximum 1,000
	States []domain.HostState `json:"states,omitempty"`
}

// HostsPage answers QueryHosts.
type HostsPage struct {
	Hosts []HostReport `json:"hosts"`
	// Total is the number of hosts matching the query, across all pages.
	Total int `json:"total"`
}

// WaveStatus answers a wave's "status" query.
type WaveStatus struct {
	Wave        int          `json:"wave"`
	Mode        string       `json:"mode"`  // patch or rollback
	State       string       `json:"state"` // running, paused, draining, canceling
	Paused      bool         `json:"paused"`
	Breached    bool         `json:"breached"`
	Aborted     bool         `json:"aborted"`
	InFlight    []string     `json:"in_flight"`
	MaxParallel int          `json:"max_parallel"`
	Failures    int          `json:"failures"`
	BudgetLeft  int          `json:"budget_left"`
	Counts      Counts       `json:"counts"`
	Hosts       []HostResult `json:"hosts"`
}

// HostStatus answers a host workflow's "status" query.
type HostStatus struct {
	Host             string           `json:"host"`
	Cycle            string           `json:"cycle"`
	Mode             string           `json:"mode"`
	State            domain.HostState `json:"state"`
	Reason           string           `json:"reason,omitempty"`
	Attempt          int              `json:"attempt"`
	AwaitingDecision bool             `json:"awaiting_decision"`
	// Applied: the install started, so the host may have changed.
	Applied  bool         `json:"applied,omitempty"`
	Pins     []domain.Pin `json:"pins,omitempty"`
	Snapshot []domain.Pin `json:"snapshot,omitempty"`
}
