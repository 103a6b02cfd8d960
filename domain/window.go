package domain

import (
	"slices"
	"time"
	_ "time/tzdata" // IANA zones resolve even where the system has no zoneinfo

	"github.com/patchflow/patchflow/internal/safetext"
)

// DefaultTimezone is the zone of a window that names none.
const DefaultTimezone = "UTC"

// Window is the maintenance window a cycle keeps to: windows start by a
// 5-field cron, or on calendar days at an HH:MM start, in Timezone, each
// open for Duration, none on a blackout date (local YYYY-MM-DD).
type Window struct {
	Cron          string        `json:"cron,omitempty"`
	Days          []string      `json:"days,omitempty"`
	Start         string        `json:"start,omitempty"`
	Timezone      string        `json:"timezone,omitempty"`
	Duration      time.Duration `json:"duration"`
	BlackoutDates []string      `json:"blackout_dates,omitempty"`
	// HostWorstCase is one host's longest run through its steps
	// (HostSteps.WorstCase): the estimate before any host was measured.
	HostWorstCase time.Duration `json:"host_worst_case,omitempty"`
}

// Schedule returns the window's starts as a Cron: its cron, or for
// calendar days the cron "M H * * days" (CalendarCron); nil, nil when the
// window has neither or is nil (no window).
func (w *Window) Schedule() (*Cron, error) {
	switch {
	case w == nil:
		return nil, nil
	case w.Cron != "":
		return ParseCron(w.Cron)
	case len(w.Days) > 0 || w.Start != "":
		return CalendarCron(w.Days, w.Start)
	}
	return nil, nil
}

// Location loads the window's time zone (UTC when unset). "Local" is
// refused: a window must not depend on the machine a worker runs on.
func (w *Window) Location() (*time.Location, error) {
	name := w.Timezone
	if name == "" {
		name = DefaultTimezone
	}
	if name == "Local" {
		return nil, safetext.Errorf("timezone must name an IANA zone such as Europe/Berlin, not Local")
	}
	return time.LoadLocation(name)
}

// NextWindows returns up to n window starts strictly after after, in the
// window's time zone, skipping blackout dates (the local date of the start).
// Daylight-saving rules, chosen to match what an operator expects and tested:
// a start in a spring-forward gap (02:30 when clocks jump 02:00->03:00) moves
// forward by the gap (03:30); a start in a fall-back overlap happens once, at
// its first occurrence. It searches eight years ahead, enough for Feb 29.
func (w *Window) NextWindows(after time.Time, n int) ([]time.Time, error) {
	c, err := w.Schedule()
	if err != nil || c == nil {
		return nil, err
	}
	loc, err := w.Location()
	if err != nil {
		return nil, err
	}
	hours, minutes := c.values(1), c.values(0)
	local := after.In(loc)
	day0 := time.Date(local.Year(), local.Month(), local.Day(), 12, 0, 0, 0, time.UTC)
	var out []time.Time
	for i := 0; i <= 366*8 && len(out) < n; i++ {
		day := day0.AddDate(0, 0, i)
		if !c.matchesDay(int(day.Month()), day.Day(), int(day.Weekday())) || slices.Contains(w.BlackoutDates, day.Format(time.DateOnly)) {
			continue
		}
		var starts []time.Time
		for _, h := range hours {
			for _, m := range minutes {
				t := localTime(day.Year(), day.Month(), day.Day(), h, m, loc)
				if t.After(after) {
					starts = append(starts, t)
				}
			}
		}
		// A gap can move 02:30 onto 03:30: keep each instant once, in order.
		slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
		for _, t := range starts {
			if len(out) > 0 && !t.After(out[len(out)-1]) {
				continue
			}
			if len(out) < n {
				out = append(out, t)
			}
		}
	}
	return out, nil
}

// localTime is time.Date with the DST rules of NextWindows made explicit
// (time.Date leaves the choice in gaps and overlaps unspecified).
func localTime(y int, mo time.Month, d, h, mi int, loc *time.Location) time.Time {
	wall := time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
	var best time.Time
	seen := map[int]bool{}
	for _, probe := range []time.Duration{-48 * time.Hour, -24 * time.Hour, 0, 24 * time.Hour, 48 * time.Hour} {
		_, off := wall.Add(probe).In(loc).Zone()
		if seen[off] {
			continue
		}
		seen[off] = true
		t := wall.Add(-time.Duration(off) * time.Second).In(loc)
		ty, tmo, td := t.Date()
		if ty == y && tmo == mo && td == d && t.Hour() == h && t.Minute() == mi && (best.IsZero() || t.Before(best)) {
			best = t
		}
	}
	if !best.IsZero() {
		return best
	}
	// In a gap: read the wall time with the offset in force before the
	// jump, which lands the same distance past the gap's end.
	_, before := wall.Add(-24 * time.Hour).In(loc).Zone()
	return wall.Add(-time.Duration(before) * time.Second).In(loc)
}

// At computes the window at now: whether one is open, when it closes
// (overlapping or touching windows merge) and when the next one opens.
// Zero nextOpens means no window within eight years.
func (w *Window) At(now time.Time) (open bool, closes, nextOpens time.Time, err error) {
	starts, err := w.NextWindows(now.Add(-w.Duration), 64)
	if err != nil {
		return false, time.Time{}, time.Time{}, err
	}
	for _, s := range starts {
		if !s.After(now) || (closes.After(now) && !s.After(closes)) {
			if e := s.Add(w.Duration); e.After(closes) {
				closes = e
			}
			continue
		}
		nextOpens = s
		break
	}
	if !closes.After(now) {
		closes = time.Time{}
	}
	return !closes.IsZero(), closes, nextOpens, nil
}
