package evidence

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/cyclehistory"
	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/report"
	"github.com/patchflow/patchflow/workflows"
)

// DefaultQueryTimeout bounds a query a worker must answer.
const DefaultQueryTimeout = 30 * time.Second

// Options shape an evidence pack.
type Options struct {
	// Now is when the pack is made; TimeZone the IANA zone its text shows
	// beside UTC; Generator what made it ("patchflow v1.2 report cycle").
	Now       time.Time
	TimeZone  string
	Generator string
	// QueryTimeout bounds the hosts and status queries, which a running
	// worker answers (DefaultQueryTimeout when 0).
	QueryTimeout time.Duration
	// NoHostsQuery derives every host's final state from the history
	// instead of paging the cycle's hosts query.
	NoHostsQuery bool
}

// Read builds the evidence pack of a cycle from Temporal. It reads the
// cycle's history once (its children's inputs and results are in it), the
// hosts query page by page, and the first assessment of the policy after
// the cycle; no payload grows with the fleet beyond one wave part's
// result (at most 500 hosts) or one page of hosts.
func Read(ctx context.Context, c client.Client, cycleID string, o Options) (*report.CycleEvidence, error) {
	o.QueryTimeout = cmp.Or(o.QueryTimeout, DefaultQueryTimeout)
	h, err := readHistory(ctx, c, cycleID)
	if err != nil {
		return nil, err
	}
	res, err := h.result(ctx, c, o.QueryTimeout)
	if err != nil {
		return nil, err
	}
	w := h.waves(res)
	in := report.CycleEvidenceInput{
		GeneratedAt: o.Now, TimeZone: o.TimeZone, Generator: o.Generator,
		CycleID: cycleID, Policy: h.input.Spec.Policy, State: res.State,
		StartedAt: h.started, FinishedAt: h.closed,
		Plan:     h.plan(res),
		Approval: h.approval(res),
		Waves:    w.waves, Rollbacks: w.rollbacks, Verify: h.verify(),
		Before: h.before(res.Plan, w.snapshots),
	}
	in.Hosts, err = h.finalHosts(ctx, c, res, w, o)
	if err != nil {
		return nil, err
	}
	if err := h.after(ctx, c, res, &in); err != nil {
		return nil, err
	}
	return report.BuildCycleEvidence(in)
}

// result is how the cycle ended (its result, or the details of its
// failure), or, while it runs, its status.
func (h *cycleHistory) result(ctx context.Context, c client.Client, timeout time.Duration) (workflows.CycleResult, error) {
	var res workflows.CycleResult
	if h.closeEv != nil {
		err := cyclehistory.DecodeResult(h.closeEv, &res)
		switch {
		case err == nil:
			return res, nil
		case !errors.Is(err, cyclehistory.ErrNoResult):
			return res, fmt.Errorf("cycle %s: %w", h.id, err)
		}
		// Terminated or timed out: the cycle could not say; the history
		// still does.
		res.CycleID, res.Policy, res.Started, res.Finished = h.id, h.input.Spec.Policy, h.started, h.closed
		res.State, res.Reason = domain.CycleFailed, "the workflow "+closeWord(h.closeEv.GetEventType())
		if h.closeEv.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED {
			res.State = domain.CycleCanceled
		}
		return res, nil
	}
	qctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	v, err := c.QueryWorkflow(qctx, h.id, "", workflows.QueryStatus)
	if err != nil {
		return res, fmt.Errorf("cycle %s is running and its status query got no answer (is a patchflow worker running?): %w", h.id, err)
	}
	if err := v.Get(&res.CycleStatus); err != nil {
		return res, fmt.Errorf("decode the status of cycle %s: %w", h.id, err)
	}
	return res, nil
}

func closeWord(t enumspb.EventType) string {
	switch t {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
		return "was terminated"
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
		return "timed out"
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
		return "was canceled"
	}
	return "ended without a result"
}

