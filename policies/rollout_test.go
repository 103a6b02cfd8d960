package policies

import (
	"reflect"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
)

func parseTest(t *testing.T, body string) *Policy {
	t.Helper()
	p, err := Parse("t.yaml", []byte("apiVersion: patchflow/v1\nkind: PatchPolicy\nmetadata: {name: t}\ntargets: {inventory: hosts.yaml}\n"+body))
	if err != nil {
		t.Fatalf("Parse:\n%v", err)
	}
	return p
}

// planned is how a cycle sizes the policy's waves for n production hosts.
func planned(t *testing.T, p *Policy, n int) []domain.PlannedWave {
	t.Helper()
	got, err := domain.PlanWaves(p.CycleSpec().Waves, n)
	if err != nil {
		t.Fatalf("PlanWaves(%d): %v", n, err)
	}
	return got
}

// TestWavesAsTheCycleRunsThem: the spec carries each wave with the
// rollout's max_parallel where the wave sets none, and the cycle's rule
// repeats the last wave's size.
func TestWavesAsTheCycleRunsThem(t *testing.T) {
	p := parseTest(t, `rollout:
  max_parallel: 4
  waves:
    - {name: canary, count: 1, bake: 30m}
    - {name: ten, percent: 10, max_parallel: 2}
    - {name: quarter, percent: 25}
`)
	want := []domain.PlannedWave{
		{Index: 0, Name: "canary", Size: 1, MaxParallel: 4, Bake: 30 * time.Minute},
		{Index: 1, Name: "ten", Size: 4, MaxParallel: 2},
		{Index: 2, Name: "quarter", Size: 10, MaxParallel: 4},
		{Index: 2, Name: "quarter-2", Size: 10, MaxParallel: 4},
		{Index: 2, Name: "quarter-3", Size: 10, MaxParallel: 4},
		{Index: 2, Name: "quarter-4", Size: 5, MaxParallel: 4},
	}
	if got := planned(t, p, 40); !reflect.DeepEqual(got, want) {
		t.Errorf("waves of 40 hosts =\n%+v\nwant\n%+v", got, want)
	}
	for n, want := range map[int][]int{0: nil, 1: {1}, 3: {1, 1, 1}, 11: {1, 2, 3, 3, 2}} {
		var sizes []int
		for _, w := range planned(t, p, n) {
			sizes = append(sizes, w.Size)
		}
		if !reflect.DeepEqual(sizes, want) {
			t.Errorf("wave sizes of %d hosts = %v, want %v", n, sizes, want)
		}
	}
}

func TestDefaultWave(t *testing.T) {
	got := planned(t, parseTest(t, ""), 7)
	if !reflect.DeepEqual(got, []domain.PlannedWave{{Name: "all", Size: 7, MaxParallel: 1}}) {
		t.Errorf("waves of a policy without waves = %+v; want one wave of all 7 hosts, one at a time", got)
	}
}

func TestBudgetAsTheCycleCountsIt(t *testing.T) {
	p := parseTest(t, "rollout:\n  failure_budget: {count: 2, percent: 10}\n")
	if b := p.CycleSpec().Budget; b != (domain.Budget{MaxFailures: 2, MaxPercent: 10}) || b.Tolerated(10) != 1 || b.Tolerated(100) != 2 {
		t.Errorf("budget %+v tolerates %d of 10 and %d of 100; want 1 and 2 (the smaller wins)", b, b.Tolerated(10), b.Tolerated(100))
	}
}

func TestWorstCase(t *testing.T) {
	p := Default()
	if got := p.hostSteps().WorstCase(); got != 60*time.Minute {
		t.Errorf("default worst case = %s, want 1h (5m + 30m + 15m + 10m)", got)
	}
	p.Host.PreHooks = [][]string{{"a"}, {"b"}}
	p.Host.PostHooks = [][]string{{"c"}}
	p.Host.Reboot = domain.RebootNever
	if got := p.hostSteps().WorstCase(); got != 60*time.Minute {
		t.Errorf("worst case with 3 hooks and no reboot = %s, want 1h (45m + 3 x 5m)", got)
	}
}

// TestDecisionTimeoutVocabulary: rollback.on_decision_timeout accepts
// exactly the actions the cycle knows (domain.DecisionTimeoutActions, the
// documented skip and abort) and carries them into the spec; "fail", which
// only the workflow once had, is refused at its position.
func TestDecisionTimeoutVocabulary(t *testing.T) {
	for _, a := range domain.DecisionTimeoutActions {
		p := parseTest(t, "rollback: {on_decision_timeout: "+string(a)+"}\n")
		if got := p.CycleSpec().Host.OnDecisionTimeout; got != a {
			t.Errorf("on_decision_timeout %s became %q in the spec", a, got)
		}
	}
	_, err := Parse("t.yaml", []byte("apiVersion: patchflow/v1\nkind: PatchPolicy\nmetadata: {name: t}\ntargets: {inventory: hosts.yaml}\nrollback: {on_decision_timeout: fail}\n"))
	want := `t.yaml:5:33: rollback: on_decision_timeout must be skip or abort, got "fail"`
	if err == nil || err.Error() != want {
		t.Errorf("on_decision_timeout fail: %v\nwant %s", err, want)
	}
}
