package workflows

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/patchflow/patchflow/domain"
)

// testSpec: staging hosts (stg*), a canary of 1, then 50% and the rest,
// two in parallel, budget 1 failure, roll back the wave on a breach.
func testSpec() domain.CycleSpec {
	return domain.CycleSpec{
		Policy:         "web",
		Inventory:      domain.InventorySpec{Source: "inv.yaml"},
		Staging:        domain.StagingSpec{Select: []string{"group=staging"}, Bake: time.Minute},
		Patches:        domain.PatchRules{Classes: []domain.Class{domain.ClassSecurity, domain.ClassBugfix}},
		Waves:          []domain.Wave{{Count: 1, MaxParallel: 1}, {Percent: 50, MaxParallel: 2, Bake: time.Minute}, {Count: 1, MaxParallel: 2}},
		Budget:         domain.Budget{MaxFailures: 1},
		OnBudgetBreach: domain.BreachRollbackWave,
		Host:           domain.HostSteps{RollbackOnFailure: true, DecisionTimeout: 10 * time.Minute, PreHooks: []domain.Hook{{Name: "drain", Command: []string{"true"}}}},
		Checks:         []domain.Check{{Name: "http", Type: domain.CheckCommand, Command: []string{"true"}}},
	}
}

type cycleEnv struct {
	env   *testsuite.TestWorkflowEnvironment
	fleet *fakeFleet
	kids  *childRecorder
}

func newCycleEnv(t *testing.T, hosts ...string) *cycleEnv {
	return newCycleEnvMetrics(t, nil, hosts...)
}

func newCycleEnvMetrics(t *testing.T, m client.MetricsHandler, hosts ...string) *cycleEnv {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(testLogger(t))
	if m != nil {
		s.SetMetricsHandler(m)
	}
	env := s.NewTestWorkflowEnvironment()
	Register(env)
	f := newFakeFleet(hosts...)
	f.register(env)
	r := &childRecorder{}
	r.attach(env)
	return &cycleEnv{env: env, fleet: f, kids: r}
}

// run runs the cycle to its end and returns its result, read as the CLI
// reads it: the workflow's result, or the details of its failure.
func (c *cycleEnv) run(t *testing.T, spec domain.CycleSpec) CycleResult {
	t.Helper()
	return c.runInput(t, CycleInput{Spec: spec})
}

// runInput is run with a full input (webhooks, plans).
func (c *cycleEnv) runInput(t *testing.T, in CycleInput) CycleResult {
	t.Helper()
	c.env.SetStartWorkflowOptions(startOptions("cycle/web/t"))
	c.env.ExecuteWorkflow(PatchCycle, in)
	if !c.env.IsWorkflowCompleted() {
		t.Fatal("cycle did not complete")
	}
	if err := c.env.GetWorkflowError(); err != nil {
		res, ok := ResultOf(err)
		if !ok {
			t.Fatalf("cycle error without a result: %v", err)
		}
		if res.State.Succeeded() {
			t.Errorf("cycle %s ended as a workflow error: %v", res.State, err)
		}
		return res
	}
	var res CycleResult
	if err := c.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if !res.State.Succeeded() {
		t.Errorf("cycle %s (%s) ended as a successful workflow; a cycle that did not succeed must fail", res.State, res.Reason)
	}
	return res
}

// outcomes returns every host's final report, from the cycle's hosts query.
func (c *cycleEnv) outcomes(t *testing.T) map[string]HostReport {
	t.Helper()
	v, err := c.env.QueryWorkflow(QueryHosts, HostsQuery{})
	if err != nil {
		t.Fatalf("hosts query: %v", err)
	}
	var page HostsPage
	if err := v.Get(&page); err != nil {
		t.Fatal(err)
	}
	m := map[string]HostReport{}
	for _, o := range page.Hosts {
		m[o.Host] = o
	}
	return m
}

// stageHosts returns the hosts of every stage by name ("staging", "1", ...).
func stageHosts(res CycleResult) map[string][]string {
	m := map[string][]string{}
	for _, s := range res.Stages {
		m[s.Stage] = s.Hosts
	}
	return m
}

