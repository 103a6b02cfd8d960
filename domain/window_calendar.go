package domain

import (
	"fmt"
	"strings"
	"time"

	"github.com/patchflow/patchflow/internal/safetext"
)

// CalendarCron reads a calendar window, days (mon, tuesday, mon-fri) at
// start (HH:MM, 24-hour), as the cron "M H * * days".
func CalendarCron(days []string, start string) (*Cron, error) {
	set, err := parseDays(days)
	if err != nil {
		return nil, err
	}
	if set == 0 {
		return nil, safetext.Errorf("calendar needs at least one day")
	}
	h, m, err := parseClock(start)
	if err != nil {
		return nil, err
	}
	c := &Cron{Expr: fmt.Sprintf("%d %d * * %s", m, h, daysExpr(set))}
	c.fields = [5]uint64{1 << uint(m), 1 << uint(h), allBits(1, 31), allBits(1, 12), set}
	return c, nil
}

// dayNames maps calendar day names to time.Weekday numbers (Sunday 0).
var dayNames = map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}

// parseDays reads calendar days: names (mon, tuesday) or ranges (mon-fri),
// returning a weekday bit set.
func parseDays(days []string) (uint64, error) {
	var set uint64
	for _, d := range days {
		a, b, isRange := strings.Cut(strings.ToLower(strings.TrimSpace(d)), "-")
		lo, ok := dayNumber(a)
		if !ok {
			return 0, safetext.Errorf("unknown day %q; use mon, tue, wed, thu, fri, sat, sun or a range such as mon-fri", d)
		}
		hi := lo
		if isRange {
			if hi, ok = dayNumber(b); !ok {
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

// dayNumber reads a day name: its first three letters, or a longer prefix
// of its full name (tues, wednesday).
func dayNumber(s string) (int, bool) {
	if len(s) < 3 {
		return 0, false
	}
	d, ok := dayNames[s[:3]]
	if !ok || (len(s) > 3 && !strings.HasPrefix(strings.ToLower(time.Weekday(d).String()), s)) {
		return 0, false
	}
	return d, true
}

// parseClock reads "HH:MM" (24-hour).
func parseClock(s string) (hour, minute int, err error) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, 0, safetext.Errorf("start must be a 24-hour time HH:MM such as 02:00")
	}
	return t.Hour(), t.Minute(), nil
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
