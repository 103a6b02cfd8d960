package workflows

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/patchflow/patchflow/domain"
)

// fakeHistory stands in for the PatchHistory activity: what earlier
// cycles did with each "name=version", as the real activity reads it from
// the waves' histories.
type fakeHistory struct {
	byPin map[string]domain.EntryHistory
	calls []PatchHistoryInput
	fail  bool
}

// PatchHistory answers from the fleet's recorded history.
func (f *fakeFleet) PatchHistory(_ context.Context, in PatchHistoryInput) (PatchHistoryResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.history.calls = append(f.history.calls, in)
	if f.history.fail {
		return PatchHistoryResult{}, temporal.NewNonRetryableApplicationError("list waves: this worker has no Temporal client", ErrInvalidInput, nil)
	}
	res := PatchHistoryResult{Cycles: 3, Waves: 9, Since: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)}
	for _, e := range in.Entries {
		res.Entries = append(res.Entries, f.history.byPin[e.Name+"="+e.Version])
	}
	return res, nil
}

// demoLibFailed is demo-lib 1.0 -> 1.1 as three earlier cycles left it:
// two of three hosts failed its postinst and were rolled back.
var demoLibFailed = domain.EntryHistory{Basis: domain.HistoryBasisPath, Runs: 3, Failed: 2, RolledBack: 2, Cycles: 2,
	Paths: []domain.UpgradePath{{From: "1.0", To: "1.1", Runs: 3, Failed: 2, RolledBack: 2}}}

// newHistoryEnv is a fleet of two staging and six production hosts where
// stg2, h4 and h6 also have demo-lib 1.1 pending, an update that failed in
// earlier cycles; demo-app 1.0.1 went well ten times.
func newHistoryEnv(t *testing.T) *cycleEnv {
	c := newCycleEnv(t, "stg1", "stg2", "h1", "h2", "h3", "h4", "h5", "h6")
	for _, h := range []string{"stg2", "h4", "h6"} {
		fh := c.fleet.hosts[h]
		fh.installed["demo-lib"] = "1.0"
		fh.pending = append(fh.pending, domain.Update{Name: "demo-lib", Installed: "1.0", Candidate: "1.1", Class: domain.ClassBugfix,
			Vulns: domain.Vulns{Severity: domain.SeverityUnknown}})
	}
	c.fleet.history.byPin = map[string]domain.EntryHistory{
		"demo-lib=1.1":   demoLibFailed,
		"demo-app=1.0.1": {Basis: domain.HistoryBasisPath, Runs: 10, Cycles: 3, Paths: []domain.UpgradePath{{From: "1.0.0", To: "1.0.1", Runs: 10}}},
	}
	return c
}

func TestCycleLearnsHistoryOnceAndPatchesTheRiskiestHostsFirst(t *testing.T) {
	c := newHistoryEnv(t)
	res := c.run(t, testSpec())
	if res.State != domain.CycleCompleted {
		t.Fatalf("state %s (%s), want completed", res.State, res.Reason)
	}
	if n := len(c.fleet.history.calls); n != 1 {
		t.Fatalf("PatchHistory ran %d times, want once per cycle", n)
	}
	in := c.fleet.history.calls[0]
	var asked []string
	for _, e := range in.Entries {
		asked = append(asked, e.Manager+":"+e.Name+"="+e.Version)
	}
	if strings.Join(asked, " ") != "apt:demo-app=1.0.1 apt:demo-lib=1.1 apt:libfoo=2.1" || in.CycleID != "cycle/web/t" ||
		in.Lookback != DefaultHistoryLookback || in.MaxCycles != DefaultHistoryCycles {
		t.Errorf("asked for %v (cycle %s, lookback %s, %d cycles)", asked, in.CycleID, in.Lookback, in.MaxCycles)
	}
	risk := map[string]int{}
	for _, e := range res.Plan.Entries {
		risk[e.Name] = e.HistoryRisk
		if e.Name == "demo-lib" && (e.History == nil || e.History.Runs != 3 || e.History.Paths[0].From != "1.0") {
			t.Errorf("demo-lib's evidence %+v", e.History)
		}
		if e.Name == "libfoo" && e.History != nil {
			t.Errorf("libfoo never ran before, yet has history %+v", e.History)
		}
	}
	if !reflect.DeepEqual(risk, map[string]int{"demo-app": 0, "demo-lib": 75, "libfoo": 0}) {
		t.Errorf("history risks %v", risk)
	}
	// Staging and the canary get the hosts carrying demo-lib first; the
	// rest keep the inventory order.
	want := map[string][]string{"staging": {"stg2", "stg1"}, "1": {"h4"}, "2": {"h6", "h1", "h2"}, "3": {"h3"}, "4": {"h5"}}
	if got := stageHosts(res); !reflect.DeepEqual(got, want) {
		t.Errorf("stages %v\nwant %v", got, want)
	}
	if res.History == nil || res.History.Cycles != 3 || res.History.Error != "" {
		t.Errorf("history status %+v", res.History)
	}
	if a := res.Approval; a == nil || a.Mode != ApprovedAuto || a.At.IsZero() || a.Required != "" {
		t.Errorf("approval record %+v, want auto", a)
	}
}

