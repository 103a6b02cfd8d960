package schedules

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/domain"
)

// dstYears is how many calendar years (this one included) get explicit
// spring-forward starts; `schedule update` in a later year adds the next.
const dstYears = 3

// maxMovedPerDay: a window that starts more often than this inside one
// spring-forward gap (a cron every few minutes) gets no extra starts; its
// regular starts right after the gap open it anyway.
const maxMovedPerDay = 4

// springForwardStarts makes a Temporal Schedule keep domain.Window's
// daylight-saving rule. Temporal skips a start whose local time does not
// exist (02:30 on a day the clocks jump 02:00 -> 03:00), while a policy's
// window moves it forward by the gap (03:30). For each such day in the
// next dstYears calendar years, this returns one calendar matching exactly
// the moved start.
func springForwardStarts(w *domain.Window, now time.Time) ([]client.ScheduleCalendarSpec, error) {
	loc, err := w.Location()
	if err != nil {
		return nil, err
	}
	y0 := now.In(loc).Year()
	var out []client.ScheduleCalendarSpec
	for day := time.Date(y0, 1, 1, 0, 0, 0, 0, loc); day.Year() < y0+dstYears; day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc) {
		next := time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc)
		_, off1 := day.Zone()
		_, off2 := next.Zone()
		if off2 <= off1 {
			continue
		}
		gap := time.Duration(off2-off1) * time.Second
		jump := transition(day, next)
		// Starts moved by the gap land in [jump, jump+gap) local time.
		starts, err := w.NextWindows(jump.Add(-time.Second), maxMovedPerDay+1)
		if err != nil {
			return nil, err
		}
		var moved []time.Time
		for _, s := range starts {
			if !s.Before(jump.Add(gap)) {
				break
			}
			moved = append(moved, s)
		}
		if len(moved) == 0 || len(moved) > maxMovedPerDay {
			continue
		}
		for _, s := range moved {
			l := s.In(loc)
			r := func(v int) []client.ScheduleRange { return []client.ScheduleRange{{Start: v, End: v, Step: 1}} }
			out = append(out, client.ScheduleCalendarSpec{
				Second: r(0), Minute: r(l.Minute()), Hour: r(l.Hour()), DayOfMonth: r(l.Day()),
				Month: r(int(l.Month())), Year: r(l.Year()), DayOfWeek: []client.ScheduleRange{{Start: 0, End: 6, Step: 1}},
				Comment: fmt.Sprintf("daylight saving: %s start moved past the clock change", l.Format(time.DateOnly+" 15:04 MST")),
			})
		}
	}
	return out, nil
}

// transition finds the instant the UTC offset changes between a and b
// (to the minute), by bisection.
func transition(a, b time.Time) time.Time {
	_, off := a.Zone()
	for b.Sub(a) > time.Minute {
		mid := a.Add(b.Sub(a) / 2).Truncate(time.Minute)
		if mid.Equal(a) {
			break
		}
		if _, o := mid.Zone(); o == off {
			a = mid
		} else {
			b = mid
		}
	}
	return b
}
