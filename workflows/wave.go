package workflows

import (
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"
)

// WaveInput is the input of one Wave run (workflow ID <cycle>/wave/<n>, or
// <cycle>/staging for the staging hosts). Progress carries state across
// continue-as-new.
type WaveInput struct {
	CycleID     string        `json:"cycle_id"`
	Policy      string        `json:"policy"`
	Wave        int           `json:"wave"` // 0 = staging
	Inventory   string        `json:"inventory"`
	Targets     []HostTarget  `json:"targets"`
	MaxParallel int           `json:"max_parallel"`
	Bake        time.Duration `json:"bake,omitempty"`
	// BudgetLeft is how many more failed hosts the cycle tolerates; one
	// more is a breach, and the wave starts no further host.
	BudgetLeft int `json:"budget_left"`
	// OnBreach is the cycle's breach policy; with rollback_wave or
	// rollback_all the wave sends rollback to its failed hosts at once.
	OnBreach    string        `json:"on_breach,omitempty"`
	Steps       HostSteps     `json:"steps"`
	Checks      []Check       `json:"checks,omitempty"`
	BusyTimeout time.Duration `json:"busy_timeout,omitempty"`
	// HostsPerRun bounds the hosts one run starts before it continues as
	// new (0 = 500); the SDK's continue-as-new suggestion also ends a run.
	HostsPerRun int          `json:"hosts_per_run,omitempty"`
	Progress    WaveProgress `json:"progress"`
}

// HostTarget is one host of a wave and the pins it gets.
type HostTarget struct {
	Host string `json:"host"`
	Pins []Pin  `json:"pins"`
}

// WaveProgress is what a wave has done so far, carried across runs.
type WaveProgress struct {
	Next     int           `json:"next"` // index in this run's Targets of the next host to start
	Outcomes []HostOutcome `json:"outcomes,omitempty"`
	Failed   []string      `json:"failed,omitempty"` // hosts counted against the budget
	// Snapshots holds each distinct host snapshot once (HostOutcome.SnapshotRef).
	Snapshots [][]Pin `json:"snapshots,omitempty"`
	Breached  bool    `json:"breached,omitempty"`
	Paused    bool    `json:"paused,omitempty"`
	Aborted   bool    `json:"aborted,omitempty"`
	// Before holds wave-check values read before the first host started.
	Before map[string]float64 `json:"before,omitempty"`
	// AbortReason is set when a host's policy, not an operator, aborted.
	AbortReason string `json:"abort_reason,omitempty"`
	Runs        int    `json:"runs,omitempty"`
}

// WaveResult is a finished wave.
type WaveResult struct {
	Wave     int           `json:"wave"`
	Outcomes []HostOutcome `json:"outcomes"`
	// Snapshots are the distinct snapshots the outcomes refer to.
	Snapshots [][]Pin `json:"snapshots,omitempty"`
	Failures  int     `json:"failures"`
	Breached  bool    `json:"breached"`
	Aborted   bool    `json:"aborted"`
	// AbortReason is set when a host's policy, not an operator, aborted.
	AbortReason string `json:"abort_reason,omitempty"`
	Runs        int    `json:"runs"`
}

type waveRun struct {
	in       WaveInput
	p        *WaveProgress
	inFlight []string
	failed   map[string]bool
	stopRun  bool // continue as new once the in-flight hosts finish
	launched int
	// snapIndex maps a snapshot's key to its SnapshotRef.
	snapIndex map[string]int
	// hostChecks run in each host's verify, waveChecks after the bake.
	hostChecks, waveChecks []Check
}

