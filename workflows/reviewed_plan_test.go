package workflows

import (
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/patchflow/patchflow/domain"
)

// makeReviewedPlan runs a plan-making dry run on a fresh fleet and returns
// the plan it made.
func makeReviewedPlan(t *testing.T, spec domain.CycleSpec, hosts ...string) domain.ReviewedPlan {
	t.Helper()
	spec.DryRun = true
	c := newCycleEnv(t, hosts...)
	res := c.runInput(t, CycleInput{Spec: spec, MakePlan: &MakePlan{PolicySHA256: "sha256:policy"}})
	if res.State != domain.CyclePlanned || res.Reviewed == nil {
		t.Fatalf("plan-making dry run: %s (%s), reviewed plan %v", res.State, res.Reason, res.Reviewed != nil)
	}
	for h, n := range c.fleet.applyCalls {
		if n > 0 {
			t.Fatalf("making a plan patched %s", h)
		}
	}
	return *res.Reviewed
}

func TestReviewedPlanRecordsStagesPinsAndFingerprints(t *testing.T) {
	plan := makeReviewedPlan(t, testSpec(), hostNames(4)...)
	var names []string
	var hosts []string
	for _, s := range plan.Stages {
		names = append(names, s.Name)
		for _, h := range s.Hosts {
			hosts = append(hosts, h.Host)
			if !strings.HasPrefix(h.Fingerprint, "sha256:") || h.Kernel != "6.1.0-25-amd64" || len(h.Refs.Refs()) != 2 {
				t.Errorf("host %s: fingerprint %q kernel %q refs %v, want a sha256, the kernel and both pins", h.Host, h.Fingerprint, h.Kernel, h.Refs.Refs())
			}
		}
	}
	if want := []string{"staging", "1", "2", "3"}; !slices.Equal(names, want) {
		t.Errorf("stages %v, want %v", names, want)
	}
	if want := []string{"stg1", "h1", "h2", "h3", "h4"}; !slices.Equal(hosts, want) {
		t.Errorf("hosts %v, want %v", hosts, want)
	}
	if plan.PolicySHA256 != "sha256:policy" || plan.Source != "cycle/web/t" || len(plan.Entries) != 2 {
		t.Errorf("plan header %q %q with %d entries", plan.PolicySHA256, plan.Source, len(plan.Entries))
	}
	// The same state makes the same fingerprints.
	again := makeReviewedPlan(t, testSpec(), hostNames(4)...)
	if again.Stages[1].Hosts[0].Fingerprint != plan.Stages[1].Hosts[0].Fingerprint {
		t.Error("the same host state fingerprinted twice gave two fingerprints")
	}
}

func TestApplyRunsThePlansWavesAndPins(t *testing.T) {
	plan := makeReviewedPlan(t, testSpec(), hostNames(4)...)
	spec := testSpec()
	// A policy that would plan other waves: the plan's waves still run.
	spec.Waves = []domain.Wave{{Percent: 100, MaxParallel: 5}}
	c := newCycleEnv(t, hostNames(4)...)
	res := c.runInput(t, CycleInput{Spec: spec, Apply: &ApplyPlan{SHA256: "sha256:plan", Plan: plan}})
	if res.State != domain.CycleCompleted || res.Counts.Patched != 5 {
		t.Fatalf("apply: %s (%s) %+v, want every host patched", res.State, res.Reason, res.Counts)
	}
	if res.PlanSHA256 != "sha256:plan" {
		t.Errorf("status plan_sha256 %q", res.PlanSHA256)
	}
	got := stageHosts(res)
	for _, s := range plan.Stages {
		if !slices.Equal(got[s.Name], hostsOf(s)) {
			t.Errorf("stage %s ran %v, the plan has %v", s.Name, got[s.Name], hostsOf(s))
		}
	}
	for h, fh := range c.fleet.hosts {
		if fh.installed["demo-app"] != "1.0.1" || fh.installed["libfoo"] != "2.1" {
			t.Errorf("%s has %v, want the plan's versions", h, fh.installed)
		}
	}
}

