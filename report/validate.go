package report

import "fmt"

// Report is one of the three report types; every renderer calls Validate
// first and refuses a report that fails it.
type Report interface {
	Validate() error
}

var (
	_ Report = (*ComplianceReport)(nil)
	_ Report = (*CVEAudit)(nil)
	_ Report = (*CycleEvidence)(nil)
)

// header checks what every report carries.
func header(p *problems, kind, gotKind string, version int, zone string) {
	if gotKind != kind {
		p.add("kind %q: want %q", excerpt(gotKind), kind)
	}
	if version != SchemaVersion {
		p.add("schema_version %d: this patchflow reads version %d", version, SchemaVersion)
	}
	if _, err := loadZone(zone); err != nil {
		p.add("%v", err)
	}
}

// Validate checks that a compliance report is whole: its kind and version,
// every enum value, and the ranking order. BuildCompliance's reports pass;
// a hand-made or decoded one may not.
func (r *ComplianceReport) Validate() error {
	if r == nil {
		return fmt.Errorf("compliance report is nil")
	}
	var p problems
	header(&p, KindCompliance, r.Kind, r.SchemaVersion, r.TimeZone)
	for i, h := range r.Hosts {
		if h.Rank != i+1 {
			p.add("host %q has rank %d at position %d: build the report with BuildCompliance", excerpt(h.Host), h.Rank, i+1)
		}
		if !h.State.Valid() {
			p.add("host %q: invalid state %q", excerpt(h.Host), excerpt(string(h.State)))
		}
		if h.Summary.WorstSeverity != "" && !h.Summary.WorstSeverity.Valid() {
			p.add("host %q: invalid worst severity", excerpt(h.Host))
		}
		for _, f := range h.Missing {
			if !f.Severity.Valid() || !f.SLAState.Valid() || (f.SLASource != "" && !f.SLASource.Valid()) {
				p.add("host %q, fix %q: invalid severity, sla state or sla source", excerpt(h.Host), excerpt(f.Package))
			}
		}
	}
	for _, s := range r.Totals.ByState {
		if !s.State.Valid() {
			p.add("totals: invalid state %q", excerpt(string(s.State)))
		}
	}
	for _, s := range r.Totals.BySeverity {
		if !s.Severity.Valid() {
			p.add("totals: invalid severity %q", excerpt(string(s.Severity)))
		}
	}
	return p.err("invalid compliance report")
}

// Validate checks a CVE audit's kind, version and every state.
func (a *CVEAudit) Validate() error {
	if a == nil {
		return fmt.Errorf("cve audit is nil")
	}
	var p problems
	header(&p, KindCVEAudit, a.Kind, a.SchemaVersion, a.TimeZone)
	for _, e := range a.CVEs {
		if !e.Severity.Valid() {
			p.add("%q: invalid severity %q", excerpt(e.CVE), excerpt(string(e.Severity)))
		}
		for _, h := range e.Hosts {
			if !h.State.Valid() {
				p.add("%q, host %q: invalid state %q", excerpt(e.CVE), excerpt(h.Host), excerpt(string(h.State)))
			}
		}
		for _, t := range e.Totals {
			if !t.State.Valid() {
				p.add("%q: totals: invalid state %q", excerpt(e.CVE), excerpt(string(t.State)))
			}
		}
	}
	return p.err("invalid cve audit")
}

// Validate checks an evidence pack's kind, version and every enum value.
func (e *CycleEvidence) Validate() error {
	if e == nil {
		return fmt.Errorf("cycle evidence is nil")
	}
	var p problems
	header(&p, KindCycleEvidence, e.Kind, e.SchemaVersion, e.TimeZone)
	if !e.State.Valid() {
		p.add("invalid cycle state %q", excerpt(string(e.State)))
	}
	if !e.Approval.Mode.Valid() {
		p.add("invalid approval mode %q", excerpt(string(e.Approval.Mode)))
	}
	for _, pe := range e.Plan.Entries {
		if !pe.Severity.Valid() {
			p.add("plan entry %q: invalid severity", excerpt(pe.Package))
		}
	}
	for _, w := range e.Waves {
		for _, h := range w.Hosts {
			if !h.Result.Valid() {
				p.add("wave %d, host %q: invalid result %q", w.Index, excerpt(h.Host), excerpt(string(h.Result)))
			}
		}
	}
	for _, r := range e.Rollbacks {
		if !r.Result.Valid() {
			p.add("rollback of %q: invalid result", excerpt(r.Host))
		}
	}
	for _, f := range append(append([]HostFindings(nil), e.Before...), e.After...) {
		for _, x := range f.Findings {
			if !x.Severity.Valid() {
				p.add("host %q, finding %q: invalid severity", excerpt(f.Host), excerpt(x.Package))
			}
		}
	}
	for _, ev := range e.Timeline {
		if !ev.What.Valid() {
			p.add("timeline: invalid event %q", excerpt(string(ev.What)))
		}
	}
	for _, r := range e.Remediation {
		if !r.State.Valid() {
			p.add("remediation of %q: invalid state %q", excerpt(r.Host), excerpt(string(r.State)))
		}
	}
	for _, h := range e.Hosts {
		if !h.Result.Valid() {
			p.add("host %q: invalid result %q", excerpt(h.Host), excerpt(string(h.Result)))
		}
	}
	return p.err("invalid cycle evidence")
}
