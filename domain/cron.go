package domain

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"github.com/patchflow/patchflow/internal/safetext"
)

// Cron is a parsed standard 5-field cron expression (minute hour
// day-of-month month day-of-week), as bit sets of the values each field
// matches. Names (jan..dec, sun..sat), lists, ranges and steps are read;
// day-of-week 7 is Sunday. Restricting both day-of-month and day-of-week is
// refused: Vixie cron ORs them while calendar specs (Temporal) AND them, and
// a maintenance window must not depend on which reading applies.
type Cron struct {
	Expr   string // normalised 5-field form (macros expanded)
	fields [5]uint64
}

type cronField struct {
	name     string
	min, max int
	names    []string // names[i] is value min+i
}

var cronFields = [5]cronField{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day-of-month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	{name: "day-of-week", min: 0, max: 7, names: []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}

var cronMacros = map[string]string{
	"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
	"@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}

// ParseCron parses expr, a 5-field cron expression or one of @yearly,
// @monthly, @weekly, @daily, @hourly.
func ParseCron(expr string) (*Cron, error) {
	s := strings.TrimSpace(expr)
	if m, ok := cronMacros[strings.ToLower(s)]; ok {
		s = m
	}
	parts := strings.Fields(s)
	if len(parts) != 5 {
		if strings.HasPrefix(s, "CRON_TZ=") || strings.HasPrefix(s, "TZ=") {
			return nil, safetext.Errorf("time zone prefixes are not allowed in cron; set window.timezone")
		}
		return nil, safetext.Errorf("cron needs 5 fields (minute hour day-of-month month day-of-week), found %d", len(parts))
	}
	c := &Cron{Expr: strings.Join(parts, " ")}
	for i, part := range parts {
		set, err := parseCronField(part, cronFields[i])
		if err != nil {
			return nil, err
		}
		c.fields[i] = set
	}
	// Fold day-of-week 7 into 0 (both Sunday).
	if c.fields[4]&(1<<7) != 0 {
		c.fields[4] = c.fields[4]&^(1<<7) | 1
	}
	if parts[2] != "*" && parts[4] != "*" {
		return nil, safetext.Errorf("cron restricts both day-of-month (%s) and day-of-week (%s); cron implementations disagree on what that means, restrict only one", parts[2], parts[4])
	}
	if !c.canMatch() {
		return nil, safetext.Errorf("cron day-of-month %s never occurs in month %s", parts[2], parts[3])
	}
	return c, nil
}

func parseCronField(s string, f cronField) (uint64, error) {
	var set uint64
	for _, item := range strings.Split(s, ",") {
		if item == "" {
			return 0, safetext.Errorf("cron %s field %q has an empty list item", f.name, s)
		}
		rng, stepStr, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepStr)
			if err != nil || n < 1 || n > f.max {
				return 0, safetext.Errorf("cron %s field: step must be 1-%d, got %q", f.name, f.max, stepStr)
			}
			step = n
		}
		lo, hi := f.min, f.max
		if rng != "*" {
			a, b, isRange := strings.Cut(rng, "-")
			var err error
			if lo, err = cronValue(a, f); err != nil {
				return 0, err
			}
			hi = lo
			if isRange {
				if hi, err = cronValue(b, f); err != nil {
					return 0, err
				}
				if hi < lo {
					return 0, safetext.Errorf("cron %s field: range %q runs backwards", f.name, rng)
				}
			} else if hasStep {
				hi = f.max // "a/n" means from a to the end, every n
			}
		}
		for v := lo; v <= hi; v += step {
			set |= 1 << uint(v)
		}
	}
	return set, nil
}

func cronValue(s string, f cronField) (int, error) {
	for i, name := range f.names {
		if strings.EqualFold(s, name) {
			return f.min + i, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, safetext.Errorf("cron %s field: %q is not a number or name", f.name, s)
	}
	if n < f.min || n > f.max {
		return 0, safetext.Errorf("cron %s field: %d is out of range %d-%d", f.name, n, f.min, f.max)
	}
	return n, nil
}

var monthDays = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// canMatch reports whether some listed day-of-month exists in some listed
// month (February counted with 29 days), so "0 0 31 2 *" is refused.
func (c *Cron) canMatch() bool {
	for m := 1; m <= 12; m++ {
		if c.fields[3]&(1<<uint(m)) == 0 {
			continue
		}
		for d := 1; d <= monthDays[m]; d++ {
			if c.fields[2]&(1<<uint(d)) != 0 {
				return true
			}
		}
	}
	return false
}

// matchesDay reports whether the cron may fire on the given date.
func (c *Cron) matchesDay(month, day, weekday int) bool {
	return c.fields[3]&(1<<uint(month)) != 0 && c.fields[2]&(1<<uint(day)) != 0 && c.fields[4]&(1<<uint(weekday)) != 0
}

// values lists the members of field i in ascending order.
func (c *Cron) values(i int) []int {
	var out []int
	for set := c.fields[i]; set != 0; set &= set - 1 {
		out = append(out, bits.TrailingZeros64(set))
	}
	return out
}

// Canonical renders the cron with numbers only ("0 2 * * 1-5" for
// "0 2 * * mon-fri"), each field as ranges of the values it matches, so any
// cron reader (Temporal's ScheduleSpec.CronExpressions included) reads the
// same times without depending on its name or step handling.
func (c *Cron) Canonical() string {
	parts := make([]string, 5)
	for i, f := range cronFields {
		hi := f.max
		if i == 4 {
			hi = 6 // Sunday is 0 only
		}
		if c.fields[i] == allBits(f.min, hi) {
			parts[i] = "*"
			continue
		}
		var items []string
		for _, r := range bitRanges(c.fields[i]) {
			if r.Start == r.End {
				items = append(items, strconv.Itoa(r.Start))
			} else {
				items = append(items, fmt.Sprintf("%d-%d", r.Start, r.End))
			}
		}
		parts[i] = strings.Join(items, ",")
	}
	return strings.Join(parts, " ")
}

func allBits(lo, hi int) uint64 {
	var s uint64
	for v := lo; v <= hi; v++ {
		s |= 1 << uint(v)
	}
	return s
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

// MinStartGap is the shortest time between two consecutive starts of c, in
// wall-clock time (a daylight-saving change can shorten one gap by an
// hour), found over eight years so every weekday and leap day pattern
// recurs; 0 when c starts at most once in that span.
func (c *Cron) MinStartGap() time.Duration {
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
