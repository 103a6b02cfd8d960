package report

import (
	"slices"
	"time"
)

// PlanHistory is the evidence behind a plan entry's history risk: earlier
// host runs of the update (Basis "path": of this upgrade; "package": the
// upgrade is new, runs of the package to other versions stand in), how
// many failed and were rolled back, over how many cycles, and the upgrade
// paths they took, the most tried first.
type PlanHistory struct {
	Basis      string        `json:"basis"`
	Runs       int           `json:"runs"`
	Failed     int           `json:"failed"`
	RolledBack int           `json:"rolled_back"`
	Cycles     int           `json:"cycles"`
	Paths      []UpgradePath `json:"paths"`
}

// UpgradePath is one from -> to upgrade and what became of its runs; From
// "" means the package was not installed.
type UpgradePath struct {
	From       string `json:"from"`
	To         string `json:"to"`
	Runs       int    `json:"runs"`
	Failed     int    `json:"failed"`
	RolledBack int    `json:"rolled_back"`
}

// HistorySource is what earlier cycles a plan's history risks were
// learned from; Error says why none could be read.
type HistorySource struct {
	Cycles int       `json:"cycles"`
	Waves  int       `json:"waves"`
	Since  time.Time `json:"since,omitzero"`
	Error  string    `json:"error,omitempty"`
}

// FinalVerify is the cycle's last check of every host it patched: still
// at the plan's versions with a healthy package manager.
type FinalVerify struct {
	At     time.Time     `json:"at"`
	Hosts  int           `json:"hosts"`
	Failed []HostProblem `json:"failed"`
}

// HostProblem is one host and what was wrong with it.
type HostProblem struct {
	Host    string `json:"host"`
	Problem string `json:"problem"`
}

// CycleHost is one target host's final state in the cycle: Stage is
// "scan" (it could not be scanned), "staging", "1", "2", ... or "" for a
// host with nothing to patch.
type CycleHost struct {
	Host   string     `json:"host"`
	Stage  string     `json:"stage"`
	Result HostResult `json:"result"`
	Reason string     `json:"reason,omitempty"`
}

// RemediationState says whether a planned host's fixes were verified by
// the first assessment after the cycle: a fix counts only once a
// re-assessment of the host says so, never because an install returned 0.
type RemediationState string

// Remediation states.
const (
	// RemediationVerified: none of the host's planned fixes is missing.
	RemediationVerified RemediationState = "verified"
	// RemediationRebootPending: installed, but the host must restart
	// before the fix runs.
	RemediationRebootPending RemediationState = "reboot_pending"
	// RemediationStillMissing: a planned fix is still missing.
	RemediationStillMissing RemediationState = "still_missing"
	// RemediationAssessmentFailed: the assessment could not assess the host.
	RemediationAssessmentFailed RemediationState = "assessment_failed"
	// RemediationNotReassessed: no assessment after the cycle covered the host.
	RemediationNotReassessed RemediationState = "not_reassessed"
)

// RemediationStates lists every remediation state, in report order.
var RemediationStates = []RemediationState{RemediationVerified, RemediationRebootPending, RemediationStillMissing,
	RemediationAssessmentFailed, RemediationNotReassessed}

// Valid reports whether s is one of RemediationStates.
func (s RemediationState) Valid() bool { return slices.Contains(RemediationStates, s) }

// MarshalText implements encoding.TextMarshaler; it refuses invalid values.
func (s RemediationState) MarshalText() ([]byte, error) {
	return marshalEnum("remediation state", s, s.Valid())
}

// UnmarshalText implements encoding.TextUnmarshaler; it refuses invalid values.
func (s *RemediationState) UnmarshalText(b []byte) error {
	return unmarshalEnum("remediation state", b, s, RemediationStates)
}

// HostRemediation is one planned host's fixes as the assessment after the
// cycle found them: Missing names the planned packages still missing (or
// waiting for the reboot).
type HostRemediation struct {
	Host    string           `json:"host"`
	State   RemediationState `json:"state"`
	Missing []string         `json:"missing"`
}

// Remediate judges each planned host (host -> the packages the plan fixed
// on it) against the findings of the assessment after the cycle: verified
// when none of its planned packages is among its missing fixes and it
// waits for no reboot, reboot_pending when what is left only waits for a
// reboot (a missing fix marked so, or a host whose assessment says it must
// restart), still_missing otherwise; assessment_failed or not_reassessed
// when the assessment says nothing of it. after nil means no assessment
// ran since the cycle.
func Remediate(planned map[string][]string, after []HostFindings, rebootPending map[string]bool) []HostRemediation {
	byHost := make(map[string]HostFindings, len(after))
	for _, h := range after {
		byHost[h.Host] = h
	}
	hosts := make([]string, 0, len(planned))
	for h := range planned {
		hosts = append(hosts, h)
	}
	slices.Sort(hosts)
	out := make([]HostRemediation, 0, len(hosts))
	for _, h := range hosts {
		r := HostRemediation{Host: h, State: RemediationNotReassessed, Missing: []string{}}
		f, ok := byHost[h]
		switch {
		case !ok:
		case f.Error != "":
			r.State = RemediationAssessmentFailed
		default:
			r.State = RemediationVerified
			for _, x := range f.Findings {
				if !slices.Contains(planned[h], x.Package) || slices.Contains(r.Missing, x.Package) {
					continue
				}
				r.Missing = append(r.Missing, x.Package)
				if !x.RebootPending {
					r.State = RemediationStillMissing
				} else if r.State == RemediationVerified {
					r.State = RemediationRebootPending
				}
			}
			slices.Sort(r.Missing)
			if r.State == RemediationVerified && rebootPending[h] {
				r.State = RemediationRebootPending
			}
		}
		out = append(out, r)
	}
	return out
}
