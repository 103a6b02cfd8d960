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
	starts, err := w.NextWindows(windowNow(), 1)
	if err == nil && len(starts) == 0 {
		v.errf(path, "window", "the window never opens: no start in the next 8 years falls outside blackout_dates; check the schedule and blackout_dates, got %s", quote(expr))
		return
	}
	if gap := minStartGap(c); gap > 0 && w.Duration.Std() > gap {
		v.errf("window.duration", "window", "duration is longer than the %s between two window starts (%s), so windows would overlap: shorten it or start windows less often, got %s", Duration(gap), expr, w.Duration)
	}
}

// minStartGap is the shortest time between two consecutive starts of c, in
// wall-clock time (a daylight-saving change can shorten one gap by an
// hour), found over eight years so every weekday and leap day pattern
// recurs; 0 when c starts at most once in that span.
func minStartGap(c *Cron) time.Duration {
	var times []int // minutes of the day, ascending
	for _, h := range c.values(1) {
		for _, m := range c.values(0) {
			times = append(times, h*60+m)
		}
	}
	if len(times) == 0 {
		return 0
	}
	best := -1
	for i := 1; i < len(times); i++ {
		if d := times[i] - times[i-1]; best < 0 || d < best {
			best = d
		}
	}
	first, last := times[0], times[len(times)-1]
	day0 := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	prev := -1
	for i := 0; i < 366*8; i++ {
		day := day0.AddDate(0, 0, i)
		if !c.matchesDay(int(day.Month()), day.Day(), int(day.Weekday())) {
			continue
		}
		if prev >= 0 {
			if d := (i-prev)*24*60 - last + first; best < 0 || d < best {
				best = d
			}
		}
		prev = i
	}
	if best < 0 {
		return 0
	}
	return time.Duration(best) * time.Minute
}
