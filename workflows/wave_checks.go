package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
)

// probe reads the values of before/after checks before any host starts.
func (w *waveRun) probe(ctx workflow.Context) {
	var probes []domain.Check
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

// bakeAndCheck waits the bake time (cut short by abort or cancel), then
// runs the wave-scoped checks for the hosts this part patched and the
// earlier parts' hosts it was given; a host whose check fails (every host,
// for a wave-level check) counts as failed.
func (w *waveRun) bakeAndCheck(ctx workflow.Context) {
	patched := append([]string(nil), w.in.CheckAlso...)
	for _, o := range w.p.Outcomes {
		if o.State == domain.HostPatched {
			patched = append(patched, o.Host)
		}
	}
	if len(patched) == 0 {
		return
	}
	if w.in.Bake > 0 {
		_, err := workflow.AwaitWithTimeout(ctx, w.in.Bake, func() bool { return w.p.Aborted })
		if w.p.Aborted || err != nil {
			return
		}
	}
	if len(w.waveChecks) == 0 {
		return
	}
	var res ChecksResult
	timeout := domain.SaturatingMul(w.in.Steps.Limits().Command, 1+len(w.waveChecks))
	actx := withActivity(ctx, actOptions{timeout: timeout, summary: "checks after bake: " + waveLabel(w.in.Wave)})
	in := ChecksInput{Inventory: w.in.Inventory, Hosts: patched, Checks: w.waveChecks, Before: w.p.Before}
	if err := workflow.ExecuteActivity(actx, ActRunChecks, in).Get(ctx, &res); err != nil {
		res.Failed = []HostProblem{{Problem: "checks could not run: " + reasonOf(err)}}
	}
	earlier := map[string]bool{}
	for _, h := range w.in.CheckAlso {
		earlier[h] = true
	}
	for _, f := range res.Failed {
		for i := range w.p.Outcomes {
			o := &w.p.Outcomes[i]
			if (f.Host == "" || o.Host == f.Host) && o.State == domain.HostPatched {
				o.State, o.Reason, o.Changed = domain.HostFailed, "check after bake: "+f.Problem, true
				w.countFailure(ctx, o.Host)
			}
		}
		for _, h := range w.in.CheckAlso {
			if (f.Host == "" || f.Host == h) && earlier[h] {
				earlier[h] = false
				w.late = append(w.late, HostProblem{Host: h, Problem: "check after bake: " + f.Problem})
				w.countFailure(ctx, h)
			}
		}
	}
}
