package report

import (
	"slices"
	"sort"
	"strconv"
	"strings"
)

func validHistory(h PlanHistory) bool {
	return (h.Basis == "path" || h.Basis == "package") && h.Runs > 0 && h.Failed >= 0 && h.Failed <= h.Runs &&
		h.RolledBack >= 0 && h.RolledBack <= h.Runs && h.Cycles >= 0
}

func nonNilPaths(p []UpgradePath) []UpgradePath {
	if p == nil {
		return []UpgradePath{}
	}
	return slices.Clone(p)
}

func buildVerify(in *FinalVerify, p *problems) *FinalVerify {
	if in == nil {
		return nil
	}
	v := FinalVerify{At: utc(in.At), Hosts: in.Hosts, Failed: slices.Clone(in.Failed)}
	if v.At.IsZero() || v.Hosts < 0 {
		p.add("verify: a time (at) and a host count of at least 0 are required")
	}
	if v.Failed == nil {
		v.Failed = []HostProblem{}
	}
	for _, f := range v.Failed {
		if f.Host == "" {
			p.add("verify: a failed host without a name")
		}
	}
	sort.Slice(v.Failed, func(i, j int) bool { return v.Failed[i].Host < v.Failed[j].Host })
	return &v
}

func buildRemediation(in []HostRemediation, p *problems) []HostRemediation {
	out := make([]HostRemediation, 0, len(in))
	seen := map[string]bool{}
	for _, r := range in {
		switch {
		case r.Host == "" || seen[r.Host]:
			p.add("remediation: host %q empty or listed twice", excerpt(r.Host))
			continue
		case !r.State.Valid():
			p.add("remediation: host %q: state %q: want one of %v", excerpt(r.Host), excerpt(string(r.State)), RemediationStates)
			continue
		}
		seen[r.Host] = true
		r.Missing = nonNil(sortedUnique(r.Missing))
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Host < out[j].Host })
	return out
}

func buildCycleHosts(in []CycleHost, p *problems) []CycleHost {
	out := make([]CycleHost, 0, len(in))
	seen := map[string]bool{}
	for _, h := range in {
		switch {
		case h.Host == "" || seen[h.Host]:
			p.add("hosts: host %q empty or listed twice", excerpt(h.Host))
			continue
		case !h.Result.Valid():
			p.add("hosts: host %q: result %q: want one of %v", excerpt(h.Host), excerpt(string(h.Result)), HostResults)
			continue
		}
		seen[h.Host] = true
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Host < out[j].Host })
	return out
}

func (h CycleHost) result() HostResult { return h.Result }

// approvedText says who or what approved, for the timeline.
func approvedText(a Approval) string {
	var s string
	switch a.Mode {
	case ApprovalAuto:
		s = "by the policy"
	case ApprovalTimeout:
		s = "no approval within the timeout: the policy proceeds"
	case ApprovalPlan:
		s = "by reviewed plan " + a.PlanSHA256
		if a.By != "" {
			s += ", sent by " + a.By
		}
	default:
		s = "by " + a.By
	}
	if a.Via != "" && a.Via != "policy" {
		s += " via " + a.Via
	}
	return s
}

// remediationText sums the remediation states: "verified 3, still_missing 1".
func remediationText(r []HostRemediation) string {
	n := map[RemediationState]int{}
	for _, x := range r {
		n[x.State]++
	}
	var parts []string
	for _, s := range RemediationStates {
		if n[s] > 0 {
			parts = append(parts, string(s)+" "+strconv.Itoa(n[s]))
		}
	}
	if len(parts) == 0 {
		return "no planned host"
	}
	return strings.Join(parts, ", ")
}
