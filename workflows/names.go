package workflows

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
)

// TaskQueue is the task queue every patchflow worker polls
// (docs/architecture.md lists the names every part shares).
const TaskQueue = "patchflow"

// Operator message names. Each control is both a signal (so the Temporal UI
// can send it) and an update with a validator (so the CLI gets an answer);
// signal and update names live in separate namespaces on the server, so they
// share one name.
const (
	// MsgApprove approves the plan of a cycle waiting at its approval gate.
	MsgApprove = "approve"
	// MsgPause stops a cycle (or one wave) from starting more hosts.
	MsgPause = "pause"
	// MsgResume undoes MsgPause and answers a budget-breach pause.
	MsgResume = "resume"
	// MsgAbort stops a cycle; with AbortRequest.Rollback every host it patched
	// is returned to its snapshot, newest first.
	MsgAbort = "abort"
	// MsgRollbackHost asks a running cycle to return one host it patched to
	// its snapshot (the host workflow has already closed, so the cycle runs a
	// rollback HostPatch for it). Payload: HostRequest.
	MsgRollbackHost = "rollback-host"

	// MsgRetry tells a failed host workflow to try the patch again.
	MsgRetry = "retry"
	// MsgSkip tells a failed host workflow to give up and leave the host as is.
	MsgSkip = "skip"
	// MsgRollback tells a host workflow to return the host to its snapshot.
	MsgRollback = "rollback"

	// QueryStatus is the query every patchflow workflow answers with its
	// status struct (CycleStatus, WaveStatus, HostStatus).
	QueryStatus = "status"

	// QueryHosts pages a cycle's hosts (HostsQuery in, HostsPage out), so
	// a cycle of any size can be listed host by host.
	QueryHosts = "hosts"

	// signalHostFailed is internal: a HostPatch tells its parent at once
	// that it failed, so the failure budget counts it before an operator
	// decides what to do with the host.
	signalHostFailed = "host-failed"
)

// Search attribute keys (all Keyword). They must be registered on the
// server before any workflow starts; SearchAttributes lists their names.
var (
	AttrPolicy     = temporal.NewSearchAttributeKeyKeyword("PatchPolicy")
	AttrCycle      = temporal.NewSearchAttributeKeyKeyword("PatchCycle")
	AttrCycleState = temporal.NewSearchAttributeKeyKeyword("PatchCycleState")
	AttrWave       = temporal.NewSearchAttributeKeyKeyword("PatchWave")
	AttrHost       = temporal.NewSearchAttributeKeyKeyword("PatchHost")
	AttrHostState  = temporal.NewSearchAttributeKeyKeyword("PatchHostState")
)

// SearchAttributes names every custom search attribute patchflow upserts,
// all of type Keyword, for the code that registers them on a server.
var SearchAttributes = []string{
	AttrPolicy.GetName(), AttrCycle.GetName(), AttrCycleState.GetName(),
	AttrWave.GetName(), AttrHost.GetName(), AttrHostState.GetName(),
}

// CycleID is the workflow ID of a cycle of policy started at start:
// cycle/<policy>/<UTC RFC 3339 seconds>.
func CycleID(policy string, start time.Time) string {
	return "cycle/" + policy + "/" + start.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// WaveID is the workflow ID of wave n (1-based) of a cycle.
func WaveID(cycleID string, n int) string {
	return cycleID + "/wave/" + strconv.Itoa(n)
}

// HostWorkflowID is the workflow ID of every HostPatch of one host. The ID is
// the same for every cycle, so it is the per-host lock: no two cycles patch
// one host at once.
func HostWorkflowID(host string) string {
	return "host/" + host
}

// stageScan labels hosts whose cycle ended at the scan: they could not be
// scanned, or nothing planned was pending on them.
const stageScan = "scan"

// waveLabel is the PatchWave attribute value and metric label of a wave.
func waveLabel(n int) string {
	if n == 0 {
		return "staging"
	}
	return fmt.Sprintf("%d", n)
}

// PlanCycleID is the workflow ID of the cycle that applies a reviewed
// plan: cycle/<policy>/plan-<first 12 hex digits of its sha256>. Started
// with a reuse policy that rejects duplicates, it makes a plan apply once.
func PlanCycleID(policy, planSHA256 string) string {
	hex := strings.TrimPrefix(planSHA256, "sha256:")
	return "cycle/" + policy + "/plan-" + hex[:min(12, len(hex))]
}
