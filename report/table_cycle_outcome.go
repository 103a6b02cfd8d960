package report

import (
	"fmt"
	"io"
	"strings"
)

// writeOutcomeTables writes what became of the cycle's hosts: those that
// did not end patched (at most opts.MaxHosts), and whether each planned
// host's fixes were verified by the assessment after the cycle.
func writeOutcomeTables(w io.Writer, l *lines, e *CycleEvidence, opts TableOptions) error {
	var notPatched []CycleHost
	for _, h := range e.Hosts {
		if h.Result != HostPatched {
			notPatched = append(notPatched, h)
		}
	}
	if len(notPatched) > 0 {
		l.blank()
		shown := len(notPatched)
		if opts.MaxHosts > 0 {
			shown = min(shown, opts.MaxHosts)
		}
		t := newTextTable(w, "NOT PATCHED", "STAGE", "RESULT", "REASON")
		for _, h := range notPatched[:shown] {
			t.row(h.Host, dash(h.Stage), string(h.Result), dash(h.Reason))
		}
		if err := t.flush(); err != nil {
			return err
		}
		if shown < len(notPatched) {
			l.printf("%d more hosts not shown; see --json for all of them", len(notPatched)-shown)
		}
	}
	l.blank()
	if e.AfterAssessment == "" {
		l.printf("Remediation: no assessment of policy %s since the cycle; fixes are not verified yet (%d planned hosts)", e.Policy, len(e.Remediation))
		return l.err
	}
	l.printf("Remediation by %s: %s", e.AfterAssessment, remediationText(e.Remediation))
	var open []HostRemediation
	for _, r := range e.Remediation {
		if r.State != RemediationVerified {
			open = append(open, r)
		}
	}
	if len(open) == 0 {
		return l.err
	}
	shown := len(open)
	if opts.MaxHosts > 0 {
		shown = min(shown, opts.MaxHosts)
	}
	t := newTextTable(w, "NOT VERIFIED", "STATE", "MISSING")
	for _, r := range open[:shown] {
		t.row(r.Host, string(r.State), dash(strings.Join(r.Missing, ",")))
	}
	if err := t.flush(); err != nil {
		return err
	}
	if shown < len(open) {
		l.printf("%d more hosts not shown; see --json for all of them", len(open)-shown)
	}
	return l.err
}

// planHistoryText is a plan entry's history risk with its counts: "75
// (2/3 failed)", "-" when no earlier run is known.
func planHistoryText(p PlanEntry) string {
	h := p.History
	if h == nil {
		return "-"
	}
	s := fmt.Sprintf("%d (%d/%d failed", p.HistoryRisk, h.Failed, h.Runs)
	if h.Basis == "package" {
		s += ", other versions"
	}
	return s + ")"
}

// historySourceText says what the history risks were learned from.
func historySourceText(c clock, h HistorySource) string {
	if h.Error != "" {
		return "unknown: " + h.Error
	}
	return fmt.Sprintf("from %d earlier cycles (%d waves) since %s", h.Cycles, h.Waves, c.Date(h.Since))
}

// historyRunsText says an entry's earlier runs for the HTML: "2 of 3
// runs failed, 2 rolled back (this upgrade, 2 cycles): 2.5.0-1+deb12u4 ->
// 2.5.0-1+deb12u5 3 runs"; "no earlier run" without history.
func historyRunsText(h *PlanHistory) string {
	if h == nil {
		return "no earlier run"
	}
	what := "this upgrade"
	if h.Basis == "package" {
		what = "other versions"
	}
	s := fmt.Sprintf("%d of %d runs failed", h.Failed, h.Runs)
	if h.RolledBack > 0 {
		s += fmt.Sprintf(", %d rolled back", h.RolledBack)
	}
	s += fmt.Sprintf(" (%s, %d cycles)", what, h.Cycles)
	var paths []string
	for _, p := range h.Paths {
		from := p.From
		if from == "" {
			from = "(absent)"
		}
		paths = append(paths, fmt.Sprintf("%s -> %s: %d runs, %d failed", from, p.To, p.Runs, p.Failed))
	}
	if len(paths) > 0 {
		s += ": " + strings.Join(paths, "; ")
	}
	return s
}

// boundOutcomes fills the bounded outcome sections of the evidence HTML.
func boundOutcomes(v *cycleView, opts HTMLOptions) {
	for _, h := range v.E.Hosts {
		if h.Result == HostPatched {
			continue
		}
		if len(v.NotPatched) < opts.MaxHosts {
			v.NotPatched = append(v.NotPatched, h)
		} else {
			v.NotPatchedHidden++
		}
	}
	v.Remediation = remediationText(v.E.Remediation)
	rows := make([]HostRemediation, 0, len(v.E.Remediation))
	for _, verified := range []bool{false, true} {
		for _, r := range v.E.Remediation {
			if (r.State == RemediationVerified) == verified {
				rows = append(rows, r)
			}
		}
	}
	n := min(len(rows), opts.MaxHosts)
	v.RemediationRows, v.RemediationHidden = rows[:n], len(rows)-n
}
