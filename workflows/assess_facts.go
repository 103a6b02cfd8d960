package workflows

import (
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/report"
)

// AssessContextInput asks for what an assessment evaluates against beyond
// the policy: the risk exceptions in force (their host selectors resolved
// against the policy's inventory) and the advisory sources' dates.
type AssessContextInput struct {
	Inventory string `json:"inventory"`
}

// AssessContext is the answer to AssessContextInput.
type AssessContext struct {
	Exceptions []report.Exception   `json:"exceptions,omitempty"`
	Sources    []report.SourceInput `json:"sources,omitempty"`
}

// ReportSLA is a policy's SLA as a report applies it: KEV due dates count
// when kevDueDate says so, whatever s says.
func ReportSLA(s domain.SLA, kevDueDate bool) domain.SLA {
	s.KEVDueDate = kevDueDate
	return s
}

// ComplianceHosts turns a shard's facts into the hosts of a compliance
// report: every assessed host with the required fixes it misses, and every
// host the shard could not assess with the failure. The assessment's own
// summary and `patchflow report compliance` both build from here.
func ComplianceHosts(policy string, r AssessShardResult) []report.HostInput {
	out := make([]report.HostInput, 0, len(r.Hosts)+len(r.Failed))
	for _, h := range r.Hosts {
		hi := report.HostInput{Host: h.Host, Policy: policy, LastAssessed: h.Assessed, RebootPending: h.RebootPending}
		for _, i := range h.Required {
			if i >= 0 && i < len(r.Updates) {
				hi.Missing = append(hi.Missing, Finding(r.Updates[i], h.Assessed))
			}
		}
		out = append(out, hi)
	}
	for _, f := range r.Failed {
		out = append(out, report.HostInput{Host: f.Host, Policy: policy,
			Failure: &report.AssessmentFailure{At: r.Assessed, Error: f.Problem}})
	}
	return out
}

// Finding is a required pending update as a report finding. Its SLA clock
// starts when the update was first seen (or published, if earlier), else
// at the assessment that found it.
func Finding(u domain.Pending, assessed time.Time) report.Finding {
	first := u.Since
	if first.IsZero() {
		first = assessed
	}
	return report.Finding{Package: u.Name, Installed: u.Installed, FixedVersion: u.Candidate,
		CVEs: nonNilStrings(u.CVEs), Advisories: u.Advisories, Severity: u.Severity.OrUnknown(),
		KEV: u.KEV, KEVDueDate: u.KEVDueDate, EPSS: u.EPSS, Risk: u.Risk, FirstSeen: first}
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
