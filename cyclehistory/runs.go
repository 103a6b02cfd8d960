package cyclehistory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/workflows"
)

// DefaultMaxWaves bounds the wave executions Learn lists.
const DefaultMaxWaves = 5000

// Query bounds what Learn reads: the waves that ended within Lookback of
// Now, of at most MaxCycles cycles (the ones that ended last), without the
// cycle Exclude (the one asking).
type Query struct {
	Namespace string
	Exclude   string
	Now       time.Time
	Lookback  time.Duration
	MaxCycles int
	// MaxWaves bounds the wave executions listed (DefaultMaxWaves when 0).
	MaxWaves int
}

// Stats says how much history Learn read.
type Stats struct {
	Cycles int
	Waves  int
	Since  time.Time
}

// waveRun is one listed wave execution (its last run).
type waveRun struct {
	id, runID, cycle string
	closed           time.Time
}

// Learn reads the host runs of earlier cycles' waves into book: it lists
// the patch waves that ended within the lookback (visibility), keeps the
// newest MaxCycles cycles, and reads each wave's input (its first run's
// start event: the hosts and their pins) and result (its close event:
// each host's end, snapshot and reason), plus each cycle's plan for the
// package managers. Per wave that is two or three small reads, never the
// hosts' own histories. note reports progress.
func Learn(ctx context.Context, c client.Client, q Query, book *domain.HistoryBook, note func(string)) (Stats, error) {
	since := q.Now.Add(-q.Lookback)
	st := Stats{Since: since}
	waves, err := listWaves(ctx, c, since, q)
	if err != nil {
		return st, err
	}
	cycles := newestCycles(waves, q.MaxCycles)
	for i, cyc := range cycles {
		managers := planManagers(ctx, c, cyc)
		for _, w := range waves {
			if w.cycle != cyc {
				continue
			}
			n, err := readWave(ctx, c, q.Namespace, w, managers, book)
			if err != nil {
				return st, err
			}
			if n > 0 {
				st.Waves++
			}
		}
		st.Cycles++
		if note != nil {
			note(fmt.Sprintf("%d of %d cycles read", i+1, len(cycles)))
		}
	}
	return st, nil
}

// listWaves lists the patch waves that closed after since, with a result
// (completed or canceled), leaving out rollback waves and the excluded
// cycle.
func listWaves(ctx context.Context, c client.Client, since time.Time, q Query) ([]waveRun, error) {
	max := cmp.Or(q.MaxWaves, DefaultMaxWaves)
	query := fmt.Sprintf("WorkflowType = 'Wave' AND CloseTime > %s AND (ExecutionStatus = 'Completed' OR ExecutionStatus = 'Canceled')",
		Quote(since.UTC().Format(time.RFC3339)))
	var out []waveRun
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: q.Namespace, Query: query, PageSize: 1000, NextPageToken: token})
		if err != nil {
			return nil, fmt.Errorf("list the waves of earlier cycles: %w", err)
		}
		for _, ex := range resp.GetExecutions() {
			w := waveOf(ex)
			if w.cycle == "" || w.cycle == q.Exclude || strings.Contains(w.id, "/rollback/") {
				continue
			}
			out = append(out, w)
			if len(out) >= max {
				return out, nil
			}
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return out, nil
		}
	}
}

func waveOf(ex *workflowpb.WorkflowExecutionInfo) waveRun {
	w := waveRun{id: ex.GetExecution().GetWorkflowId(), runID: ex.GetExecution().GetRunId(), closed: ex.GetCloseTime().AsTime()}
	w.cycle = Keyword(ex.GetSearchAttributes(), workflows.AttrCycle.GetName())
	if w.cycle == "" {
		// Wave IDs are <cycle>/wave/<n>[/part/<k>] or <cycle>/staging[...].
		for _, sep := range []string{"/wave/", "/staging"} {
			if i := strings.LastIndex(w.id, sep); i > 0 {
				w.cycle = w.id[:i]
				break
			}
		}
	}
	return w
}

// newestCycles returns the cycles of the waves, the one whose last wave
// ended last first, at most n.
func newestCycles(waves []waveRun, n int) []string {
	last := map[string]time.Time{}
	var ids []string
	for _, w := range waves {
		t, ok := last[w.cycle]
		if !ok {
			ids = append(ids, w.cycle)
		}
		if w.closed.After(t) {
			last[w.cycle] = w.closed
		}
	}
	slices.SortFunc(ids, func(a, b string) int { return cmp.Or(last[b].Compare(last[a]), cmp.Compare(a, b)) })
	if n > 0 && len(ids) > n {
		ids = ids[:n]
	}
	return ids
}

// planManagers maps a cycle's plan positions to package manager kinds,
// from the cycle's result; nil when the cycle has none to read (still
// running, or ended without a result): its runs then match by name.
func planManagers(ctx context.Context, c client.Client, cycle string) []domain.PlanEntry {
	ev, err := CloseEvent(ctx, c, cycle, "")
	if err != nil {
		return nil
	}
	var res workflows.CycleResult
	if DecodeResult(ev, &res) != nil {
		return nil
	}
	return res.Plan.Entries
}

// readWave adds the host runs of one patch wave to book and returns how
// many it added.
func readWave(ctx context.Context, c client.Client, namespace string, w waveRun, entries []domain.PlanEntry, book *domain.HistoryBook) (int, error) {
	start, err := FirstEvent(ctx, c, namespace, w.id, w.runID)
	if err != nil {
		return 0, err
	}
	var in workflows.WaveInput
	if err := DecodeInput(start, &in); err != nil {
		return 0, fmt.Errorf("wave %s: %w", w.id, err)
	}
	if in.Mode == workflows.HostModeRollback {
		return 0, nil
	}
	if first := start.GetWorkflowExecutionStartedEventAttributes().GetFirstExecutionRunId(); first != "" && first != w.runID {
		// A wave that continued as new: its first run had every target.
		if ev, err := FirstEvent(ctx, c, namespace, w.id, first); err == nil {
			var in1 workflows.WaveInput
			if DecodeInput(ev, &in1) == nil {
				in.Targets = append(in1.Targets, in.Targets...)
			}
		}
	}
	closeEv, err := CloseEvent(ctx, c, w.id, w.runID)
	if err != nil {
		return 0, err
	}
	var res workflows.WaveResult
	if err := DecodeResult(closeEv, &res); err != nil {
		return 0, nil // a wave that ended without a result says nothing
	}
	targets := make(map[string]workflows.HostTarget, len(in.Targets))
	for _, t := range in.Targets {
		if _, ok := targets[t.Host]; !ok {
			targets[t.Host] = t
		}
	}
	n := 0
	for _, o := range res.Outcomes {
		t, ok := targets[o.Host]
		if !ok {
			continue
		}
		snap := res.SnapshotOf(o)
		book.Add(domain.HostRun{Cycle: w.cycle, Manager: managerOf(t, in.PlanPins, entries), State: o.State, Reason: o.Reason,
			Pins: t.PinsFrom(in.PlanPins), Snapshot: snap})
		n++
	}
	return n, nil
}

// managerOf is the package manager kind of a host's pins: the plan entry
// its first reference points at ("" when the cycle's plan is unknown or
// does not line up with the wave's pins).
func managerOf(t workflows.HostTarget, pins []domain.Pin, entries []domain.PlanEntry) string {
	if len(entries) != len(pins) {
		return ""
	}
	refs := t.Refs.Refs()
	if len(refs) == 0 || refs[0] < 0 || refs[0] >= len(entries) || entries[refs[0]].Name != pins[refs[0]].Name {
		return ""
	}
	return entries[refs[0]].Manager
}
