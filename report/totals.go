package report

import (
	"sort"
	"time"

	"github.com/patchflow/patchflow/domain"
)

// totalsOf sums the ranked rows.
func totalsOf(rows []HostRow, sources []SourceFreshness) Totals {
	t := Totals{Hosts: len(rows), StaleSources: staleSources(sources)}
	byState := map[HostState]int{}
	type sevAcc struct{ missing, hosts, breached, kev int }
	bySev := map[Severity]*sevAcc{}
	for _, s := range domain.Severities {
		bySev[s] = &sevAcc{}
	}
	for _, r := range rows {
		byState[r.State]++
		t.Missing += r.Summary.Missing
		t.Excepted += r.Summary.Excepted
		t.Breached += r.Summary.Breached
		t.DueSoon += r.Summary.DueSoon
		t.KEV += r.Summary.KEV
		hostHas := map[Severity]bool{}
		for _, f := range r.Missing {
			if f.Exception != nil {
				continue
			}
			a := bySev[f.Severity]
			a.missing++
			if f.SLAState == SLABreached {
				a.breached++
			}
			if f.KEV {
				a.kev++
			}
			hostHas[f.Severity] = true
		}
		// domain.Severities in their fixed order, never a map's: this runs in
		// workflow code (assessments), which must be deterministic.
		for _, s := range domain.Severities {
			if hostHas[s] {
				bySev[s].hosts++
			}
		}
	}
	for _, s := range HostStates {
		t.ByState = append(t.ByState, StateCount{State: s, Hosts: byState[s]})
	}
	for _, s := range domain.Severities {
		a := bySev[s]
		t.BySeverity = append(t.BySeverity, SeverityTotal{Severity: s, Missing: a.missing, Hosts: a.hosts, Breached: a.breached, KEV: a.kev})
	}
	t.CompliantRatio = ratio(byState[StateCompliant], len(rows))
	return t
}

// buildTrend validates the trend points, recomputes their sums and sorts
// them oldest first.
func buildTrend(in []TrendPoint, p *problems) []TrendPoint {
	out := make([]TrendPoint, 0, len(in))
	seen := map[time.Time]bool{}
	for i, t := range in {
		t.At = utc(t.At)
		switch {
		case t.At.IsZero():
			p.add("trend point %d: zero time", i+1)
			continue
		case seen[t.At]:
			p.add("trend point at %s given twice", t.At.Format(time.RFC3339))
			continue
		case min(t.Compliant, t.Noncompliant, t.NeverAssessed, t.AssessmentFailed, t.StaleAssessment, t.Exception,
			t.Missing.Critical, t.Missing.High, t.Missing.Medium, t.Missing.Low, t.Missing.Unknown) < 0:
			p.add("trend point at %s: negative count", t.At.Format(time.RFC3339))
			continue
		}
		seen[t.At] = true
		t.Hosts = t.Compliant + t.Noncompliant + t.NeverAssessed + t.AssessmentFailed + t.StaleAssessment + t.Exception
		t.CompliantRatio = ratio(t.Compliant, t.Hosts)
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// Point summarises the report as one trend point at its generated_at: what
// a caller keeps per assessment to draw the trend later.
func (r *ComplianceReport) Point() TrendPoint {
	t := TrendPoint{At: r.GeneratedAt}
	for _, h := range r.Hosts {
		switch h.State {
		case StateCompliant:
			t.Compliant++
		case StateNoncompliant:
			t.Noncompliant++
		case StateNeverAssessed:
			t.NeverAssessed++
		case StateAssessmentFailed:
			t.AssessmentFailed++
		case StateStaleAssessment:
			t.StaleAssessment++
		case StateException:
			t.Exception++
		}
	}
	for _, s := range r.Totals.BySeverity {
		t.Missing.Add(s.Severity, s.Missing)
	}
	t.Hosts = len(r.Hosts)
	t.CompliantRatio = ratio(t.Compliant, t.Hosts)
	return t
}
