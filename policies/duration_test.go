package policies

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"0": 0, "0s": 0, "90s": 90 * time.Second, "1h30m": 90 * time.Minute, "1d": 24 * time.Hour,
		"2w": 14 * 24 * time.Hour, "1d12h": 36 * time.Hour, "1.5d": 36 * time.Hour, "250ms": 250 * time.Millisecond,
		"1w2d3h4m5s": (9*24+3)*time.Hour + 4*time.Minute + 5*time.Second,
	} {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"":       "empty duration; use a number with a unit, e.g. 30m or 1d",
		"10":     `invalid duration "10": missing unit (ns, us, ms, s, m, h, d, w)`,
		"1y":     `invalid duration "1y": unknown unit "y" (use ns, us, ms, s, m, h, d, w)`,
		"-5m":    `invalid duration "-5m": durations cannot be negative`,
		"d":      `invalid duration "d": expected a number at "d" (units ns, us, ms, s, m, h, d, w)`,
		"1..2h":  `invalid duration "1..2h": bad number "1..2"`,
		"1e9w":   `invalid duration "1e9w": unknown unit "e" (use ns, us, ms, s, m, h, d, w)`,
		"20000w": `invalid duration "20000w": too long`,
	} {
		_, err := ParseDuration(in)
		if err == nil || err.Error() != want {
			t.Errorf("ParseDuration(%q) error = %v, want %q", in, err, want)
		}
	}
}

func TestDurationTextRoundTrip(t *testing.T) {
	for _, d := range []time.Duration{0, time.Second, 90 * time.Minute, 24 * time.Hour, 36 * time.Hour, 14 * 24 * time.Hour, 1500 * time.Millisecond} {
		b, err := json.Marshal(Duration(d))
		if err != nil {
			t.Fatal(err)
		}
		var back Duration
		if err := json.Unmarshal(b, &back); err != nil || back.Std() != d {
			t.Errorf("JSON round trip of %s via %s = %s, %v", d, b, back.Std(), err)
		}
	}
	if s := Duration(90 * time.Minute).String(); s != "1h30m" {
		t.Errorf("String(90m) = %q, want 1h30m", s)
	}
	if s := Duration(2 * time.Hour).String(); s != "2h" {
		t.Errorf("String(2h) = %q, want 2h", s)
	}
	if s := Duration(48 * time.Hour).String(); s != "2d" {
		t.Errorf("String(48h) = %q, want 2d", s)
	}
}
