package workflows

import "time"

// Activity names and payloads. The workflows call activities by these names
// rather than through a nil *activities.Activities pointer, so that this
// package depends on the SDK only: it compiles, tests and replays without the
// transport and package-manager code. package activities implements one
// method per name below (a test there checks every name resolves).
const (
	ActResolveTargets = "ResolveTargets"
	ActScanHost       = "ScanHost"
	ActPrecheck       = "Precheck"
	ActSnapshot       = "Snapshot"
	ActRunHook        = "RunHook"
	ActApplyPins      = "ApplyPins"
	ActReboot         = "Reboot"
	ActWaitForHost    = "WaitForHost"
	ActVerify         = "Verify"
	ActRollback       = "Rollback"
	ActRunChecks      = "RunChecks"
	ActHostLock       = "HostLock"
	ActScanHosts      = "ScanHosts"
	ActVerifyHosts    = "VerifyHosts"
	ActDownloadHosts  = "DownloadHosts"
	ActProbeChecks    = "ProbeChecks"
)

// ActivityNames lists every activity the workflows call.
var ActivityNames = []string{
	ActResolveTargets, ActScanHost, ActPrecheck, ActSnapshot, ActRunHook,
	ActApplyPins, ActReboot, ActWaitForHost, ActVerify, ActRollback,
	ActRunChecks, ActHostLock, ActScanHosts, ActVerifyHosts, ActDownloadHosts,
	ActProbeChecks,
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

// Pin is one package at one exact version. In a snapshot, Version "" means
// the package was not installed.
type Pin struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Update is one pending update found by a scan.
type Update struct {
	Name       string   `json:"name"`
	Arch       string   `json:"arch,omitempty"`
	Installed  string   `json:"installed"`
	Candidate  string   `json:"candidate"`
	Source     string   `json:"source,omitempty"`
	Class      string   `json:"class"`    // security, bugfix, feature
	Severity   string   `json:"severity"` // critical, high, medium, low, unknown
	Advisories []string `json:"advisories,omitempty"`
	// FirstSeen is when patchflow first saw this candidate pending on the
	// host (the host's first-seen file, activities.FirstSeenPath).
	FirstSeen time.Time `json:"first_seen,omitzero"`
	// Published is the advisory's issue date when the package manager
	// knows it (dnf updateinfo); zero otherwise.
	Published time.Time `json:"published,omitzero"`
}

// ResolveInput asks for the target and staging host names.
type ResolveInput struct {
	Inventory InventorySpec `json:"inventory"`
	// Staging: selector terms, named hosts and a cap, as in StagingSpec.
	Staging      []string `json:"staging,omitempty"`
	StagingHosts []string `json:"staging_hosts,omitempty"`
	StagingCount int      `json:"staging_count,omitempty"`
}

// ResolveResult is the resolved host names, sorted; Staging and Production
// do not overlap and together are every target.
type ResolveResult struct {
	Production []string `json:"production"`
	Staging    []string `json:"staging,omitempty"`
}

// ScanInput asks one host for its pending updates.
type ScanInput struct {
	Inventory string `json:"inventory"`
	Host      string `json:"host"`
	Refresh   bool   `json:"refresh"` // refresh package indexes first
}

// ScanResult is one host's package manager and pending updates.
type ScanResult struct {
	Host    string   `json:"host"`
	Manager string   `json:"manager"` // apt, dnf
	Updates []Update `json:"updates,omitempty"`
}

// HostInput addresses one host with what the activity needs.
type HostInput struct {
	Inventory string `json:"inventory"`
	Host      string `json:"host"`
	// Pins: the plan's pins (Snapshot, ApplyPins, Verify) or the snapshot
	// (Rollback, Verify after a rollback).
	Pins   []Pin   `json:"pins,omitempty"`
	Checks []Check `json:"checks,omitempty"`  // Verify
	Hook   *Hook   `json:"hook,omitempty"`    // RunHook
	BootID string  `json:"boot_id,omitempty"` // WaitForHost: the boot before the reboot
	// SkipHealth leaves the package manager audit out of Verify.
	SkipHealth bool `json:"skip_health,omitempty"`
	// CommandTimeout bounds each remote command; 0 = the transport default.
	CommandTimeout time.Duration `json:"command_timeout,omitempty"`
}

// SnapshotResult is the installed version of every planned package.
type SnapshotResult struct {
	Pins []Pin `json:"pins"`
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
	Checks    []Check            `json:"checks"`
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

// HostProblem is one host's failed check or mismatch.
type HostProblem struct {
	Host    string `json:"host"`
	Problem string `json:"problem"`
}

// HostLockResult tells who holds a host's workflow ID.
type HostLockResult struct {
	Running bool   `json:"running"`
	Cycle   string `json:"cycle,omitempty"`
}

// ScanBatchInput scans several hosts in one activity, so a cycle's history
// grows by batch rather than by host (10,000 hosts stay far below the
// history limit).
type ScanBatchInput struct {
	Inventory string   `json:"inventory"`
	Hosts     []string `json:"hosts"`
	Refresh   bool     `json:"refresh"`
	Parallel  int      `json:"parallel,omitempty"` // hosts at once; 0 = 10
}

// ScanBatchResult holds the scans that worked and, per host, why the
// others did not.
type ScanBatchResult struct {
	Results []ScanResult  `json:"results,omitempty"`
	Failed  []HostProblem `json:"failed,omitempty"`
}

// VerifyBatchInput verifies several hosts against their pins.
type VerifyBatchInput struct {
	Inventory string       `json:"inventory"`
	Targets   []HostTarget `json:"targets"`
	Parallel  int          `json:"parallel,omitempty"`
}

// VerifyBatchResult lists the hosts that are not at their pins (or could
// not be checked), one problem line per host.
type VerifyBatchResult struct {
	Failed []HostProblem `json:"failed,omitempty"`
}

// DownloadBatchInput pre-downloads each host's pins without installing.
type DownloadBatchInput struct {
	Inventory string       `json:"inventory"`
	Targets   []HostTarget `json:"targets"`
	Parallel  int          `json:"parallel,omitempty"`
}

// DownloadBatchResult lists the hosts whose download failed.
type DownloadBatchResult struct {
	Failed []HostProblem `json:"failed,omitempty"`
}
