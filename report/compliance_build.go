package report

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/patchflow/patchflow/domain"
)

// DefaultStaleAfter is how old a host's last complete assessment may be
// before the host is stale_assessment, when the input sets no other. Set
// ComplianceInput.StaleAfter to about twice the assessment interval.
const DefaultStaleAfter = 48 * time.Hour

// ComplianceInput is everything BuildCompliance needs, filled by the
// caller from the assessments it kept.
type ComplianceInput struct {
	// GeneratedAt is the report's "now": ages, SLA states, staleness and
	// exception expiry are all computed at this instant.
	GeneratedAt time.Time
	// TimeZone is an IANA zone shown beside UTC in text renderings; "" is UTC.
	TimeZone  string
	Generator string
	// Policies in scope; the policies of Hosts are added.
	Policies  []string
	Selectors []string
	// SLAs by policy name; a policy without one has no SLA.
	SLAs map[string]SLA
	// StaleAfter: 0 takes DefaultStaleAfter.
	StaleAfter time.Duration
	// SourceMaxAge: 0 takes DefaultSourceMaxAge.
	SourceMaxAge time.Duration
	Sources      []SourceInput
	Hosts        []HostInput
	Exceptions   []Exception
	// Trend is one point per retained assessment, in any order
	// (ComplianceReport.Point makes one from a report); Hosts and
	// CompliantRatio are recomputed.
	Trend []TrendPoint
}

// HostInput is one host under one policy as its assessments left it.
type HostInput struct {
	Host   string
	Policy string
	// LastAssessed is the end of the last complete assessment; zero when
	// none completed.
	LastAssessed time.Time
	// Failure is the latest failed attempt, if any; it makes the host
	// assessment_failed when it is newer than LastAssessed.
	Failure       *AssessmentFailure
	RebootPending bool
	// Missing are the required fixes the last complete assessment found
	// missing (empty when it found none).
	Missing []Finding
}

// Exception is a risk accepted for some CVEs on some hosts until a time.
type Exception struct {
	ID   string
	CVEs []string
	// Hosts are host names, already resolved from the exception's selector.
	Hosts     []string
	Until     time.Time
	Reason    string
	By        string
	CreatedAt time.Time
}

// BuildCompliance derives a compliance report from its input by the rules
// of docs/reports.md: each fix's age, deadline and SLA state, the
// exceptions that cover it, each host's state and summary, the ranking,
// the totals and each source's freshness. It returns every problem of the
// input at once (at most 20), and a report only when there is none.
func BuildCompliance(in ComplianceInput) (*ComplianceReport, error) {
	var p problems
	h := headOf(&p, in.GeneratedAt, "set the time the report describes", in.TimeZone, in.Generator, in.Sources, in.SourceMaxAge)
	now := h.now
	staleAfter := in.StaleAfter
	if staleAfter <= 0 {
		staleAfter = DefaultStaleAfter
	}
	r := &ComplianceReport{
		Kind:          KindCompliance,
		SchemaVersion: SchemaVersion,
		GeneratedAt:   now,
		TimeZone:      h.zone,
		Generator:     h.generator,
		Sources:       h.sources,
		Rules: ComplianceRules{
			StaleAfterSeconds:   seconds(staleAfter),
			SourceMaxAgeSeconds: seconds(h.srcMax),
			DueSoonFraction:     DueSoonFraction,
		},
	}
	policies := sortedUnique(in.Policies)
	for _, h := range in.Hosts {
		policies = append(policies, h.Policy)
	}
	policies = sortedUnique(policies)
	for _, pol := range policies {
		sla := in.SLAs[pol]
		if err := validateSLA(sla); err != nil {
			p.add("policy %q: %v", excerpt(pol), err)
		}
		r.Rules.SLAs = append(r.Rules.SLAs, appliedSLA(sla, pol))
	}
	r.Scope = Scope{Policies: nonNil(policies), Selectors: sortedUnique(in.Selectors), Hosts: len(in.Hosts)}

	exc := newExceptionIndex(in.Exceptions, now, &p)
	seen := map[string]bool{}
	r.Hosts = make([]HostRow, 0, len(in.Hosts))
	for _, h := range in.Hosts {
		key := h.Host + "\x00" + h.Policy
		if seen[key] {
			p.add("host %q under policy %q listed twice: give each host once per policy", excerpt(h.Host), excerpt(h.Policy))
			continue
		}
		seen[key] = true
		row, ok := buildHostRow(h, in.SLAs[h.Policy], staleAfter, now, exc, &p)
		if ok {
			r.Hosts = append(r.Hosts, row)
		}
	}
	r.Trend = buildTrend(in.Trend, &p)
	if err := p.err("build compliance report"); err != nil {
		return nil, err
	}
	rankHosts(r.Hosts)
	r.Exceptions = exc.rows()
	r.Totals = totalsOf(r.Hosts, r.Sources)
	return r, nil
}

