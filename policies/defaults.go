package policies

import (
	"fmt"
	"time"

	"github.com/patchflow/patchflow/domain"
)

// Defaults for fields a policy leaves out. They lean to the safe side: a
// policy that says little patches security updates one host at a time,
// stops at the first failure and rolls the failed host back.
const (
	DefaultMaxParallel     = 1
	DefaultApprovalTimeout = Duration(24 * time.Hour)
	DefaultTimezone        = domain.DefaultTimezone
	DefaultCatchupWindow   = Duration(time.Hour)
	DefaultCheckTimeout    = Duration(30 * time.Second)
	DefaultDecisionTimeout = Duration(24 * time.Hour)
)

// Default returns a policy holding every default; Parse decodes the file
// over it, so keys absent from the file keep these values.
func Default() *Policy {
	return &Policy{
		Patches: Patches{
			Classifications: []domain.Class{domain.ClassSecurity},
			MinSeverity:     domain.SeverityLow,
			UnknownSeverity: "include",
		},
		Approval: Approval{Mode: domain.ApprovalAuto, Timeout: DefaultApprovalTimeout, OnTimeout: domain.ApprovalTimeoutAbort},
		Window:   Window{Timezone: DefaultTimezone, CatchupWindow: DefaultCatchupWindow},
		Rollout:  Rollout{MaxParallel: DefaultMaxParallel, OnBudgetBreach: domain.BreachPause},
		Host: HostSteps{
			Reboot: domain.RebootIfRequired,
			Timeouts: HostTimeouts{
				Precheck: Duration(5 * time.Minute),
				Apply:    Duration(30 * time.Minute),
				Reboot:   Duration(15 * time.Minute),
				Verify:   Duration(10 * time.Minute),
				Hook:     Duration(5 * time.Minute),
			},
		},
		Rollback: Rollback{OnHostFailure: true, DecisionTimeout: DefaultDecisionTimeout, OnDecisionTimeout: domain.DecisionSkip},
	}
}

// applyDerivedDefaults fills defaults that depend on other fields or on
// whether a key was present in the file.
func applyDerivedDefaults(p *Policy) {
	if len(p.Rollout.Waves) == 0 && !p.pos.has("rollout.waves") {
		p.Rollout.Waves = []Wave{{Name: "all", Percent: 100}}
	}
	for i := range p.Rollout.Waves {
		w := &p.Rollout.Waves[i]
		path := fmt.Sprintf("rollout.waves[%d]", i)
		if w.Name == "" {
			w.Name = fmt.Sprintf("wave-%d", i+1)
		}
		if !p.pos.has(path + ".max_parallel") {
			w.MaxParallel = p.Rollout.MaxParallel
		}
	}
	for i := range p.Checks {
		c := &p.Checks[i]
		path := fmt.Sprintf("checks[%d]", i)
		if !p.pos.has(path + ".scope") {
			c.Scope = domain.ScopeHost
			if c.Type == domain.CheckPromQL {
				c.Scope = domain.ScopeWave
			}
		}
		if !p.pos.has(path + ".timeout") {
			c.Timeout = DefaultCheckTimeout
		}
		if c.Type == domain.CheckHTTP && !p.pos.has(path+".expect_status") {
			c.ExpectStatus = 200
		}
	}
}
