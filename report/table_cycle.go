package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WriteCycleEvidenceTable writes a cycle's evidence pack for a terminal:
// the cycle, the approval, the plan, each wave's hosts, rollbacks,
// reboots, the re-assessment and the timeline.
func WriteCycleEvidenceTable(w io.Writer, e *CycleEvidence, opts TableOptions) error {
	if err := e.Validate(); err != nil {
		return err
	}
	c := newClock(e.TimeZone)
	l := &lines{w: w}
	l.printf("Cycle %s (policy %s): %s", e.CycleID, e.Policy, e.State)
	l.printf("Started %s, finished %s", c.At(e.StartedAt), c.At(e.FinishedAt))
	l.printf("Approval: %s", approvalText(c, e.Approval))
	for _, s := range e.Sources {
		l.printf("Source: %s", sourceLine(c, s))
	}
	l.printf("Before: %d hosts assessed, %d findings; after: %d hosts re-assessed, %d findings left",
		len(e.Before), countFindings(e.Before), len(e.After), countFindings(e.After))
	if h := e.Plan.HistoryFrom; h != nil {
		l.printf("History risk: %s", historySourceText(c, *h))
	}
	l.blank()
	if l.err != nil {
		return l.err
	}
	t := newTextTable(w, "PLAN", "VERSION", "MANAGER", "SEVERITY", "KEV", "RISK", "HISTORY", "HOSTS", "CVES")
	for _, p := range e.Plan.Entries {
		t.row(p.Package, p.Version, p.Manager, string(p.Severity), yesNo(p.KEV), strconv.Itoa(p.Risk), planHistoryText(p),
			strconv.Itoa(p.Hosts), joinMax(p.CVEs, 4))
	}
	if err := t.flush(); err != nil {
		return err
	}
	for _, wv := range e.Waves {
		l.blank()
		l.printf("Wave %d %s: %s .. %s; %s", wv.Index, wv.Name, c.At(wv.StartedAt), c.At(wv.FinishedAt), resultsText(wv.Results))
		shown := len(wv.Hosts)
		if opts.MaxHosts > 0 && shown > opts.MaxHosts {
			shown = opts.MaxHosts
		}
		t = newTextTable(w, "HOST", "RESULT", "FINISHED", "REBOOTED", "REASON")
		for _, h := range wv.Hosts[:shown] {
			t.row(h.Host, string(h.Result), c.At(h.FinishedAt), c.At(h.RebootedAt), dash(h.Reason))
		}
		if err := t.flush(); err != nil {
			return err
		}
		if shown < len(wv.Hosts) {
			l.printf("%d more hosts not shown; see --json for all of them", len(wv.Hosts)-shown)
		}
	}
	if len(e.Rollbacks) > 0 {
		l.blank()
		t = newTextTable(w, "ROLLBACK", "WAVE", "AT", "RESULT", "REASON")
		for _, r := range e.Rollbacks {
			t.row(r.Host, strconv.Itoa(r.Wave), c.At(r.At), string(r.Result), r.Reason)
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	l.blank()
	if v := e.Verify; v != nil {
		l.printf("Final verify at %s: %d patched hosts, %d failed", c.At(v.At), v.Hosts, len(v.Failed))
		for _, f := range v.Failed {
			l.printf("  %s: %s", f.Host, f.Problem)
		}
	}
	l.printf("%d reboots; results: %s", len(e.Reboots), resultsText(e.Results))
	if err := writeOutcomeTables(w, l, e, opts); err != nil {
		return err
	}
	l.blank()
	t = newTextTable(w, "TIME", "EVENT", "HOST", "DETAIL")
	for _, ev := range e.Timeline {
		t.row(c.At(ev.At), string(ev.What), dash(ev.Host), ev.Detail)
	}
	if err := t.flush(); err != nil {
		return err
	}
	return l.err
}

func approvalText(c clock, a Approval) string {
	var s string
	switch a.Mode {
	case ApprovalPending:
		s = "pending"
		if !a.RequestedAt.IsZero() {
			s += " since " + c.At(a.RequestedAt)
		}
	case ApprovalAuto:
		return "automatic (policy) at " + c.At(a.At)
	case ApprovalTimeout:
		s = "no approval within the timeout; the policy proceeded at " + c.At(a.At)
	default:
		s = fmt.Sprintf("by %s at %s", dashIfEmpty(a.By, "(identity not recorded)"), c.At(a.At))
		if a.Via != "" {
			s += " via " + a.Via
		}
		if a.PlanSHA256 != "" {
			s += ", naming reviewed plan " + a.PlanSHA256
		}
		if a.Comment != "" {
			s += ": " + a.Comment
		}
	}
	if a.Required != "" {
		s += " (required: " + a.Required + ")"
	}
	return s
}

func dashIfEmpty(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func resultsText(r []HostResultCount) string {
	var parts []string
	for _, x := range r {
		if x.Hosts > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", x.Result, x.Hosts))
		}
	}
	if len(parts) == 0 {
		return "no hosts"
	}
	return strings.Join(parts, ", ")
}

func countFindings(h []HostFindings) int {
	n := 0
	for _, f := range h {
		n += len(f.Findings)
	}
	return n
}