// buildHostRow validates one host and derives its fixes, summary and
// state; ok is false when the host had problems (recorded in p).
func buildHostRow(h HostInput, sla SLA, staleAfter time.Duration, now time.Time, exc *exceptionIndex, p *problems) (HostRow, bool) {
	n := len(p.errs) + p.more
	name := excerpt(h.Host)
	if h.Host == "" {
		p.add("a host under policy %q has an empty name", excerpt(h.Policy))
	}
	if h.Policy == "" {
		p.add("host %q has an empty policy name: name the policy it is assessed under", name)
	}
	if h.Failure != nil && (h.Failure.At.IsZero() || h.Failure.Error == "") {
		p.add("host %q: a failure needs its time and error message", name)
	}
	if h.LastAssessed.IsZero() && len(h.Missing) > 0 {
		p.add("host %q: %d missing fixes but no complete assessment: set last_assessed to the assessment they come from", name, len(h.Missing))
	}
	row := HostRow{
		Host:          h.Host,
		Policy:        h.Policy,
		LastAssessed:  utc(h.LastAssessed),
		RebootPending: h.RebootPending,
		Missing:       make([]MissingFix, 0, len(h.Missing)),
	}
	if h.Failure != nil && (h.LastAssessed.IsZero() || h.Failure.At.After(h.LastAssessed)) {
		row.Failure = &AssessmentFailure{At: utc(h.Failure.At), Error: h.Failure.Error}
	}
	fixSeen := map[string]bool{}
	for i, f := range h.Missing {
		if err := checkFinding(&f); err != nil {
			p.add("host %q, fix %d (%q): %v", name, i+1, excerpt(f.Package), err)
			continue
		}
		k := f.Package + "\x00" + f.Arch + "\x00" + f.FixedVersion
		if fixSeen[k] {
			p.add("host %q: fix %q %q listed twice", name, excerpt(f.Package), excerpt(f.FixedVersion))
			continue
		}
		fixSeen[k] = true
		d, err := deadlineOf(f, sla)
		if err != nil {
			p.add("host %q, fix %q: %v", name, excerpt(f.Package), err)
			continue
		}
		m := MissingFix{
			Finding:    f,
			AgeSeconds: seconds(max(now.Sub(f.FirstSeen), 0)),
			DueAt:      utc(d.due),
			SLASource:  d.source,
			SLAState:   slaState(d, f.FirstSeen, now),
			Exception:  exc.cover(h.Host, f.CVEs),
		}
		if !d.due.IsZero() {
			m.SLASeconds = seconds(max(d.due.Sub(f.FirstSeen), 0))
		}
		row.Missing = append(row.Missing, m)
	}
	if len(p.errs)+p.more > n {
		return row, false
	}
	sortFixes(row.Missing)
	row.Summary = summarize(row.Missing, now)
	row.State = hostState(row, staleAfter, now)
	return row, true
}

// checkFinding validates a finding and normalises it in place (UTC
// times, sorted unique ids).
func checkFinding(f *Finding) error {
	switch {
	case f.Package == "":
		return fmt.Errorf("empty package name")
	case f.FixedVersion == "":
		return fmt.Errorf("empty fixed_version: give the candidate or the advisory's fixed version")
	case !f.Severity.Valid():
		return fmt.Errorf("severity %q: want one of %v (unknown when no source says)", excerpt(string(f.Severity)), domain.Severities)
	case f.FirstSeen.IsZero():
		return fmt.Errorf("first_seen is zero: the SLA clock needs it")
	case f.EPSS != nil && (*f.EPSS < 0 || *f.EPSS > 1):
		return fmt.Errorf("epss %v is outside 0..1", *f.EPSS)
	case f.Risk < 0 || f.Risk > 100:
		return fmt.Errorf("risk %d is outside 0..100", f.Risk)
	case f.KEVDueDate != "" && !f.KEV:
		return fmt.Errorf("kev_due_date without kev: set kev for a KEV-listed CVE")
	}
	if f.KEVDueDate != "" {
		if _, err := time.Parse(dateLayout, f.KEVDueDate); err != nil {
			return fmt.Errorf("kev_due_date %q: want YYYY-MM-DD as in the KEV catalogue", excerpt(f.KEVDueDate))
		}
	}
	f.FirstSeen = utc(f.FirstSeen)
	f.CVEs = nonNil(sortedUnique(f.CVEs))
	f.Advisories = sortedUnique(f.Advisories)
	if f.EPSS != nil {
		v := *f.EPSS // a copy, so the caller's value is never shared
		f.EPSS = &v
	}
	return nil
}

// hostState applies the state rules in their order of precedence.
func hostState(row HostRow, staleAfter time.Duration, now time.Time) HostState {
	switch {
	case row.Failure != nil:
		return StateAssessmentFailed
	case row.LastAssessed.IsZero():
		return StateNeverAssessed
	case now.Sub(row.LastAssessed) > staleAfter:
		return StateStaleAssessment
	case row.Summary.Missing > 0:
		return StateNoncompliant
	case row.Summary.Excepted > 0:
		return StateException
	}
	return StateCompliant
}

// summarize condenses a host's fixes; excepted ones count only as such.
func summarize(fixes []MissingFix, now time.Time) HostSummary {
	var s HostSummary
	for _, f := range fixes {
		if f.Exception != nil {
			s.Excepted++
			continue
		}
		s.Missing++
		switch f.SLAState {
		case SLABreached:
			s.Breached++
		case SLADueSoon:
			s.DueSoon++
		}
		if f.KEV {
			s.KEV++
		}
		if s.WorstSeverity == "" || f.Severity.Rank() > s.WorstSeverity.Rank() {
			s.WorstSeverity = f.Severity
		}
		if !f.DueAt.IsZero() && (s.NextDue.IsZero() || f.DueAt.Before(s.NextDue)) {
			s.NextDue = f.DueAt
		}
		if s.OldestFirstSeen.IsZero() || f.FirstSeen.Before(s.OldestFirstSeen) {
			s.OldestFirstSeen = f.FirstSeen
		}
	}
	if !s.NextDue.IsZero() && now.After(s.NextDue) {
		s.OverdueSeconds = seconds(now.Sub(s.NextDue))
	}
	return s
}

// sortedUnique returns the sorted distinct non-empty strings of s (a new
// slice; nil when there are none).
func sortedUnique(s []string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// lessStrings compares two equally long lists of keys in order.
func lessStrings(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}
