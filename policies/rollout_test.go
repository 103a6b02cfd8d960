package policies

import (
	"reflect"
	"testing"
	"time"
)

func parseTest(t *testing.T, body string) *Policy {
	t.Helper()
	p, err := Parse("t.yaml", []byte("apiVersion: patchflow/v1\nkind: PatchPolicy\nmetadata: {name: t}\ntargets: {inventory: hosts.yaml}\n"+body))
	if err != nil {
		t.Fatalf("Parse:\n%v", err)
	}
	return p
}

func TestPlan(t *testing.T) {
	p := parseTest(t, `rollout:
  max_parallel: 4
  waves:
    - {name: canary, count: 1, bake: 30m}
    - {name: ten, percent: 10, max_parallel: 2}
    - {name: quarter, percent: 25}
`)
	got, err := p.Plan(40)
	if err != nil {
		t.Fatal(err)
	}
	want := []PlannedWave{
		{Name: "canary", Size: 1, MaxParallel: 4, Bake: 30 * time.Minute},
		{Name: "ten", Size: 4, MaxParallel: 2},
		{Name: "quarter", Size: 10, MaxParallel: 4},
		{Name: "quarter-2", Size: 10, MaxParallel: 4},
		{Name: "quarter-3", Size: 10, MaxParallel: 4},
		{Name: "quarter-4", Size: 5, MaxParallel: 4},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Plan(40) =\n%+v\nwant\n%+v", got, want)
	}
	for n, want := range map[int][]int{0: {}, 1: {1}, 3: {1, 1, 1}, 11: {1, 2, 3, 3, 2}} {
		sizes, err := p.WaveSizes(n)
		if err != nil || !reflect.DeepEqual(sizes, want) {
			t.Errorf("WaveSizes(%d) = %v, %v; want %v", n, sizes, err, want)
		}
	}
	if _, err := p.WaveSizes(-1); err == nil {
		t.Error("WaveSizes(-1) accepted a negative fleet")
	}
}

func TestPlanDefaultWave(t *testing.T) {
	p := parseTest(t, "")
	got, err := p.Plan(7)
	if err != nil || !reflect.DeepEqual(got, []PlannedWave{{Name: "all", Size: 7, MaxParallel: 1}}) {
		t.Errorf("Plan(7) of a policy without waves = %+v, %v; want one wave of all 7 hosts, one at a time", got, err)
	}
}

func TestPlanErrorsPointIntoTheFile(t *testing.T) {
	p := parseTest(t, `rollout:
  waves:
    - {name: canary, count: 5}
    - {name: rest, percent: 10}
`)
	_, err := p.Plan(3)
	want := "t.yaml:7:29: wave \"canary\": count exceeds the 3 hosts in the rollout (targets minus staging), got 5"
	if err == nil || err.Error() != want {
		t.Errorf("Plan(3) error = %v, want %q", err, want)
	}
	// 10% of 20 is 2 hosts, fewer than the canary's 5: only visible with a fleet.
	_, err = p.Plan(20)
	want = "t.yaml:8:7: wave \"rest\": wave is smaller than the wave before it (5 hosts) in a fleet of 20; waves should grow, got 2 hosts"
	if err == nil || err.Error() != want {
		t.Errorf("Plan(20) error = %v, want %q", err, want)
	}
	if _, err := p.Plan(100); err != nil {
		t.Errorf("Plan(100): %v", err)
	}
}

func TestEffectiveBudget(t *testing.T) {
	for _, tc := range []struct {
		b     FailureBudget
		fleet int
		want  int
	}{
		{FailureBudget{}, 100, 0},
		{FailureBudget{Count: 3}, 100, 3},
		{FailureBudget{Percent: 5}, 100, 5},
		{FailureBudget{Percent: 5}, 19, 0}, // 0.95 rounds down
		{FailureBudget{Percent: 2.5}, 40, 1},
		{FailureBudget{Count: 3, Percent: 10}, 100, 3},
		{FailureBudget{Count: 30, Percent: 10}, 100, 10},
	} {
		p := &Policy{Rollout: Rollout{FailureBudget: tc.b}}
		if got := p.EffectiveBudget(tc.fleet); got != tc.want {
			t.Errorf("EffectiveBudget(%+v, %d) = %d, want %d", tc.b, tc.fleet, got, tc.want)
		}
	}
}

func TestWorstCase(t *testing.T) {
	h := Default().Host
	if got := h.WorstCase(); got != 60*time.Minute {
		t.Errorf("default WorstCase = %s, want 1h (5m + 30m + 15m + 10m)", got)
	}
	h.PreHooks = [][]string{{"a"}, {"b"}}
	h.PostHooks = [][]string{{"c"}}
	h.Reboot = RebootNever
	if got := h.WorstCase(); got != 60*time.Minute {
		t.Errorf("WorstCase with 3 hooks and no reboot = %s, want 1h (45m + 3 x 5m)", got)
	}
}
