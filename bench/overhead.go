package bench

import (
	"context"
	"fmt"
	commonpb "go.temporal.io/api/common/v1"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/activities"
	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/localfleet"
	"github.com/patchflow/patchflow/transport"
	"github.com/patchflow/patchflow/workflows"
)

// OverheadBake is each stage's bake in the overhead cycle: long enough to
// count in the critical path, short enough for a quick run.
const OverheadBake = 2 * time.Second

// OverheadSpec is the cycle of the overhead benchmark over a fleet of at
// least 7 hosts: staging (h1), a canary of one, a ramp of 4 and the rest,
// each wave with max_parallel equal to its size so the slowest host of a
// stage is its critical path, each stage baking OverheadBake.
func OverheadSpec(policy string, f *localfleet.Fleet) domain.CycleSpec {
	rest := len(f.Hosts) - 6
	return domain.CycleSpec{
		Policy:    policy,
		Inventory: domain.InventorySpec{Source: f.InventoryPath, Select: []string{"group=fleet"}},
		Staging:   domain.StagingSpec{Select: []string{"group=staging"}, Bake: OverheadBake},
		Patches:   domain.PatchRules{Include: []string{"demo-app"}, Approve: []string{"demo-app=1.0.1"}},
		Approval:  domain.ApprovalSpec{Mode: "auto"},
		Waves: []domain.Wave{
			{Name: "canary", Count: 1, MaxParallel: 1, Bake: OverheadBake},
			{Name: "ramp", Count: 4, MaxParallel: 4, Bake: OverheadBake},
			{Name: "rest", Percent: 100, MaxParallel: rest, Bake: OverheadBake},
		},
		OnBudgetBreach: domain.BreachPause,
		Host:           domain.HostSteps{Reboot: "never", DecisionTimeout: time.Minute, CommandTimeout: 2 * time.Minute},
	}
}

// Stage is one stage of a cycle (0 = staging, then the waves) in the
// critical path.
type Stage struct {
	Wave    int
	Hosts   int
	Slowest time.Duration // longest HostReport.Duration
	Bake    time.Duration
}

// OverheadResult compares a cycle's wall time with its critical path.
type OverheadResult struct {
	Hosts  int
	Wall   time.Duration
	Stages []Stage
	// CriticalPath is the strict critical path of docs/benchmarks.md: the
	// sum over stages of the slowest host's patch time plus the bake.
	CriticalPath time.Duration
	// Scan and Verify are the cycle's fleet-wide scan (apt-get update and
	// pending updates on every host) and final verification, from the
	// first activity start to the last completion in its history: host
	// work the critical path above leaves out.
	Scan, Verify time.Duration
}

// Ratio is wall time / critical path (goal <= 1.05).
func (r OverheadResult) Ratio() float64 { return r.Wall.Seconds() / r.CriticalPath.Seconds() }

// RatioWithScan is wall time / (critical path + scan + final verify): the
// overhead of orchestration alone.
func (r OverheadResult) RatioWithScan() float64 {
	return r.Wall.Seconds() / (r.CriticalPath + r.Scan + r.Verify).Seconds()
}

// Overhead runs OverheadSpec on the fleet with an in-process worker using
// the real SSH transport, and computes the critical path from the cycle's
// per-host durations and bakes. The hosts must have demo-app 1.0.0.
func Overhead(ctx context.Context, st *Stack, f *localfleet.Fleet, policy string) (OverheadResult, error) {
	pool := transport.NewPool(transport.NewSSHDialer(transport.WithSSHConfigFile(""), transport.WithAgentSocket("")))
	defer pool.Close()
	stop, err := st.StartWorker(activities.Deps{Pool: pool, Client: st.Client, Logger: discardSlog()})
	if err != nil {
		return OverheadResult{}, err
	}
	defer stop()
	spec := OverheadSpec(policy, f)
	run, err := RunCycle(ctx, st.Client, spec)
	if err != nil {
		return OverheadResult{}, err
	}
	res := OverheadResult{Hosts: len(f.Hosts), Wall: run.Wall}
	bakes := []time.Duration{spec.Staging.Bake}
	for _, w := range spec.Waves {
		bakes = append(bakes, w.Bake)
	}
	res.Stages = make([]Stage, len(bakes))
	for i := range res.Stages {
		res.Stages[i] = Stage{Wave: i, Bake: bakes[i]}
	}
	for _, o := range run.Hosts {
		if o.Wave < 0 || o.Wave >= len(res.Stages) {
			return res, fmt.Errorf("cycle %s: host %s in wave %d, spec has %d stages", run.ID, o.Host, o.Wave, len(res.Stages))
		}
		s := &res.Stages[o.Wave]
		s.Hosts++
		s.Slowest = max(s.Slowest, o.Duration)
	}
	for _, s := range res.Stages {
		res.CriticalPath += s.Slowest + s.Bake
	}
	spans, err := activitySpans(ctx, st.Client, run.ID)
	if err != nil {
		return res, err
	}
	res.Scan, res.Verify = spans[workflows.ActScanHosts], spans[workflows.ActVerifyHosts]
	return res, nil
}

// activitySpans reads a workflow's history and returns, per activity
// type, the time from its first start to its last completion.
func activitySpans(ctx context.Context, c client.Client, id string) (map[string]time.Duration, error) {
	h, err := readActivityTimes(ctx, c, id)
	if err != nil {
		return nil, err
	}
	out := map[string]time.Duration{}
	for t, s := range h.spans {
		out[t] = s.last.Sub(s.first)
	}
	return out, nil
}

// activityTimes are a workflow's start and, per activity type, its first
// start and last completion.
type activityTimes struct {
	started time.Time
	spans   map[string]*span
}

type span struct{ first, last time.Time }

// readActivityTimes reads a cycle's history and those of its scan and
// verify children (ScanShard, HostBatches), where a cycle's scans and its
// final verify run: a span covers the activities of all of them.
func readActivityTimes(ctx context.Context, c client.Client, id string) (activityTimes, error) {
	h := activityTimes{spans: map[string]*span{}}
	children, err := h.read(ctx, c, id, "")
	if err != nil {
		return h, err
	}
	started := h.started
	for _, ch := range children {
		if _, err := h.read(ctx, c, ch.GetWorkflowId(), ch.GetRunId()); err != nil {
			return h, err
		}
	}
	h.started = started
	return h, nil
}

// read adds one run's activity spans and returns its scan and verify
// children.
func (h *activityTimes) read(ctx context.Context, c client.Client, id, runID string) ([]*commonpb.WorkflowExecution, error) {
	typeOf := map[int64]string{} // scheduled event ID -> activity type
	var children []*commonpb.WorkflowExecution
	iter := c.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			return nil, fmt.Errorf("history of %s: %w", id, err)
		}
		at := ev.GetEventTime().AsTime()
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
			h.started = at
		case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
			a := ev.GetChildWorkflowExecutionStartedEventAttributes()
			if t := a.GetWorkflowType().GetName(); t == "ScanShard" || t == "HostBatches" {
				children = append(children, a.GetWorkflowExecution())
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			typeOf[ev.GetEventId()] = ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			t := typeOf[ev.GetActivityTaskStartedEventAttributes().GetScheduledEventId()]
			if h.spans[t] == nil {
				h.spans[t] = &span{first: at, last: at}
			}
			if at.Before(h.spans[t].first) {
				h.spans[t].first = at
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			t := typeOf[ev.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()]
			if s := h.spans[t]; s != nil && at.After(s.last) {
				s.last = at
			}
		}
	}
	return children, nil
}
