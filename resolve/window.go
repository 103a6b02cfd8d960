package resolve

import (
	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/policies"
)

// cycleWindow is the policy's maintenance window as the cycle keeps to it,
// nil when the policy has none (cycles then run whenever started).
func cycleWindow(p *policies.Policy, host domain.HostSteps) *domain.Window {
	cw := p.Window.CycleWindow()
	if cw != nil {
		cw.HostWorstCase = host.WorstCase()
	}
	return cw
}
