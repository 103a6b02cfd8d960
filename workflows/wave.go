package workflows

import (
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/notify"
)

// WaveInput is the input of one Wave run (workflow ID <cycle>/wave/<n>,
// <cycle>/staging, or <cycle>/rollback/<k> for a rollback). A wave larger
// than hostsPerPart runs as several parts, each its own run with these
// inputs; Progress carries state across continue-as-new.
type WaveInput struct {
	CycleID string `json:"cycle_id"`
	Policy  string `json:"policy"`
	Wave    int    `json:"wave"` // 0 = staging
	// Mode is HostModePatch (default) or HostModeRollback: return every
	// target to its snapshot, with no budget, bake or checks.
	Mode      string       `json:"mode,omitempty"`
	Inventory string       `json:"inventory"`
	Targets   []HostTarget `json:"targets"`
	// PlanPins are the plan's pins the targets refer to, sent once.
	PlanPins []domain.Pin `json:"plan_pins,omitempty"`
	// Snapshots (rollback) are the distinct snapshots the targets refer to.
	Snapshots [][]domain.Pin `json:"snapshots,omitempty"`
	// SnapshotPins (rollback) are the distinct pins of the targets'
	// snapshots (HostTarget.SnapshotSet).
	SnapshotPins []domain.Pin `json:"snapshot_pins,omitempty"`
	// Reason (rollback) is why the hosts are rolled back.
	Reason      string        `json:"reason,omitempty"`
	MaxParallel int           `json:"max_parallel"`
	Bake        time.Duration `json:"bake,omitempty"`
	// BudgetLeft is how many more failed hosts the cycle tolerates; one
	// more is a breach, and the wave starts no further host.
	BudgetLeft int `json:"budget_left"`
	// OnBreach is the cycle's breach policy; with a rollback policy the
	// wave tells its failed hosts in flight to roll back at once.
	OnBreach domain.BreachAction `json:"on_breach,omitempty"`
	Steps    domain.HostSteps    `json:"steps"`
	Checks   []domain.Check      `json:"checks,omitempty"`
	// CheckAlso names hosts of earlier parts of the wave that did not bake:
	// the wave-scoped checks after this part's bake cover them too.
	CheckAlso []string `json:"check_also,omitempty"`
	// SkipChecks: a part that does not end its wave runs no bake or
	// wave-scoped checks (a later part does).
	SkipChecks bool `json:"skip_checks,omitempty"`
	// Before holds the wave-check values read before the wave's first
	// part; nil makes this run read them.
	Before      map[string]float64 `json:"before,omitempty"`
	BusyTimeout time.Duration      `json:"busy_timeout,omitempty"`
	// HostsPerRun bounds the hosts one run starts before it continues as
	// new (0 = 500); the SDK's continue-as-new suggestion also ends a run.
	HostsPerRun int          `json:"hosts_per_run,omitempty"`
	Progress    WaveProgress `json:"progress"`
	// Notify are the cycle's webhooks: the wave sends its hosts' events
	// (host.failed, host.rolled_back) as they happen.
	Notify []notify.Webhook `json:"notify,omitempty"`
}

// WaveProgress is what a wave has done so far, carried across runs.
type WaveProgress struct {
	Next     int          `json:"next"` // index in this run's Targets of the next host to start
	Outcomes []HostResult `json:"outcomes,omitempty"`
	Failed   []string     `json:"failed,omitempty"` // hosts counted against the budget
	// Snapshots holds each distinct host snapshot once (HostResult.SnapshotRef).
	Snapshots [][]domain.Pin `json:"snapshots,omitempty"`
	// SnapshotPins (since wave-pin-table) holds each distinct pin of the
	// outcomes' snapshots once (HostResult.SnapshotSet).
	SnapshotPins []domain.Pin       `json:"snapshot_pins,omitempty"`
	Breached     bool               `json:"breached,omitempty"`
	Paused       bool               `json:"paused,omitempty"`
	Aborted      bool               `json:"aborted,omitempty"`
	Before       map[string]float64 `json:"before,omitempty"`
	// AbortReason is set when a host's policy, not an operator, aborted.
	AbortReason string `json:"abort_reason,omitempty"`
	Runs        int    `json:"runs,omitempty"`
}

