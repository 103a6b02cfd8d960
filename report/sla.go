package report

import (
	"fmt"
	"math"
	"time"

	"github.com/patchflow/patchflow/domain"
)

// DueSoonFraction: a fix is due_soon once at most this fraction of its SLA
// window (first seen to deadline) is left. A quarter scales with the SLA:
// 7.5 days of a 30-day SLA, 12 hours of a 2-day one.
const DueSoonFraction = 0.25

// SLA is one policy's time to remediate per severity, package domain's
// (0 means no SLA for that severity). With KEVDueDate a KEV-listed CVE's
// fix is due at the earlier of the policy's deadline and the end of the
// KEV due date (UTC).
type SLA = domain.SLA

// validateSLA refuses a negative SLA: 0 is how a policy says none.
func validateSLA(s SLA) error {
	for _, sev := range domain.Severities {
		if s.For(sev) < 0 {
			return fmt.Errorf("sla for %s is negative (%s): use 0 for no SLA", sev, s.For(sev))
		}
	}
	return nil
}

// appliedSLA is s as the report states it applied to policy.
func appliedSLA(s SLA, policy string) PolicySLA {
	return PolicySLA{
		Policy:          policy,
		CriticalSeconds: seconds(s.Critical),
		HighSeconds:     seconds(s.High),
		MediumSeconds:   seconds(s.Medium),
		LowSeconds:      seconds(s.Low),
		UnknownSeconds:  seconds(s.Unknown),
		KEVDueDate:      s.KEVDueDate,
	}
}

// deadline is a fix's due time and what set it; zero due means no SLA.
type deadline struct {
	due    time.Time
	source SLASource
}

// deadlineOf applies the SLA rules to one finding: first seen + the
// policy's SLA for its severity, and, when the policy lets KEV count, the
// end of the KEV due date; the earlier wins (KEV on a tie).
func deadlineOf(f Finding, sla SLA) (deadline, error) {
	var d deadline
	if w := sla.For(f.Severity); w > 0 {
		d = deadline{f.FirstSeen.Add(w), SLAFromPolicy}
	}
	if sla.KEVDueDate && f.KEV && f.KEVDueDate != "" {
		day, err := time.Parse(dateLayout, f.KEVDueDate)
		if err != nil {
			return d, fmt.Errorf("kev_due_date %q: want YYYY-MM-DD as in the KEV catalogue", excerpt(f.KEVDueDate))
		}
		kevDue := day.Add(24 * time.Hour) // the whole due day counts
		if d.due.IsZero() || !kevDue.After(d.due) {
			d = deadline{kevDue, SLAFromKEV}
		}
	}
	return d, nil
}

// slaState places a deadline at now: breached once now is past it,
// due_soon when at most DueSoonFraction of the window from first seen is
// left, within otherwise.
func slaState(d deadline, firstSeen, now time.Time) SLAState {
	switch {
	case d.due.IsZero():
		return SLANone
	case now.After(d.due):
		return SLABreached
	}
	window := d.due.Sub(firstSeen)
	left := d.due.Sub(now)
	if window <= 0 || float64(left) <= DueSoonFraction*float64(window) {
		return SLADueSoon
	}
	return SLAWithin
}

// ratio returns part/whole rounded to 4 decimals, 0 when whole is 0.
func ratio(part, whole int) float64 {
	if whole == 0 {
		return 0
	}
	return math.Round(float64(part)/float64(whole)*10000) / 10000
}