func hostNames(n int) []string {
	out := []string{"stg1"}
	for i := 1; i <= n; i++ {
		out = append(out, fmt.Sprintf("h%d", i))
	}
	return out
}

func TestCycleHappyPath(t *testing.T) {
	c := newCycleEnv(t, hostNames(5)...)
	res := c.run(t, testSpec())
	if res.State != domain.CycleCompleted {
		t.Fatalf("state %s (%s), want completed", res.State, res.Reason)
	}
	want := map[string][]string{"staging": {"stg1"}, "1": {"h1"}, "2": {"h2", "h3", "h4"}, "3": {"h5"}}
	if got := stageHosts(res); !reflect.DeepEqual(got, want) {
		t.Errorf("stages %v, want %v", got, want)
	}
	if res.Counts.Patched != 6 || res.Counts.Total != 6 {
		t.Errorf("counts %+v, want 6 patched of 6", res.Counts)
	}
	for _, h := range hostNames(5) {
		if v := c.fleet.installed(h, "demo-app"); v != "1.0.1" {
			t.Errorf("%s demo-app = %s, want 1.0.1", h, v)
		}
		if v := c.fleet.installed(h, "libfoo"); v != "2.1" {
			t.Errorf("%s libfoo = %s, want 2.1", h, v)
		}
	}
	if c.kids.startModes[0] != "patch:stg1" {
		t.Errorf("first host patched %s, want staging host stg1 first", c.kids.startModes[0])
	}
	if c.kids.maxRunning > 2 {
		t.Errorf("%d hosts in flight at once, max_parallel is 2", c.kids.maxRunning)
	}
	if c.kids.maxRunning != 2 {
		t.Errorf("at most %d hosts ran at once; wave 2 (3 hosts, max 2) should fill its window", c.kids.maxRunning)
	}
	if len(c.fleet.hooks) != 6 {
		t.Errorf("pre hook ran %d times, want once per host: %v", len(c.fleet.hooks), c.fleet.hooks)
	}
}

func TestCycleDryRunChangesNothing(t *testing.T) {
	c := newCycleEnv(t, hostNames(3)...)
	spec := testSpec()
	spec.DryRun = true
	spec.Patches = domain.PatchRules{Classes: []domain.Class{domain.ClassSecurity}}
	res := c.run(t, spec)
	if res.State != domain.CyclePlanned {
		t.Fatalf("state %s, want planned", res.State)
	}
	if len(res.Plan.Entries) != 1 || res.Plan.Entries[0].Name != "demo-app" || res.Plan.Entries[0].Version != "1.0.1" {
		t.Errorf("plan %+v, want demo-app 1.0.1 only (libfoo is a bugfix)", res.Plan.Entries)
	}
	if len(c.kids.startModes) != 0 || c.fleet.installed("h1", "demo-app") != "1.0.0" {
		t.Errorf("dry run started hosts %v", c.kids.startModes)
	}
}

func TestStagingFailureNeverReachesProduction(t *testing.T) {
	c := newCycleEnv(t, hostNames(3)...)
	c.fleet.badPins["demo-app=1.0.1"] = true
	spec := testSpec()
	spec.Host.DecisionTimeout = 5 * time.Minute
	res := c.run(t, spec)
	if res.State != domain.CycleFailed || !strings.Contains(res.Reason, "staging failed") {
		t.Fatalf("state %s (%s), want failed at staging", res.State, res.Reason)
	}
	o := c.outcomes(t)["stg1"]
	if o.State != domain.HostFailed || !strings.Contains(o.Reason, "no operator decision within 5m") || !strings.Contains(o.Reason, "rolled back") {
		t.Errorf("stg1 %s: %s", o.State, o.Reason)
	}
	if v := c.fleet.installed("stg1", "demo-app"); v != "1.0.0" {
		t.Errorf("stg1 demo-app = %s after rollback, want 1.0.0", v)
	}
	for _, h := range []string{"h1", "h2", "h3"} {
		if c.fleet.applyCalls[h] != 0 {
			t.Errorf("production host %s was patched after staging failed", h)
		}
	}
}

