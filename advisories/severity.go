package advisories

import (
	"fmt"
	"strings"

	cvss20 "github.com/pandatix/go-cvss/20"
	cvss30 "github.com/pandatix/go-cvss/30"
	cvss31 "github.com/pandatix/go-cvss/31"
	cvss40 "github.com/pandatix/go-cvss/40"
	"github.com/patchflow/patchflow/domain"
)

// Severity is patchflow's severity scale, package domain's: this package
// maps each source's own words and scores onto it.
type Severity = domain.Severity

// Severity sources, the first word of severity_source: which kind of
// statement decided a severity. Distro urgency wins over vendor severity,
// which wins over a CVSS base score; a Debian changelog's upload urgency
// comes last because it applies to a whole upload, not to one CVE.
const (
	SourceKindDistro    = "distro"
	SourceKindVendor    = "vendor"
	SourceKindCVSS      = "cvss"
	SourceKindChangelog = "changelog"
)

// severityClass ranks severity source kinds: higher wins.
func severityClass(kind string) int {
	switch kind {
	case SourceKindDistro:
		return 4
	case SourceKindVendor:
		return 3
	case SourceKindCVSS:
		return 2
	case SourceKindChangelog:
		return 1
	}
	return 0
}

// DebianUrgency maps a Debian Security Tracker urgency to a severity.
// "unimportant" is low (the tracker's own lowest class); "not yet
// assigned" and "end-of-life" say nothing about severity and stay unknown.
// Trailing "*" marks (urgencies taken from NVD) are ignored.
func DebianUrgency(u string) Severity {
	switch strings.TrimRight(strings.ToLower(strings.TrimSpace(u)), "*") {
	case "high":
		return domain.SeverityHigh
	case "medium":
		return domain.SeverityMedium
	case "low", "unimportant":
		return domain.SeverityLow
	}
	return domain.SeverityUnknown
}

// UploadUrgency maps a Debian changelog upload urgency (low, medium, high,
// emergency, critical) to a severity.
func UploadUrgency(u string) Severity {
	switch strings.ToLower(strings.TrimSpace(u)) {
	case "emergency", "critical":
		return domain.SeverityCritical
	case "high":
		return domain.SeverityHigh
	case "medium":
		return domain.SeverityMedium
	case "low":
		return domain.SeverityLow
	}
	return domain.SeverityUnknown
}

// VendorSeverity maps a vendor's severity word to a severity: Red Hat,
// AlmaLinux, Rocky and SUSE (Critical, Important, Moderate, Low), Ubuntu
// priorities (critical, high, medium, low, negligible) and plain words.
// Anything else is unknown.
func VendorSeverity(s string) Severity {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical":
		return domain.SeverityCritical
	case "important", "high":
		return domain.SeverityHigh
	case "moderate", "medium":
		return domain.SeverityMedium
	case "low", "negligible":
		return domain.SeverityLow
	}
	return domain.SeverityUnknown
}

// summarySeverity reads a severity prefix such as "Moderate: openssl
// security update" (AlmaLinux and Rocky put it only there).
func summarySeverity(summary string) Severity {
	word, _, ok := strings.Cut(summary, ":")
	if !ok || len(word) > 12 {
		return domain.SeverityUnknown
	}
	return VendorSeverity(word)
}

// CVSSSeverity computes the base score of a CVSS vector (v2, v3.0, v3.1 or
// v4.0) with github.com/pandatix/go-cvss and maps it to a severity with the
// CVSS v3 bands (9.0 critical, 7.0 high, 4.0 medium, 0.1 low; 0.0 is
// unknown, as "none" is not a severity).
func CVSSSeverity(vector string) (Severity, float64, error) {
	v := strings.TrimSpace(vector)
	var score float64
	switch {
	case strings.HasPrefix(v, "CVSS:3.1/"):
		c, err := cvss31.ParseVector(v)
		if err != nil {
			return domain.SeverityUnknown, 0, fmt.Errorf("cvss vector %s: %w", quote(v), err)
		}
		score = c.BaseScore()
	case strings.HasPrefix(v, "CVSS:3.0/"):
		c, err := cvss30.ParseVector(v)
		if err != nil {
			return domain.SeverityUnknown, 0, fmt.Errorf("cvss vector %s: %w", quote(v), err)
		}
		score = c.BaseScore()
	case strings.HasPrefix(v, "CVSS:4.0/"):
		c, err := cvss40.ParseVector(v)
		if err != nil {
			return domain.SeverityUnknown, 0, fmt.Errorf("cvss vector %s: %w", quote(v), err)
		}
		score = c.Score()
	case strings.HasPrefix(v, "AV:"):
		c, err := cvss20.ParseVector(v)
		if err != nil {
			return domain.SeverityUnknown, 0, fmt.Errorf("cvss vector %s: %w", quote(v), err)
		}
		score = c.BaseScore()
	default:
		return domain.SeverityUnknown, 0, fmt.Errorf("cvss vector %s: unknown version (want CVSS:3.0/, CVSS:3.1/, CVSS:4.0/ or a v2 vector)", quote(v))
	}
	return scoreSeverity(score), score, nil
}

func scoreSeverity(score float64) Severity {
	switch {
	case score >= 9.0:
		return domain.SeverityCritical
	case score >= 7.0:
		return domain.SeverityHigh
	case score >= 4.0:
		return domain.SeverityMedium
	case score >= 0.1:
		return domain.SeverityLow
	}
	return domain.SeverityUnknown
}

// Rating is a severity with the statement that decided it.
type Rating struct {
	Severity Severity
	// Source is "<kind>:<source name>", e.g. "distro:debian-tracker",
	// "vendor:almalinux-osv", "cvss:redhat-osv", "changelog:expat".
	Source string
}

// better reports whether r should replace cur: a known severity beats
// unknown; between known ones the stronger kind of source wins, and within
// one kind the higher severity.
func (r Rating) better(cur Rating) bool {
	if !r.Severity.Known() {
		return false
	}
	if !cur.Severity.Known() {
		return true
	}
	rk, ck := severityClass(kindOf(r.Source)), severityClass(kindOf(cur.Source))
	if rk != ck {
		return rk > ck
	}
	return r.Severity.Rank() > cur.Severity.Rank()
}

func kindOf(source string) string {
	k, _, _ := strings.Cut(source, ":")
	return k
}
