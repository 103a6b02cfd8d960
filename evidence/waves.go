package evidence

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/report"
	"github.com/patchflow/patchflow/workflows"
)

// rollout is what the cycle's wave children did.
type rollout struct {
	waves     []report.WaveEvidence
	rollbacks []report.Rollback
	// snapshots are each patched host's versions before the cycle.
	snapshots map[string][]domain.Pin
	// outcomes are every host's results in the order the waves recorded
	// them (patch waves, then rollbacks), for the final states when the
	// hosts query cannot answer.
	outcomes []workflows.HostResult
}

// waves reads the cycle's Wave children (one per wave part, rollback waves
// too) and its own rollback host workflows.
func (h *cycleHistory) waves(res workflows.CycleResult) rollout {
	r := rollout{snapshots: map[string][]domain.Pin{}}
	byIndex := map[int]*report.WaveEvidence{}
	running := map[int]bool{} // a part of the wave still runs: it has not finished
	names := h.waveNames(res)
	for _, ch := range h.childrenOf("Wave") {
		var in workflows.WaveInput
		if ch.decodeInput(&in) != nil {
			continue
		}
		out, ok := h.waveResult(ch, in)
		if in.Mode == workflows.HostModeRollback {
			if ok {
				r.addRollbackWave(ch, in, out)
			}
			continue
		}
		w := byIndex[in.Wave]
		if w == nil {
			w = &report.WaveEvidence{Index: in.Wave, Name: names(in.Wave), StartedAt: ch.started}
			byIndex[in.Wave] = w
		}
		if !ch.started.IsZero() && (w.StartedAt.IsZero() || ch.started.Before(w.StartedAt)) {
			w.StartedAt = ch.started
		}
		if ch.closed.After(w.FinishedAt) {
			w.FinishedAt = ch.closed
		}
		running[in.Wave] = running[in.Wave] || ch.closeEv == nil
		r.addPatchWave(w, in, out, ok)
	}
	for _, ch := range h.childrenOf("HostPatch") {
		r.addHostRollback(ch)
	}
	idx := make([]int, 0, len(byIndex))
	for i := range byIndex {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	for _, i := range idx {
		if running[i] {
			byIndex[i].FinishedAt = time.Time{}
		}
		r.waves = append(r.waves, *byIndex[i])
	}
	return r
}

// waveResult is a wave part's result; a part that runs has none yet, and
// one that ended without a result failed all its hosts.
func (h *cycleHistory) waveResult(ch *child, in workflows.WaveInput) (workflows.WaveResult, bool) {
	var out workflows.WaveResult
	if ch.decodeResult(&out) == nil {
		return out, true
	}
	if ch.closeEv == nil {
		return out, false
	}
	why := "wave workflow " + ch.id + " ended without a result"
	for _, t := range in.Targets {
		out.Outcomes = append(out.Outcomes, workflows.HostResult{Host: t.Host, Wave: in.Wave, State: domain.HostFailed, Reason: why, Finished: ch.closed})
	}
	return out, true
}

// addPatchWave adds a patch wave part's hosts: each one's result, times,
// the versions it ended at, its reboot and any rollback after a failure.
func (r *rollout) addPatchWave(w *report.WaveEvidence, in workflows.WaveInput, out workflows.WaveResult, ok bool) {
	targets := map[string]workflows.HostTarget{}
	for _, t := range in.Targets {
		targets[t.Host] = t
	}
	if !ok {
		for _, t := range in.Targets {
			w.Hosts = append(w.Hosts, report.WaveHost{Host: t.Host, Result: report.HostPending})
		}
		return
	}
	for _, o := range out.Outcomes {
		snap := out.SnapshotOf(o)
		if snap != nil {
			r.snapshots[o.Host] = snap
		}
		o.Snapshot, o.SnapshotRef, o.SnapshotSet, o.Wave = snap, 0, nil, in.Wave
		r.outcomes = append(r.outcomes, o)
		wh := report.WaveHost{Host: o.Host, Result: report.ResultOf(o.State), FinishedAt: o.Finished, Reason: o.Reason, RebootedAt: o.RebootedAt}
		if !o.Finished.IsZero() && o.Duration > 0 {
			wh.StartedAt = o.Finished.Add(-o.Duration)
		}
		if o.State == domain.HostPatched {
			for _, p := range targets[o.Host].PinsFrom(in.PlanPins) {
				wh.Installed = append(wh.Installed, report.Pin{Package: p.Name, Version: p.Version})
			}
		}
		w.Hosts = append(w.Hosts, wh)
		switch {
		case o.State == domain.HostRolledBack || o.State == domain.HostNeedsRepair || strings.Contains(o.Reason, "rolled back to snapshot"):
			r.addRollback(o, in.Wave, snap)
		case !o.RolledBackAt.IsZero():
			// Rolled back after a failed attempt, then retried by an
			// operator: the host's own record keeps when.
			retried := o
			retried.State, retried.Reason = domain.HostRolledBack, "an attempt failed and was rolled back to snapshot; an operator retried the host, which then ended "+string(o.State)
			r.addRollback(retried, in.Wave, snap)
		}
	}
	// Hosts of earlier parts that failed this part's checks after the
	// bake: failed where they were (Wave -1 keeps their stage).
	for _, f := range out.LateFailures {
		r.outcomes = append(r.outcomes, workflows.HostResult{Host: f.Host, Wave: -1, State: domain.HostFailed, Reason: f.Problem})
	}
}

// addRollbackWave adds a rollback wave's hosts as rollbacks.
func (r *rollout) addRollbackWave(ch *child, in workflows.WaveInput, out workflows.WaveResult) {
	for _, o := range out.Outcomes {
		var t workflows.HostTarget
		for _, x := range in.Targets {
			if x.Host == o.Host {
				t = x
			}
		}
		snap := in.SnapshotOf(t)
		if o.Finished.IsZero() {
			o.Finished = ch.closed
		}
		o.Wave = t.Wave
		r.outcomes = append(r.outcomes, o)
		r.addRollback(o, t.Wave, snap)
	}
}

// addHostRollback adds a rollback the cycle ran itself, one host workflow
// (an operator's rollback-host, or a cycle recorded before rollback waves).
func (r *rollout) addHostRollback(ch *child) {
	var in workflows.HostPatchInput
	var out workflows.HostPatchResult
	if ch.decodeInput(&in) != nil || in.Mode != workflows.HostModeRollback || ch.decodeResult(&out) != nil {
		return
	}
	o := out.HostResult
	if o.Finished.IsZero() {
		o.Finished = ch.closed
	}
	o.Wave = in.Wave
	r.outcomes = append(r.outcomes, o)
	r.addRollback(o, in.Wave, in.Snapshot)
}

// addRollback records one host's return to its snapshot (or a rollback
// that failed and left it needing repair).
func (r *rollout) addRollback(o workflows.HostResult, wave int, snap []domain.Pin) {
	res := report.HostRolledBack
	switch {
	case o.State == domain.HostNeedsRepair:
		res = report.HostNeedsRepair
	case o.State != domain.HostRolledBack && !strings.Contains(o.Reason, "rolled back to snapshot"):
		return // canceled, or skipped as busy: nothing was rolled back
	}
	at := cmp.Or(o.RolledBackAt, o.Finished)
	if res == report.HostNeedsRepair {
		at = o.Finished
	}
	if at.IsZero() {
		return
	}
	rb := report.Rollback{Host: o.Host, Wave: wave, At: at, Reason: o.Reason, Result: res}
	if res == report.HostRolledBack {
		for _, p := range snap {
			rb.To = append(rb.To, report.Pin{Package: p.Name, Version: p.Version})
		}
	}
	r.rollbacks = append(r.rollbacks, rb)
}

// waveNames names the waves as the cycle did: "staging", then the
// policy's wave names over the production hosts of the plan.
func (h *cycleHistory) waveNames(res workflows.CycleResult) func(int) string {
	production := 0
	for _, s := range res.Stages {
		if s.Stage != "staging" {
			production += s.Counts.Total
		}
	}
	planned, err := domain.PlanWaves(h.input.Spec.Waves, production)
	return func(n int) string {
		switch {
		case n == 0:
			return "staging"
		case err == nil && n <= len(planned):
			return planned[n-1].Name
		}
		return strconv.Itoa(n)
	}
}

// verify is the cycle's final verify: its HostBatches children of kind
// verify; nil when the cycle did not finish one.
func (h *cycleHistory) verify() *report.FinalVerify {
	var v *report.FinalVerify
	for _, ch := range h.childrenOf("HostBatches") {
		var in workflows.HostBatchesInput
		if ch.decodeInput(&in) != nil || in.Kind != "verify" {
			continue
		}
		if v == nil {
			v = &report.FinalVerify{Failed: []report.HostProblem{}}
		}
		v.Hosts += len(in.Targets)
		var out workflows.HostBatchesResult
		if ch.decodeResult(&out) != nil {
			if ch.closeEv == nil {
				return nil // still verifying
			}
			for _, t := range in.Targets {
				out.Failed = append(out.Failed, workflows.HostProblem{Host: t.Host, Problem: "verify shard " + ch.id + " ended without a result"})
			}
		}
		for _, f := range out.Failed {
			v.Failed = append(v.Failed, report.HostProblem{Host: f.Host, Problem: f.Problem})
		}
		if ch.closed.After(v.At) {
			v.At = ch.closed
		}
	}
	return v
}
