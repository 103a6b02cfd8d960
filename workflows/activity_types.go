package workflows

import (
	"time"

	"github.com/patchflow/patchflow/domain"
)

// Activity names and payloads. The workflows call activities by these names
// rather than through a nil *activities.Activities pointer, so that this
// package depends on the SDK and domain only: it compiles, tests and
// replays without the transport and package-manager code. package
// activities implements one method per name below (a test there checks
// every name resolves).
const (
	ActResolveTargets = "ResolveTargets"
	ActScanHosts      = "ScanHosts"
	ActPrepare        = "Prepare"
	ActPrecheck       = "Precheck" // cycles recorded before Prepare
	ActSnapshot       = "Snapshot" // cycles recorded before Prepare
	ActRunHook        = "RunHook"
	ActApplyPins      = "ApplyPins"
	ActReboot         = "Reboot"
	ActWaitForHost    = "WaitForHost"
	ActVerify         = "Verify"
	ActRollback       = "Rollback"
	ActRunChecks      = "RunChecks"
	ActProbeChecks    = "ProbeChecks"
	ActHostLock       = "HostLock"
	ActHostResults    = "HostResults"
	ActVerifyHosts    = "VerifyHosts"
	ActDownloadHosts  = "DownloadHosts"
	ActNotify         = "Notify"
	ActAssessContext  = "AssessContext"
	ActPatchHistory   = "PatchHistory"
)

// ActivityNames lists every activity the workflows call.
var ActivityNames = []string{
	ActResolveTargets, ActScanHosts, ActPrepare, ActPrecheck, ActSnapshot,
	ActRunHook, ActApplyPins, ActReboot, ActWaitForHost, ActVerify,
	ActRollback, ActRunChecks, ActProbeChecks, ActHostLock, ActHostResults,
	ActVerifyHosts, ActDownloadHosts, ActNotify, ActAssessContext,
	ActPatchHistory,
}

// Non-retryable application error types the activities use for permanent
// failures; the workflows show them as the host's failure reason.
const (
	ErrInvalidInput    = "InvalidInput"
	ErrUnknownHost     = "UnknownHost"
	ErrPackageNotFound = "PackageNotFound"
	ErrHostKey         = "HostKeyChanged"
	ErrAuth            = "AuthRefused"
	ErrPackageManager  = "PackageManagerBroken"
	ErrScriptFailed    = "PackageScriptFailed"
	ErrDiskFull        = "DiskFull"
	ErrMismatch        = "InstallMismatch"
	ErrHookFailed      = "HookFailed"
)

// ResolveInput asks for the target and staging host names.
type ResolveInput struct {
	Inventory domain.InventorySpec `json:"inventory"`
	// Staging: selector terms, named hosts and a cap, as in StagingSpec.
	Staging      []string `json:"staging,omitempty"`
	StagingHosts []string `json:"staging_hosts,omitempty"`
	StagingCount int      `json:"staging_count,omitempty"`
}

// ResolveResult is the resolved host names; Staging and Production do not
// overlap.
type ResolveResult struct {
	Production []string `json:"production"`
	Staging    []string `json:"staging,omitempty"`
}

// ScanResult is one host's package manager and pending updates.
type ScanResult struct {
	Host    string          `json:"host"`
	Manager string          `json:"manager"` // apt, dnf, zypper
	Updates []domain.Update `json:"updates,omitempty"`
}

// ScanBatchInput scans several hosts in one activity, so a cycle's history
// grows by batch rather than by host.
type ScanBatchInput struct {
	Inventory string   `json:"inventory"`
	Hosts     []string `json:"hosts"`
	Refresh   bool     `json:"refresh"`
	Parallel  int      `json:"parallel,omitempty"` // hosts at once; 0 = 10
	// Assess also reports each host's installed versions, the exposures
	// of its installed packages, its running kernel and reboot state.
	Assess bool `json:"assess,omitempty"`
	// Fingerprint also reports each host's installed versions and running
	// kernel, the state a plan is made from.
	Fingerprint bool `json:"fingerprint,omitempty"`
	// Interactive is the policy's patches.interactive: the interactive
	// zypper patches (by patch or package name) the scan offers as any
	// other; the updates of the others come marked, and plans leave them
	// out.
	Interactive []string `json:"interactive,omitempty"`
}

// ScanBatchResult holds the batch's scans as a compact table (each
// distinct pending update once, hosts pointing at them) and, per host, why
// a scan did not work. Results holds full scans in histories recorded
// before the table existed.
type ScanBatchResult struct {
	Updates   []domain.Pending  `json:"updates,omitempty"`
	Hosts     []domain.HostScan `json:"hosts,omitempty"`
	Exposures []domain.Exposure `json:"exposures,omitempty"`
	Failed    []HostProblem     `json:"failed,omitempty"`
	Results   []ScanResult      `json:"results,omitempty"`
}

// Table returns the batch's scans as a table, whichever shape was recorded.
func (r ScanBatchResult) Table() domain.PendingTable {
	t := domain.PendingTable{Updates: r.Updates, Hosts: r.Hosts}
	for _, s := range r.Results {
		ups := make([]domain.Pending, len(s.Updates))
		for i, u := range s.Updates {
			ups[i] = u.Pending(s.Manager)
		}
		t.Add(s.Host, s.Manager, ups)
	}
	return t
}

