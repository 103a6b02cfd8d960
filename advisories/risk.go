package advisories

import "math"

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
	points := map[Severity]int{SeverityCritical: 40, SeverityHigh: 30, SeverityMedium: 20, SeverityLow: 10}[sev]
	if !sev.Known() {
		points = 20
	}
	if kev {
		points += 30
	}
	if epss != nil && *epss > 0 {
		points += int(math.Round(30 * math.Min(*epss, 1)))
	}
	return min(points, 100)
}
