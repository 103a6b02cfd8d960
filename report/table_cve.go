package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WriteCVEAuditTable writes a CVE audit for a terminal: per CVE a heading
// with its severity, KEV flag and state counts, then one row per host with
// its state and the evidence it rests on.
func WriteCVEAuditTable(w io.Writer, a *CVEAudit, opts TableOptions) error {
	if err := a.Validate(); err != nil {
		return err
	}
	c := newClock(a.TimeZone)
	l := &lines{w: w}
	l.printf("CVE audit, generated %s", c.At(a.GeneratedAt))
	for _, s := range a.Sources {
		l.printf("Source: %s", sourceLine(c, s))
	}
	for _, e := range a.CVEs {
		l.blank()
		head := fmt.Sprintf("%s  severity %s", e.CVE, e.Severity)
		if e.KEV {
			head += "  KEV"
			if e.KEVDueDate != "" {
				head += " due " + e.KEVDueDate
			}
		}
		if e.EPSS != nil {
			head += fmt.Sprintf("  EPSS %.3f", *e.EPSS)
		}
		if !e.Published.IsZero() {
			head += "  published " + c.At(e.Published)
		}
		l.printf("%s", head)
		var counts []string
		for _, t := range e.Totals {
			if t.Hosts > 0 {
				counts = append(counts, fmt.Sprintf("%s %d", t.State, t.Hosts))
			}
		}
		if len(counts) == 0 {
			counts = []string{"no hosts"}
		}
		l.printf("  %s", strings.Join(counts, ", "))
		if l.err != nil {
			return l.err
		}
		shown := len(e.Hosts)
		if opts.MaxHosts > 0 && shown > opts.MaxHosts {
			shown = opts.MaxHosts
		}
		t := newTextTable(w, "HOST", "POLICY", "STATE", "EVIDENCE")
		for _, h := range e.Hosts[:shown] {
			t.row(h.Host, h.Policy, string(h.State), evidenceText(c, h))
		}
		if err := t.flush(); err != nil {
			return err
		}
		if shown < len(e.Hosts) {
			l.printf("%d more hosts not shown; see --json for all of them", len(e.Hosts)-shown)
		}
	}
	return l.err
}

// evidenceText says in one line what a CVE state rests on.
func evidenceText(c clock, h CVEHost) string {
	ev := h.Evidence
	var parts []string
	for _, p := range ev.Packages {
		s := p.Package + " " + p.Installed
		switch {
		case p.Candidate != "":
			s += " -> " + p.Candidate
		case p.FixedVersion != "":
			s += " (fixed in " + p.FixedVersion + ")"
		}
		parts = append(parts, s)
	}
	if ev.RunningKernel != "" {
		parts = append(parts, "running kernel "+ev.RunningKernel)
	}
	switch h.State {
	case CVEPatched:
		parts = append(parts, fmt.Sprintf("patched by %s at %s, verified %s", ev.CycleID, c.At(ev.PatchedAt), c.At(ev.AssessedAt)))
	case CVEScheduled:
		who := ev.CycleID
		if who == "" {
			who = "schedule " + ev.ScheduleID
		}
		if ev.Wave != nil {
			who += ", wave " + strconv.Itoa(*ev.Wave)
		}
		parts = append(parts, fmt.Sprintf("scheduled: %s, window opening %s", who, c.At(ev.WindowOpens)))
	case CVEUnknown:
		if ev.AssessedAt.IsZero() {
			parts = append(parts, "never assessed")
		} else {
			parts = append(parts, "last assessed "+c.At(ev.AssessedAt)+", before the advisory")
		}
	default:
		parts = append(parts, "assessed "+c.At(ev.AssessedAt))
	}
	if ev.DecidedBy != "" {
		parts = append(parts, "per "+ev.DecidedBy)
	}
	if ev.Note != "" {
		parts = append(parts, ev.Note)
	}
	return strings.Join(parts, "; ")
}