func TestApplyRefusesAPlanWhoseHostsDrifted(t *testing.T) {
	plan := makeReviewedPlan(t, testSpec(), hostNames(4)...)
	c := newCycleEnv(t, hostNames(4)...)
	// h1: someone installed demo-app by hand; h2: a newer libfoo was
	// published; h3: rebooted into a new kernel; h4: unreachable.
	c.fleet.hosts["h1"].installed["demo-app"] = "1.0.1"
	c.fleet.hosts["h1"].pending = c.fleet.hosts["h1"].pending[1:]
	c.fleet.hosts["h2"].pending[1].Candidate = "2.2"
	c.fleet.hosts["h3"].kernel = "6.1.0-26-amd64"
	c.fleet.hosts["h4"].down = true
	res := c.runInput(t, CycleInput{Spec: testSpec(), Apply: &ApplyPlan{SHA256: "sha256:plan", Plan: plan}})
	if res.State != domain.CycleFailed {
		t.Fatalf("apply of a drifted plan: %s, want failed", res.State)
	}
	for _, want := range []string{"4 of 5 hosts changed", "h1: no longer pending: demo-app", "h2: installed or candidate versions of its planned packages changed; now libfoo: installed 2.0, candidate 2.2, the plan pins 2.1",
		"h3: running kernel now 6.1.0-26-amd64 (the plan saw 6.1.0-25-amd64)", "h4: could not be scanned", "no host was changed"} {
		if !strings.Contains(res.Reason, want) {
			t.Errorf("reason %q lacks %q", res.Reason, want)
		}
	}
	if strings.Contains(res.Reason, "stg1") {
		t.Errorf("reason names stg1, which did not change: %s", res.Reason)
	}
	for h, n := range c.fleet.applyCalls {
		if n > 0 {
			t.Errorf("%s was patched although the plan no longer applies", h)
		}
	}
	out := c.outcomes(t)
	if o := out["h3"]; o.State != domain.HostSkipped || !strings.Contains(o.Reason, "the plan no longer applies: running kernel now") {
		t.Errorf("h3 in the hosts query: %s %q", o.State, o.Reason)
	}
}

func TestApplyRefusesAnExpiredPlan(t *testing.T) {
	plan := makeReviewedPlan(t, testSpec(), hostNames(1)...)
	spec := testSpec()
	spec.Approval.PlanMaxAge = 2 * time.Hour
	c := newCycleEnv(t, hostNames(1)...)
	c.env.SetStartTime(plan.Created.Add(3 * time.Hour))
	res := c.runInput(t, CycleInput{Spec: spec, Apply: &ApplyPlan{SHA256: "sha256:plan", Plan: plan}})
	if res.State != domain.CycleFailed || !strings.Contains(res.Reason, "the plan was made 3h0m0s ago, the policy allows 2h0m0s") {
		t.Errorf("expired plan: %s (%s)", res.State, res.Reason)
	}
}

func TestApprovalByPlanTakesOnlyThatPlansSHA(t *testing.T) {
	spec := testSpec()
	spec.Approval = domain.ApprovalSpec{Mode: domain.ApprovalPlan, Timeout: 4 * time.Hour}
	plan := makeReviewedPlan(t, spec, hostNames(2)...)
	c := newCycleEnv(t, hostNames(2)...)
	rejections := map[string]error{}
	send := func(id, sha string) {
		c.env.UpdateWorkflow(MsgApprove, id, &testsuite.TestUpdateCallback{
			OnReject: func(err error) { rejections[id] = err }, OnAccept: func() {}, OnComplete: func(any, error) {}},
			ApproveRequest{PlanSHA256: sha})
	}
	c.env.RegisterDelayedCallback(func() {
		send("plain", "")
		send("other", "sha256:other")
		send("plan", "sha256:plan")
	}, time.Hour)
	res := c.runInput(t, CycleInput{Spec: spec, Apply: &ApplyPlan{SHA256: "sha256:plan", Plan: plan}})
	if err := rejections["plain"]; err == nil || !strings.Contains(err.Error(), "approves by reviewed plan") {
		t.Errorf("plain approve: %v, want refused", err)
	}
	if err := rejections["other"]; err == nil || !strings.Contains(err.Error(), "is not the plan cycle") {
		t.Errorf("approve with another plan: %v, want refused", err)
	}
	if rejections["plan"] != nil || res.State != domain.CycleCompleted {
		t.Errorf("approve with the plan: %v; cycle %s (%s)", rejections["plan"], res.State, res.Reason)
	}

	// Without a reviewed plan, a policy that approves by plan never rolls out.
	c = newCycleEnv(t, hostNames(2)...)
	res = c.runInput(t, CycleInput{Spec: spec})
	if res.State != domain.CycleFailed || !strings.Contains(res.Reason, "approves by reviewed plan only") {
		t.Errorf("cycle without a plan: %s (%s)", res.State, res.Reason)
	}
}
