// Package workflows holds patchflow's Temporal workflows: PatchCycle (one
// run of a policy), Wave (one batch of hosts behind a sliding window) and
// HostPatch (one host, workflow ID host/<name>, the per-host lock), with
// their inputs, results, operator message names, search attributes and the
// pure planning logic (BuildPlan, AssignWaves, BudgetSpec.Tolerated).
//
// Workflow code here must stay deterministic, because Temporal replays it
// from history after a worker restart:
//   - time only from workflow.Now, waiting only with workflow.Sleep, Await
//     or timers; concurrency only with workflow.Go, channels and selectors;
//   - no I/O, no randomness, no global mutable state: everything touching
//     hosts is an activity (package activities);
//   - never range over a map where order matters: iterate sorted slices;
//   - metrics only through workflow.GetMetricsHandler (see metrics.go);
//   - a change to the order of commands needs workflow.GetVersion; the
//     replay tests over testdata/*.json fail when a change breaks running
//     histories.
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
