// Package workflows holds patchflow's Temporal workflows: PatchCycle (one
// run of a policy, a step a file: step_*.go), ScanShard (the scan and the
// pins of at most 1,000 hosts), Wave (one batch of hosts behind a sliding
// window), HostPatch (one host, workflow ID host/<name>, the per-host lock),
// HostBatches (verify or pre-download in batches), Assess and AssessShard
// (the estate's posture) and ExceptionWorkflow (a risk accepted until a
// date), with their inputs, results, operator message names and search
// attributes. The pure rules they apply (plans, wave sizing, the failure
// budget, windows) live in package domain, where policy explain reads them
// too; docs/architecture.md walks through it all.
//
// Workflow code here must stay deterministic, because Temporal replays it
// from history after a worker restart:
//   - time only from workflow.Now, waiting only with workflow.Sleep, Await
//     or timers; concurrency only with workflow.Go, channels and selectors;
//   - no I/O, no randomness, no global mutable state: everything touching
//     hosts is an activity (package activities);
//   - never range over a map where order matters: iterate sorted slices;
//   - metrics only through workflow.GetMetricsHandler (see metrics.go);
//   - a change to what a running workflow does needs workflow.GetVersion
//     (the cycle's gates are all in compat.go); the replay tests over
//     testdata/*.json fail when a change breaks running histories, and
//     `make check` runs Temporal's workflowcheck.
//
// Workflows call activities by name (ActivityNames), so this package needs
// only the SDK; package activities implements them.
//
// Operators steer cycles and hosts with signals (from the Temporal UI) or
// updates (from the CLI, which gets an answer or the validator's refusal),
// with the same names: MsgApprove, MsgPause, MsgResume, MsgAbort and
// MsgRollbackHost on cycles; MsgRetry, MsgSkip and MsgRollback on hosts;
// MsgPause, MsgResume and MsgAbort also reach a single wave. QueryStatus
// answers on all three workflow types.
package workflows
