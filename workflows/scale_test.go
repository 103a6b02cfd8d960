package workflows

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
)

// TestCycleOf1500Hosts runs a cycle over 1,500 fake hosts: the big wave
// runs as parts of at most 500 hosts, each its own wave run, and every
// host ends patched.
func TestCycleOf1500Hosts(t *testing.T) {
	if testing.Short() {
		t.Skip("scale test: skipped with -short")
	}
	var names []string
	for i := range 1500 {
		names = append(names, fmt.Sprintf("web-%04d", i))
	}
	c := newCycleEnv(t, names...)
	parts := map[int][]int{} // wave -> hosts of each part, from the waves' results
	c.env.SetOnChildWorkflowCompletedListener(func(info *workflow.Info, result converter.EncodedValue, err error) {
		var r WaveResult
		if info.WorkflowType.Name == "Wave" && err == nil && result.Get(&r) == nil {
			parts[r.Wave] = append(parts[r.Wave], len(r.Outcomes))
		}
	})
	spec := testSpec()
	spec.Staging = domain.StagingSpec{}
	spec.Checks = nil
	spec.Host.PreHooks = nil
	spec.Waves = []domain.Wave{{Percent: 1, MaxParallel: 5}, {Percent: 100, MaxParallel: 50}}
	start := time.Now()
	res := c.run(t, spec)
	t.Logf("1500 hosts: %s %+v in %v wall time, parts %v", res.State, res.Counts, time.Since(start).Round(time.Millisecond), parts)
	if res.State != domain.CycleCompleted || res.Counts.Patched != 1500 {
		t.Fatalf("cycle %s %+v, want 1500 patched", res.State, res.Counts)
	}
	if !slices.Equal(parts[1], []int{15}) || !slices.Equal(parts[2], []int{500, 500, 485}) {
		t.Errorf("wave parts %v, want the canary in one part and the rest in parts of 500", parts)
	}
	if len(res.Hosts) != 0 || len(res.Stages[1].Hosts) != 0 {
		t.Errorf("the result of a 1,500-host cycle lists %d hosts and %d names in a stage; want none (the hosts query pages them)", len(res.Hosts), len(res.Stages[1].Hosts))
	}
}