// Wave patches its targets through a sliding window of at most MaxParallel
// HostPatch children, counts failures against the budget as they happen,
// continues as new on long waves, then bakes and runs the checks.
func Wave(ctx workflow.Context, in WaveInput) (WaveResult, error) {
	if in.MaxParallel < 1 {
		in.MaxParallel = 1
	}
	if in.HostsPerRun < 1 {
		in.HostsPerRun = hostsPerWaveRun
	}
	w := &waveRun{in: in, p: &in.Progress, failed: map[string]bool{}}
	w.p.Runs++
	for _, h := range w.p.Failed {
		w.failed[h] = true
	}
	if err := w.register(ctx); err != nil {
		return WaveResult{}, err
	}
	w.hostChecks, w.waveChecks = splitChecks(in.Checks)
	if w.p.Runs == 1 {
		upsert(ctx, AttrPolicy.ValueSet(in.Policy), AttrCycle.ValueSet(in.CycleID), AttrWave.ValueSet(waveLabel(in.Wave)))
		w.probe(ctx)
	}

	for {
		if err := workflow.Await(ctx, func() bool { return w.canLaunch() || (len(w.inFlight) == 0 && w.noMoreLaunches()) }); err != nil {
			return WaveResult{}, err
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
	if w.p.Next < len(in.Targets) && !w.p.Aborted && !w.p.Breached {
		w.drainSignals(ctx)
		// The next run gets only the hosts not started yet.
		next := in
		next.Targets = in.Targets[w.p.Next:]
		next.Progress = *w.p
		next.Progress.Next = 0
		return WaveResult{}, workflow.NewContinueAsNewError(ctx, Wave, next)
	}
	if !w.p.Aborted {
		w.bakeAndCheck(ctx)
	}
	return WaveResult{Wave: in.Wave, Outcomes: w.p.Outcomes, Snapshots: w.p.Snapshots, Failures: len(w.p.Failed),
		Breached: w.p.Breached, Aborted: w.p.Aborted, AbortReason: w.p.AbortReason, Runs: w.p.Runs}, nil
}

// intern stores a snapshot once and returns its 1-based reference (0 for
// no snapshot). The index map is only looked up, never ranged over.
func (w *waveRun) intern(snap []Pin) int {
	if snap == nil {
		return 0
	}
	if w.snapIndex == nil {
		w.snapIndex = map[string]int{}
		for i, s := range w.p.Snapshots {
			w.snapIndex[snapshotKey(s)] = i + 1
		}
	}
	k := snapshotKey(snap)
	if ref, ok := w.snapIndex[k]; ok {
		return ref
	}
	w.p.Snapshots = append(w.p.Snapshots, snap)
	w.snapIndex[k] = len(w.p.Snapshots)
	return len(w.p.Snapshots)
}

func snapshotKey(pins []Pin) string {
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
	return w.p.Aborted || w.p.Breached || w.stopRun || w.p.Next >= len(w.in.Targets)
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
		if o.State != HostPatched && o.State != HostSkipped {
			w.countFailure(ctx, o.Host)
		}
		if o.AbortCycle && !w.p.Aborted {
			w.p.Aborted, w.p.AbortReason = true, o.Host+": "+o.Reason
		}
		// The cycle knows every host's pins, and most hosts share one
		// snapshot: leaving out the pins and keeping each snapshot once
		// keeps the progress and the result small for thousands of hosts.
		o.Pins = nil
		o.Snapshot, o.SnapshotRef = nil, w.intern(o.Snapshot)
		w.p.Outcomes = append(w.p.Outcomes, o)
	})
}

// countFailure counts a host once against the budget; past the budget the
// wave is breached, and with a rollback breach policy the failed host is
// told to roll back instead of waiting for an operator.
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
	if w.p.Breached && w.in.Wave > 0 && (w.in.OnBreach == BreachRollbackWave || w.in.OnBreach == BreachRollbackAll) {
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

// probe reads the values of before/after checks before any host starts.
func (w *waveRun) probe(ctx workflow.Context) {
	var probes []Check
	for _, c := range w.waveChecks {
		if c.BeforeAfter != nil {
			probes = append(probes, c)
		}
	}
	if len(probes) == 0 {
		return
	}
	var res ProbeResult
	actx := withActivity(ctx, actOptions{timeout: 2 * time.Minute, summary: "read check values before wave " + waveLabel(w.in.Wave)})
	if err := workflow.ExecuteActivity(actx, ActProbeChecks, ChecksInput{Inventory: w.in.Inventory, Checks: probes}).Get(ctx, &res); err != nil {
		// Without a before value the comparison after the wave fails and
		// says so; the wave itself can go on.
		workflow.GetLogger(ctx).Warn("reading check values before the wave failed", "wave", w.in.Wave, "error", err)
	}
	w.p.Before = res.Values
}

// bakeAndCheck waits the bake time (cut short by abort), then runs the
// wave-scoped checks for the wave's patched hosts; a host whose check
// fails (every host, for a wave-level check) counts as failed.
func (w *waveRun) bakeAndCheck(ctx workflow.Context) {
	var patched []string
	for _, o := range w.p.Outcomes {
		if o.State == HostPatched {
			patched = append(patched, o.Host)
		}
	}
	if len(patched) == 0 {
		return
	}
	if w.in.Bake > 0 {
		_, _ = workflow.AwaitWithTimeout(ctx, w.in.Bake, func() bool { return w.p.Aborted })
		if w.p.Aborted {
			return
		}
	}
	if len(w.waveChecks) == 0 {
		return
	}
	var res ChecksResult
	timeout := orDefault(w.in.Steps.CommandTimeout, defaultCommandTimeout) * time.Duration(1+len(w.waveChecks))
	actx := withActivity(ctx, actOptions{timeout: timeout, summary: "checks after bake: " + waveLabel(w.in.Wave)})
	in := ChecksInput{Inventory: w.in.Inventory, Hosts: patched, Checks: w.waveChecks, Before: w.p.Before}
	if err := workflow.ExecuteActivity(actx, ActRunChecks, in).Get(ctx, &res); err != nil {
		res.Failed = []HostProblem{{Problem: "checks could not run: " + reasonOf(err)}}
	}
	for _, f := range res.Failed {
		for i := range w.p.Outcomes {
			o := &w.p.Outcomes[i]
			if (f.Host == "" || o.Host == f.Host) && o.State == HostPatched {
				o.State, o.Reason, o.Changed = HostFailed, "check after bake: "+f.Problem, true
				w.countFailure(ctx, o.Host)
			}
		}
	}
}