// TestBudgetBreachRollsBackWaveThenPauses: rollback_wave rolls back the
// breaching wave's hosts, then pauses for an operator, as the policy
// reference says; abort then ends the cycle.
func TestBudgetBreachRollsBackWaveThenPauses(t *testing.T) {
	c := newCycleEnv(t, hostNames(5)...)
	// The bad version fails only on two wave-2 hosts: staging and the
	// canary pass, wave 2 exhausts the budget of one failure.
	c.fleet.badPins["h2:libfoo=2.1"] = true
	c.fleet.badPins["h3:libfoo=2.1"] = true
	var paused CycleStatus
	c.env.RegisterDelayedCallback(func() {
		paused = c.status(t)
		c.env.SignalWorkflow(MsgAbort, AbortRequest{})
	}, 5*time.Hour)
	res := c.run(t, testSpec())
	if paused.State != domain.CyclePaused || !strings.Contains(paused.Reason, "budget breached in wave 2") || !strings.Contains(paused.Reason, "wave rolled back") {
		t.Errorf("after the breach: %s (%s), want paused after rolling back wave 2", paused.State, paused.Reason)
	}
	if res.State != domain.CycleAborted {
		t.Fatalf("state %s (%s), want aborted by the operator after the pause", res.State, res.Reason)
	}
	o := c.outcomes(t)
	if o["h1"].State != domain.HostPatched || o["stg1"].State != domain.HostPatched {
		t.Errorf("canary %s, staging %s: rollback_wave must leave earlier waves patched", o["h1"].State, o["stg1"].State)
	}
	for _, h := range []string{"h2", "h3"} {
		if o[h].State != domain.HostRolledBack {
			t.Errorf("%s %s (%s), want rolled_back", h, o[h].State, o[h].Reason)
		}
		if v := c.fleet.installed(h, "libfoo"); v != "2.0" {
			t.Errorf("%s libfoo = %s, want snapshot 2.0", h, v)
		}
	}
	if _, started := o["h5"]; started || c.fleet.applyCalls["h5"] != 0 {
		t.Errorf("wave 3 host h5 was touched after the breach")
	}
	if res.BudgetUsed != 2 || res.Budget != 1 {
		t.Errorf("budget used %d of %d, want 2 of 1", res.BudgetUsed, res.Budget)
	}
}

func (c *cycleEnv) status(t *testing.T) CycleStatus {
	t.Helper()
	var st CycleStatus
	v, err := c.env.QueryWorkflow(QueryStatus)
	if err != nil {
		t.Errorf("query: %v", err)
		return st
	}
	if err := v.Get(&st); err != nil {
		t.Error(err)
	}
	return st
}

func TestBudgetBreachRollbackAllInReverseOrder(t *testing.T) {
	c := newCycleEnv(t, hostNames(5)...)
	c.fleet.badPins["h5:libfoo=2.1"] = true
	spec := testSpec()
	spec.Budget = domain.Budget{}
	spec.OnBudgetBreach = domain.BreachRollbackAll
	spec.Waves = []domain.Wave{{Count: 1, MaxParallel: 1}, {Count: 3, MaxParallel: 1}, {Count: 1, MaxParallel: 1}}
	res := c.run(t, spec)
	if res.State != domain.CycleFailed {
		t.Fatalf("state %s, want failed", res.State)
	}
	var patchOrder, rollbackOrder []string
	for _, m := range c.kids.startModes {
		mode, host, _ := strings.Cut(m, ":")
		switch mode {
		case HostModePatch:
			patchOrder = append(patchOrder, host)
		case HostModeRollback:
			rollbackOrder = append(rollbackOrder, host)
		}
	}
	if want := []string{"h4", "h3", "h2", "h1", "stg1"}; !reflect.DeepEqual(rollbackOrder, want) {
		t.Errorf("rollback order %v, want newest first %v (patch order %v)", rollbackOrder, want, patchOrder)
	}
	o := c.outcomes(t)
	for _, h := range hostNames(5) {
		if v := c.fleet.installed(h, "demo-app"); v != "1.0.0" {
			t.Errorf("%s demo-app = %s, want 1.0.0 after rollback_all", h, v)
		}
		if st := o[h].State; st != domain.HostRolledBack {
			t.Errorf("%s state %s, want rolled_back", h, st)
		}
	}
}

