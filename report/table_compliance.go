package report

import (
	"fmt"
	"io"
	"strconv"
	"time"
)

// WriteComplianceTable writes a compliance report for a terminal: the
// header (scope, sources with stale ones flagged), totals per state and
// severity, then the hosts in ranking order, with their fixes when
// opts.Fixes is set.
func WriteComplianceTable(w io.Writer, r *ComplianceReport, opts TableOptions) error {
	if err := r.Validate(); err != nil {
		return err
	}
	c := newClock(r.TimeZone)
	l := &lines{w: w}
	l.printf("Compliance report, generated %s", c.At(r.GeneratedAt))
	l.printf("Scope: policies %s; %d hosts", joinMax(r.Scope.Policies, 10), r.Scope.Hosts)
	if len(r.Scope.Selectors) > 0 {
		l.printf("Selectors: %s", joinMax(r.Scope.Selectors, 10))
	}
	for _, s := range r.Sources {
		l.printf("Source: %s", sourceLine(c, s))
	}
	if len(r.Sources) == 0 {
		l.printf("Source: none configured: findings rest on package manager data only")
	}
	l.blank()
	if l.err != nil {
		return l.err
	}
	t := newTextTable(w, "STATE", "HOSTS")
	for _, s := range r.Totals.ByState {
		t.row(string(s.State), strconv.Itoa(s.Hosts))
	}
	t.row("compliant ratio", fmt.Sprintf("%.1f%%", 100*r.Totals.CompliantRatio))
	if err := t.flush(); err != nil {
		return err
	}
	l.blank()
	t = newTextTable(w, "SEVERITY", "MISSING", "HOSTS", "BREACHED", "KEV")
	for _, s := range r.Totals.BySeverity {
		t.row(string(s.Severity), strconv.Itoa(s.Missing), strconv.Itoa(s.Hosts), strconv.Itoa(s.Breached), strconv.Itoa(s.KEV))
	}
	t.row("excepted", strconv.Itoa(r.Totals.Excepted), "", "", "")
	if err := t.flush(); err != nil {
		return err
	}
	l.blank()
	shown := len(r.Hosts)
	if opts.MaxHosts > 0 && shown > opts.MaxHosts {
		shown = opts.MaxHosts
	}
	t = newTextTable(w, "RANK", "HOST", "POLICY", "STATE", "MISSING", "BREACHED", "KEV", "WORST", "NEXT DUE", "LAST ASSESSED")
	for _, h := range r.Hosts[:shown] {
		t.row(strconv.Itoa(h.Rank), h.Host, h.Policy, hostStateText(h), strconv.Itoa(h.Summary.Missing),
			strconv.Itoa(h.Summary.Breached), strconv.Itoa(h.Summary.KEV), dash(string(h.Summary.WorstSeverity)),
			dueText(h.Summary.NextDue, r.GeneratedAt), c.At(h.LastAssessed))
		if opts.Fixes {
			for _, f := range h.Missing {
				t.row("", "  "+f.Package, f.Installed+" -> "+f.FixedVersion, fixStateText(f), string(f.Severity),
					joinMax(f.CVEs, 3), kevText(f.Finding), "", dueText(f.DueAt, r.GeneratedAt), "first seen "+c.Date(f.FirstSeen))
			}
		}
	}
	if err := t.flush(); err != nil {
		return err
	}
	if shown < len(r.Hosts) {
		l.printf("%d more hosts not shown; see --json for all of them", len(r.Hosts)-shown)
	}
	if len(r.Exceptions) > 0 {
		l.blank()
		t = newTextTable(w, "EXCEPTION", "CVES", "HOSTS", "UNTIL", "STATUS", "REASON")
		for _, e := range r.Exceptions {
			status := "active"
			if e.Expired {
				status = "expired"
			}
			t.row(e.ID, joinMax(e.CVEs, 3), joinMax(e.Hosts, 3), c.At(e.Until), status, e.Reason)
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	return l.err
}

// hostStateText is the state, with the failure or reboot that goes with it.
func hostStateText(h HostRow) string {
	s := string(h.State)
	if h.Failure != nil {
		s += ": " + excerpt(h.Failure.Error)
	}
	if h.RebootPending {
		s += " (reboot pending)"
	}
	return s
}

func fixStateText(f MissingFix) string {
	s := string(f.SLAState)
	if f.Exception != nil {
		s = "excepted " + f.Exception.ID
	}
	if f.RebootPending {
		s += ", reboot pending"
	}
	return s
}

func kevText(f Finding) string {
	if !f.KEV {
		return "-"
	}
	if f.KEVDueDate != "" {
		return "KEV due " + f.KEVDueDate
	}
	return "KEV"
}

// dueText says when a deadline is, relative to the report's time.
func dueText(due, now time.Time) string {
	if due.IsZero() {
		return "no SLA"
	}
	if now.After(due) {
		return "overdue " + humanDuration(now.Sub(due))
	}
	return "in " + humanDuration(due.Sub(now))
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func durSeconds(s int64) time.Duration { return time.Duration(s) * time.Second }
