package workflows

import (
	"math"

	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
)

// Cycles run for days, so a worker upgraded mid-cycle replays the cycle's
// history with new code. Each change to what a cycle does (the commands it
// sends, or a decision it takes) is gated here with workflow.GetVersion,
// read once at the start of the run: a cycle keeps the behaviour it
// started with, and a reader finds every gate in this file. The replay
// tests over testdata/*.json hold histories of both versions.

// changeCycleV2 gates the one-model cycle (see cycleCompat.v2).
const changeCycleV2 = "cycle-v2"

// changeHostPrepare gates a host's precheck and snapshot in one activity.
const changeHostPrepare = "host-prepare"

// changeStagingFirst gates the staging-first scan (cycleCompat.stagingFirst).
const changeStagingFirst = "staging-first"

// changeWavePinTable gates snapshots kept as sets of positions in one
// table of distinct pins (pinTable), in waves and in the rollback waves a
// cycle starts (cycleCompat.pinTable).
const changeWavePinTable = "wave-pin-table"

// changeReviewedStagingFirst gates reviewed plans made as cycles make
// theirs: from staging's scan, production's pins checked against it
// (cycleCompat.reviewedStagingFirst).
const changeReviewedStagingFirst = "reviewed-staging-first"

// changeVerifyAfterRollbacks gates a final verify that waits for the
// host rollbacks an operator asked for (cycleCompat.verifyAfterRollbacks).
const changeVerifyAfterRollbacks = "verify-after-rollbacks"

// changeCompactVotes gates a scan shard's votes merged per candidate
// (domain.CompactVotes) before they are signalled to the cycle.
const changeCompactVotes = "compact-votes"

// changeHistoryRisk gates risk learned from history (see cycleCompat.history).
const changeHistoryRisk = "history-risk"

// cycleCompat is the behaviour a cycle run follows.
type cycleCompat struct {
	// v2 is the cycle since the one-model redesign: scans come back as
	// compact tables; waves run in parts of at most hostsPerPart hosts
	// with the plan's pins sent once and referenced; rollbacks of a wave
	// or of the fleet run through wave workflows; a host that could not be
	// scanned is failed and counts against the budget; the budget rounds
	// as documented; rollback_wave pauses after its rollback; the hosts of
	// a wave workflow that failed are recovered from their own workflows;
	// and a cycle that did not succeed ends as a failed (or canceled)
	// workflow. Cycles recorded before it keep their old behaviour.
	v2 bool
	// stagingFirst (since v2) plans from the staging hosts' scan alone
	// and scans production while staging runs and bakes: staging proves
	// the plan, so production gets only what staging installed, and the
	// production scan is off the critical path. Updates pending only on
	// production are left out of the plan as not proven.
	stagingFirst bool
	// reviewedStagingFirst (since stagingFirst): `cycle plan` makes its
	// plan the way a cycle does, from staging's scan, so a reviewed plan
	// never pins an update staging would not prove. Before it, a reviewed
	// plan was made from every host's scan.
	reviewedStagingFirst bool
	// history: the cycle learns each planned update's history risk from
	// earlier cycles (one PatchHistory activity once the plan is made),
	// puts the hosts carrying the riskiest updates first in staging and
	// in the first wave, and shows the risk in its plan. Cycles recorded
	// before keep the inventory order.
	history bool
	// pinTable: the rollback waves the cycle starts carry snapshots as
	// positions in one table of distinct pins (see pinTable).
	pinTable bool
	// verifyAfterRollbacks: the final verify starts once the host
	// rollbacks an operator asked for have ended, and a host rolled back
	// meanwhile is not failed by it. Before, a host half-way through its
	// rollback could be verified and reported failed.
	verifyAfterRollbacks bool
}

// readCycleCompat reads the cycle's change markers in the order every
// recorded history has them: cycle-v2, staging-first (only under v2),
// reviewed-staging-first (only under staging-first), history-risk,
// wave-pin-table, verify-after-rollbacks.
func readCycleCompat(ctx workflow.Context) cycleCompat {
	c := cycleCompat{v2: workflow.GetVersion(ctx, changeCycleV2, workflow.DefaultVersion, 1) == 1}
	if c.v2 {
		c.stagingFirst = workflow.GetVersion(ctx, changeStagingFirst, workflow.DefaultVersion, 1) == 1
	}
	if c.stagingFirst {
		c.reviewedStagingFirst = workflow.GetVersion(ctx, changeReviewedStagingFirst, workflow.DefaultVersion, 1) == 1
	}
	c.history = workflow.GetVersion(ctx, changeHistoryRisk, workflow.DefaultVersion, 1) == 1
	c.pinTable = workflow.GetVersion(ctx, changeWavePinTable, workflow.DefaultVersion, 1) == 1
	c.verifyAfterRollbacks = workflow.GetVersion(ctx, changeVerifyAfterRollbacks, workflow.DefaultVersion, 1) == 1
	return c
}

// tolerated is the failure budget for n production hosts.
func (c cycleCompat) tolerated(b domain.Budget, n int) int {
	if c.v2 {
		return b.Tolerated(n)
	}
	// Before v2 the percent was rounded down without the epsilon, so 9.2%
	// of 750 tolerated 68 failures where the documentation says 69.
	tol := -1
	if b.MaxFailures > 0 {
		tol = b.MaxFailures
	}
	if b.MaxPercent > 0 {
		if p := int(math.Floor(b.MaxPercent * float64(n) / 100)); tol < 0 || p < tol {
			tol = p
		}
	}
	return max(tol, 0)
}

// scanBatch is how many hosts share one scan or verify activity.
func (c cycleCompat) scanBatch() int {
	if c.v2 {
		return hostsPerBatch
	}
	return 20
}

// scanFailure is the state of a host that could not be scanned: before v2
// such hosts were skipped, so a cycle that reached no host ended
// completed.
func (c cycleCompat) scanFailure() domain.HostState {
	if c.v2 {
		return domain.HostFailed
	}
	return domain.HostSkipped
}