// plan is the cycle's plan with what each update fixes and its history
// risk; made when the cycle recorded it, else when its scan ended.
func (h *cycleHistory) plan(res workflows.CycleResult) report.Plan {
	p := report.Plan{CreatedAt: res.PlannedAt}
	if p.CreatedAt.IsZero() {
		for _, ch := range h.childrenOf("ScanShard") {
			if ch.closed.After(p.CreatedAt) {
				p.CreatedAt = ch.closed
			}
		}
		for _, b := range h.scanBatches {
			if b.at.After(p.CreatedAt) {
				p.CreatedAt = b.at
			}
		}
		if p.CreatedAt.IsZero() {
			p.CreatedAt = h.started
		}
	}
	for _, e := range res.Plan.Entries {
		pe := report.PlanEntry{Manager: e.Manager, Package: e.Name, Version: e.Version, CVEs: e.CVEs,
			Severity: e.Severity.OrUnknown(), KEV: e.KEV, Risk: e.Risk, Hosts: e.Hosts, HistoryRisk: e.HistoryRisk}
		if hist := e.History; hist != nil && hist.Runs > 0 {
			ph := &report.PlanHistory{Basis: hist.Basis, Runs: hist.Runs, Failed: hist.Failed, RolledBack: hist.RolledBack, Cycles: hist.Cycles}
			for _, up := range hist.Paths {
				ph.Paths = append(ph.Paths, report.UpgradePath{From: up.From, To: up.To, Runs: up.Runs, Failed: up.Failed, RolledBack: up.RolledBack})
			}
			pe.History = ph
		}
		p.Entries = append(p.Entries, pe)
	}
	if hs := res.History; hs != nil {
		p.HistoryFrom = &report.HistorySource{Cycles: hs.Cycles, Waves: hs.Waves, Since: hs.Since, Error: hs.Error}
	}
	return p
}

// approval is who or what opened the approval gate: the cycle's record,
// with the identity that sent the approving signal or update read from
// the event in the history. Cycles recorded before the record was kept
// are judged from their policy and events.
func (h *cycleHistory) approval(res workflows.CycleResult) report.Approval {
	r := res.Approval
	switch {
	case r == nil && len(h.childrenOf("Wave")) == 0 && len(h.childrenOf("HostPatch")) == 0:
		// A dry run, or a cycle that stopped before its rollout, never
		// opened its approval gate.
		return report.Approval{Mode: report.ApprovalPending}
	case r == nil:
		return h.approvalWithoutRecord(res)
	}
	a := report.Approval{Required: r.Required, RequestedAt: r.RequestedAt, Comment: r.Comment, PlanSHA256: r.PlanSHA256}
	switch r.Mode {
	case workflows.ApprovedAuto:
		a.Mode, a.At, a.Via = report.ApprovalAuto, r.At, "policy"
	case workflows.ApprovedOnTimeout:
		a.Mode, a.At = report.ApprovalTimeout, r.At
	case workflows.ApprovedByOperator, workflows.ApprovedByPlan:
		a.Mode, a.At, a.Via = report.ApprovalOperator, r.At, r.Via
		if r.Mode == workflows.ApprovedByPlan {
			a.Mode = report.ApprovalPlan
		}
		if m, ok := h.approvingMessage(r); ok {
			a.By, a.At = m.identity, m.at
		}
		if a.By == "" {
			a.By = "(identity not recorded)"
		}
	default:
		a.Mode = report.ApprovalPending
	}
	return a
}

// approvingMessage finds the event of the message that approved.
func (h *cycleHistory) approvingMessage(r *workflows.ApprovalRecord) (approveMsg, bool) {
	if r.Via == "update" {
		for _, m := range h.updates {
			if m.updateID == r.UpdateID {
				return m, true
			}
		}
		return approveMsg{}, false
	}
	if r.Signal >= 1 && r.Signal <= len(h.signals) {
		return h.signals[r.Signal-1], true
	}
	return approveMsg{}, false
}

// approvalWithoutRecord judges the approval of a cycle recorded before the
// approval record: automatic when the policy did not need a person, else
// the first accepted approve update or approve signal; pending when none
// came.
func (h *cycleHistory) approvalWithoutRecord(res workflows.CycleResult) report.Approval {
	spec := h.input.Spec.Approval
	if !spec.Manual(res.Plan) {
		at := res.PlannedAt
		if at.IsZero() {
			at = h.started
		}
		return report.Approval{Mode: report.ApprovalAuto, At: at, Via: "policy"}
	}
	var first *approveMsg
	for _, list := range [][]approveMsg{h.updates, h.signals} {
		for i := range list {
			if first == nil || list[i].at.Before(first.at) {
				first = &list[i]
			}
		}
	}
	if first == nil {
		return report.Approval{Mode: report.ApprovalPending, Required: spec.WhyManual(res.Plan)}
	}
	a := report.Approval{Mode: report.ApprovalOperator, By: first.identity, At: first.at, Via: "signal",
		Comment: first.req.Comment, PlanSHA256: first.req.PlanSHA256, Required: spec.WhyManual(res.Plan)}
	if first.updateID != "" {
		a.Via = "update"
	}
	if a.PlanSHA256 != "" {
		a.Mode = report.ApprovalPlan
	}
	if a.By == "" {
		a.By = "(identity not recorded)"
	}
	return a
}
