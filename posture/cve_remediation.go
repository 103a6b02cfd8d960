package posture

import (
	"context"
	"fmt"
	"time"

	"github.com/patchflow/patchflow/report"
)

// walk follows one clear (host, CVE) back through earlier assessments.
type walk struct {
	// verifiedAt is the earliest assessment, after the last affected one,
	// that found the host clear: the verification of any fix.
	verifiedAt time.Time
	affectedAt time.Time
	pkgs       []string
}

// verify decides, for each host of policy that its latest assessment
// found clear of a CVE, whether a patchflow cycle fixed it: reading the
// older assessments newest first (shard by shard, only until every such
// host is found affected or the runs end), it finds the last assessment
// that found the host affected and the first one after it that found it
// clear; a host workflow that ended patched between the two and installed
// one of the affected packages makes the host patched, verified by that
// later assessment. A host never found affected stays not_affected.
func (a *auditor) verify(ctx context.Context, policy string, older []Execution) error {
	open := map[cveKey]*walk{}
	hosts := map[string]bool{}
	for _, k := range a.order {
		if f := a.facts[k]; k.policy == policy && f.clear {
			open[k] = &walk{verifiedAt: f.ev.AssessedAt}
			hosts[k.host] = true
		}
	}
	var found []cveKey
	for _, run := range older {
		if len(open) == 0 {
			break
		}
		res, err := a.r.Summary(ctx, run)
		if err != nil {
			a.note("policy %s: assessment %s not read: %v", policy, run.ID, err)
			continue
		}
		err = a.r.EachShard(ctx, res, func(sh Shard) error {
			if sh.Result == nil {
				return nil
			}
			for _, h := range sh.Result.Hosts {
				if !hosts[h.Host] {
					continue
				}
				for _, c := range a.cves {
					k := cveKey{policy, h.Host, c}
					w, ok := open[k]
					if !ok {
						continue
					}
					f := classify(sh.Result, h, c, a.meta[c])
					if f.clear {
						w.verifiedAt = h.Assessed
						continue
					}
					w.affectedAt = h.Assessed
					for _, p := range f.ev.Packages {
						w.pkgs = append(w.pkgs, p.Package)
					}
					delete(open, k)
					found = append(found, k)
					a.walks(k, w)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	cache := map[string][]Patch{}
	for _, k := range found {
		w := a.walked[k]
		key := fmt.Sprintf("%s\x00%d\x00%d", k.host, w.affectedAt.UnixNano(), w.verifiedAt.UnixNano())
		ps, ok := cache[key]
		if !ok {
			var err error
			if ps, err = a.r.patches(ctx, k.host, w.affectedAt, w.verifiedAt); err != nil {
				a.note("host workflows of %s not read: %v", k.host, err)
			}
			cache[key] = ps
		}
		f := a.facts[k]
		for _, p := range ps {
			if !p.installs(w.pkgs) {
				continue
			}
			wave := p.Wave
			f.clear, f.state = false, report.CVEPatched
			f.ev = report.CVEEvidence{AssessedAt: w.verifiedAt, CycleID: p.CycleID, PatchedAt: p.At, Wave: &wave}
			for _, pin := range p.Pins {
				for _, n := range w.pkgs {
					if pin.Name == n {
						f.ev.Packages = append(f.ev.Packages, report.PackageEvidence{Package: pin.Name, Installed: pin.Version})
					}
				}
			}
			break
		}
		if f.state != report.CVEPatched {
			f.ev.Note = fmt.Sprintf("affected at %s (%v); found fixed at %s, not by a patchflow cycle",
				w.affectedAt.UTC().Format(time.RFC3339), w.pkgs, w.verifiedAt.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

// walks records a finished walk for verify.
func (a *auditor) walks(k cveKey, w *walk) {
	if a.walked == nil {
		a.walked = map[cveKey]*walk{}
	}
	a.walked[k] = w
}

// unverified notes, on each host still affected_patchable, a cycle that
// installed the fix after the assessment: the next assessment verifies
// it, and until then the host stays affected.
func (a *auditor) unverified(ctx context.Context) {
	want := map[string]bool{}
	var since time.Time
	for _, k := range a.order {
		f := a.facts[k]
		if f.state != report.CVEAffectedPatchable {
			continue
		}
		want[k.host] = true
		if since.IsZero() || f.ev.AssessedAt.Before(since) {
			since = f.ev.AssessedAt
		}
	}
	if len(want) == 0 {
		return
	}
	byHost, err := a.r.patchedSince(ctx, since, want)
	if err != nil {
		a.note("host workflows since %s not read: %v", since.UTC().Format(time.RFC3339), err)
		return
	}
	for _, k := range a.order {
		f := a.facts[k]
		if f.state != report.CVEAffectedPatchable {
			continue
		}
		for _, p := range byHost[k.host] {
			if p.At.After(f.ev.AssessedAt) && p.installs(f.pkgs()) {
				f.installed = true
				f.ev.Note = joinNote(f.ev.Note, fmt.Sprintf("cycle %s installed %s at %s; not verified yet: the next assessment verifies it",
					p.CycleID, pinsText(p.Pins, f.pkgs()), p.At.UTC().Format(time.RFC3339)))
				break
			}
		}
	}
}

// scheduled marks affected_patchable hosts that a parked cycle or a
// schedule will patch, the earliest first.
func (a *auditor) scheduled(ctx context.Context) {
	any := false
	for _, k := range a.order {
		if f := a.facts[k]; f.state == report.CVEAffectedPatchable && !f.installed {
			any = true
			break
		}
	}
	if !any {
		return
	}
	futures, notes := a.r.Futures(ctx)
	a.notes = append(a.notes, notes...)
	now := a.r.now()
	for _, k := range a.order {
		f := a.facts[k]
		if f.state != report.CVEAffectedPatchable || f.installed {
			continue
		}
		var best *Future
		bestWave := 0
		for i := range futures {
			fu := &futures[i]
			if fu.Opens.Before(now) && fu.ScheduleID != "" {
				continue
			}
			for _, u := range f.updates {
				if w, ok := fu.patches(k.host, u); ok && (best == nil || fu.Opens.Before(best.Opens)) {
					best, bestWave = fu, w
				}
			}
		}
		if best == nil {
			continue
		}
		wave := bestWave
		f.state = report.CVEScheduled
		f.ev.CycleID, f.ev.ScheduleID, f.ev.Wave, f.ev.WindowOpens = best.CycleID, best.ScheduleID, &wave, best.Opens
		if best.ScheduleID != "" {
			f.ev.Note = joinNote(f.ev.Note, "the schedule's next cycle; the wave the policy assigns the host today")
		} else {
			f.ev.Note = joinNote(f.ev.Note, "parked until its window opens")
		}
	}
}
