package posture

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/report"
)

// DefaultLookback is how many earlier assessments of a policy `cve audit`
// reads to find where a host was affected before it was patched.
const DefaultLookback = 30

// CVEAuditOptions say what a CVE audit covers.
type CVEAuditOptions struct {
	// CVEs are normalised CVE ids (report.NormalizeCVEID).
	CVEs []string
	// Policies in scope; none means every policy with an assessment.
	Policies []PolicyScope
	// Lookback bounds the earlier assessments read per policy
	// (DefaultLookback).
	Lookback     int
	SourceMaxAge time.Duration
	TimeZone     string
	Generator    string
}

// cveKey is one host under one policy for one CVE.
type cveKey struct{ policy, host, cve string }

// CVEAudit gathers a CVE audit's input: for each CVE, each host of each
// policy in scope with its state from the policy's latest complete
// assessment; patched when an earlier assessment found the host affected
// and a host workflow installed the fix before a later assessment found
// it clear (verified remediation); scheduled when a parked cycle or a
// schedule will install the fix; unknown when the host was never
// assessed. Notes say what could not be read.
func (r *Reader) CVEAudit(ctx context.Context, opts CVEAuditOptions) (report.CVEAuditInput, []string, error) {
	in := report.CVEAuditInput{GeneratedAt: r.now(), TimeZone: opts.TimeZone, Generator: opts.Generator, SourceMaxAge: opts.SourceMaxAge}
	if len(opts.CVEs) == 0 {
		return in, nil, errors.New("name at least one CVE: patchflow cve audit CVE-YYYY-NNNN")
	}
	scopes, err := r.inScope(ctx, opts.Policies)
	if err != nil {
		return in, nil, err
	}
	lookback := opts.Lookback
	if lookback <= 0 {
		lookback = DefaultLookback
	}
	a := &auditor{gatherer: gatherer{r: r, invs: r.inventories(), sources: map[string]report.SourceInput{}},
		cves: opts.CVEs, facts: map[cveKey]*cveFact{}, meta: map[string]*cveMeta{}}
	for _, c := range opts.CVEs {
		a.meta[c] = &cveMeta{}
	}
	for _, s := range scopes {
		if err := a.policy(ctx, s, lookback); err != nil {
			return in, a.notes, err
		}
	}
	a.unverified(ctx)
	a.scheduled(ctx)
	in.Sources = a.sourceInputs()
	in.CVEs = a.entries()
	return in, a.notes, nil
}

// auditor gathers one audit's facts.
type auditor struct {
	gatherer
	cves  []string
	facts map[cveKey]*cveFact
	order []cveKey
	meta  map[string]*cveMeta
	// walked holds, per (host, CVE) found affected earlier, where verify
	// found it affected and clear.
	walked map[cveKey]*walk
}

func (a *auditor) set(k cveKey, f cveFact) {
	if _, ok := a.facts[k]; !ok {
		a.order = append(a.order, k)
	}
	a.facts[k] = &f
}

