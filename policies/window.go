package policies

import (
	"fmt"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // IANA zones resolve even where the system has no zoneinfo

	"github.com/patchflow/patchflow/internal/safetext"
)

// dayNames maps calendar day names to time.Weekday numbers (Sunday 0).
var dayNames = map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}

// parseDays reads calendar days: names (mon, tuesday) or ranges (mon-fri),
// returning a weekday bit set.
func parseDays(days []string) (uint64, error) {
	var set uint64
	for _, d := range days {
		a, b, isRange := strings.Cut(strings.ToLower(strings.TrimSpace(d)), "-")
		lo, ok := dayNames[prefix3(a)]
		if !ok || (len(a) > 3 && !strings.HasPrefix(fullDay(lo), a)) {
			return 0, safetext.Errorf("unknown day %q; use mon, tue, wed, thu, fri, sat, sun or a range such as mon-fri", d)
		}
		hi := lo
		if isRange {
			if hi, ok = dayNames[prefix3(b)]; !ok || (len(b) > 3 && !strings.HasPrefix(fullDay(hi), b)) {
				return 0, safetext.Errorf("unknown day %q; use mon, tue, wed, thu, fri, sat, sun or a range such as mon-fri", d)
			}
			if hi < lo {
				return 0, safetext.Errorf("day range %q runs backwards; weeks start on sun", d)
			}
		}
		for v := lo; v <= hi; v++ {
			set |= 1 << uint(v)
		}
	}
	return set, nil
}

func prefix3(s string) string {
	if len(s) < 3 {
		return s + "??"
	}
	return s[:3]
}

func fullDay(d int) string {
	return strings.ToLower(time.Weekday(d).String())
}

// parseClock reads "HH:MM" (24-hour).
func parseClock(s string) (hour, minute int, err error) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, 0, safetext.Errorf("start must be a 24-hour time HH:MM such as 02:00")
	}
	return t.Hour(), t.Minute(), nil
}

// schedule returns the window's start times as a Cron; a calendar window is
// the cron "M H * * days". It returns nil, nil when the window is unset.
func (w *Window) schedule() (*Cron, error) {
	switch {
	case w.Cron != "":
		return ParseCron(w.Cron)
	case w.Calendar != nil:
		days, err := parseDays(w.Calendar.Days)
		if err != nil {
			return nil, err
		}
		if days == 0 {
			return nil, safetext.Errorf("calendar needs at least one day")
		}
		h, m, err := parseClock(w.Calendar.Start)
		if err != nil {
			return nil, err
		}
		c := &Cron{Expr: fmt.Sprintf("%d %d * * %s", m, h, daysExpr(days))}
		c.fields = [5]uint64{1 << uint(m), 1 << uint(h), allBits(1, 31), allBits(1, 12), days}
		return c, nil
	}
	return nil, nil
}

func allBits(lo, hi int) uint64 {
	var s uint64
	for v := lo; v <= hi; v++ {
		s |= 1 << uint(v)
	}
	return s
}

func daysExpr(days uint64) string {
	var parts []string
	for d := 0; d < 7; d++ {
		if days&(1<<uint(d)) != 0 {
			parts = append(parts, fmt.Sprint(d))
		}
	}
	return strings.Join(parts, ",")
}

// Location loads the window's time zone (UTC when unset).
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

// Scheduled reports whether the policy has a maintenance window at all.
func (w *Window) Scheduled() bool { return w.Cron != "" || w.Calendar != nil }

