package evidence

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/cyclehistory"
	"github.com/patchflow/patchflow/report"
	"github.com/patchflow/patchflow/workflows"
)

// maxAssessListed bounds the assessments listed to find the first one
// after a cycle (visibility has no ORDER BY on every store).
const maxAssessListed = 1000

// after adds the first completed assessment of the cycle's policy that
// started after the cycle ended: each target host's findings there, and
// whether each planned host's fixes were verified by it. A cycle still
// running, or one no assessment followed yet, has no re-assessment: its
// fixes are not verified.
func (h *cycleHistory) after(ctx context.Context, c client.Client, res workflows.CycleResult, in *report.CycleEvidenceInput) error {
	planned := h.plannedPackages(res)
	if h.closed.IsZero() {
		in.Remediation = report.Remediate(planned, nil, nil)
		return nil
	}
	id, err := firstAssessAfter(ctx, c, h.input.Spec.Policy, h.closed)
	if err != nil {
		return err
	}
	if id == "" {
		in.Remediation = report.Remediate(planned, nil, nil)
		return nil
	}
	ev, err := cyclehistory.CloseEvent(ctx, c, id, "")
	if err != nil {
		return err
	}
	var ar workflows.AssessResult
	if err := cyclehistory.DecodeResult(ev, &ar); err != nil {
		return fmt.Errorf("assessment %s: %w", id, err)
	}
	targets := map[string]bool{}
	for _, f := range in.Before {
		targets[f.Host] = true
	}
	for _, x := range in.Hosts {
		targets[x.Host] = true
	}
	reboot := map[string]bool{}
	for _, sid := range ar.Shards {
		sev, err := cyclehistory.CloseEvent(ctx, c, sid, "")
		if err != nil {
			return err
		}
		var sr workflows.AssessShardResult
		if err := cyclehistory.DecodeResult(sev, &sr); err != nil {
			return fmt.Errorf("assessment shard %s: %w", sid, err)
		}
		for _, hi := range workflows.ComplianceHosts(ar.Policy, sr) {
			if !targets[hi.Host] {
				continue
			}
			f := report.HostFindings{Host: hi.Host, AssessedAt: hi.LastAssessed, Findings: hi.Missing}
			if hi.Failure != nil {
				f = report.HostFindings{Host: hi.Host, Error: hi.Failure.Error}
			}
			if f.Findings == nil {
				f.Findings = []report.Finding{}
			}
			reboot[hi.Host] = hi.RebootPending
			in.After = append(in.After, f)
		}
	}
	in.AfterAssessment, in.Sources = id, ar.Sources
	in.Remediation = report.Remediate(planned, in.After, reboot)
	return nil
}

// plannedPackages maps each planned host to the packages the plan fixes
// on it, from the cycle's scan.
func (h *cycleHistory) plannedPackages(res workflows.CycleResult) map[string][]string {
	out := map[string][]string{}
	for _, ch := range h.childrenOf("ScanShard") {
		var sr workflows.ScanShardResult
		if ch.decodeResult(&sr) != nil {
			continue
		}
		for _, p := range sr.Planned {
			for _, r := range p.Refs.Refs() {
				if r >= 0 && r < len(res.Plan.Entries) {
					out[p.Host] = append(out[p.Host], res.Plan.Entries[r].Name)
				}
			}
		}
	}
	idx := res.Plan.Index()
	for _, b := range h.scanBatches {
		t := b.res.Table()
		for _, hs := range t.Hosts {
			for _, r := range idx.HostRefs(&t, hs) {
				out[hs.Host] = append(out[hs.Host], res.Plan.Entries[r].Name)
			}
		}
	}
	return out
}

// firstAssessAfter returns the ID of the first completed assessment of
// the policy that started after t ("" when none has).
func firstAssessAfter(ctx context.Context, c client.Client, policy string, t time.Time) (string, error) {
	q := fmt.Sprintf("WorkflowType = 'Assess' AND %s = %s AND StartTime > %s AND ExecutionStatus = 'Completed'",
		workflows.AttrPolicy.GetName(), cyclehistory.Quote(policy), cyclehistory.Quote(t.UTC().Format(time.RFC3339Nano)))
	var best string
	var bestStart time.Time
	var token []byte
	for n := 0; n < maxAssessListed; {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: q, PageSize: 100, NextPageToken: token})
		if err != nil {
			return "", fmt.Errorf("find the assessment of policy %s after the cycle: %w", policy, err)
		}
		for _, ex := range resp.GetExecutions() {
			n++
			if st := ex.GetStartTime().AsTime(); best == "" || st.Before(bestStart) {
				best, bestStart = ex.GetExecution().GetWorkflowId(), st
			}
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	return best, nil
}
