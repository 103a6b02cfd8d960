package domain

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseCron(t *testing.T) {
	for _, tc := range []struct {
		expr, norm string
		minutes    []int
		hours      []int
		dow        []int
	}{
		{expr: "0 2 * * *", norm: "0 2 * * *", minutes: []int{0}, hours: []int{2}, dow: []int{0, 1, 2, 3, 4, 5, 6}},
		{expr: "*/20 1-3 * * MON-fri", norm: "*/20 1-3 * * MON-fri", minutes: []int{0, 20, 40}, hours: []int{1, 2, 3}, dow: []int{1, 2, 3, 4, 5}},
		{expr: "5,10-12 22/1 * jan,dec 7", norm: "5,10-12 22/1 * jan,dec 7", minutes: []int{5, 10, 11, 12}, hours: []int{22, 23}, dow: []int{0}},
		{expr: "@weekly", norm: "0 0 * * 0", minutes: []int{0}, hours: []int{0}, dow: []int{0}},
		{expr: "  30   4 1-7/3 * *  ", norm: "30 4 1-7/3 * *", minutes: []int{30}, hours: []int{4}, dow: []int{0, 1, 2, 3, 4, 5, 6}},
	} {
		c, err := ParseCron(tc.expr)
		if err != nil {
			t.Errorf("ParseCron(%q): %v", tc.expr, err)
			continue
		}
		if c.Expr != tc.norm || !reflect.DeepEqual(c.values(0), tc.minutes) || !reflect.DeepEqual(c.values(1), tc.hours) || !reflect.DeepEqual(c.values(4), tc.dow) {
			t.Errorf("ParseCron(%q) = %q minutes %v hours %v dow %v, want %q %v %v %v", tc.expr, c.Expr, c.values(0), c.values(1), c.values(4), tc.norm, tc.minutes, tc.hours, tc.dow)
		}
	}
	if c, _ := ParseCron("0 0 1-7/3 * *"); !reflect.DeepEqual(c.values(2), []int{1, 4, 7}) {
		t.Errorf("day-of-month 1-7/3 = %v, want [1 4 7]", c.values(2))
	}
}

func TestParseCronErrors(t *testing.T) {
	for expr, want := range map[string]string{
		"":                      "cron needs 5 fields (minute hour day-of-month month day-of-week), found 0",
		"0 2 * *":               "cron needs 5 fields (minute hour day-of-month month day-of-week), found 4",
		"0 2 * * * *":           "cron needs 5 fields (minute hour day-of-month month day-of-week), found 6",
		"CRON_TZ=UTC 0 2 * * *": "time zone prefixes are not allowed in cron; set window.timezone",
		"60 2 * * *":            "cron minute field: 60 is out of range 0-59",
		"0 2 0 * *":             "cron day-of-month field: 0 is out of range 1-31",
		"0 2 * 13 *":            "cron month field: 13 is out of range 1-12",
		"0 2 * * 8":             "cron day-of-week field: 8 is out of range 0-7",
		"0 2 * * funday":        `cron day-of-week field: "funday" is not a number or name`,
		"0 5-2 * * *":           `cron hour field: range "5-2" runs backwards`,
		"*/0 2 * * *":           `cron minute field: step must be 1-59, got "0"`,
		"0,,5 2 * * *":          `cron minute field "0,,5" has an empty list item`,
		"0 2 30 feb *":          "cron day-of-month 30 never occurs in month feb",
		"0 2 13 * fri":          "cron restricts both day-of-month (13) and day-of-week (fri); cron implementations disagree on what that means, restrict only one",
		"? 2 * * *":             `cron minute field: "?" is not a number or name`,
	} {
		_, err := ParseCron(expr)
		if err == nil || err.Error() != want {
			t.Errorf("ParseCron(%q) error = %v, want %q", expr, err, want)
		}
	}
	if _, err := ParseCron("0 0 29 2 *"); err != nil {
		t.Errorf("ParseCron(Feb 29) = %v, want it accepted (leap years)", err)
	}
}

func formatTimes(ts []time.Time) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = t.Format(time.RFC3339 + " Mon")
	}
	return strings.Join(s, "\n")
}