func TestBudgetBreachPauseThenResume(t *testing.T) {
	c := newCycleEnv(t, hostNames(4)...)
	c.fleet.badPins["h1:libfoo=2.1"] = true
	spec := testSpec()
	spec.Budget = domain.Budget{}
	spec.OnBudgetBreach = domain.BreachPause
	spec.Host.DecisionTimeout = time.Minute
	var paused CycleStatus
	c.env.RegisterDelayedCallback(func() {
		paused = c.status(t)
		c.env.SignalWorkflow(MsgResume, nil)
	}, 3*time.Hour)
	res := c.run(t, spec)
	if paused.State != domain.CyclePaused || !paused.Paused || !strings.Contains(paused.Reason, "budget breached in wave 1") {
		t.Errorf("status while waiting: %s paused=%v (%s), want paused on breach", paused.State, paused.Paused, paused.Reason)
	}
	if res.State != domain.CycleCompletedWithFailures || res.Counts.Patched != 4 || res.Counts.Failed != 1 {
		t.Errorf("after resume: %s %+v, want completed_with_failures with 4 patched, 1 failed", res.State, res.Counts)
	}
}

func TestApprovalTimeoutAndApprove(t *testing.T) {
	spec := testSpec()
	spec.Approval = domain.ApprovalSpec{Mode: domain.ApprovalManual, Timeout: 2 * time.Hour}

	c := newCycleEnv(t, hostNames(2)...)
	res := c.run(t, spec)
	if res.State != domain.CycleFailed || res.Reason != "no approval within 2h" {
		t.Errorf("unapproved: %s (%s), want failed: no approval within 2h", res.State, res.Reason)
	}
	if c.fleet.applyCalls["stg1"] != 0 {
		t.Error("a host was patched without approval")
	}

	c = newCycleEnv(t, hostNames(2)...)
	var rejected, accepted error
	c.env.RegisterDelayedCallback(func() {
		c.env.UpdateWorkflow(MsgResume, "u1", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { rejected = err }, OnAccept: func() {}, OnComplete: func(any, error) {}})
		c.env.UpdateWorkflow(MsgApprove, "u2", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { accepted = err }, OnAccept: func() {}, OnComplete: func(any, error) {}})
	}, time.Hour)
	res = c.run(t, spec)
	if rejected == nil || !strings.Contains(rejected.Error(), "not paused") {
		t.Errorf("resume of a running cycle: %v, want rejection 'not paused'", rejected)
	}
	if accepted != nil || res.State != domain.CycleCompleted {
		t.Errorf("approve: %v, cycle %s (%s)", accepted, res.State, res.Reason)
	}
}

func TestAbortWithRollback(t *testing.T) {
	c := newCycleEnv(t, hostNames(4)...)
	spec := testSpec()
	spec.Staging = domain.StagingSpec{}
	spec.Waves = []domain.Wave{{Count: 1, MaxParallel: 1, Bake: time.Hour}, {Count: 3, MaxParallel: 1}}
	c.env.RegisterDelayedCallback(func() { c.env.SignalWorkflow(MsgAbort, AbortRequest{Rollback: true}) }, 30*time.Minute)
	res := c.run(t, spec)
	if res.State != domain.CycleAborted || !strings.Contains(res.Reason, "rolled back") {
		t.Fatalf("state %s (%s), want aborted with rollback", res.State, res.Reason)
	}
	if o := c.outcomes(t)["h1"]; o.State != domain.HostRolledBack || c.fleet.installed("h1", "demo-app") != "1.0.0" {
		t.Errorf("h1 %s demo-app %s, want rolled_back to 1.0.0", o.State, c.fleet.installed("h1", "demo-app"))
	}
	if c.fleet.applyCalls["h2"] != 0 {
		t.Error("wave 2 started after abort")
	}
}

