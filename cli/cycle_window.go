package cli

import (
	"fmt"
	"time"

	"github.com/patchflow/patchflow/workflows"
)

// windowNote is the part of a cycle's progress line about its maintenance
// window: for a parked cycle, when it goes on (in the window's local time)
// and how an operator makes it go on now.
func windowNote(st workflows.CycleStatus) string {
	w := st.Window
	if w == nil || st.State != workflows.CycleParked {
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
