package workflows

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/patchflow/patchflow/domain"
)

// TestFinalVerifyWaitsForAnOperatorsRollback: an operator rolls h1 back
// while the last wave bakes, and the rollback outlasts the bake. The final
// verify starts once the rollback has ended and leaves h1 out: it is back
// at its snapshot by the operator's wish, not a host that failed the
// verify.
func TestFinalVerifyWaitsForAnOperatorsRollback(t *testing.T) {
	c := newCycleEnv(t, "h1", "h2")
	spec := testSpec()
	spec.Staging = domain.StagingSpec{}
	spec.Waves = []domain.Wave{{Count: 1, MaxParallel: 1}, {Count: 1, MaxParallel: 1, Bake: 2 * time.Hour}}
	c.env.OnActivity(ActRollback, mockAny, mockAny).After(3 * time.Hour).Return(c.fleet.Rollback)
	var verified []string
	c.env.OnActivity(ActVerifyHosts, mockAny, mockAny).Return(func(ctx context.Context, in TargetBatch) (TargetBatchResult, error) {
		for _, t := range in.Targets {
			verified = append(verified, t.Host)
		}
		return c.fleet.VerifyHosts(ctx, in)
	})
	var refused error
	c.env.RegisterDelayedCallback(func() {
		c.env.UpdateWorkflow(MsgRollbackHost, "r1", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { refused = err }, OnAccept: func() {}, OnComplete: func(any, error) {}}, HostRequest{Host: "h1"})
	}, time.Hour)
	res := c.run(t, spec)
	if refused != nil {
		t.Fatalf("rollback of h1 refused: %v", refused)
	}
	o := c.outcomes(t)
	if o["h1"].State != domain.HostRolledBack || c.fleet.installed("h1", "demo-app") != "1.0.0" {
		t.Errorf("h1 %s %q demo-app %s, want rolled back on request", o["h1"].State, o["h1"].Reason, c.fleet.installed("h1", "demo-app"))
	}
	if slices.Contains(verified, "h1") || !slices.Contains(verified, "h2") {
		t.Errorf("final verify checked %v, want h2 and not h1 (rolled back by the operator)", verified)
	}
	if res.State != domain.CycleCompletedWithFailures {
		t.Errorf("cycle %s (%s), want completed_with_failures (h1 rolled back on request)", res.State, res.Reason)
	}
}