func TestOperatorPauseStopsNewHostsUntilResume(t *testing.T) {
	c := newCycleEnv(t, "h1", "h2", "h3", "h4")
	spec := testSpec()
	spec.Staging = domain.StagingSpec{}
	spec.Waves = []domain.Wave{{Count: 4, MaxParallel: 1}}
	c.env.OnActivity(ActApplyPins, mockAny, mockAny).After(10 * time.Minute).Return(c.fleet.ApplyPins)
	var paused CycleStatus
	var appliedWhilePaused int
	c.env.RegisterDelayedCallback(func() {
		c.env.UpdateWorkflow(MsgPause, "p1", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("pause refused: %v", err) }, OnAccept: func() {}, OnComplete: func(any, error) {}})
	}, 15*time.Minute)
	c.env.RegisterDelayedCallback(func() {
		paused = c.status(t)
		c.fleet.mu.Lock()
		appliedWhilePaused = len(c.fleet.applyCalls)
		c.fleet.mu.Unlock()
		c.env.SignalWorkflow(MsgResume, nil)
	}, 3*time.Hour)
	res := c.run(t, spec)
	if !paused.Paused || appliedWhilePaused != 2 {
		t.Errorf("while paused: paused=%v, %d hosts patched, want paused with only the 2 hosts started before the pause", paused.Paused, appliedWhilePaused)
	}
	if res.State != domain.CycleCompleted || res.Counts.Patched != 4 {
		t.Errorf("after resume: %s %+v, want all 4 patched", res.State, res.Counts)
	}
}

func TestRollbackHostOfAPatchedHost(t *testing.T) {
	c := newCycleEnv(t, "h1", "h2")
	spec := testSpec()
	spec.Staging = domain.StagingSpec{}
	spec.Waves = []domain.Wave{{Count: 1, MaxParallel: 1}, {Count: 1, MaxParallel: 1, Bake: 2 * time.Hour}}
	var unknown, accepted error
	c.env.RegisterDelayedCallback(func() {
		c.env.UpdateWorkflow(MsgRollbackHost, "r0", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { unknown = err }, OnAccept: func() {}, OnComplete: func(any, error) {}}, HostRequest{Host: "h9"})
		c.env.UpdateWorkflow(MsgRollbackHost, "r1", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { accepted = err }, OnAccept: func() {}, OnComplete: func(any, error) {}}, HostRequest{Host: "h1"})
	}, time.Hour)
	res := c.run(t, spec)
	if unknown == nil || !strings.Contains(unknown.Error(), `"h9" was not patched`) {
		t.Errorf("rollback of an unknown host: %v, want refusal", unknown)
	}
	if accepted != nil {
		t.Fatalf("rollback of h1 refused: %v", accepted)
	}
	o := c.outcomes(t)
	if o["h1"].State != domain.HostRolledBack || !strings.Contains(o["h1"].Reason, "operator asked") || c.fleet.installed("h1", "demo-app") != "1.0.0" {
		t.Errorf("h1 %s %q demo-app %s, want rolled back on request", o["h1"].State, o["h1"].Reason, c.fleet.installed("h1", "demo-app"))
	}
	// The operator rolled h1 back on purpose: the cycle reports it.
	if o["h2"].State != domain.HostPatched || res.State != domain.CycleCompletedWithFailures {
		t.Errorf("h2 %s, cycle %s", o["h2"].State, res.State)
	}
}

