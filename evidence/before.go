package evidence

import (
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/report"
	"github.com/patchflow/patchflow/workflows"
)

// before is each target host's findings from the cycle's own scan: the
// planned updates it had pending (what each fixes, as the plan merged it),
// the hosts with nothing planned, and the hosts the scan could not reach.
// The installed version is the host's snapshot when a wave took one.
func (h *cycleHistory) before(plan domain.Plan, snaps map[string][]domain.Pin) []report.HostFindings {
	var out []report.HostFindings
	seen := map[string]bool{}
	add := func(f report.HostFindings) {
		if !seen[f.Host] {
			seen[f.Host] = true
			out = append(out, f)
		}
	}
	for _, ch := range h.childrenOf("ScanShard") {
		var res workflows.ScanShardResult
		if ch.decodeResult(&res) != nil {
			continue
		}
		for _, p := range res.Planned {
			add(findingsOf(p.Host, ch.closed, p.Refs.Refs(), plan, snaps[p.Host]))
		}
		for _, n := range res.Nothing {
			add(report.HostFindings{Host: n, AssessedAt: ch.closed, Findings: []report.Finding{}})
		}
		for _, f := range res.Failed {
			add(report.HostFindings{Host: f.Host, Error: f.Problem})
		}
	}
	// Cycles recorded before scan shards scanned in batches of their own.
	idx := plan.Index()
	for _, b := range h.scanBatches {
		t := b.res.Table()
		for _, hs := range t.Hosts {
			add(findingsOf(hs.Host, b.at, idx.HostRefs(&t, hs), plan, snaps[hs.Host]))
		}
		for _, f := range b.res.Failed {
			add(report.HostFindings{Host: f.Host, Error: f.Problem})
		}
	}
	return out
}

// findingsOf is one host's planned updates as findings: what the plan
// pins for it, with what each fixes. The SLA clock of each starts when the
// update became due, or at the scan when that is unknown.
func findingsOf(host string, at time.Time, refs []int, plan domain.Plan, snap []domain.Pin) report.HostFindings {
	f := report.HostFindings{Host: host, AssessedAt: at, Findings: []report.Finding{}}
	for _, r := range refs {
		if r < 0 || r >= len(plan.Entries) {
			continue
		}
		e := plan.Entries[r]
		first := e.Since
		if first.IsZero() {
			first = at
		}
		x := report.Finding{Package: e.Name, FixedVersion: e.Version, CVEs: e.CVEs, Advisories: e.Advisories,
			Severity: e.Severity.OrUnknown(), KEV: e.KEV, KEVDueDate: e.KEVDueDate, EPSS: e.EPSS, Risk: e.Risk, FirstSeen: first}
		for _, p := range snap {
			if p.Name == e.Name {
				x.Installed = p.Version
			}
		}
		f.Findings = append(f.Findings, x)
	}
	return f
}