// HostInput addresses one host with what the activity needs.
type HostInput struct {
	Inventory string `json:"inventory"`
	Host      string `json:"host"`
	// Pins: the plan's pins (Prepare, ApplyPins, Verify) or the snapshot
	// (Rollback, Verify after a rollback).
	Pins   []domain.Pin   `json:"pins,omitempty"`
	Checks []domain.Check `json:"checks,omitempty"`  // Verify
	Hook   *domain.Hook   `json:"hook,omitempty"`    // RunHook
	BootID string         `json:"boot_id,omitempty"` // WaitForHost: the boot before the reboot
	// SkipHealth leaves the package manager audit out of Verify.
	SkipHealth bool `json:"skip_health,omitempty"`
	// CommandTimeout bounds each remote command; 0 = the transport default.
	CommandTimeout time.Duration `json:"command_timeout,omitempty"`
}

// SnapshotResult is the installed version of every planned package.
type SnapshotResult struct {
	Pins []domain.Pin `json:"pins"`
}

// ApplyResult reports what an install needs next.
type ApplyResult struct {
	RebootRequired bool `json:"reboot_required"`
}

// RebootResult is the boot ID before the reboot, for WaitForHost.
type RebootResult struct {
	BootID string `json:"boot_id"`
}

// VerifyResult lists what does not match; empty means verified.
type VerifyResult struct {
	Problems []string `json:"problems,omitempty"`
}

// ChecksInput runs checks on several hosts after a bake. Before holds the
// values ProbeChecks read before the wave, by check name, for BeforeAfter.
type ChecksInput struct {
	Inventory string             `json:"inventory"`
	Hosts     []string           `json:"hosts"`
	Checks    []domain.Check     `json:"checks"`
	Before    map[string]float64 `json:"before,omitempty"`
}

// ChecksResult lists failed checks per host; empty means all passed. A
// problem with Host "" is a wave-level check that failed: it fails every
// host of the wave.
type ChecksResult struct {
	Failed []HostProblem `json:"failed,omitempty"`
}

// ProbeResult holds the values of BeforeAfter checks before a wave.
type ProbeResult struct {
	Values map[string]float64 `json:"values,omitempty"`
}

// HostProblem is one host's failed check, scan or mismatch.
type HostProblem struct {
	Host    string `json:"host"`
	Problem string `json:"problem"`
}

// HostLockResult tells who holds a host's workflow ID.
type HostLockResult struct {
	Running bool   `json:"running"`
	Cycle   string `json:"cycle,omitempty"`
}

// HostResultsInput asks what the host workflows of a cycle did, for hosts
// whose wave workflow failed before it could say.
type HostResultsInput struct {
	CycleID string   `json:"cycle_id"`
	Wave    int      `json:"wave"`
	Hosts   []string `json:"hosts"`
}

// HostResultsResult has one result per host: from its finished workflow,
// from the status of a running one, or a host never started (Started
// false).
type HostResultsResult struct {
	Hosts []RecoveredHost `json:"hosts"`
}

// RecoveredHost is what a host's own workflow says it did.
type RecoveredHost struct {
	HostResult
	Started bool `json:"started"`
	Running bool `json:"running"`
}

// HostTarget is one host of a wave or batch and its pins: Refs point into
// the plan's pins that travel once with the wave or batch; Pins holds them
// whole in histories recorded before references.
type HostTarget struct {
	Host string        `json:"host"`
	Refs domain.RefSet `json:"refs,omitempty"`
	Pins []domain.Pin  `json:"pins,omitempty"`
	// Snapshot (rollback waves) is the host's snapshot, as a 1-based
	// position in WaveInput.Snapshots; Wave is the wave that patched it.
	Snapshot int `json:"snapshot,omitempty"`
	// SnapshotSet (rollback waves since wave-pin-table) is the host's
	// snapshot as positions in WaveInput.SnapshotPins.
	SnapshotSet *domain.RefSet `json:"snapshot_set,omitempty"`
	Wave        int            `json:"wave,omitempty"`
}

// PinsFrom returns the target's pins: its own, or its references resolved
// against the plan's pins.
func (t HostTarget) PinsFrom(planPins []domain.Pin) []domain.Pin {
	if len(t.Pins) > 0 || len(t.Refs) == 0 {
		return t.Pins
	}
	refs := t.Refs.Refs()
	out := make([]domain.Pin, 0, len(refs))
	for _, r := range refs {
		if r >= 0 && r < len(planPins) {
			out = append(out, planPins[r])
		}
	}
	return out
}

// TargetBatch is several hosts with their pins, for the batch
// activities that verify them (VerifyHosts) or download their pins without
// installing (DownloadHosts).
type TargetBatch struct {
	Inventory string       `json:"inventory"`
	Targets   []HostTarget `json:"targets"`
	PlanPins  []domain.Pin `json:"plan_pins,omitempty"`
	Parallel  int          `json:"parallel,omitempty"`
}

// TargetBatchResult lists the hosts that are not at their pins, could not
// be checked, or could not download them: one problem line per host.
type TargetBatchResult struct {
	Failed []HostProblem `json:"failed,omitempty"`
}
