package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
)

// Bounds of the history a cycle learns from (PatchHistoryInput).
const (
	DefaultHistoryLookback = 90 * 24 * time.Hour
	DefaultHistoryCycles   = 50
)

// PatchHistoryInput asks what earlier cycles did with the plan's updates:
// the host runs of their waves, at most MaxCycles cycles that ended within
// Lookback, this cycle left out.
type PatchHistoryInput struct {
	CycleID   string        `json:"cycle_id"`
	Entries   []PlanKey     `json:"entries"`
	Lookback  time.Duration `json:"lookback"`
	MaxCycles int           `json:"max_cycles"`
}

// PatchHistoryResult is the history of each planned update, small
// whatever the fleet: Entries[i] belongs to the input's Entries[i] (Runs 0:
// none known). Cycles and Waves say how much history was read, Since from
// when.
type PatchHistoryResult struct {
	Entries []domain.EntryHistory `json:"entries"`
	Cycles  int                   `json:"cycles"`
	Waves   int                   `json:"waves"`
	Since   time.Time             `json:"since"`
}

// HistoryStatus says what history the cycle's plan was judged with; Error
// is set when none could be read (the history risks are then unknown, and
// a policy that gates on them asks a person).
type HistoryStatus struct {
	Cycles int       `json:"cycles"`
	Waves  int       `json:"waves"`
	Since  time.Time `json:"since,omitzero"`
	Error  string    `json:"error,omitempty"`
}

// learnHistory gives the plan's entries their history risk from earlier
// cycles, in one activity recorded once in the cycle's history. A cycle
// applying a reviewed plan keeps the risks its plan was reviewed with.
func (c *cycleRun) learnHistory(ctx workflow.Context) {
	if !c.compat.history || c.apply != nil || len(c.rollout.plan.Entries) == 0 || c.ctl.canceled {
		return
	}
	in := PatchHistoryInput{CycleID: c.st.CycleID, Entries: shardPlanOf(c.rollout.plan.Entries).Entries,
		Lookback: DefaultHistoryLookback, MaxCycles: DefaultHistoryCycles}
	actx := withActivity(ctx, actOptions{timeout: 5 * time.Minute,
		summary: fmt.Sprintf("history of %d planned updates over the last %d cycles", len(in.Entries), in.MaxCycles)})
	var res PatchHistoryResult
	if err := workflow.ExecuteActivity(actx, ActPatchHistory, in).Get(ctx, &res); err != nil {
		workflow.GetLogger(ctx).Warn("history of the planned updates unavailable", "error", err)
		c.st.History = &HistoryStatus{Error: "history unavailable: " + reasonOf(err)}
		return
	}
	c.rollout.plan.SetHistory(res.Entries)
	c.st.Plan = c.rollout.plan
	c.st.History = &HistoryStatus{Cycles: res.Cycles, Waves: res.Waves, Since: res.Since}
}

// riskiestFirst orders hosts by their riskiest update's history risk
// (cycles with history risk only; a reviewed plan keeps its own order).
func (c *cycleRun) riskiestFirst(hosts []string) []string {
	if !c.compat.history || c.apply != nil {
		return hosts
	}
	return c.rollout.plan.RiskiestFirst(hosts, func(h string) []int { return c.rollout.refs[h] })
}

// whyManual says why a person must approve the plan: the policy's
// reasons, or, when the policy gates on history risk and the history could
// not be read, that the risk is unknown.
func (c *cycleRun) whyManual() string {
	a := c.spec.Approval
	if why := a.WhyManual(c.rollout.plan); why != "" {
		return why
	}
	if a.HistoryRiskAbove > 0 && c.st.History != nil && c.st.History.Error != "" {
		return "the policy gates on history risk above " + fmt.Sprint(a.HistoryRiskAbove) + " and the " + c.st.History.Error
	}
	return ""
}
