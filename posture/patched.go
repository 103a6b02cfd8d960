package posture

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/workflows"
)

// Patch is one host workflow that ended patched: which cycle, when, in
// which wave, and what it installed.
type Patch struct {
	Host    string
	CycleID string
	Wave    int
	At      time.Time
	Pins    []domain.Pin
}

// installs reports whether the patch installed one of pkgs.
func (p Patch) installs(pkgs []string) bool {
	for _, pin := range p.Pins {
		if slices.Contains(pkgs, pin.Name) {
			return true
		}
	}
	return false
}

// patches lists the host workflows of host that ended patched in
// (after, upTo], newest first, with what each installed.
func (r *Reader) patches(ctx context.Context, host string, after, upTo time.Time) ([]Patch, error) {
	h, err := quote(host)
	if err != nil {
		return nil, err
	}
	q := "WorkflowType = '" + typeHostPatch + "' AND " + workflows.AttrHost.GetName() + " = " + h +
		" AND " + workflows.AttrHostState.GetName() + " = '" + string(domain.HostPatched) + "' AND CloseTime > " + timeLiteral(after)
	if !upTo.IsZero() {
		q += " AND CloseTime <= " + timeLiteral(upTo)
	}
	var runs []Execution
	if err := r.list(ctx, q, func(e Execution) error {
		runs = append(runs, e)
		return nil
	}); err != nil {
		return nil, err
	}
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].Close.After(runs[j].Close) })
	var out []Patch
	for _, e := range runs {
		var res workflows.HostPatchResult
		if err := r.result(ctx, e.ID, e.RunID, &res); err != nil {
			continue // a run whose result is gone proves nothing
		}
		at := res.Finished
		if at.IsZero() {
			at = e.Close
		}
		out = append(out, Patch{Host: host, CycleID: e.Cycle, Wave: res.Wave, At: at, Pins: res.Pins})
	}
	return out, nil
}

// patchedSince maps each host to the host workflows that ended patched
// after since (newest first), read from one paged visibility query; only
// the runs of hosts in want have their results read.
func (r *Reader) patchedSince(ctx context.Context, since time.Time, want map[string]bool) (map[string][]Patch, error) {
	q := "WorkflowType = '" + typeHostPatch + "' AND " + workflows.AttrHostState.GetName() + " = '" + string(domain.HostPatched) +
		"' AND CloseTime > " + timeLiteral(since)
	byHost := map[string][]Execution{}
	if err := r.list(ctx, q, func(e Execution) error {
		if want[e.Host] {
			byHost[e.Host] = append(byHost[e.Host], e)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	out := map[string][]Patch{}
	for host, runs := range byHost {
		sort.SliceStable(runs, func(i, j int) bool { return runs[i].Close.After(runs[j].Close) })
		for _, e := range runs {
			var res workflows.HostPatchResult
			if err := r.result(ctx, e.ID, e.RunID, &res); err != nil {
				continue
			}
			at := res.Finished
			if at.IsZero() {
				at = e.Close
			}
			out[host] = append(out[host], Patch{Host: host, CycleID: e.Cycle, Wave: res.Wave, At: at, Pins: res.Pins})
		}
	}
	return out, nil
}
