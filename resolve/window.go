package resolve

import (
	"github.com/patchflow/patchflow/policies"
	"github.com/patchflow/patchflow/workflows"
)

// cycleWindow is the policy's maintenance window as the cycle keeps to it,
// nil when the policy has none (cycles then run whenever started).
func cycleWindow(p *policies.Policy) *workflows.CycleWindow {
	w := p.Window
	if !w.Scheduled() {
		return nil
	}
	cw := &workflows.CycleWindow{
		Cron:          w.Cron,
		Timezone:      w.Timezone,
		Duration:      w.Duration.Std(),
		BlackoutDates: w.BlackoutDates,
		HostWorstCase: p.Host.WorstCase(),
	}
	if cw.Timezone == "" {
		cw.Timezone = policies.DefaultTimezone
	}
	if w.Calendar != nil {
		cw.Days, cw.Start = w.Calendar.Days, w.Calendar.Start
	}
	return cw
}
