package workflows

import (
	"fmt"
	"maps"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/notify"
)

// Compliance states of patchflow_compliance_hosts.
const (
	ComplianceCompliant    = "compliant"
	ComplianceNoncompliant = "noncompliant"
	metricTagState         = "state"
)

// complianceBook is what the report needs to tell, after the cycle, which
// hosts still have planned updates pending and for how long: the targets,
// which of them could not be scanned, and the pins the plan gave the
// others, with the plan entries' severity and since.
type complianceBook struct {
	targets   []string
	unscanned map[string]bool
	// planned is each host's pins as the scan found them, kept apart from
	// rollout.refs, which drops hosts the pre-download skipped.
	planned map[string][]int
}

// note remembers the targets, the hosts the scan could not reach and the
// pins the plan gave the others.
func (b *complianceBook) note(targets []string, failed []HostProblem, refs map[string][]int) {
	b.targets = targets
	b.unscanned = make(map[string]bool, len(failed))
	for _, f := range failed {
		b.unscanned[f.Host] = true
	}
	b.planned = maps.Clone(refs)
}

// plannedUpdate is one planned package pending on one host.
type plannedUpdate struct {
	severity domain.Severity // the plan entry's, unknown when not a known level
	since    time.Time       // zero when unknown
}

// updates returns the planned updates pending on a scanned host at its
// scan: its pins, each due since the plan entry became due (the earliest
// publication or first sighting on any host).
func (c *cycleRun) plannedUpdates(host string) []plannedUpdate {
	refs := c.comp.planned[host]
	ups := make([]plannedUpdate, 0, len(refs))
	for _, r := range refs {
		if r >= 0 && r < len(c.rollout.plan.Entries) {
			e := c.rollout.plan.Entries[r]
			ups = append(ups, plannedUpdate{severity: e.Severity.OrUnknown(), since: e.Since})
		}
	}
	return ups
}

// severityMetrics are one severity's time-to-patch and SLA-breach
// instruments, looked up once per cycle rather than once per update.
type severityMetrics struct {
	ttp      client.MetricsTimer
	breaches client.MetricsCounter
}

// complianceSlice is how many hosts one coroutine of reportCompliance
// reads: a large fleet's metrics take longer than the SDK lets one
// workflow goroutine run without yielding (one second).
const complianceSlice = 1000

// inSlices calls fn for every item, in order, in coroutines of at most
// size items each, and returns once all have run. The work is the same as
// one loop's and issues no command; each coroutine yields when it ends,
// so no workflow goroutine runs for long.
func inSlices[T any](ctx workflow.Context, items []T, size int, fn func(T)) {
	parts := chunk(items, size)
	done := 0
	for _, part := range parts {
		workflow.Go(ctx, func(workflow.Context) {
			for _, it := range part {
				fn(it)
			}
			done++
		})
	}
	_ = workflow.Await(detached(ctx), func() bool { return done == len(parts) })
}

// complianceReport is what reportCompliance found at the end of a cycle.
type complianceReport struct {
	Compliant    int `json:"compliant"`
	Noncompliant int `json:"noncompliant"`
	// Breaches counts SLA breaches: patched late, or still pending past
	// the SLA.
	Breaches int `json:"breaches"`
}

// reportCompliance records, at the end of a cycle, the time-to-patch of
// every planned update on a host that ended patched, SLA breaches (patched
// late, or still pending past the SLA), the compliance gauges and, for a
// cycle that completed with nothing planned left pending, the last-success
// time. A host is compliant when no update the policy selected is pending
// on it after the cycle: nothing planned was pending, or it ended patched
// (and passed the final verify). A host whose scan failed is noncompliant:
// nothing shows it is patched. Cycles that did not resolve their targets
// record nothing.
func (c *cycleRun) reportCompliance(ctx workflow.Context, state domain.CycleState) complianceReport {
	b := &c.comp
	var r complianceReport
	if len(b.targets) == 0 {
		return r
	}
	now := workflow.Now(ctx)
	policy := c.spec.Policy
	breaches := map[domain.Severity]*notify.SLAInfo{}
	breach := func(h string, sev domain.Severity) {
		r.Breaches++
		b := breaches[sev]
		if b == nil {
			b = &notify.SLAInfo{Severity: string(sev), SLA: c.spec.SLA.For(sev)}
			breaches[sev] = b
		}
		b.Updates++
		if n := len(b.Hosts); (n == 0 || b.Hosts[n-1] != h) && n < notify.MaxListedHosts {
			b.Hosts = append(b.Hosts, h)
		}
	}
	bySeverity := map[domain.Severity]*severityMetrics{}
	metricsOf := func(sev domain.Severity) *severityMetrics {
		m := bySeverity[sev]
		if m == nil {
			h := metricsFor(ctx, policy, metricTagSeverity, string(sev))
			m = &severityMetrics{ttp: h.Timer(MetricTimeToPatch), breaches: h.Counter(MetricSLABreaches)}
			bySeverity[sev] = m
		}
		return m
	}
	inSlices(ctx, b.targets, complianceSlice, func(h string) {
		ups := c.plannedUpdates(h)
		final, done := c.hosts.final(h)
		switch {
		case b.unscanned[h]:
			r.Noncompliant++
		case len(ups) == 0:
			r.Compliant++
		case done && final.State == domain.HostPatched:
			r.Compliant++
			at := c.hosts.finishedAt(h)
			if at.IsZero() {
				at = now // a history recorded before HostResult.Finished
			}
			for _, u := range ups {
				if u.since.IsZero() {
					continue
				}
				ttp := max(at.Sub(u.since), 0)
				m := metricsOf(u.severity)
				m.ttp.Record(ttp)
				if sla := c.spec.SLA.For(u.severity); sla > 0 && ttp > sla {
					m.breaches.Inc(1)
					breach(h, u.severity)
				}
			}
		default:
			r.Noncompliant++
			for _, u := range ups {
				if sla := c.spec.SLA.For(u.severity); sla > 0 && !u.since.IsZero() && now.Sub(u.since) > sla {
					metricsOf(u.severity).breaches.Inc(1)
					breach(h, u.severity)
				}
			}
		}
	})
	metricsFor(ctx, policy, metricTagState, ComplianceCompliant).Gauge(MetricComplianceHosts).Update(float64(r.Compliant))
	metricsFor(ctx, policy, metricTagState, ComplianceNoncompliant).Gauge(MetricComplianceHosts).Update(float64(r.Noncompliant))
	m := metricsFor(ctx, policy)
	m.Gauge(MetricComplianceRatio).Update(float64(r.Compliant) / float64(r.Compliant+r.Noncompliant))
	m.Gauge(MetricComplianceTimestamp).Update(float64(now.Unix()))
	if state == domain.CycleCompleted && r.Noncompliant == 0 {
		m.Gauge(MetricLastSuccess).Update(float64(now.Unix()))
	}
	for _, sev := range domain.Severities {
		if info := breaches[sev]; info != nil {
			c.notes.emit(ctx, notify.Event{Type: notify.SLABreached, SLA: info,
				Reason: fmt.Sprintf("%d %s updates past the %s SLA", info.Updates, sev, durationText(info.SLA))})
		}
	}
	return r
}
