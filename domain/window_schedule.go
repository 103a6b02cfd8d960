package domain

import (
	"strings"
	"time"
)

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
// schedule layer copies fields without interpreting the window again.
type WindowSpec struct {
	CronExpressions []string       `json:"cron_expressions"`
	Calendars       []CalendarSpec `json:"calendars"`
	Skip            []CalendarSpec `json:"skip"`
	TimeZoneName    string         `json:"time_zone_name"`
	Jitter          time.Duration  `json:"jitter"`
	CatchupWindow   time.Duration  `json:"catchup_window"`
	Duration        time.Duration  `json:"duration"`
}

// ScheduleSpec returns the window as a WindowSpec with a schedule's jitter
// and catch-up window; ok is false when the window has no schedule.
func (w *Window) ScheduleSpec(jitter, catchup time.Duration) (spec WindowSpec, ok bool) {
	c, err := w.Schedule()
	if err != nil || c == nil {
		return WindowSpec{}, false
	}
	spec = WindowSpec{TimeZoneName: w.Timezone, Jitter: jitter, CatchupWindow: catchup, Duration: w.Duration}
	if w.Cron != "" {
		spec.CronExpressions = []string{c.Canonical()}
	} else {
		h, m := c.values(1)[0], c.values(0)[0]
		spec.Calendars = []CalendarSpec{{
			Second: []Range{{0, 0, 1}}, Minute: []Range{{m, m, 1}}, Hour: []Range{{h, h, 1}},
			DayOfMonth: []Range{{1, 31, 1}}, Month: []Range{{1, 12, 1}},
			DayOfWeek: bitRanges(c.fields[4]), Comment: "window " + strings.Join(w.Days, ",") + " " + w.Start,
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
