package domain

// Severity is how urgent an update is: from the package manager's
// updateinfo or from advisories. SeverityUnknown when nothing says, and
// never guessed.
type Severity string

// Severities, lowest to highest after SeverityUnknown.
const (
	SeverityUnknown  Severity = "unknown"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Severities lists every severity, the most severe first and
// SeverityUnknown last: the order of reports and metrics.
var Severities = []Severity{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityUnknown}

// KnownSeverities lists the ranked severities, highest first (capped, so
// an append never writes into Severities).
var KnownSeverities = Severities[:4:4]

// Rank orders severities: critical 4, high 3, medium 2, low 1; unknown
// and anything else 0.
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

// Known reports whether s is one of the ranked severities.
func (s Severity) Known() bool { return s.Rank() > 0 }

// Valid reports whether s is one of Severities: a ranked severity or
// SeverityUnknown. Reports refuse any other value.
func (s Severity) Valid() bool { return s.Known() || s == SeverityUnknown }

// OrUnknown returns s when it is a ranked severity, else SeverityUnknown:
// the value metrics and reports use, so a stray string never becomes a
// label value of its own.
func (s Severity) OrUnknown() Severity {
	if s.Known() {
		return s
	}
	return SeverityUnknown
}

// MaxSeverity returns the higher of a and b.
func MaxSeverity(a, b Severity) Severity {
	if b.Rank() > a.Rank() {
		return b
	}
	return a
}
