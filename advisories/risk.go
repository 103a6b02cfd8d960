package advisories

import (
	"math"

	"github.com/patchflow/patchflow/domain"
)

// Risk is patchflow's risk score of one vulnerability, 0..100, a plain sum
// (docs/vulnerabilities.md):
//
//	severity points: critical 40, high 30, medium 20, low 10, unknown 20
//	+ 30 when the CVE is in CISA KEV
//	+ round(30 x EPSS score) when it has one
//
// capped at 100. Unknown counts like medium here so that an unrated fix
// is neither hidden nor inflated; its severity field stays "unknown". An
// update's risk is the highest risk of what it fixes.
func Risk(sev Severity, kev bool, epss *float64) int {
	points := 20 // unknown and medium
	switch sev {
	case domain.SeverityCritical:
		points = 40
	case domain.SeverityHigh:
		points = 30
	case domain.SeverityLow:
		points = 10
	}
	if kev {
		points += 30
	}
	if epss != nil && *epss > 0 {
		points += int(math.Round(30 * math.Min(*epss, 1)))
	}
	return min(points, 100)
}
