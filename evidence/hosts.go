package evidence

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/report"
	"github.com/patchflow/patchflow/workflows"
)

// finalHosts is every target host's final state: from the cycle's hosts
// query, paged (a worker answers it, for a finished cycle too), or, with
// NoHostsQuery, derived from the history the way the cycle keeps its
// ledger.
func (h *cycleHistory) finalHosts(ctx context.Context, c client.Client, res workflows.CycleResult, w rollout, o Options) ([]report.CycleHost, error) {
	if o.NoHostsQuery {
		return h.derivedHosts(w), nil
	}
	qctx, cancel := context.WithTimeout(ctx, o.QueryTimeout)
	defer cancel()
	page, err := workflows.AllHosts(qctx, c, h.id)
	if err != nil {
		return nil, fmt.Errorf("%w; without a worker, --no-query derives each host's final state from the history", err)
	}
	out := make([]report.CycleHost, 0, len(page.Hosts))
	for _, r := range page.Hosts {
		out = append(out, report.CycleHost{Host: r.Host, Stage: stageOf(r), Result: report.ResultOf(r.State), Reason: r.Reason})
	}
	return out, nil
}

// stageOf names where a host ended: its wave, "scan" when it could not be
// scanned, "" when it had nothing to patch.
func stageOf(r workflows.HostReport) string {
	if r.Stage == "staging" && r.State == domain.HostSkipped && r.Wave == 0 && r.Duration == 0 && isNothing(r.Reason) {
		return ""
	}
	return r.Stage
}

func isNothing(reason string) bool {
	return reason == "nothing to patch: no planned update pending"
}

// derivedHosts replays, from the history, what the cycle's ledger
// records: the scan's failures and hosts with nothing planned, each
// wave's outcomes in order, rollbacks after them, and the final verify's
// failures.
func (h *cycleHistory) derivedHosts(w rollout) []report.CycleHost {
	var order []string
	final := map[string]report.CycleHost{}
	set := func(x report.CycleHost) {
		if _, ok := final[x.Host]; !ok {
			order = append(order, x.Host)
		}
		final[x.Host] = x
	}
	for _, ch := range h.childrenOf("ScanShard") {
		var res workflows.ScanShardResult
		if ch.decodeResult(&res) != nil {
			continue
		}
		for _, n := range res.Nothing {
			set(report.CycleHost{Host: n, Result: report.HostSkipped, Reason: "nothing to patch: no planned update pending"})
		}
		for _, f := range res.Failed {
			set(report.CycleHost{Host: f.Host, Stage: "scan", Result: report.HostFailed, Reason: "scan failed: " + f.Problem})
		}
	}
	for _, o := range w.outcomes {
		stage := "staging"
		switch {
		case o.Wave < 0:
			stage = final[o.Host].Stage
		case o.Wave > 0:
			stage = fmt.Sprint(o.Wave)
		}
		set(report.CycleHost{Host: o.Host, Stage: stage, Result: report.ResultOf(o.State), Reason: o.Reason})
	}
	if v := h.verify(); v != nil {
		for _, f := range v.Failed {
			if x, ok := final[f.Host]; ok {
				x.Result, x.Reason = report.HostFailed, "final verify: "+f.Problem
				final[f.Host] = x
			}
		}
	}
	out := make([]report.CycleHost, 0, len(order))
	for _, host := range order {
		out = append(out, final[host])
	}
	return out
}
