package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/workflows"
)

// cycleProgress renders a cycle's status while it runs: on a terminal a
// live view redrawn in place, otherwise one plain line per change, so logs
// and CI output stay readable.
type cycleProgress struct {
	w        io.Writer
	live     bool
	lastLine string
	drawn    int // lines of the last live frame
}

func newCycleProgress(w io.Writer) *cycleProgress {
	return &cycleProgress{w: w, live: IsTerminal(w)}
}

// update shows st; plain mode prints only when the summary line changed.
func (p *cycleProgress) update(st workflows.CycleStatus) {
	line := progressLine(st)
	if !p.live {
		if line != p.lastLine {
			termf(p.w, "%s  %s\n", time.Now().Format("15:04:05"), line)
			p.lastLine = line
		}
		return
	}
	frame := progressFrame(st, line)
	// Move to the top of the previous frame and clear it before drawing.
	if p.drawn > 0 {
		termf(p.w, "\x1b[%dA\x1b[J", p.drawn)
	}
	fmt.Fprint(p.w, frame)
	p.drawn = strings.Count(frame, "\n")
}

// progressLine is the one-line summary of a cycle.
func progressLine(st workflows.CycleStatus) string {
	var b strings.Builder
	termf(&b, "%s: %s", st.CycleID, st.State)
	switch {
	case st.Wave > 0:
		termf(&b, ", wave %d/%d", st.Wave, st.Waves)
	case st.State == domain.CycleStaging && len(st.Stages) > 0:
		termf(&b, ", %d staging hosts", st.Stages[0].Counts.Total)
	}
	c := st.Counts
	termf(&b, ", %d/%d hosts done: %d patched", c.Total-c.Pending, c.Total, c.Patched)
	if c.Failed > 0 {
		termf(&b, ", %d failed", c.Failed)
	}
	if c.RolledBack > 0 {
		termf(&b, ", %d rolled back", c.RolledBack)
	}
	if c.Skipped > 0 {
		termf(&b, ", %d skipped", c.Skipped)
	}
	if c.NeedsRepair > 0 {
		termf(&b, ", %d need repair", c.NeedsRepair)
	}
	if st.Budget >= 0 && st.Waves > 0 {
		termf(&b, "; budget %d/%d used", st.BudgetUsed, st.Budget)
	}
	if st.Paused {
		b.WriteString("; PAUSED (patchflow cycle resume)")
	}
	if st.AwaitingApproval {
		b.WriteString("; waiting for approval (patchflow cycle approve)")
	}
	b.WriteString(windowNote(st))
	if st.Reason != "" {
		termf(&b, "; %s", st.Reason)
	}
	return b.String()
}

// progressFrame is the live view: the summary and one line per stage.
func progressFrame(st workflows.CycleStatus, line string) string {
	var b strings.Builder
	b.WriteString(line + "\n")
	for _, s := range st.Stages {
		c := s.Counts
		name := s.Stage
		if name != "staging" {
			name = "wave " + name
		}
		termf(&b, "  %-10s %s %d/%d", name, bar(c.Done(), c.Total, 20), c.Done(), c.Total)
		if c.Failed+c.RolledBack+c.NeedsRepair > 0 {
			termf(&b, "  (%d failed, %d rolled back)", c.Failed+c.NeedsRepair, c.RolledBack)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func bar(done, total, width int) string {
	if total == 0 {
		return "[" + strings.Repeat(" ", width) + "]"
	}
	n := done * width / total
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "]"
}

// printCycleSummary is the end-of-cycle report: totals, the plan and every
// host that did not end patched, with its reason.
func printCycleSummary(w io.Writer, r workflows.CycleResult) {
	st := r.CycleStatus
	took := r.Finished.Sub(st.Started).Round(time.Second)
	termf(w, "\ncycle %s %s in %s", st.CycleID, st.State, took)
	if st.Reason != "" {
		termf(w, ": %s", st.Reason)
	}
	fmt.Fprintln(w)
	c := st.Counts
	termf(w, "hosts: %d patched, %d failed, %d rolled back, %d skipped, %d need repair\n",
		c.Patched, c.Failed, c.RolledBack, c.Skipped, c.NeedsRepair)
	if len(st.Stages) > 0 {
		fmt.Fprintln(w, "waves:")
		tw := newTable(w, "WAVE", "HOSTS")
		for _, s := range st.Stages {
			hosts := strings.Join(s.Hosts, " ")
			if len(s.Hosts) == 0 {
				hosts = fmt.Sprintf("%d hosts (patchflow cycle status %s --hosts lists them)", s.Counts.Total, st.CycleID)
			}
			tw.row(s.Stage, hosts)
		}
		tw.flush()
	}
	if len(st.Plan.Entries) > 0 {
		fmt.Fprintln(w, "plan:")
		printPlanTable(w, st.Plan)
	}
	if len(st.Hosts) > 0 {
		fmt.Fprintln(w, "hosts not patched:")
		printCycleHosts(w, st.Hosts)
		if st.HostsOmitted > 0 {
			termf(w, "... and %d more (patchflow cycle status %s --hosts --json lists every host)\n", st.HostsOmitted, st.CycleID)
		}
	}
}
