package advisories

import (
	"fmt"
	"strings"

	cvss20 "github.com/pandatix/go-cvss/20"
	cvss30 "github.com/pandatix/go-cvss/30"
	cvss31 "github.com/pandatix/go-cvss/31"
	cvss40 "github.com/pandatix/go-cvss/40"
)

// Severity is patchflow's severity scale: critical, high, medium, low or
// unknown. Unknown is its own value and is never guessed into another.
type Severity string

// Severities, from the most to the least severe; SeverityUnknown when no
// source says.
const (
	SeverityCritical Severity = "critical"
	SeverityHigh     Severity = "high"
	SeverityMedium   Severity = "medium"
	SeverityLow      Severity = "low"
	SeverityUnknown  Severity = "unknown"
)

// Rank orders severities: unknown 0, low 1 ... critical 4.
func (s Severity) Rank() int {
	switch s {
	case SeverityCritical:
		return 4
	case SeverityHigh:
		return 3
	case SeverityMedium:
		return 2
	case SeverityLow:
		return 1
	}
	return 0
}

// Known reports whether s is a severity other than unknown.
func (s Severity) Known() bool { return s.Rank() > 0 }

// ParseSeverity reads one of patchflow's severity names ("" is unknown).
func ParseSeverity(s string) (Severity, error) {
	switch v := Severity(strings.ToLower(strings.TrimSpace(s))); v {
	case SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityUnknown:
		return v, nil
	case "":
		return SeverityUnknown, nil
	}
	return SeverityUnknown, fmt.Errorf("unknown severity %s (want critical, high, medium, low or unknown)", quote(s))
}

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
		return SeverityHigh
	case "medium":
		return SeverityMedium
	case "low", "unimportant":
		return SeverityLow
	}
	return SeverityUnknown
}

// UploadUrgency maps a Debian changelog upload urgency (low, medium, high,
// emergency, critical) to a severity.
func UploadUrgency(u string) Severity {
	switch strings.ToLower(strings.TrimSpace(u)) {
	case "emergency", "critical":
		return SeverityCritical
	case "high":
		return SeverityHigh
	case "medium":
		return SeverityMedium
	case "low":
		return SeverityLow
	}
	return SeverityUnknown
}

// VendorSeverity maps a vendor's severity word to a severity: Red Hat,
// AlmaLinux, Rocky and SUSE (Critical, Important, Moderate, Low), Ubuntu
// priorities (critical, high, medium, low, negligible) and plain words.
// Anything else is unknown.
func VendorSeverity(s string) Severity {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical":
		return SeverityCritical
	case "important", "high":
		return SeverityHigh
	case "moderate", "medium":
		return SeverityMedium
	case "low", "negligible":
		return SeverityLow
	}
	return SeverityUnknown
}

// summarySeverity reads a severity prefix such as "Moderate: openssl
// security update" (AlmaLinux and Rocky put it only there).
func summarySeverity(summary string) Severity {
	word, _, ok := strings.Cut(summary, ":")
	if !ok || len(word) > 12 {
		return SeverityUnknown
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
			return SeverityUnknown, 0, fmt.Errorf("cvss vector %s: %w", quote(v), err)
		}
		score = c.BaseScore()
	case strings.HasPrefix(v, "CVSS:3.0/"):
		c, err := cvss30.ParseVector(v)
		if err != nil {
			return SeverityUnknown, 0, fmt.Errorf("cvss vector %s: %w", quote(v), err)
		}
		score = c.BaseScore()
	case strings.HasPrefix(v, "CVSS:4.0/"):
		c, err := cvss40.ParseVector(v)
		if err != nil {
			return SeverityUnknown, 0, fmt.Errorf("cvss vector %s: %w", quote(v), err)
		}
		score = c.Score()
	case strings.HasPrefix(v, "AV:"):
		c, err := cvss20.ParseVector(v)
		if err != nil {
			return SeverityUnknown, 0, fmt.Errorf("cvss vector %s: %w", quote(v), err)
		}
		score = c.BaseScore()
	default:
		return SeverityUnknown, 0, fmt.Errorf("cvss vector %s: unknown version (want CVSS:3.0/, CVSS:3.1/, CVSS:4.0/ or a v2 vector)", quote(v))
	}
	return scoreSeverity(score), score, nil
}

func scoreSeverity(score float64) Severity {
	switch {
	case score >= 9.0:
		return SeverityCritical
	case score >= 7.0:
		return SeverityHigh
	case score >= 4.0:
		return SeverityMedium
	case score >= 0.1:
		return SeverityLow
	}
	return SeverityUnknown
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