// NextWindows returns up to n window starts strictly after after, in the
// window's time zone, skipping blackout dates (the local date of the start).
// Daylight-saving rules, chosen to match what an operator expects and tested:
// a start in a spring-forward gap (02:30 when clocks jump 02:00->03:00) moves
// forward by the gap (03:30); a start in a fall-back overlap happens once, at
// its first occurrence. It searches eight years ahead, enough for Feb 29.
func (w *Window) NextWindows(after time.Time, n int) ([]time.Time, error) {
	c, err := w.schedule()
	if err != nil || c == nil {
		return nil, err
	}
	loc, err := w.Location()
	if err != nil {
		return nil, err
	}
	blackout := map[string]bool{}
	for _, d := range w.BlackoutDates {
		blackout[d] = true
	}
	hours, minutes := c.values(1), c.values(0)
	local := after.In(loc)
	day0 := time.Date(local.Year(), local.Month(), local.Day(), 12, 0, 0, 0, time.UTC)
	var out []time.Time
	for i := 0; i <= 366*8 && len(out) < n; i++ {
		day := day0.AddDate(0, 0, i)
		if !c.matchesDay(int(day.Month()), day.Day(), int(day.Weekday())) || blackout[day.Format(time.DateOnly)] {
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
		sort.Slice(starts, func(a, b int) bool { return starts[a].Before(starts[b]) })
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

// Range is an inclusive range of values with a step, as in Temporal's
// ScheduleRange.
type Range struct {
	Start int `json:"start"`
	End   int `json:"end"`
	Step  int `json:"step"`
}

// CalendarSpec mirrors Temporal's ScheduleCalendarSpec field for field;
// DayOfWeek counts from Sunday = 0.
type CalendarSpec struct {
	Second     []Range `json:"second"`
	Minute     []Range `json:"minute"`
	Hour       []Range `json:"hour"`
	DayOfMonth []Range `json:"day_of_month"`
	Month      []Range `json:"month"`
	Year       []Range `json:"year"`
	DayOfWeek  []Range `json:"day_of_week"`
	Comment    string  `json:"comment"`
}

// WindowSpec is the maintenance window in the shape of Temporal's
// ScheduleSpec (CronExpressions, Calendars, Skip, Jitter, TimeZoneName) plus
// the schedule policy's catch-up window and the window length, so the
// schedule layer copies fields without interpreting the policy again.
type WindowSpec struct {
	CronExpressions []string       `json:"cron_expressions"`
	Calendars       []CalendarSpec `json:"calendars"`
	Skip            []CalendarSpec `json:"skip"`
	TimeZoneName    string         `json:"time_zone_name"`
	Jitter          time.Duration  `json:"jitter"`
	CatchupWindow   time.Duration  `json:"catchup_window"`
	Duration        time.Duration  `json:"duration"`
}

// Spec returns the window as a WindowSpec; ok is false when the policy has
// no window (cycles run only when started by hand).
func (w *Window) Spec() (spec WindowSpec, ok bool) {
	if !w.Scheduled() {
		return WindowSpec{}, false
	}
	spec = WindowSpec{
		TimeZoneName:  w.Timezone,
		Jitter:        w.Jitter.Std(),
		CatchupWindow: w.CatchupWindow.Std(),
		Duration:      w.Duration.Std(),
	}
	if w.Cron != "" {
		if c, err := ParseCron(w.Cron); err == nil {
			spec.CronExpressions = []string{c.Canonical()}
		}
	} else if c, err := w.schedule(); err == nil {
		h, m := c.values(1)[0], c.values(0)[0]
		spec.Calendars = []CalendarSpec{{
			Second: []Range{{0, 0, 1}}, Minute: []Range{{m, m, 1}}, Hour: []Range{{h, h, 1}},
			DayOfMonth: []Range{{1, 31, 1}}, Month: []Range{{1, 12, 1}},
			DayOfWeek: bitRanges(c.fields[4]), Comment: "window " + strings.Join(w.Calendar.Days, ",") + " " + w.Calendar.Start,
		}}
	}
	for _, d := range w.BlackoutDates {
		t, err := time.Parse(time.DateOnly, d)
		if err != nil {
			continue
		}
		spec.Skip = append(spec.Skip, CalendarSpec{
			Second: []Range{{0, 59, 1}}, Minute: []Range{{0, 59, 1}}, Hour: []Range{{0, 23, 1}},
			DayOfMonth: []Range{{t.Day(), t.Day(), 1}}, Month: []Range{{int(t.Month()), int(t.Month()), 1}},
			Year: []Range{{t.Year(), t.Year(), 1}}, DayOfWeek: []Range{{0, 6, 1}}, Comment: "blackout " + d,
		})
	}
	return spec, true
}

// bitRanges turns a bit set into maximal runs of consecutive values.
func bitRanges(set uint64) []Range {
	var out []Range
	for v := 0; v < 64; v++ {
		if set&(1<<uint(v)) == 0 {
			continue
		}
		if n := len(out); n > 0 && out[n-1].End == v-1 {
			out[n-1].End = v
			continue
		}
		out = append(out, Range{v, v, 1})
	}
	return out
}
