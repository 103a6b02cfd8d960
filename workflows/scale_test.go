package workflows

import (
	"fmt"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

// TestCycleOf1500Hosts runs a cycle over 1,500 fake hosts: the big wave
// must continue as new (500 hosts per run) and every host end patched.
func TestCycleOf1500Hosts(t *testing.T) {
	if testing.Short() {
		t.Skip("scale test: skipped with -short")
	}
	var names []string
	for i := 0; i < 1500; i++ {
		names = append(names, fmt.Sprintf("web-%04d", i))
	}
	c := newCycleEnv(t, names...)
	runs := map[int]int{} // wave -> runs, from the waves' results
	c.env.SetOnChildWorkflowCompletedListener(func(info *workflow.Info, result converter.EncodedValue, err error) {
		var r WaveResult
		if info.WorkflowType.Name == "Wave" && err == nil && result.Get(&r) == nil {
			runs[r.Wave] = r.Runs
		}
	})
	spec := testSpec()
	spec.Staging = StagingSpec{}
	spec.Checks = nil
	spec.Host.PreHooks = nil
	spec.Waves = []WaveSpec{{Percent: 1, MaxParallel: 5}, {Percent: 100, MaxParallel: 50}}
	start := time.Now()
	res := c.run(t, spec)
	t.Logf("1500 hosts: %s %+v in %v wall time, waves %d+%d hosts", res.State, res.Counts, time.Since(start).Round(time.Millisecond), len(res.WaveHosts[0]), len(res.WaveHosts[1]))
	if res.State != CycleCompleted || res.Counts.Patched != 1500 {
		t.Fatalf("cycle %s %+v, want 1500 patched", res.State, res.Counts)
	}
	if runs[1] != 1 || runs[2] != 3 {
		t.Errorf("wave runs %v, want 1 for the canary and 3 (500 hosts each) for the rest", runs)
	}
	for _, o := range res.Hosts {
		if o.Wave == 2 && o.Snapshot != nil {
			t.Fatalf("result carries snapshots of patched hosts: %+v", o)
		}
	}
}