func TestPreDownloadSkipsHostsThatCannotFetch(t *testing.T) {
	c := newCycleEnv(t, hostNames(3)...)
	c.fleet.downloadFails["h2"] = true
	spec := testSpec()
	spec.PreDownload = true
	res := c.run(t, spec)
	if len(c.fleet.downloads) != 4 {
		t.Errorf("downloaded on %v, want all 4 hosts", c.fleet.downloads)
	}
	o := c.outcomes(t)
	if o["h2"].State != domain.HostSkipped || !strings.Contains(o["h2"].Reason, "pre-download failed: fetch demo-app") || c.fleet.applyCalls["h2"] != 0 {
		t.Errorf("h2 %s %q applied %d, want skipped before any change", o["h2"].State, o["h2"].Reason, c.fleet.applyCalls["h2"])
	}
	if res.State != domain.CycleCompleted || res.Counts.Patched != 3 {
		t.Errorf("cycle %s %+v, want the other 3 patched", res.State, res.Counts)
	}
	for stage, hosts := range stageHosts(res) {
		if slices.Contains(hosts, "h2") {
			t.Errorf("h2 still assigned to stage %s: %v", stage, hosts)
		}
	}
}

func TestAbortBeforeRolloutChangesNothing(t *testing.T) {
	c := newCycleEnv(t, hostNames(2)...)
	c.env.OnActivity(ActScanHosts, mockAny, mockAny).After(time.Minute).Return(c.fleet.ScanHosts)
	c.env.RegisterDelayedCallback(func() { c.env.SignalWorkflow(MsgAbort, AbortRequest{}) }, 10*time.Second)
	res := c.run(t, testSpec())
	if res.State != domain.CycleAborted || !strings.Contains(res.Reason, "before the rollout") {
		t.Errorf("state %s (%s), want aborted before the rollout", res.State, res.Reason)
	}
	if len(c.kids.startModes) != 0 {
		t.Errorf("hosts started after abort: %v", c.kids.startModes)
	}
}

func TestApprovalTimeoutProceeds(t *testing.T) {
	c := newCycleEnv(t, hostNames(1)...)
	spec := testSpec()
	spec.Approval = domain.ApprovalSpec{Mode: domain.ApprovalManual, Timeout: time.Hour, OnTimeout: domain.ApprovalTimeoutProceed}
	res := c.run(t, spec)
	if res.State != domain.CycleCompleted || res.Counts.Patched != 2 {
		t.Errorf("%s (%s) %+v, want the rollout to proceed after the approval timeout", res.State, res.Reason, res.Counts)
	}
}

func TestDecisionTimeoutPolicies(t *testing.T) {
	for _, c := range []struct {
		policy     domain.DecisionTimeoutAction
		hostState  domain.HostState
		cycleState domain.CycleState
		h2Touched  bool
	}{
		{domain.DecisionSkip, domain.HostSkipped, domain.CycleCompleted, true},
		{domain.DecisionAbort, domain.HostFailed, domain.CycleAborted, false},
	} {
		t.Run(string(c.policy), func(t *testing.T) {
			e := newCycleEnv(t, hostNames(2)...)
			e.fleet.badPins["h1:libfoo=2.1"] = true
			spec := testSpec()
			spec.Budget = domain.Budget{MaxFailures: 5}
			spec.Host.OnDecisionTimeout = c.policy
			res := e.run(t, spec)
			o := e.outcomes(t)["h1"]
			if res.State != c.cycleState || o.State != c.hostState || !strings.Contains(o.Reason, "no operator decision within 10m") {
				t.Errorf("cycle %s (%s), h1 %s %q; want cycle %s, h1 %s", res.State, res.Reason, o.State, o.Reason, c.cycleState, c.hostState)
			}
			if touched := e.fleet.applyCalls["h2"] > 0; touched != c.h2Touched {
				t.Errorf("h2 patched = %v, want %v", touched, c.h2Touched)
			}
		})
	}
}