func TestNextWindowsCalendarAndBlackout(t *testing.T) {
	w := Window{Days: []string{"tue-thu"}, Start: "02:00", Duration: 4 * time.Hour,
		Timezone: "Europe/Berlin", BlackoutDates: []string{"2026-12-24"}}
	after := time.Date(2026, 12, 21, 12, 0, 0, 0, time.UTC) // a Monday
	got, err := w.NextWindows(after, 5)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"2026-12-22T02:00:00+01:00 Tue",
		"2026-12-23T02:00:00+01:00 Wed",
		// Thursday 24th is a blackout date.
		"2026-12-29T02:00:00+01:00 Tue",
		"2026-12-30T02:00:00+01:00 Wed",
		"2026-12-31T02:00:00+01:00 Thu",
	}, "\n")
	if formatTimes(got) != want {
		t.Errorf("NextWindows:\n%s\nwant:\n%s", formatTimes(got), want)
	}
	if got[0].Location().String() != "Europe/Berlin" {
		t.Errorf("windows are in %s, want the policy's zone", got[0].Location())
	}
}

// TestNextWindowsDST pins the documented daylight-saving behaviour: a start
// inside the spring-forward gap moves forward by the gap; a start inside the
// fall-back overlap happens once, at its first occurrence.
func TestNextWindowsDST(t *testing.T) {
	w := Window{Cron: "30 2 * * *", Duration: time.Hour, Timezone: "Europe/Berlin"}
	// Spring forward: 2027-03-28 02:00 CET -> 03:00 CEST.
	got, err := w.NextWindows(time.Date(2027, 3, 27, 0, 0, 0, 0, time.UTC), 3)
	if err != nil {
		t.Fatal(err)
	}
	want := "2027-03-27T02:30:00+01:00 Sat\n2027-03-28T03:30:00+02:00 Sun\n2027-03-29T02:30:00+02:00 Mon"
	if formatTimes(got) != want {
		t.Errorf("spring forward:\n%s\nwant:\n%s", formatTimes(got), want)
	}
	if d := got[1].Sub(got[0]); d != 24*time.Hour {
		t.Errorf("gap window is %s after the previous one, want 24h (same UTC time, 01:30Z)", d)
	}
	// Fall back: 2027-10-31 03:00 CEST -> 02:00 CET; 02:30 happens twice.
	got, err = w.NextWindows(time.Date(2027, 10, 30, 0, 0, 0, 0, time.UTC), 3)
	if err != nil {
		t.Fatal(err)
	}
	want = "2027-10-30T02:30:00+02:00 Sat\n2027-10-31T02:30:00+02:00 Sun\n2027-11-01T02:30:00+01:00 Mon"
	if formatTimes(got) != want {
		t.Errorf("fall back:\n%s\nwant:\n%s", formatTimes(got), want)
	}
	// Two starts that the gap maps onto one instant (02:30 -> 03:30 and
	// 03:30) give one window, not two.
	w.Cron = "30 2,3 28 3 *"
	got, _ = w.NextWindows(time.Date(2027, 3, 27, 0, 0, 0, 0, time.UTC), 2)
	want = "2027-03-28T03:30:00+02:00 Sun\n2028-03-28T02:30:00+02:00 Tue"
	if formatTimes(got) != want {
		t.Errorf("gap duplicates:\n%s\nwant:\n%s", formatTimes(got), want)
	}
}

func TestNextWindowsStrictlyAfterAndRare(t *testing.T) {
	w := Window{Cron: "0 3 29 2 *", Duration: time.Hour, Timezone: "UTC"}
	got, err := w.NextWindows(time.Date(2028, 2, 29, 3, 0, 0, 0, time.UTC), 2)
	if err != nil {
		t.Fatal(err)
	}
	want := "2032-02-29T03:00:00Z Sun\n2036-02-29T03:00:00Z Fri"
	if formatTimes(got) != want {
		t.Errorf("Feb 29 windows after one that starts exactly at 'after':\n%s\nwant:\n%s", formatTimes(got), want)
	}
	none := Window{}
	if got, err := none.NextWindows(time.Now(), 5); err != nil || len(got) != 0 {
		t.Errorf("unscheduled window: %v, %v; want none", got, err)
	}
}

