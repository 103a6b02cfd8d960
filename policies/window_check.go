package policies

import (
	"time"
)

// windowNow is when a policy's next windows are looked for; tests pin it.
var windowNow = time.Now

// windowOpens refuses a window that never opens (every start in the next
// eight years falls on a blackout date) and one that lasts longer than the
// shortest time between two of its starts, where windows would overlap.
func (v *validator) windowOpens() {
	w := &v.p.Window
	c, err := w.schedule()
	if err != nil || c == nil {
		return
	}
	path, expr := "window.cron", w.Cron
	if w.Calendar != nil {
		path, expr = "window.calendar", c.Expr
	}
	starts, err := w.CycleWindow().NextWindows(windowNow(), 1)
	if err == nil && len(starts) == 0 {
		v.errf(path, "window", "the window never opens: no start in the next 8 years falls outside blackout_dates; check the schedule and blackout_dates, got %s", quote(expr))
		return
	}
	if gap := c.MinStartGap(); gap > 0 && w.Duration.Std() > gap {
		v.errf("window.duration", "window", "duration is longer than the %s between two window starts (%s), so windows would overlap: shorten it or start windows less often, got %s", Duration(gap), expr, w.Duration)
	}
}
