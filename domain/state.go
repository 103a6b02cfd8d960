package domain

import "slices"

// HostState is where one host's patch stands (the PatchHostState search
// attribute). The final states are patched, failed, rolled_back, skipped,
// needs_repair and canceled.
type HostState string

// Host states while a host workflow runs.
const (
	HostPending          HostState = "pending"
	HostPrechecking      HostState = "prechecking"
	HostSnapshotting     HostState = "snapshotting"
	HostPreHooks         HostState = "pre_hooks"
	HostApplying         HostState = "applying"
	HostRebooting        HostState = "rebooting"
	HostVerifying        HostState = "verifying"
	HostPostHooks        HostState = "post_hooks"
	HostRollingBack      HostState = "rolling_back"
	HostAwaitingDecision HostState = "awaiting_decision"
)

// Final host states.
const (
	HostPatched    HostState = "patched"
	HostFailed     HostState = "failed"
	HostRolledBack HostState = "rolled_back"
	HostSkipped    HostState = "skipped"
	// HostNeedsRepair: a rollback failed; the host must be fixed by hand.
	HostNeedsRepair HostState = "needs_repair"
	// HostCanceled: the cycle was canceled before or while the host was
	// patched; a host that was changed is rolled back first when the
	// policy rolls back failed hosts.
	HostCanceled HostState = "canceled"
)

// Final reports whether s is a final state.
func (s HostState) Final() bool {
	switch s {
	case HostPatched, HostFailed, HostRolledBack, HostSkipped, HostNeedsRepair, HostCanceled:
		return true
	}
	return false
}

// CountsAsFailure reports whether a host that ended in state s counts
// against the failure budget: anything but patched, skipped and canceled.
func (s HostState) CountsAsFailure() bool {
	switch s {
	case HostPatched, HostSkipped, HostCanceled:
		return false
	}
	return true
}

// CycleState is where a cycle stands (the PatchCycleState search
// attribute).
type CycleState string

// Cycle states while a cycle runs.
const (
	CycleResolving        CycleState = "resolving"
	CycleScanning         CycleState = "scanning"
	CycleAwaitingApproval CycleState = "awaiting_approval"
	CycleStaging          CycleState = "staging"
	CycleRollingOut       CycleState = "rolling_out"
	CyclePaused           CycleState = "paused"
	// CycleParked: waiting for the next maintenance window because the
	// next batch of hosts could not finish inside the current one.
	CycleParked      CycleState = "parked"
	CycleRollingBack CycleState = "rolling_back"
	CycleVerifying   CycleState = "verifying"
)

// Final cycle states.
const (
	// CyclePlanned: a dry run finished; no host changed.
	CyclePlanned CycleState = "planned"
	// CycleCompleted: every target is patched or had nothing to patch.
	CycleCompleted CycleState = "completed"
	// CycleCompletedWithFailures: the rollout ran to its end within the
	// failure budget, but some hosts failed, were rolled back or could
	// not be reached.
	CycleCompletedWithFailures CycleState = "completed_with_failures"
	CycleFailed                CycleState = "failed"
	CycleAborted               CycleState = "aborted"
	CycleCanceled              CycleState = "canceled"
)

// CycleStates lists every cycle state: the final ones first, then those
// of a cycle still running.
var CycleStates = []CycleState{CycleCompleted, CycleCompletedWithFailures, CycleFailed, CycleAborted, CycleCanceled, CyclePlanned,
	CycleResolving, CycleScanning, CycleAwaitingApproval, CycleStaging, CycleRollingOut, CyclePaused, CycleParked, CycleRollingBack, CycleVerifying}

// Valid reports whether s is one of CycleStates.
func (s CycleState) Valid() bool { return slices.Contains(CycleStates, s) }

// Final reports whether s is a final state.
func (s CycleState) Final() bool {
	switch s {
	case CyclePlanned, CycleCompleted, CycleCompletedWithFailures, CycleFailed, CycleAborted, CycleCanceled:
		return true
	}
	return false
}

// Succeeded reports whether a cycle that ended in s did what it was asked
// without failures: a workflow that ends in any other final state is
// reported as failed (or canceled) to Temporal, so the UI's failure views
// show it.
func (s CycleState) Succeeded() bool { return s == CyclePlanned || s == CycleCompleted }
