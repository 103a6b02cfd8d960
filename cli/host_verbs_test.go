package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/workflows"
)

// awaitHostDecision waits until the host's workflow waits for an operator,
// asking it the way the Temporal UI does (its status query).
func awaitHostDecision(t *testing.T, host string) {
	t.Helper()
	ts, _ := temporalServer(t)
	deadline := time.Now().Add(60 * time.Second)
	for {
		var st workflows.HostStatus
		v, err := ts.GetDefaultClient().QueryWorkflow(context.Background(), workflows.HostWorkflowID(host), "", workflows.QueryStatus)
		if err == nil && v.Get(&st) == nil && st.AwaitingDecision {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("host %s never waited for a decision (last: %+v, %v)", host, st, err)
		}
		waitABit()
	}
}

// TestHostVerbs: retry patches a host whose first install failed, skip
// leaves a failed host, rollback returns a waiting host to its snapshot and
// asks the running cycle to roll back a host it patched; the cycle then
// ends with the rolled-back hosts counted (exit 3).
func TestHostVerbs(t *testing.T) {
	_, fleet := temporalServer(t)
	policy := writeFleetPolicy(t, "decide", []string{"decide-a-ok", "decide-b-flaky", "decide-c-bad", "decide-d-bad"}, `rollout:
  waves: [{name: canary, count: 1}, {name: rest, percent: 100, max_parallel: 3}]
  failure_budget: {count: 10}
rollback: {decision_timeout: 1h}
`)
	id := startOnServer(t, policy)
	for _, h := range []string{"decide-b-flaky", "decide-c-bad", "decide-d-bad"} {
		awaitHostDecision(t, h)
	}
	for _, step := range []struct{ args, want string }{
		{"host retry decide-b-flaky", "decide-b-flaky: "},
		{"host skip decide-c-bad", "decide-c-bad: "},
		// decide-a-ok's patch has finished: its cycle rolls it back.
		{"host rollback decide-a-ok", "decide-a-ok: rollback requested from " + id},
	} {
		code, out, errOut := runOnServer(t, strings.Fields(step.args)...)
		if code != ExitOK || !strings.HasPrefix(out, step.want) {
			t.Fatalf("%s: exit %d\n%s%s", step.args, code, out, errOut)
		}
	}
	awaitStatus(t, id, "decide-a-ok rolled back by its cycle", func(st workflows.CycleStatus) bool {
		return hostState(st, "decide-a-ok") == domain.HostRolledBack
	})
	if code, out, errOut := runOnServer(t, "host", "rollback", "decide-d-bad", "--json"); code != ExitOK || !strings.Contains(out, `"host": "decide-d-bad"`) {
		t.Fatalf("host rollback of a waiting host: exit %d\n%s%s", code, out, errOut)
	}
	awaitStatus(t, id, "the end of the cycle", func(st workflows.CycleStatus) bool { return st.State.Final() })
	code, out, _ := runOnServer(t, "cycle", "status", id, "--watch", "--json")
	if code != ExitHostsFailed {
		t.Errorf("status --watch: exit %d, want 3 (rolled-back hosts)\n%s", code, out)
	}
	st := statusOnServer(t, id)
	for h, want := range map[string]domain.HostState{"decide-c-bad": domain.HostSkipped, "decide-d-bad": domain.HostRolledBack, "decide-a-ok": domain.HostRolledBack} {
		if got := hostState(st, h); got != want {
			t.Errorf("%s ended %q, want %s", h, got, want)
		}
	}
	if st.Counts.Patched != 1 || fleet.version("decide-b-flaky") != "1.0.1" || fleet.version("decide-a-ok") != "1.0.0" {
		t.Errorf("counts %+v; b-flaky at %s (want 1.0.1 after retry), a-ok at %s (want 1.0.0 after rollback)", st.Counts, fleet.version("decide-b-flaky"), fleet.version("decide-a-ok"))
	}
	for _, tc := range []struct{ args, want string }{
		{"host retry decide-none", "no cycle has patched this host"},
		{"host skip decide-a-ok", "its patch has finished"},
	} {
		if code, _, errOut := runOnServer(t, strings.Fields(tc.args)...); code != ExitFailure || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, %q; want %q", tc.args, code, errOut, tc.want)
		}
	}
}
