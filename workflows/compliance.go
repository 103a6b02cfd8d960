package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// SLASpec is the time to remediate an update, per severity; 0 means no
// SLA for that severity.
type SLASpec struct {
	Critical time.Duration `json:"critical,omitempty"`
	High     time.Duration `json:"high,omitempty"`
	Medium   time.Duration `json:"medium,omitempty"`
	Low      time.Duration `json:"low,omitempty"`
	Unknown  time.Duration `json:"unknown,omitempty"`
}

// For returns the SLA of a severity (critical, high, medium, low; anything
// else is unknown).
func (s SLASpec) For(severity string) time.Duration {
	switch severity {
	case "critical":
		return s.Critical
	case "high":
		return s.High
	case "medium":
		return s.Medium
	case "low":
		return s.Low
	}
	return s.Unknown
}

// Compliance states of patchflow_compliance_hosts.
const (
	ComplianceCompliant    = "compliant"
	ComplianceNoncompliant = "noncompliant"
	metricTagState         = "state"
)

// plannedUpdate is one planned package pending on one host, remembered
// from the scan for the report's time-to-patch and SLA metrics.
type plannedUpdate struct {
	severity string    // the plan entry's, "unknown" when not a known level
	since    time.Time // earliest of Published and FirstSeen; zero when neither is known
}

// complianceBook is what the report needs to tell, after the cycle, which
// hosts still have planned updates pending and for how long.
type complianceBook struct {
	targets []string                   // every resolved target, staging first
	scanned map[string]bool            // hosts whose scan worked
	planned map[string][]plannedUpdate // host -> its planned updates
}

// note records the targets and, per scanned host, the planned updates it
// has pending with the time patchflow (or the advisory) first knew of them.
func (b *complianceBook) note(targets []string, scans []ScanResult, plan Plan) {
	b.targets = targets
	b.scanned = make(map[string]bool, len(scans))
	b.planned = map[string][]plannedUpdate{}
	entries := map[string]PlanEntry{}
	for _, e := range plan.Entries {
		entries[e.Manager+"\x00"+e.Name] = e
	}
	for _, s := range scans {
		b.scanned[s.Host] = true
		var ups []plannedUpdate
		seen := map[string]int{} // package -> index in ups: one record per package
		for _, u := range s.Updates {
			e, ok := entries[s.Manager+"\x00"+u.Name]
			if !ok {
				continue
			}
			t := earliest(u.Published, u.FirstSeen)
			if i, dup := seen[u.Name]; dup {
				// dnf lists one update per advisory version: the package
				// is overdue since the oldest of them.
				ups[i].since = earliest(ups[i].since, t)
				continue
			}
			sev := e.Severity
			if severityRank[sev] == 0 {
				sev = metricSeverityFallback
			}
			seen[u.Name] = len(ups)
			ups = append(ups, plannedUpdate{severity: sev, since: t})
		}
		if len(ups) > 0 {
			b.planned[s.Host] = ups
		}
	}
}

// earliest returns the earlier of two times, ignoring zero ones.
func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
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
func (c *cycleRun) reportCompliance(ctx workflow.Context, state string) complianceReport {
	b := &c.comp
	var r complianceReport
	if len(b.targets) == 0 {
		return r
	}
	final := make(map[string]HostOutcome, len(c.outcomes))
	for _, o := range c.outcomes {
		final[o.Host] = o // the last outcome of a host is its final one
	}
	now := workflow.Now(ctx)
	policy := c.spec.Policy
	for _, h := range b.targets {
		ups := b.planned[h]
		o, done := final[h]
		switch {
		case !b.scanned[h]:
			r.Noncompliant++
		case len(ups) == 0:
			r.Compliant++
		case done && o.State == HostPatched:
			r.Compliant++
			at := o.Finished
			if at.IsZero() {
				at = now // a history recorded before HostOutcome.Finished
			}
			for _, u := range ups {
				if u.since.IsZero() {
					continue
				}
				ttp := max(at.Sub(u.since), 0)
				m := metricsFor(ctx, policy, metricTagSeverity, u.severity)
				m.Timer(MetricTimeToPatch).Record(ttp)
				if sla := c.spec.SLA.For(u.severity); sla > 0 && ttp > sla {
					m.Counter(MetricSLABreaches).Inc(1)
					r.Breaches++
				}
			}
		default:
			r.Noncompliant++
			for _, u := range ups {
				if sla := c.spec.SLA.For(u.severity); sla > 0 && !u.since.IsZero() && now.Sub(u.since) > sla {
					metricsFor(ctx, policy, metricTagSeverity, u.severity).Counter(MetricSLABreaches).Inc(1)
					r.Breaches++
				}
			}
		}
	}
	metricsFor(ctx, policy, metricTagState, ComplianceCompliant).Gauge(MetricComplianceHosts).Update(float64(r.Compliant))
	metricsFor(ctx, policy, metricTagState, ComplianceNoncompliant).Gauge(MetricComplianceHosts).Update(float64(r.Noncompliant))
	m := metricsFor(ctx, policy)
	m.Gauge(MetricComplianceRatio).Update(float64(r.Compliant) / float64(r.Compliant+r.Noncompliant))
	m.Gauge(MetricComplianceTimestamp).Update(float64(now.Unix()))
	if state == CycleCompleted && r.Noncompliant == 0 {
		m.Gauge(MetricLastSuccess).Update(float64(now.Unix()))
	}
	return r
}
