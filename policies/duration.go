package policies

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/patchflow/patchflow/internal/safetext"
)

// Duration is a time.Duration written in policies as a Go duration string
// ("90m", "1h30m") or with the day and week suffixes "d" (24h) and "w" (7d).
// It marshals to text, so JSON carries "1d" rather than nanoseconds; gob
// carries the integer.
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String formats d in the shortest policy form: "2w", "1d", "1h30m", "45s".
func (d Duration) String() string {
	td := time.Duration(d)
	const day, week = 24 * time.Hour, 7 * 24 * time.Hour
	switch {
	case td == 0:
		return "0s"
	case td%week == 0:
		return strconv.FormatInt(int64(td/week), 10) + "w"
	case td%day == 0:
		return strconv.FormatInt(int64(td/day), 10) + "d"
	}
	s := td.String()
	// "1h30m0s" reads better as "1h30m".
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseDuration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

var unitLen = map[string]time.Duration{
	"ns": time.Nanosecond, "us": time.Microsecond, "µs": time.Microsecond,
	"ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour,
	"d": 24 * time.Hour, "w": 7 * 24 * time.Hour,
}

// ParseDuration parses a non-negative duration: a sequence of decimal numbers,
// each with a unit (ns, us, ms, s, m, h, d, w), e.g. "1d12h" or "2w". A bare
// "0" is allowed; negative durations are not.
func ParseDuration(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	if s == "" {
		return 0, safetext.Errorf("empty duration; use a number with a unit, e.g. 30m or 1d")
	}
	if strings.HasPrefix(s, "-") {
		return 0, safetext.Errorf("invalid duration %q: durations cannot be negative", s)
	}
	rest := s
	var total float64
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, safetext.Errorf("invalid duration %q: expected a number at %q (units ns, us, ms, s, m, h, d, w)", s, rest)
		}
		num, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return 0, safetext.Errorf("invalid duration %q: bad number %q", s, rest[:i])
		}
		rest = rest[i:]
		j := 0
		for j < len(rest) && !(rest[j] >= '0' && rest[j] <= '9' || rest[j] == '.') {
			j++
		}
		unit, ok := unitLen[rest[:j]]
		if !ok {
			if j == 0 {
				return 0, safetext.Errorf("invalid duration %q: missing unit (ns, us, ms, s, m, h, d, w)", s)
			}
			return 0, safetext.Errorf("invalid duration %q: unknown unit %q (use ns, us, ms, s, m, h, d, w)", s, rest[:j])
		}
		rest = rest[j:]
		total += num * float64(unit)
		if total >= math.MaxInt64 {
			return 0, safetext.Errorf("invalid duration %q: too long", s)
		}
	}
	return time.Duration(math.Round(total)), nil
}