func TestHistoryRiskAboveThePolicysThresholdWaitsForAnOperator(t *testing.T) {
	spec := testSpec()
	spec.Approval = domain.ApprovalSpec{HistoryRiskAbove: 50, Timeout: 2 * time.Hour}

	c := newHistoryEnv(t)
	var waiting CycleStatus
	c.env.RegisterDelayedCallback(func() {
		v, err := c.env.QueryWorkflow(QueryStatus)
		if err != nil {
			t.Error(err)
			return
		}
		_ = v.Get(&waiting)
		c.env.UpdateWorkflow(MsgApprove, "approve-1", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("approve refused: %v", err) }, OnAccept: func() {}, OnComplete: func(any, error) {}},
			ApproveRequest{Comment: "CAB-1142"})
	}, time.Hour)
	res := c.run(t, spec)
	wantWhy := "history risk 75 of demo-lib 1.1 is above the policy's 50: 2 of 3 runs failed, 2 rolled back (this upgrade, 2 cycles)"
	if waiting.State != domain.CycleAwaitingApproval || !strings.Contains(waiting.Reason, wantWhy) {
		t.Errorf("status while waiting: %s (%s), want awaiting approval saying %q", waiting.State, waiting.Reason, wantWhy)
	}
	if res.State != domain.CycleCompleted {
		t.Fatalf("state %s (%s)", res.State, res.Reason)
	}
	a := res.Approval
	if a == nil || a.Mode != ApprovedByOperator || a.Via != "update" || a.UpdateID != "approve-1" || a.Comment != "CAB-1142" ||
		a.Required != wantWhy || !a.At.After(a.RequestedAt) {
		t.Errorf("approval record %+v", a)
	}

	// Below the threshold the policy's automatic approval stands.
	spec.Approval.HistoryRiskAbove = 75
	c = newHistoryEnv(t)
	if res := c.run(t, spec); res.State != domain.CycleCompleted || res.Approval.Mode != ApprovedAuto {
		t.Errorf("history risk 75, threshold 75: %s, approval %+v", res.State, res.Approval)
	}
}

func TestApprovalRecordNamesTheApprovingSignal(t *testing.T) {
	spec := testSpec()
	spec.Approval = domain.ApprovalSpec{Mode: domain.ApprovalManual, Timeout: 2 * time.Hour}
	c := newHistoryEnv(t)
	c.env.RegisterDelayedCallback(func() {
		// The first approve names a plan this cycle does not apply: it is
		// refused; the second approves.
		c.env.SignalWorkflow(MsgApprove, ApproveRequest{PlanSHA256: "sha256:0000"})
		c.env.SignalWorkflow(MsgApprove, ApproveRequest{Comment: "ok from the UI"})
	}, 30*time.Minute)
	res := c.run(t, spec)
	a := res.Approval
	if res.State != domain.CycleCompleted || a == nil || a.Mode != ApprovedByOperator || a.Via != "signal" || a.Signal != 2 ||
		a.Comment != "ok from the UI" || a.Required != "the policy approves by manual" {
		t.Errorf("cycle %s, approval record %+v, want the second approve signal", res.State, a)
	}

	spec.Approval.OnTimeout = domain.ApprovalTimeoutProceed
	c = newHistoryEnv(t)
	res = c.run(t, spec)
	if a := res.Approval; res.State != domain.CycleCompleted || a == nil || a.Mode != ApprovedOnTimeout || a.At.Sub(a.RequestedAt) != 2*time.Hour {
		t.Errorf("proceed on timeout: %s, approval record %+v", res.State, a)
	}
}

func TestUnreadableHistoryAsksAPersonWhenThePolicyGatesOnIt(t *testing.T) {
	c := newHistoryEnv(t)
	c.fleet.history.fail = true
	res := c.run(t, testSpec())
	if res.State != domain.CycleCompleted || res.History == nil || !strings.Contains(res.History.Error, "history unavailable: InvalidInput: list waves") {
		t.Fatalf("cycle %s, history %+v, want completed with the history's error said", res.State, res.History)
	}
	if got := stageHosts(res)["1"]; !reflect.DeepEqual(got, []string{"h1"}) {
		t.Errorf("canary %v: without history the inventory order stands", got)
	}

	spec := testSpec()
	spec.Approval = domain.ApprovalSpec{HistoryRiskAbove: 50, Timeout: time.Hour}
	c = newHistoryEnv(t)
	c.fleet.history.fail = true
	res = c.run(t, spec)
	if res.State != domain.CycleFailed || res.Reason != "no approval within 1h" || res.Approval == nil ||
		!strings.Contains(res.Approval.Required, "the policy gates on history risk above 50 and the history unavailable") {
		t.Errorf("cycle %s (%s), approval %+v, want it to wait for a person", res.State, res.Reason, res.Approval)
	}
}