// WaveResult is a finished wave (or, canceled, the details of its
// cancellation).
type WaveResult struct {
	Wave     int          `json:"wave"`
	Outcomes []HostResult `json:"outcomes"`
	// Snapshots are the distinct snapshots the outcomes refer to.
	Snapshots [][]domain.Pin `json:"snapshots,omitempty"`
	// SnapshotPins are the distinct pins the outcomes' SnapshotSets refer to.
	SnapshotPins []domain.Pin `json:"snapshot_pins,omitempty"`
	Failures     int          `json:"failures"`
	Breached     bool         `json:"breached"`
	Aborted      bool         `json:"aborted"`
	// AbortReason is set when a host's policy, not an operator, aborted.
	AbortReason string `json:"abort_reason,omitempty"`
	Runs        int    `json:"runs"`
	// Before are the wave-check values read before the wave, for its
	// later parts.
	Before map[string]float64 `json:"before,omitempty"`
	// LateFailures are hosts of earlier parts (CheckAlso) that failed the
	// checks after the bake.
	LateFailures []HostProblem `json:"late_failures,omitempty"`
	// Notifications are this wave's deliveries.
	Notifications NotificationStatus `json:"notifications,omitzero"`
}

type waveRun struct {
	in       WaveInput
	p        *WaveProgress
	inFlight []string
	failed   map[string]bool
	stopRun  bool // continue as new once the in-flight hosts finish
	canceled bool
	launched int
	snaps    snapshotTable
	// pins keeps the snapshots since wave-pin-table (pinTable).
	pins *pinTable
	// hostChecks run in each host's verify, waveChecks after the bake.
	hostChecks, waveChecks []domain.Check
	late                   []HostProblem
	notes                  *notifier
}

// Wave patches its targets (or, in rollback mode, returns them to their
// snapshots) through a sliding window of at most MaxParallel HostPatch
// children, counts failures against the budget as they happen, then bakes
// and runs the wave-scoped checks. Canceled, it starts no more hosts, lets
// the running ones finish (a host is never stopped half-patched) and ends
// canceled with its result as the details.
func Wave(ctx workflow.Context, in WaveInput) (WaveResult, error) {
	in.MaxParallel = max(in.MaxParallel, 1)
	if in.HostsPerRun < 1 {
		in.HostsPerRun = hostsPerWaveRun
	}
	if in.Mode == "" {
		in.Mode = HostModePatch
	}
	w := &waveRun{in: in, p: &in.Progress, failed: map[string]bool{}}
	w.p.Runs++
	for _, h := range w.p.Failed {
		w.failed[h] = true
	}
	for _, s := range w.p.Snapshots {
		w.snaps.intern(s)
	}
	if workflow.GetVersion(ctx, changeWavePinTable, workflow.DefaultVersion, 1) == 1 {
		w.pins = newPinTable(w.p.SnapshotPins)
	}
	if err := w.register(ctx); err != nil {
		return WaveResult{}, err
	}
	w.notes = newNotifier(ctx, in.CycleID, in.Policy, in.Notify)
	w.hostChecks, w.waveChecks = domain.SplitChecks(in.Checks)
	if w.p.Runs == 1 {
		upsert(ctx, AttrPolicy.ValueSet(in.Policy), AttrCycle.ValueSet(in.CycleID), AttrWave.ValueSet(waveLabel(in.Wave)))
		if in.Before != nil {
			w.p.Before = in.Before
		} else if in.Mode == HostModePatch {
			w.probe(ctx)
		}
	}

	for {
		err := workflow.Await(ctx, func() bool { return w.canLaunch() || (len(w.inFlight) == 0 && w.noMoreLaunches()) })
		if err != nil {
			w.canceled = true
			break
		}
		if !w.canLaunch() {
			break
		}
		w.launch(ctx, in.Targets[w.p.Next])
		w.p.Next++
		w.launched++
		if w.launched >= in.HostsPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			w.stopRun = true
		}
	}
	if w.canceled {
		// The hosts in flight were asked to cancel: each finishes what it
		// started and reports, so the wave waits for them.
		_ = workflow.Await(detached(ctx), func() bool { return len(w.inFlight) == 0 })
		w.notes.drain(ctx)
		return WaveResult{}, temporal.NewCanceledError(w.result())
	}
	if w.p.Next < len(in.Targets) && !w.p.Aborted && !w.p.Breached {
		w.drainSignals(ctx)
		w.notes.drain(ctx)
		// The next run gets only the hosts not started yet.
		next := in
		next.Targets = in.Targets[w.p.Next:]
		next.Progress = *w.p
		next.Progress.Next = 0
		return WaveResult{}, workflow.NewContinueAsNewError(ctx, Wave, next)
	}
	if !w.p.Aborted && in.Mode == HostModePatch && !in.SkipChecks {
		w.bakeAndCheck(ctx)
	}
	w.notes.drain(ctx)
	return w.result(), nil
}

