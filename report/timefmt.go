package report

import (
	"fmt"
	"strings"
	"time"

	// The zone a report asks for must render the same on every machine,
	// also one without /usr/share/zoneinfo.
	_ "time/tzdata"
)

// dateLayout is the layout of KEV due dates and exception end dates
// given as days.
const dateLayout = "2006-01-02"

// loadZone returns the location of an IANA zone name; "" and "UTC" are UTC.
func loadZone(name string) (*time.Location, error) {
	if name == "" || name == "UTC" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: not an IANA zone name (for example Europe/Berlin or UTC)", excerpt(name))
	}
	return loc, nil
}

// utc drops a time's location and its sub-second part: every time in a
// report is UTC to the second, so JSON and HTML render the same bytes
// whatever zone the caller's times were in.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Second)
}

// clock formats times for the text renderings: UTC, and the report's zone
// beside it when that is not UTC.
type clock struct{ loc *time.Location }

// newClock returns the clock of a report's zone; an unknown zone (a report
// decoded from a file that Validate would reject) falls back to UTC only.
func newClock(zone string) clock {
	loc, err := loadZone(zone)
	if err != nil {
		loc = time.UTC
	}
	return clock{loc}
}

// At formats t as "2026-11-03 14:05 UTC (15:05 CET)"; "-" for zero.
func (c clock) At(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	s := t.UTC().Format("2006-01-02 15:04 UTC")
	if c.loc != time.UTC {
		l := t.In(c.loc)
		if l.Format(dateLayout) == t.UTC().Format(dateLayout) {
			s += " (" + l.Format("15:04 MST") + ")"
		} else {
			s += " (" + l.Format("Jan 2 15:04 MST") + ")"
		}
	}
	return s
}

// Date formats t as a UTC day; "-" for zero.
func (c clock) Date(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(dateLayout)
}

// Zone names the clock's zone for headers: "UTC" or "UTC and Europe/Berlin".
func (c clock) Zone() string {
	if c.loc == time.UTC {
		return "UTC"
	}
	return "UTC and " + c.loc.String()
}

// humanDuration formats a duration for a reader in at most two units:
// "12d 4h", "5h 20m", "45m", "30s".
func humanDuration(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	d = d.Truncate(time.Second)
	days := d / (24 * time.Hour)
	hours := (d % (24 * time.Hour)) / time.Hour
	mins := (d % time.Hour) / time.Minute
	var s string
	switch {
	case days > 0:
		s = fmt.Sprintf("%dd %dh", days, hours)
	case hours > 0:
		s = fmt.Sprintf("%dh %dm", hours, mins)
	case mins > 0:
		s = fmt.Sprintf("%dm", mins)
	default:
		s = fmt.Sprintf("%ds", d/time.Second)
	}
	s = strings.TrimSuffix(s, " 0h")
	s = strings.TrimSuffix(s, " 0m")
	if neg {
		return "-" + s
	}
	return s
}

// seconds converts a duration to whole seconds for JSON.
func seconds(d time.Duration) int64 { return int64(d / time.Second) }
