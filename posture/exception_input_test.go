package posture

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var now = time.Date(2026, 11, 20, 15, 4, 5, 0, time.UTC)

func TestParseUntil(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Time
		err  string
	}{
		{"2026-12-31", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		{" 2026-11-20 ", time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), ""}, // today: until tonight
		{"2026-11-20T18:00:00+02:00", time.Date(2026, 11, 20, 16, 0, 0, 0, time.UTC), ""},
		{"2027-11-21", time.Date(2027, 11, 22, 0, 0, 0, 0, time.UTC), ""}, // 366 days and 9 hours: too long
		{"2026-11-19", time.Time{}, "is in the past"},
		{"2026-11-20T15:04:05Z", time.Time{}, "is in the past"},
		{"2028-01-01", time.Time{}, "more than a year ahead"},
		{"31/12/2026", time.Time{}, `--until "31/12/2026" is not a date: want YYYY-MM-DD`},
		{"2026-02-30", time.Time{}, "is not a date"},
		{"", time.Time{}, "--until is empty"},
		{"2026-12-31\x1b[2J", time.Time{}, `"2026-12-31\x1b[2J" is not a date`},
	} {
		got, err := ParseUntil(tt.in, now)
		if tt.in == "2027-11-21" {
			if err == nil || !strings.Contains(err.Error(), "more than a year") {
				t.Errorf("ParseUntil(%q) = %v, %v; want refused as more than a year", tt.in, got, err)
			}
			continue
		}
		switch {
		case tt.err == "" && (err != nil || !got.Equal(tt.want)):
			t.Errorf("ParseUntil(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseUntil(%q) error %v; want %q", tt.in, err, tt.err)
		}
	}
}

// TestNewExceptionReportsEveryProblem: one call names every problem of a
// request, so a user fixes them in one go.
func TestNewExceptionReportsEveryProblem(t *testing.T) {
	_, err := NewException(ExceptionRequest{ID: "EXC-1", CVEs: []string{"CVE-2023-4911", "CVE-99"}, Hosts: []string{"grp"},
		Until: "yesterday", Reason: "", By: ""}, now)
	if err == nil {
		t.Fatal("a bad request was accepted")
	}
	for _, want := range []string{`"CVE-99" is not a CVE id`, "--hosts: ", `"yesterday" is not a date`, "--reason is empty", "--by NAME"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	e, err := NewException(ExceptionRequest{ID: "EXC-2", CVEs: []string{"cve-2023-4911", "CVE-2023-4911"}, Hosts: []string{"group=web, env=prod"},
		Until: "2026-12-31", Reason: "  vendor fix due in January  ", By: "ana"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.CVEs) != 1 || e.CVEs[0] != "CVE-2023-4911" || e.Reason != "vendor fix due in January" || len(e.Select) != 1 || !e.CreatedAt.Equal(now) {
		t.Errorf("exception %+v", e)
	}
}

func TestNewExceptionID(t *testing.T) {
	a, b := NewExceptionID(now), NewExceptionID(now)
	if !strings.HasPrefix(a, "EXC-20261120-") || len(a) != len("EXC-20261120-")+6 || a == b || !exceptionIDPattern.MatchString(a) {
		t.Errorf("ids %q, %q", a, b)
	}
}

// FuzzParseUntil: any input gives a time in (now, now+MaxExceptionTerm]
// or an error quoting at most a short, escaped excerpt; never a panic.
func FuzzParseUntil(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseUntil(s, now)
		if err != nil {
			msg := err.Error()
			if strings.ContainsAny(msg, "\x00\x1b\r\n") || !utf8.ValidString(msg) || len(msg) > 400 {
				t.Fatalf("error for %q is not short and safe: %q", s, msg)
			}
			return
		}
		if !got.After(now) || got.Sub(now) > MaxExceptionTerm || got.Location() != time.UTC {
			t.Fatalf("ParseUntil(%q) = %v, outside (now, now+%s] or not UTC", s, got, MaxExceptionTerm)
		}
	})
}

// FuzzNewException: any request is either a valid exception (what
// ExceptionWorkflow accepts) or an error; never a panic.
func FuzzNewException(f *testing.F) {
	f.Fuzz(func(t *testing.T, id, cve, hosts, until, reason string) {
		e, err := NewException(ExceptionRequest{ID: id, CVEs: []string{cve}, Hosts: []string{hosts}, Until: until, Reason: reason, By: "fuzz"}, now)
		if err != nil {
			return
		}
		if e.ID == "" || len(e.CVEs) == 0 || len(e.Select) == 0 || e.Until.IsZero() || strings.TrimSpace(e.Reason) == "" || checkReason(e.Reason) != nil {
			t.Fatalf("accepted an exception the workflow refuses: %+v", e)
		}
	})
}
