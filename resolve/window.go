package resolve

import (
	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/policies"
)

// cycleWindow is the policy's maintenance window as the cycle keeps to it,
// nil when the policy has none (cycles then run whenever started).
func cycleWindow(p *policies.Policy, host domain.HostSteps) *domain.Window {
	w := p.Window
	if !w.Scheduled() {
		return nil
	}
	cw := &domain.Window{
		Cron:          w.Cron,
		Timezone:      w.Timezone,
		Duration:      w.Duration.Std(),
		BlackoutDates: w.BlackoutDates,
		HostWorstCase: host.WorstCase(),
	}
	if cw.Timezone == "" {
		cw.Timezone = policies.DefaultTimezone
	}
	if w.Calendar != nil {
		cw.Days, cw.Start = w.Calendar.Days, w.Calendar.Start
	}
	return cw
}
