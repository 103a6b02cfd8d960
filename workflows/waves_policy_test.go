package workflows

import (
	"fmt"
	"slices"
	"testing"

	"github.com/patchflow/patchflow/policies"
)

// TestAssignWavesMatchesPolicyPlan guards the promise of `policy explain`:
// the waves a reviewer sees are the waves the cycle runs.
func TestAssignWavesMatchesPolicyPlan(t *testing.T) {
	layouts := [][]policies.Wave{
		{{Name: "canary", Count: 1}, {Name: "ten", Percent: 10}, {Name: "half", Percent: 50}},
		{{Name: "canary", Count: 1}, {Name: "ramp", Count: 2}, {Name: "rest", Percent: 100}},
		{{Name: "thirds", Percent: 33.3}},
		{{Name: "two", Count: 2}},
	}
	for li, layout := range layouts {
		p := policies.Default()
		p.Rollout.Waves = layout
		var spec []WaveSpec
		for _, w := range layout {
			spec = append(spec, WaveSpec{Name: w.Name, Count: w.Count, Percent: w.Percent})
		}
		for n := 1; n <= 120; n++ {
			plan, err := p.Plan(n)
			if err != nil {
				continue // a layout the policy refuses for this fleet size
			}
			var want []int
			for _, w := range plan {
				want = append(want, w.Size)
			}
			hosts := make([]string, n)
			for i := range hosts {
				hosts[i] = fmt.Sprint("h", i)
			}
			var got []int
			for _, w := range AssignWaves(hosts, spec) {
				got = append(got, len(w))
			}
			if !slices.Equal(got, want) {
				t.Fatalf("layout %d, %d hosts: cycle waves %v, policy plan %v", li, n, got, want)
			}
		}
	}
}
