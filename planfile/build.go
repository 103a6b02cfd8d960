package planfile

import (
	"fmt"
	"slices"

	"github.com/patchflow/patchflow/domain"
)

// Build makes the sealed plan file of a plan-making dry run from the plan
// the cycle returned and the policy file it ran (its text goes into the
// plan, so a changed policy is refused with its differences).
func Build(p domain.ReviewedPlan, policyText []byte) (*File, error) {
	if len(policyText) > maxPolicyBytes {
		return nil, fmt.Errorf("plan: the policy file is larger than %d KiB", maxPolicyBytes>>10)
	}
	f := &File{APIVersion: APIVersion, Kind: Kind, Policy: p.Policy, PolicySHA256: p.PolicySHA256,
		PolicyText: string(policyText), Created: p.Created.UTC(), Source: p.Source,
		Entries: make([]Entry, len(p.Entries)), Waves: []Wave{}, Hosts: []Host{}}
	if sum := PolicySHA256(policyText); sum != p.PolicySHA256 {
		return nil, fmt.Errorf("plan: the dry run planned policy %s, the file is %s", p.PolicySHA256, sum)
	}
	for i, e := range p.Entries {
		f.Entries[i] = entryFrom(e)
	}
	for _, s := range p.Stages {
		w := Wave{Name: s.Name, Hosts: make([]string, 0, len(s.Hosts))}
		for _, h := range s.Hosts {
			w.Hosts = append(w.Hosts, h.Host)
			f.Hosts = append(f.Hosts, Host{Name: h.Host, Wave: s.Name, Pins: h.Refs.Refs(), Fingerprint: h.Fingerprint, Kernel: h.Kernel})
		}
		f.Waves = append(f.Waves, w)
	}
	if err := f.Seal(); err != nil {
		return nil, err
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return f, nil
}

// Reviewed is the plan as a cycle applies it.
func (f *File) Reviewed() domain.ReviewedPlan {
	p := domain.ReviewedPlan{Policy: f.Policy, PolicySHA256: f.PolicySHA256, Created: f.Created, Source: f.Source,
		Entries: make([]domain.PlanEntry, len(f.Entries))}
	for i, e := range f.Entries {
		p.Entries[i] = e.planEntry()
	}
	byName := make(map[string]Host, len(f.Hosts))
	for _, h := range f.Hosts {
		byName[h.Name] = h
	}
	for _, w := range f.Waves {
		s := domain.PlanStage{Name: w.Name, Hosts: make([]domain.PlanHost, len(w.Hosts))}
		for i, name := range w.Hosts {
			h := byName[name]
			s.Hosts[i] = domain.PlanHost{Host: name, Refs: domain.NewRefSet(h.Pins), Fingerprint: h.Fingerprint, Kernel: h.Kernel}
		}
		p.Stages = append(p.Stages, s)
	}
	return p
}

func entryFrom(e domain.PlanEntry) Entry {
	cves := slices.Clone(e.CVEs)
	if cves == nil {
		cves = []string{}
	}
	return Entry{Manager: e.Manager, Name: e.Name, Version: e.Version, Class: e.Class, Severity: e.Severity.OrUnknown(),
		CVEs: cves, KEV: e.KEV, Risk: e.Risk, Hosts: e.Hosts, HistoryRisk: e.HistoryRisk, History: e.History}
}

func (e Entry) planEntry() domain.PlanEntry {
	p := domain.PlanEntry{Manager: e.Manager, Name: e.Name, Version: e.Version, Class: e.Class, Hosts: e.Hosts,
		Vulns: domain.Vulns{Severity: e.Severity, KEV: e.KEV, Risk: e.Risk}, HistoryRisk: e.HistoryRisk, History: e.History}
	if len(e.CVEs) > 0 {
		p.CVEs = slices.Clone(e.CVEs)
	}
	return p
}