func TestWaveCheckFailureFailsTheWave(t *testing.T) {
	c := newCycleEnv(t, hostNames(5)...)
	c.fleet.waveCheckFailsWith["h3"] = true
	spec := testSpec()
	spec.OnBudgetBreach = domain.BreachRollbackAll
	spec.Checks = append(spec.Checks, domain.Check{Name: "errors", Type: domain.CheckPromQL, Scope: domain.ScopeWave, Prometheus: "http://prom:9090",
		Query: "sum(rate(http_errors_total[5m]))", BeforeAfter: &domain.BeforeAfter{MaxIncrease: 1}})
	res := c.run(t, spec)
	if res.State != domain.CycleFailed || !strings.Contains(res.Reason, "budget breached in wave 2") {
		t.Fatalf("cycle %s (%s), want a breach in wave 2", res.State, res.Reason)
	}
	o := c.outcomes(t)
	for _, h := range []string{"h2", "h3", "h4"} {
		if o[h].State != domain.HostRolledBack || !strings.Contains(o[h].Reason, "check after bake: check errors") || c.fleet.installed(h, "libfoo") != "2.0" {
			t.Errorf("%s %s %q libfoo %s, want rolled back after the wave check failed", h, o[h].State, o[h].Reason, c.fleet.installed(h, "libfoo"))
		}
	}
	if c.fleet.checkBefore["errors"] != 1 {
		t.Errorf("before value %v, want the probe's 1 passed to the check", c.fleet.checkBefore)
	}
}

// TestUnreachableFleetIsNotPatched: a cycle that reaches no host must not
// end "completed, nothing to patch" (a scheduled job would record an
// unreachable fleet as patched): every host is failed with the reason and
// the cycle ends completed_with_failures, a failed workflow.
func TestUnreachableFleetIsNotPatched(t *testing.T) {
	c := newCycleEnv(t, "h1", "h2", "h3")
	for _, h := range c.fleet.hosts {
		h.down = true
	}
	spec := testSpec()
	spec.Staging = domain.StagingSpec{}
	res := c.run(t, spec)
	if res.State != domain.CycleCompletedWithFailures || res.Counts.Failed != 3 || res.Counts.Patched != 0 {
		t.Fatalf("cycle %s (%s) %+v, want completed_with_failures with 3 failed hosts", res.State, res.Reason, res.Counts)
	}
	if res.Reason != "nothing to patch on the hosts scanned; 3 could not be scanned" {
		t.Errorf("reason %q claims nothing to patch on a fleet that was never scanned", res.Reason)
	}
	for _, h := range res.Hosts {
		if h.Stage != "scan" || h.Wave != 0 {
			t.Errorf("%s listed under stage %q wave %d, want stage scan (never a staging wave)", h.Host, h.Stage, h.Wave)
		}
	}
}

// TestScanFailuresBreachTheBudget: production hosts that cannot be scanned
// spend the budget before the first wave; past it the breach policy runs
// before any host is changed.
func TestScanFailuresBreachTheBudget(t *testing.T) {
	c := newCycleEnv(t, hostNames(4)...)
	c.fleet.hosts["h1"].down = true
	c.fleet.hosts["h2"].down = true
	spec := testSpec()
	spec.OnBudgetBreach = domain.BreachRollbackAll
	res := c.run(t, spec)
	if res.State != domain.CycleFailed || !strings.Contains(res.Reason, "before the rollout: 2 production hosts could not be scanned, 1 tolerated") {
		t.Fatalf("cycle %s (%s), want failed on a budget breach before the rollout", res.State, res.Reason)
	}
	if c.fleet.applyCalls["h3"]+c.fleet.applyCalls["h4"] != 0 {
		t.Errorf("production hosts patched after the budget was spent: %v", c.fleet.applyCalls)
	}
}

// TestUnscannedStagingHostStopsTheCycle: a staging host that cannot be
// scanned cannot prove the plan; production is not touched.
func TestUnscannedStagingHostStopsTheCycle(t *testing.T) {
	c := newCycleEnv(t, hostNames(2)...)
	c.fleet.hosts["stg1"].down = true
	res := c.run(t, testSpec())
	if res.State != domain.CycleFailed || !strings.Contains(res.Reason, "staging host stg1 could not be scanned") {
		t.Fatalf("cycle %s (%s), want failed: staging not proven", res.State, res.Reason)
	}
	if len(c.kids.startModes) != 0 {
		t.Errorf("hosts patched: %v", c.kids.startModes)
	}
}
