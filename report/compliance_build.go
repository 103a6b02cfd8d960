package report

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
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
	if in.GeneratedAt.IsZero() {
		p.add("generated_at is zero: set the time the report describes")
	}
	if _, err := loadZone(in.TimeZone); err != nil {
		p.add("%v", err)
	}
	now := utc(in.GeneratedAt)
	staleAfter := in.StaleAfter
	if staleAfter <= 0 {
		staleAfter = DefaultStaleAfter
	}
	srcMax := in.SourceMaxAge
	if srcMax <= 0 {
		srcMax = DefaultSourceMaxAge
	}
	sources, err := buildSources(in.Sources, srcMax, now)
	if err != nil {
		p.add("%v", err)
	}
	r := &ComplianceReport{
		Kind:          KindCompliance,
		SchemaVersion: SchemaVersion,
		GeneratedAt:   now,
		TimeZone:      zoneName(in.TimeZone),
		Generator:     defaultString(in.Generator, "patchflow"),
		Sources:       sources,
		Rules: ComplianceRules{
			StaleAfterSeconds:   seconds(staleAfter),
			SourceMaxAgeSeconds: seconds(srcMax),
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
		if err := sla.validate(); err != nil {
			p.add("policy %q: %v", excerpt(pol), err)
		}
		r.Rules.SLAs = append(r.Rules.SLAs, sla.applied(pol))
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
		return fmt.Errorf("severity %q: want one of %v (unknown when no source says)", excerpt(string(f.Severity)), Severities)
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

// sortFixes orders a host's fixes: not excepted first, then the soonest
// deadline (none last), the higher severity, the higher risk, then by name.
func sortFixes(f []MissingFix) {
	sort.Slice(f, func(i, j int) bool {
		a, b := f[i], f[j]
		if (a.Exception == nil) != (b.Exception == nil) {
			return a.Exception == nil
		}
		if c := compareDue(a.DueAt, b.DueAt); c != 0 {
			return c < 0
		}
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		if a.Risk != b.Risk {
			return a.Risk > b.Risk
		}
		return lessStrings(
			[]string{a.Package, a.Arch, a.FixedVersion, a.Installed},
			[]string{b.Package, b.Arch, b.FixedVersion, b.Installed})
	})
}

// rankHosts sorts the rows by the ranking rule and numbers them: the
// earliest next deadline first (the most overdue, since a missed one is
// the earliest), hosts without any deadline after; then more breached
// fixes, a higher worst severity, more missing fixes, the state order, the
// host name and the policy name.
func rankHosts(rows []HostRow) {
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i].Summary, rows[j].Summary
		if c := compareDue(a.NextDue, b.NextDue); c != 0 {
			return c < 0
		}
		if a.Breached != b.Breached {
			return a.Breached > b.Breached
		}
		if ra, rb := worstRank(a), worstRank(b); ra != rb {
			return ra > rb
		}
		if a.Missing != b.Missing {
			return a.Missing > b.Missing
		}
		if sa, sb := stateOrder(rows[i].State), stateOrder(rows[j].State); sa != sb {
			return sa < sb
		}
		return lessStrings([]string{rows[i].Host, rows[i].Policy}, []string{rows[j].Host, rows[j].Policy})
	})
	for i := range rows {
		rows[i].Rank = i + 1
	}
}

func worstRank(s HostSummary) int {
	if s.WorstSeverity == "" {
		return -1
	}
	return s.WorstSeverity.Rank()
}

func stateOrder(s HostState) int { return slices.Index(HostStates, s) }

// compareDue orders deadlines, the zero time (no deadline) last.
func compareDue(a, b time.Time) int {
	switch {
	case a.Equal(b):
		return 0
	case a.IsZero():
		return 1
	case b.IsZero():
		return -1
	}
	return a.Compare(b)
}

// totalsOf sums the ranked rows.
func totalsOf(rows []HostRow, sources []SourceFreshness) Totals {
	t := Totals{Hosts: len(rows), StaleSources: staleSources(sources)}
	byState := map[HostState]int{}
	type sevAcc struct{ missing, hosts, breached, kev int }
	bySev := map[Severity]*sevAcc{}
	for _, s := range Severities {
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
		for s := range hostHas {
			bySev[s].hosts++
		}
	}
	for _, s := range HostStates {
		t.ByState = append(t.ByState, StateCount{State: s, Hosts: byState[s]})
	}
	for _, s := range Severities {
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

// zoneName normalises the report's zone name ("" is UTC).
func zoneName(z string) string {
	if z == "" {
		return "UTC"
	}
	return z
}

func defaultString(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
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