func (w *waveRun) result() WaveResult {
	res := WaveResult{Wave: w.in.Wave, Outcomes: w.p.Outcomes, Snapshots: w.p.Snapshots, SnapshotPins: w.p.SnapshotPins, Failures: len(w.p.Failed),
		Breached: w.p.Breached, Aborted: w.p.Aborted, AbortReason: w.p.AbortReason, Runs: w.p.Runs,
		Before: w.p.Before, LateFailures: w.late}
	if w.notes != nil {
		res.Notifications = w.notes.status
	}
	return res
}

func snapshotKey(pins []domain.Pin) string {
	var b strings.Builder
	for _, p := range pins {
		b.WriteString(p.Name + "=" + p.Version + "\x00")
	}
	return b.String()
}

func (w *waveRun) canLaunch() bool {
	return !w.p.Paused && !w.noMoreLaunches() && len(w.inFlight) < w.in.MaxParallel
}

func (w *waveRun) noMoreLaunches() bool {
	return w.p.Aborted || w.p.Breached || w.stopRun || w.canceled || w.p.Next >= len(w.in.Targets)
}

func (w *waveRun) launch(ctx workflow.Context, t HostTarget) {
	w.inFlight = append(w.inFlight, t.Host)
	workflow.Go(ctx, func(ctx workflow.Context) {
		o := w.runHost(ctx, t)
		for i, h := range w.inFlight {
			if h == t.Host {
				w.inFlight = append(w.inFlight[:i], w.inFlight[i+1:]...)
				break
			}
		}
		if w.in.Mode == HostModePatch && o.State.CountsAsFailure() {
			w.countFailure(ctx, o.Host)
		}
		if o.AbortCycle && !w.p.Aborted {
			w.p.Aborted, w.p.AbortReason = true, o.Host+": "+o.Reason
		}
		w.notifyHost(ctx, o)
		// The cycle knows every host's pins, and most hosts share one
		// snapshot: leaving out the pins and keeping each snapshot once
		// keeps the progress and the result small for thousands of hosts.
		o.Pins = nil
		if w.pins != nil {
			o.Snapshot, o.SnapshotSet = nil, w.pins.set(o.Snapshot)
			w.p.SnapshotPins = w.pins.list
		} else {
			o.Snapshot, o.SnapshotRef = nil, w.snaps.intern(o.Snapshot)
			w.p.Snapshots = w.snaps.list
		}
		w.p.Outcomes = append(w.p.Outcomes, o)
	})
}

// notifyHost sends a host's end when it is news: rolled back, or failed
// without having said so at the time (a host that could not start).
func (w *waveRun) notifyHost(ctx workflow.Context, o HostResult) {
	switch {
	case o.State == domain.HostRolledBack:
		w.notes.emit(ctx, notify.Event{Type: notify.HostRolledBack, Reason: o.Reason,
			Host: &notify.HostInfo{Name: o.Host, Wave: w.in.Wave, State: string(o.State)}})
	case (o.State == domain.HostFailed || o.State == domain.HostNeedsRepair) && !w.failed[o.Host]:
		w.notes.emit(ctx, notify.Event{Type: notify.HostFailed, Reason: o.Reason,
			Host: &notify.HostInfo{Name: o.Host, Wave: w.in.Wave, State: string(o.State)}})
	}
}

// countFailure counts a host once against the budget; past the budget the
// wave is breached, and with a rollback breach policy the failed hosts in
// flight are told to roll back instead of waiting for an operator.
func (w *waveRun) countFailure(ctx workflow.Context, host string) {
	if w.failed[host] {
		return
	}
	w.failed[host] = true
	w.p.Failed = append(w.p.Failed, host)
	if len(w.p.Failed) > w.in.BudgetLeft && !w.p.Breached {
		w.p.Breached = true
		metricsFor(ctx, w.in.Policy).Counter(MetricBudgetBreaches).Inc(1)
		workflow.GetLogger(ctx).Info("failure budget breached", "wave", w.in.Wave, "failures", len(w.p.Failed), "budget", w.in.BudgetLeft)
	}
	if w.p.Breached && w.in.Wave > 0 && w.in.OnBreach.RollsBack() {
		for _, f := range w.p.Failed {
			if w.isInFlight(f) {
				// Best effort: a host that already finished is rolled back by the cycle.
				workflow.SignalExternalWorkflow(ctx, HostWorkflowID(f), "", MsgRollback, nil)
			}
		}
	}
}

func (w *waveRun) isInFlight(host string) bool {
	for _, h := range w.inFlight {
		if h == host {
			return true
		}
	}
	return false
}
