package workflows

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
)

// rolloutPlan is the plan and who gets what: the pinned content set, each
// host's pins as references into it, and the hosts of staging and of each
// production wave (hosts with something to patch, in order).
type rolloutPlan struct {
	plan domain.Plan
	pins []domain.Pin     // the plan's pins in entry order; sent once per wave part or batch
	refs map[string][]int // host -> its pins, as positions in pins
	// fingerprints are the planned hosts' states, when the cycle makes a
	// reviewed plan.
	fingerprints map[string]PlannedHost
	staging      []string
	waves        [][]string
	// stagingUnscanned names staging hosts that could not be scanned: a
	// staging that cannot run proves nothing.
	stagingUnscanned string
	scanFailed       []HostProblem
}

func (p *rolloutPlan) empty() bool { return len(p.plan.Entries) == 0 || len(p.refs) == 0 }

// hostPins returns a host's pins.
func (p *rolloutPlan) hostPins(host string) []domain.Pin {
	return HostTarget{Host: host, Refs: domain.NewRefSet(p.refs[host])}.PinsFrom(p.pins)
}

// targets returns hosts with their pin references.
func (p *rolloutPlan) targets(hosts []string) []HostTarget {
	out := make([]HostTarget, len(hosts))
	for i, h := range hosts {
		out[i] = HostTarget{Host: h, Refs: domain.NewRefSet(p.refs[h])}
	}
	return out
}

// withPins keeps the hosts that have something to patch, in order.
func (p *rolloutPlan) withPins(hosts []string) []string {
	var out []string
	for _, h := range hosts {
		if len(p.refs[h]) > 0 {
			out = append(out, h)
		}
	}
	return out
}

// plan builds the pinned plan from a scan held in the cycle (cycles
// recorded before v2), gives each host its pins and records hosts with
// nothing to patch.
func (c *cycleRun) plan(ctx workflow.Context, scan fleetScan) {
	c.setPlan(ctx, domain.BuildPlan(&scan.table, c.spec.Patches, workflow.Now(ctx)))
	idx := c.rollout.plan.Index()
	for _, h := range scan.table.Hosts {
		if refs := idx.HostRefs(&scan.table, h); len(refs) > 0 {
			c.rollout.refs[h.Host] = refs
		} else {
			c.hosts.skipUnplanned(h.Host)
		}
	}
}

// setPlan takes the plan: its pins, the status, the planned-updates
// metric.
func (c *cycleRun) setPlan(ctx workflow.Context, plan domain.Plan) {
	p := &c.rollout
	p.plan = plan
	p.refs = map[string][]int{}
	p.fingerprints = map[string]PlannedHost{}
	p.pins = make([]domain.Pin, len(plan.Entries))
	for i, e := range plan.Entries {
		p.pins[i] = e.Pin()
		metricsFor(ctx, c.spec.Policy, metricTagSeverity, string(e.Severity.OrUnknown())).Counter(MetricPlannedUpdates).Inc(1)
	}
	c.st.Plan = plan
	c.st.PlannedAt = workflow.Now(ctx)
}

// size splits the hosts with something to patch into staging and the
// production waves, in order, and sets the failure budget. It runs after
// the pre-download, which may drop hosts.
func (c *cycleRun) size(targets targetHosts) error {
	p := &c.rollout
	var unscanned []string
	for _, f := range p.scanFailed {
		for _, s := range targets.staging {
			if s == f.Host {
				unscanned = append(unscanned, fmt.Sprintf("staging host %s could not be scanned (%s)", f.Host, f.Problem))
			}
		}
	}
	p.stagingUnscanned = strings.Join(unscanned, "; ")
	p.staging = c.riskiestFirst(p.withPins(targets.staging))
	production := c.riskiestFirst(p.withPins(targets.production))
	if c.apply != nil {
		// A reviewed plan keeps its own waves (less any host the
		// pre-download dropped).
		p.waves = p.waves[:0]
		for _, s := range c.apply.Plan.Stages {
			if w := p.withPins(hostsOf(s)); s.Name != domain.StagingStage && len(w) > 0 {
				p.waves = append(p.waves, w)
			}
		}
	} else {
		planned, err := domain.PlanWaves(c.spec.Waves, len(production))
		if err != nil {
			return fmt.Errorf("plan waves: %w", err)
		}
		p.waves = domain.AssignWaves(production, planned)
	}
	c.st.Waves = len(p.waves)
	c.st.Budget = c.compat.tolerated(c.spec.Budget, len(production))
	if c.compat.v2 {
		// Production hosts that could not be scanned are failed hosts of
		// the rollout: they count against its budget from the start.
		c.st.BudgetUsed = c.hosts.failures(targets.production)
	}
	c.refreshStages()
	return nil
}

func hostsOf(s domain.PlanStage) []string {
	out := make([]string, len(s.Hosts))
	for i, h := range s.Hosts {
		out[i] = h.Host
	}
	return out
}

// refreshStages recomputes the per-stage progress of the status.
func (c *cycleRun) refreshStages() {
	list := len(c.rollout.staging)+len(c.rollout.refs) <= maxListedHosts
	stage := func(name string, hosts []string) StageStatus {
		s := StageStatus{Stage: name, Counts: c.hosts.counts(hosts)}
		if list {
			s.Hosts = hosts
		}
		return s
	}
	c.st.Stages = c.st.Stages[:0]
	if len(c.rollout.staging) > 0 {
		c.st.Stages = append(c.st.Stages, stage(waveLabel(0), c.rollout.staging))
	}
	for i, hosts := range c.rollout.waves {
		c.st.Stages = append(c.st.Stages, stage(waveLabel(i+1), hosts))
	}
}