func TestWindowSpec(t *testing.T) {
	w := Window{Days: []string{"mon-wed", "fri"}, Start: "01:15", Duration: 3 * time.Hour,
		Timezone: "America/New_York", BlackoutDates: []string{"2026-11-26"}}
	spec, ok := w.ScheduleSpec(time.Minute, time.Hour)
	if !ok {
		t.Fatal("ScheduleSpec() ok = false for a calendar window")
	}
	want := WindowSpec{
		Calendars: []CalendarSpec{{
			Second: []Range{{0, 0, 1}}, Minute: []Range{{15, 15, 1}}, Hour: []Range{{1, 1, 1}},
			DayOfMonth: []Range{{1, 31, 1}}, Month: []Range{{1, 12, 1}}, DayOfWeek: []Range{{1, 3, 1}, {5, 5, 1}},
			Comment: "window mon-wed,fri 01:15",
		}},
		Skip: []CalendarSpec{{
			Second: []Range{{0, 59, 1}}, Minute: []Range{{0, 59, 1}}, Hour: []Range{{0, 23, 1}},
			DayOfMonth: []Range{{26, 26, 1}}, Month: []Range{{11, 11, 1}}, Year: []Range{{2026, 2026, 1}},
			DayOfWeek: []Range{{0, 6, 1}}, Comment: "blackout 2026-11-26",
		}},
		TimeZoneName: "America/New_York", Jitter: time.Minute, CatchupWindow: time.Hour, Duration: 3 * time.Hour,
	}
	if !reflect.DeepEqual(spec, want) {
		t.Errorf("ScheduleSpec() =\n%+v\nwant\n%+v", spec, want)
	}
	cron := Window{Cron: "@daily", Duration: time.Hour, Timezone: "UTC"}
	spec, _ = cron.ScheduleSpec(0, 0)
	if !reflect.DeepEqual(spec.CronExpressions, []string{"0 0 * * *"}) || spec.Calendars != nil {
		t.Errorf("cron ScheduleSpec() = %+v, want CronExpressions [0 0 * * *]", spec)
	}
	for expr, want := range map[string]string{
		"*/15 22-23 * jan,dec mon-fri": "0,15,30,45 22-23 * 1,12 1-5",
		"0 2 1-31/2 * *":               "0 2 1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31 * *",
		"0 2 * * 7":                    "0 2 * * 0",
		"0 2 * * 0-7":                  "0 2 * * *",
		"* * * * *":                    "* * * * *",
	} {
		c, err := ParseCron(expr)
		if err != nil || c.Canonical() != want {
			t.Errorf("Canonical(%q) = %q, %v; want %q", expr, c.Canonical(), err, want)
		}
	}
	if _, ok := (&Window{}).ScheduleSpec(0, 0); ok {
		t.Error("ScheduleSpec() ok = true for a window without a schedule")
	}
}

func TestParseDays(t *testing.T) {
	set, err := parseDays([]string{"Monday", "wed-FRI", "sun"})
	if err != nil || set != 1<<0|1<<1|1<<3|1<<4|1<<5 {
		t.Errorf("parseDays = %b, %v", set, err)
	}
	for _, bad := range []string{"mo", "monxyz", "fri-mon", "", "mon-"} {
		if _, err := parseDays([]string{bad}); err == nil {
			t.Errorf("parseDays(%q) accepted", bad)
		}
	}
}

func TestWindowAt(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	w := &Window{Cron: "0 2 * * *", Duration: time.Hour, Timezone: "UTC"}
	open, closes, next, err := w.At(utc("2026-11-25T02:10:00Z"))
	if err != nil || !open || !closes.Equal(utc("2026-11-25T03:00:00Z")) || !next.Equal(utc("2026-11-26T02:00:00Z")) {
		t.Fatalf("02:10: open %v closes %s next %s err %v", open, closes, next, err)
	}
	open, _, next, _ = w.At(utc("2026-11-25T03:00:00Z"))
	if open || !next.Equal(utc("2026-11-26T02:00:00Z")) {
		t.Fatalf("03:00: open %v next %s; the window is closed at its end", open, next)
	}
	// Touching windows merge: every 30m for 30m is always open.
	w = &Window{Cron: "*/30 * * * *", Duration: 30 * time.Minute}
	if open, closes, _, _ := w.At(utc("2026-11-25T02:10:00Z")); !open || closes.Sub(utc("2026-11-25T02:10:00Z")) < 24*time.Hour {
		t.Fatalf("back-to-back windows: open %v closes %s", open, closes)
	}
	// A window on a blackout date never opens that day.
	w = &Window{Cron: "0 2 * * *", Duration: time.Hour, BlackoutDates: []string{"2026-11-25"}}
	if open, _, next, _ := w.At(utc("2026-11-25T02:10:00Z")); open || !next.Equal(utc("2026-11-26T02:00:00Z")) {
		t.Fatalf("blackout day: open %v next %s; want closed until the 26th", open, next)
	}
}

func TestMinStartGap(t *testing.T) {
	for expr, want := range map[string]time.Duration{
		"0 2 * * *":       24 * time.Hour,
		"0 2,14 * * *":    12 * time.Hour,
		"0 2 * * mon,tue": 24 * time.Hour,
		"0 23 * * sat":    7 * 24 * time.Hour,
		"*/20 * * * *":    20 * time.Minute,
	} {
		c, err := ParseCron(expr)
		if err != nil || c.MinStartGap() != want {
			t.Errorf("MinStartGap(%q) = %s, %v; want %s", expr, c.MinStartGap(), err, want)
		}
	}
}