// policy classifies every host of one policy for every CVE.
func (a *auditor) policy(ctx context.Context, s PolicyScope, lookback int) error {
	hist, err := a.r.Assessments(ctx, s.Name)
	if err != nil {
		return err
	}
	latest, assessed := hist.Latest()
	spec := s.Spec
	if spec == nil && assessed {
		if ai, err := a.r.AssessInput(ctx, latest); err == nil {
			spec = &ai.Spec
		}
	}
	if spec == nil && len(hist.Runs) == 0 {
		return fmt.Errorf("policy %s has no assessment: run patchflow assess -p POLICY-FILE", s.Name)
	}
	seen := map[string]bool{}
	failed := map[string]string{} // host -> why its latest attempt failed
	older := hist.Completed(lookback + 1)
	if assessed {
		res, err := a.r.Summary(ctx, latest)
		if err != nil {
			return err
		}
		for _, src := range res.Sources {
			if old, ok := a.sources[src.Name]; !ok || src.AsOf.After(old.AsOf) {
				a.sources[src.Name] = src
			}
		}
		err = a.r.EachShard(ctx, res, func(sh Shard) error {
			if sh.Result == nil {
				for _, h := range sh.Hosts {
					seen[h], failed[h] = true, "assessment shard "+sh.ID+" has no result: "+sh.Failure
				}
				return nil
			}
			for _, f := range sh.Result.Failed {
				seen[f.Host], failed[f.Host] = true, shortText(f.Problem)
			}
			for _, h := range sh.Result.Hosts {
				seen[h.Host] = true
				for _, c := range a.cves {
					a.set(cveKey{s.Name, h.Host, c}, classify(sh.Result, h, c, a.meta[c]))
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		older = older[1:]
	}
	for _, f := range hist.FailedAfter(latest) {
		a.note("policy %s: assessment %s ended %s; states rest on the assessment before it", s.Name, f.ID, f.StatusText())
	}
	if err := a.failedHosts(ctx, s.Name, older, failed); err != nil {
		return err
	}
	if spec != nil {
		if inv, err := a.invs.get(spec.Inventory.Source); err != nil {
			a.note("policy %s: %v; hosts never assessed are not listed", s.Name, err)
		} else if t, err := resolveTargets(inv, *spec); err == nil {
			for _, h := range t.All() {
				if !seen[h] {
					seen[h] = true
					for _, c := range a.cves {
						a.set(cveKey{s.Name, h, c}, cveFact{state: report.CVEUnknown,
							ev: report.CVEEvidence{Note: "never assessed under policy " + s.Name}})
					}
				}
			}
		}
	}
	return a.verify(ctx, s.Name, older)
}

// failedHosts gives each host whose latest attempt failed its state from
// its last complete assessment among older, or unknown.
func (a *auditor) failedHosts(ctx context.Context, policy string, older []Execution, failed map[string]string) error {
	want := map[string]bool{}
	for h := range failed {
		want[h] = true
	}
	for _, run := range older {
		if len(want) == 0 {
			break
		}
		res, err := a.r.Summary(ctx, run)
		if err != nil {
			continue
		}
		err = a.r.EachShard(ctx, res, func(sh Shard) error {
			if sh.Result == nil {
				return nil
			}
			for _, h := range sh.Result.Hosts {
				if !want[h.Host] {
					continue
				}
				delete(want, h.Host)
				for _, c := range a.cves {
					f := classify(sh.Result, h, c, a.meta[c])
					f.ev.Note = joinNote(f.ev.Note, "latest assessment failed ("+failed[h.Host]+"); state as of the one before")
					a.set(cveKey{policy, h.Host, c}, f)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for h := range want {
		for _, c := range a.cves {
			a.set(cveKey{policy, h, c}, cveFact{state: report.CVEUnknown,
				ev: report.CVEEvidence{Note: "no complete assessment: " + failed[h]}})
		}
	}
	return nil
}

// entries builds the audit's CVE entries from the facts.
func (a *auditor) entries() []report.CVEEntry {
	out := make([]report.CVEEntry, 0, len(a.cves))
	for _, c := range a.cves {
		m := a.meta[c]
		e := report.CVEEntry{CVE: c, Severity: domain.SeverityUnknown, KEV: m.kev, KEVDueDate: m.kevDueDate, EPSS: m.epss}
		if m.severity != "" {
			e.Severity = m.severity
		}
		for _, k := range a.order {
			if k.cve != c {
				continue
			}
			f := a.facts[k]
			e.Hosts = append(e.Hosts, report.CVEHost{Host: k.host, Policy: k.policy, State: f.state, Evidence: f.ev})
		}
		out = append(out, e)
	}
	return out
}

// pinsText lists the pins of pkgs ("libexpat1 2.5.0-1+deb12u2").
func pinsText(pins []domain.Pin, pkgs []string) string {
	s := ""
	for _, p := range pins {
		for _, n := range pkgs {
			if p.Name == n {
				if s != "" {
					s += ", "
				}
				s += p.Name + " " + p.Version
			}
		}
	}
	return s
}

func joinNote(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
