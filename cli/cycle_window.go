package cli

import (
	"fmt"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/workflows"
)

// windowNote is the part of a cycle's progress line about its maintenance
// window: for a parked cycle, when it goes on (in the window's local time)
// and how an operator makes it go on now.
func windowNote(st workflows.CycleStatus) string {
	w := st.Window
	if w == nil || st.State != domain.CycleParked {
		return ""
	}
	loc, err := time.LoadLocation(w.Timezone)
	if err != nil || w.Timezone == "" {
		loc = time.UTC
	}
	note := "; PARKED"
	if !w.ParkedUntil.IsZero() {
		note += fmt.Sprintf(" until %s", w.ParkedUntil.In(loc).Format("Mon 2006-01-02 15:04 MST"))
	}
	return note + " (go on now: patchflow cycle resume, or cycle extend-window --duration D)"
}

// windowStartNote warns, when a cycle is started by hand, that its policy's
// window is closed: the cycle will scan and plan now and park before it
// changes a host. Empty for dry runs, policies without a window and an
// open window.
func windowStartNote(spec domain.CycleSpec, now time.Time) string {
	w := spec.Window
	if w == nil || spec.DryRun {
		return ""
	}
	open, _, next, err := w.At(now)
	if err != nil || open {
		return ""
	}
	when := "no later window"
	if !next.IsZero() {
		loc, err := time.LoadLocation(w.Timezone)
		if err != nil {
			loc = time.UTC
		}
		when = "the next window opens " + next.In(loc).Format("Mon 2006-01-02 15:04 MST")
	}
	return fmt.Sprintf("note: policy %s's maintenance window is closed (%s): the cycle scans and plans now, then parks before changing any host; 'patchflow cycle resume ID' goes on at once", spec.Policy, when)
}
