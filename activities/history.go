package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/patchflow/patchflow/cyclehistory"
	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/workflows"
)

// PatchHistory reads what earlier cycles did with the planned updates:
// the host runs of their waves (at most in.MaxCycles cycles that ended
// within in.Lookback), summed per package and upgrade path. The result has
// one small entry per planned update, whatever the fleet's size.
func (a *Activities) PatchHistory(ctx context.Context, in workflows.PatchHistoryInput) (workflows.PatchHistoryResult, error) {
	ctx, done := a.beat(ctx)
	defer done()
	var res workflows.PatchHistoryResult
	if a.d.Client == nil {
		return res, temporal.NewNonRetryableApplicationError(
			"read the history of earlier cycles: this worker has no Temporal client", workflows.ErrInvalidInput, nil)
	}
	names := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		names[i] = e.Name
	}
	q := cyclehistory.Query{Exclude: in.CycleID, Now: time.Now(), Lookback: in.Lookback, MaxCycles: in.MaxCycles}
	if activity.IsActivity(ctx) {
		q.Namespace = activity.GetInfo(ctx).Namespace
	}
	book := domain.NewHistoryBook(names)
	st, err := cyclehistory.Learn(ctx, a.d.Client, q, book, func(note string) { progress(ctx, note) })
	if err != nil {
		return res, fmt.Errorf("read the history of earlier cycles: %w", err)
	}
	res.Cycles, res.Waves, res.Since = st.Cycles, st.Waves, st.Since
	res.Entries = make([]domain.EntryHistory, len(in.Entries))
	for i, e := range in.Entries {
		res.Entries[i] = book.Entry(e.Manager, e.Name, e.Version)
	}
	return res, nil
}
