package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/workflows"
)

// TestReviewedPlanCycles makes a reviewed plan on real hosts, applies it
// exactly, and records both cycles (and the apply's check shard) for the
// replay tests.
func TestReviewedPlanCycles(t *testing.T) {
	e := newEnv(t, 3)
	hosts := hostList(e.fleet)
	spec := e.spec("reviewed")
	spec.Patches = domain.PatchRules{Include: []string{"demo-app"}, Approve: []string{"demo-app=1.0.1"}}
	spec.Approval = domain.ApprovalSpec{Mode: domain.ApprovalPlan, Timeout: time.Hour}

	made := spec
	made.DryRun = true
	start := time.Now()
	makeID := workflows.CycleID(made.Policy, start)
	res := e.wait(e.startInput(workflows.CycleInput{Spec: made, MakePlan: &workflows.MakePlan{PolicySHA256: "sha256:policy"}}, start))
	if res.State != domain.CyclePlanned || res.Reviewed == nil || res.Reviewed.Hosts() != 3 {
		t.Fatalf("plan-making dry run: %s (%s), reviewed %+v", res.State, res.Reason, res.Reviewed)
	}
	for _, s := range res.Reviewed.Stages {
		for _, h := range s.Hosts {
			if !strings.HasPrefix(h.Fingerprint, "sha256:") || h.Kernel == "" {
				t.Errorf("%s planned without a fingerprint or kernel: %+v", h.Host, h)
			}
		}
	}
	plan := *res.Reviewed

	// The apply waits at the gate for an approval naming the plan.
	start = time.Now().Add(time.Second)
	applyID := workflows.CycleID(spec.Policy, start)
	run := e.startInput(workflows.CycleInput{Spec: spec, Apply: &workflows.ApplyPlan{SHA256: "sha256:reviewed", Plan: plan}}, start)
	e.statusUntil(applyID, 2*time.Minute, func(s workflows.CycleStatus) bool { return s.State == domain.CycleAwaitingApproval })
	if _, err := e.update(applyID, workflows.MsgApprove); err == nil || !strings.Contains(err.Error(), "approves by reviewed plan") {
		t.Errorf("plain approve of a plan-approved cycle: %v, want refused", err)
	}
	if _, err := e.update(applyID, workflows.MsgApprove, workflows.ApproveRequest{PlanSHA256: "sha256:reviewed"}); err != nil {
		t.Fatalf("approve with the plan: %v", err)
	}
	res = e.wait(run)
	if res.State != domain.CycleCompleted || res.Counts.Patched != 3 || res.PlanSHA256 != "sha256:reviewed" {
		t.Fatalf("apply: %s (%s) %+v", res.State, res.Reason, res.Counts)
	}
	for _, h := range hosts {
		if v := e.installed(h, "demo-app"); v != "1.0.1" {
			t.Errorf("%s: demo-app %s after the plan, which pins 1.0.1", h, v)
		}
	}
	e.record(makeID, "cycle_make_plan_v6.json")
	e.record(applyID, "cycle_apply_plan_v6.json")
	e.record(applyID+"/scan/1", "scan_shard_check_v6.json")
}
