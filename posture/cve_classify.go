package posture

import (
	"slices"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/report"
	"github.com/patchflow/patchflow/workflows"
)

// cveFact is one host's standing for one CVE as one assessment saw it.
type cveFact struct {
	// clear: the assessment found no vulnerable package (not_affected, or
	// patched once an earlier assessment is found where it was affected).
	clear bool
	state report.CVEState
	ev    report.CVEEvidence
	// updates are the pending updates that fix it (affected_patchable),
	// for the schedules and parked cycles that would install them.
	updates []domain.Pending
	// installed: a cycle installed the fix after this assessment; the next
	// assessment verifies it.
	installed bool
}

// pkgs names the packages whose pending updates fix the CVE.
func (f cveFact) pkgs() []string {
	var out []string
	for _, u := range f.updates {
		if !slices.Contains(out, u.Name) {
			out = append(out, u.Name)
		}
	}
	return out
}

// cveMeta is what the assessments say of a CVE itself.
type cveMeta struct {
	severity   domain.Severity
	kev        bool
	kevDueDate string
	epss       *float64
}

// see takes what one finding says of the CVE: the most severe rating
// seen, KEV when a source lists it.
func (m *cveMeta) see(sev domain.Severity, kev bool, due string, epss *float64) {
	s := sev.OrUnknown()
	if m.severity == "" || s.Rank() > m.severity.Rank() {
		m.severity = s
	}
	if kev {
		m.kev = true
		if due != "" && (m.kevDueDate == "" || due < m.kevDueDate) {
			m.kevDueDate = due
		}
	}
	if epss != nil && (m.epss == nil || *epss > *m.epss) {
		v := *epss
		m.epss = &v
	}
}

// classify is where host h of shard r stands for cve: the first state of
// report.CVEStates that any of its packages is in (docs/reports.md), with
// the packages as evidence; clear when none is affected. meta learns the
// CVE's severity and KEV status from the findings that carry it (KEV only
// from a finding about this CVE alone, since an update's flag covers all
// the CVEs it fixes).
func classify(r *workflows.AssessShardResult, h workflows.AssessedHost, cve string, meta *cveMeta) cveFact {
	f := cveFact{ev: report.CVEEvidence{AssessedAt: h.Assessed}}
	var states []report.CVEState
	for _, i := range h.Updates {
		if i < 0 || i >= len(r.Updates) {
			continue
		}
		u := r.Updates[i]
		if !slices.Contains(u.CVEs, cve) {
			continue
		}
		states = append(states, report.CVEAffectedPatchable)
		f.updates = append(f.updates, u)
		f.ev.Packages = append(f.ev.Packages, report.PackageEvidence{Package: u.Name, Installed: orUnknown(u.Installed),
			FixedVersion: u.Candidate, Candidate: u.Candidate})
		single := len(u.CVEs) == 1
		meta.see(u.Severity, single && u.KEV, onlyIf(single, u.KEVDueDate), nil)
	}
	for _, i := range h.Exposed {
		if i < 0 || i >= len(r.Exposures) {
			continue
		}
		x := r.Exposures[i]
		if x.ID != cve {
			continue
		}
		meta.see(x.Severity, x.KEV, "", nil)
		pe := report.PackageEvidence{Package: x.Package, Installed: orUnknown(x.Version), FixedVersion: x.Fixed}
		f.ev.Packages = append(f.ev.Packages, pe)
		switch {
		case x.State == domain.RebootPending:
			states = append(states, report.CVERebootPending)
			f.ev.RunningKernel = h.RunningKernel
			if h.RunningKernel == "" {
				f.ev.Note = "installed " + x.Package + " fixes it but is not running yet"
			}
		case x.Fixed != "":
			states = append(states, report.CVEFixNotInRepos)
		default:
			states = append(states, report.CVEAffectedNoFix)
			f.ev.Note = "no fix released for this release: " + x.State
		}
	}
	if len(states) == 0 {
		f.clear, f.state = true, report.CVENotAffected
		f.ev.Packages = nil
		return f
	}
	f.state = states[0]
	for _, s := range states[1:] {
		if slices.Index(report.CVEStates, s) < slices.Index(report.CVEStates, f.state) {
			f.state = s
		}
	}
	return f
}

func orUnknown(v string) string {
	if v == "" {
		return "unknown"
	}
	return v
}

func onlyIf(ok bool, s string) string {
	if ok {
		return s
	}
	return ""
}
