package workflows

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/notify"
)

// stage patches the staging hosts with the plan; any staging host not
// patched stops the cycle before production.
func (c *cycleRun) stage(ctx workflow.Context) (string, bool) {
	c.setState(ctx, domain.CycleStaging, "")
	hosts := c.rollout.staging
	res := c.runStage(ctx, 0, hosts, len(hosts), c.spec.Staging.Bake, len(hosts), "")
	switch {
	case c.ctl.canceled:
		return "canceled during staging", false
	case res.abortReason != "":
		return c.policyAbort(res.abortReason), false
	case res.aborted || c.ctl.aborting:
		return "aborted by operator during staging", false
	}
	var bad []string
	for _, h := range hosts {
		if r, ok := c.hosts.final(h); !ok || r.State != domain.HostPatched {
			bad = append(bad, fmt.Sprintf("%s %s (%s)", h, r.State, r.Reason))
		}
	}
	if len(bad) > 0 {
		return "staging failed, production not touched: " + strings.Join(bad, "; "), false
	}
	return "", true
}

// rollOut runs the production waves with one failure budget and applies
// the breach policy.
func (c *cycleRun) rollOut(ctx workflow.Context) (string, bool) {
	if c.compat.v2 && c.st.BudgetUsed > c.st.Budget {
		// Hosts that could not be scanned already spent the budget.
		reason := fmt.Sprintf("failure budget breached before the rollout: %s could not be scanned, %d tolerated",
			plural(c.st.BudgetUsed, "production host"), c.st.Budget)
		metricsFor(ctx, c.spec.Policy).Counter(MetricBudgetBreaches).Inc(1)
		if reason, ok := c.onBreach(ctx, 0, reason); !ok {
			return reason, false
		}
	}
	for i, hosts := range c.rollout.waves {
		n := i + 1
		if !c.awaitUnpaused(ctx) {
			return "canceled", false
		}
		if c.ctl.aborting {
			return "aborted by operator", false
		}
		c.setState(ctx, domain.CycleRollingOut, "")
		w := domain.WaveAt(c.spec.Waves, i)
		left := max(c.st.Budget-c.st.BudgetUsed, 0)
		res := c.runStage(ctx, n, hosts, w.Parallel(), w.Bake, left, c.spec.OnBudgetBreach)
		c.st.BudgetUsed += res.failures
		switch {
		case c.ctl.canceled:
			return "canceled in wave " + waveLabel(n), false
		case res.abortReason != "":
			return c.policyAbort(res.abortReason), false
		case res.aborted || c.ctl.aborting:
			return "aborted by operator in wave " + waveLabel(n), false
		case !res.breached:
			continue
		}
		reason := fmt.Sprintf("failure budget breached in wave %d: %d failed hosts, %d tolerated", n, c.st.BudgetUsed, c.st.Budget)
		if reason, ok := c.onBreach(ctx, n, reason); !ok {
			return reason, false
		}
	}
	return "", true
}

// onBreach applies the policy's breach action after wave n (0: before the
// first wave) and reports whether the rollout goes on.
func (c *cycleRun) onBreach(ctx workflow.Context, n int, reason string) (string, bool) {
	parallel := c.rollbackParallel(n)
	c.notes.emit(ctx, notify.Event{Type: notify.BudgetBreached, Reason: reason, Budget: &notify.BudgetInfo{
		Tolerated: c.st.Budget, Failed: c.st.BudgetUsed, Wave: n, Action: string(orBreach(c.spec.OnBudgetBreach))}})
	switch c.spec.OnBudgetBreach {
	case domain.BreachRollbackAll:
		c.rollbackHosts(ctx, c.hosts.changed(-1), parallel, reason)
		return reason + "; every patched host rolled back", false
	case domain.BreachRollbackWave:
		c.rollbackHosts(ctx, c.hosts.changed(n), parallel, reason)
		if !c.compat.v2 {
			return reason + "; wave rolled back", false
		}
		reason += "; wave rolled back"
	}
	// Pause (and, since v2, after a wave's rollback) for an operator:
	// resume accepts the failures and goes on, abort stops.
	c.st.Paused = true
	c.setState(ctx, domain.CyclePaused, reason+"; resume to continue, abort to stop")
	c.notes.emit(ctx, notify.Event{Type: notify.CyclePaused, Reason: reason})
	if !c.awaitUnpaused(ctx) {
		return reason + "; canceled", false
	}
	if c.ctl.aborting {
		return reason + "; aborted by operator", false
	}
	// The operator accepted the failures: the next one breaches again.
	c.st.Budget = c.st.BudgetUsed
	return "", true
}

func orBreach(a domain.BreachAction) domain.BreachAction {
	if a == "" {
		return domain.BreachPause
	}
	return a
}

// rollbackParallel is how many hosts a rollback after wave n runs at once:
// that wave's max_parallel.
func (c *cycleRun) rollbackParallel(n int) int {
	if n <= 0 || len(c.spec.Waves) == 0 {
		return 1
	}
	return domain.WaveAt(c.spec.Waves, n-1).Parallel()
}

// policyAbort turns an abort asked by a host's decision-timeout policy
// into a cycle abort without rollback.
func (c *cycleRun) policyAbort(why string) string {
	c.ctl.aborting, c.st.Aborting = true, true
	return "aborted: no operator decision for " + why
}
