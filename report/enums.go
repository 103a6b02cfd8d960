package report

import (
	"fmt"
	"slices"

	"github.com/patchflow/patchflow/domain"
)

// Severity is patchflow's severity scale, package domain's; Unknown is its
// own value: a severity is never guessed. It has no text methods of its own
// (workflow payloads carry domain.Severity, empty included), so every
// report's Validate checks its severities instead, before any writing and
// after any reading.
type Severity = domain.Severity

// Every enum below is a string type with a fixed set of values. Valid says
// whether a value is one of them; MarshalText refuses any other, so an
// invalid state can never be written out, and UnmarshalText refuses one on
// the way in.

// HostState is where one host stands against its policy (docs/reports.md
// gives the exact rules, applied in this order of precedence:
// assessment_failed, never_assessed, stale_assessment, then compliant,
// exception or noncompliant from its missing fixes). It is not
// domain.HostState, which says how far a host's patch has got.
type HostState string

// Host states.
const (
	// StateNoncompliant: at least one required fix is missing and not
	// covered by an active exception.
	StateNoncompliant HostState = "noncompliant"
	// StateAssessmentFailed: the host's latest assessment attempt failed
	// (after its last complete one, if any).
	StateAssessmentFailed HostState = "assessment_failed"
	// StateStaleAssessment: the last complete assessment is older than the
	// report's stale_after.
	StateStaleAssessment HostState = "stale_assessment"
	// StateNeverAssessed: no assessment of the host under this policy.
	StateNeverAssessed HostState = "never_assessed"
	// StateException: every missing required fix is covered by an active
	// risk exception.
	StateException HostState = "exception"
	// StateCompliant: a current assessment found no required fix missing.
	StateCompliant HostState = "compliant"
)

// HostStates lists every host state in report order (the ones that need
// attention first).
var HostStates = []HostState{StateNoncompliant, StateAssessmentFailed, StateStaleAssessment, StateNeverAssessed, StateException, StateCompliant}

// Valid reports whether s is one of HostStates.
func (s HostState) Valid() bool { return slices.Contains(HostStates, s) }

// MarshalText implements encoding.TextMarshaler; it refuses invalid values.
func (s HostState) MarshalText() ([]byte, error) { return marshalEnum("host state", s, s.Valid()) }

// UnmarshalText implements encoding.TextUnmarshaler; it refuses invalid values.
func (s *HostState) UnmarshalText(b []byte) error {
	return unmarshalEnum("host state", b, s, HostStates)
}

// SLAState is where a missing fix stands against its remediation deadline.
type SLAState string

// SLA states.
const (
	// SLANone: no SLA applies (the policy sets none for the severity and
	// no KEV due date counts).
	SLANone SLAState = "none"
	// SLAWithin: the deadline is ahead, more than a quarter of the window left.
	SLAWithin SLAState = "within"
	// SLADueSoon: the deadline is ahead, at most a quarter of the window left.
	SLADueSoon SLAState = "due_soon"
	// SLABreached: the deadline has passed.
	SLABreached SLAState = "breached"
)

// SLAStates lists every SLA state, the most urgent first.
var SLAStates = []SLAState{SLABreached, SLADueSoon, SLAWithin, SLANone}

// Valid reports whether s is one of SLAStates.
func (s SLAState) Valid() bool { return slices.Contains(SLAStates, s) }

// MarshalText implements encoding.TextMarshaler; it refuses invalid values.
func (s SLAState) MarshalText() ([]byte, error) { return marshalEnum("sla state", s, s.Valid()) }

// UnmarshalText implements encoding.TextUnmarshaler; it refuses invalid values.
func (s *SLAState) UnmarshalText(b []byte) error { return unmarshalEnum("sla state", b, s, SLAStates) }

// SLASource says which deadline decided a fix's due time.
type SLASource string

// SLA sources.
const (
	// SLAFromPolicy: first seen + the policy's SLA for the severity.
	SLAFromPolicy SLASource = "policy"
	// SLAFromKEV: the end of the CISA KEV due date (UTC), when the policy
	// lets KEV due dates count and it is the earlier deadline.
	SLAFromKEV SLASource = "kev"
)

// SLASources lists every SLA source.
var SLASources = []SLASource{SLAFromPolicy, SLAFromKEV}

// Valid reports whether s is one of SLASources.
func (s SLASource) Valid() bool { return slices.Contains(SLASources, s) }

// MarshalText implements encoding.TextMarshaler; it refuses invalid values.
func (s SLASource) MarshalText() ([]byte, error) { return marshalEnum("sla source", s, s.Valid()) }

// UnmarshalText implements encoding.TextUnmarshaler; it refuses invalid values.
func (s *SLASource) UnmarshalText(b []byte) error {
	return unmarshalEnum("sla source", b, s, SLASources)
}

// marshalEnum returns v's text, or an error naming the kind when it is not
// a valid value.
func marshalEnum[T ~string](kind string, v T, valid bool) ([]byte, error) {
	if !valid {
		return nil, fmt.Errorf("invalid %s %q", kind, excerpt(string(v)))
	}
	return []byte(v), nil
}

// unmarshalEnum sets *dst to b when b is one of values.
func unmarshalEnum[T ~string](kind string, b []byte, dst *T, values []T) error {
	v := T(b)
	if !slices.Contains(values, v) {
		return fmt.Errorf("invalid %s %q (want one of %v)", kind, excerpt(string(b)), values)
	}
	*dst = v
	return nil
}
