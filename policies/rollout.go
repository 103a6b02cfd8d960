package policies

import (
	"fmt"
	"math"
	"time"

	"github.com/patchflow/patchflow/internal/safetext"
	"github.com/patchflow/patchflow/internal/yamldiag"
)

// WorstCase is the longest one host can take through its steps: precheck,
// apply, reboot (unless reboot is never), verify, and every hook at its
// timeout. A window shorter than this could never finish even one host.
func (h *HostSteps) WorstCase() time.Duration {
	t := h.Timeouts
	d := t.Precheck + t.Apply + t.Verify
	if h.Reboot != RebootNever {
		d += t.Reboot
	}
	d += Duration(len(h.PreHooks)+len(h.PostHooks)) * t.Hook
	return d.Std()
}

// PlannedWave is one wave resolved against a fleet size.
type PlannedWave struct {
	Name        string        `json:"name"`
	Size        int           `json:"size"`
	MaxParallel int           `json:"max_parallel"`
	Bake        time.Duration `json:"bake"`
}

// nominal is the size wave w asks for in a fleet of n: its count, or its
// percent rounded up (at least one host).
func (w *Wave) nominal(n int) int {
	if w.Count > 0 {
		return w.Count
	}
	return max(1, int(math.Ceil(w.Percent*float64(n)/100-1e-9)))
}

// MaxFleetSize is the largest fleet Plan plans for; past it a plan is
// refused (a million hosts is far beyond one cycle's reach anyway).
const MaxFleetSize = 1_000_000

// PlanRest summarises the waves PlanFirst leaves out: how many, and how
// many hosts they hold together.
type PlanRest struct {
	Waves int `json:"waves"`
	Hosts int `json:"hosts"`
}

// Plan resolves the waves for a fleet of fleetSize hosts (the targets minus
// staging): each wave takes its count or percent of the fleet (rounded up)
// from the hosts left; after the last listed wave its size repeats, named
// "<name>-2", "<name>-3", ..., until every host has a wave. It fails when a
// wave's count exceeds the fleet or a wave asks for fewer hosts than the one
// before it; errors carry the wave's position in the policy file.
func (p *Policy) Plan(fleetSize int) ([]PlannedWave, error) {
	plan, _, err := p.PlanFirst(fleetSize, -1)
	return plan, err
}

// PlanFirst is Plan that returns at most limit waves (all for limit < 0)
// and a summary of the rest, so a policy whose last wave repeats a
// hundred thousand times can be shown without building every wave.
func (p *Policy) PlanFirst(fleetSize, limit int) ([]PlannedWave, PlanRest, error) {
	if fleetSize < 0 || fleetSize > MaxFleetSize {
		return nil, PlanRest{}, safetext.Errorf("plan waves: fleet size must be from 0 to %d, got %d", MaxFleetSize, fleetSize)
	}
	waves := p.Rollout.Waves
	if len(waves) == 0 {
		waves = []Wave{{Name: "all", Percent: 100, MaxParallel: p.Rollout.MaxParallel}}
	}
	var errs yamldiag.Errors
	prev := 0
	for i := range waves {
		if fleetSize == 0 {
			break // nothing to patch: no wave can be wrong
		}
		w := &waves[i]
		if w.Count > fleetSize {
			errs = append(errs, p.ErrorAt(fmt.Sprintf("rollout.waves[%d].count", i), p.waveObject(i),
				"count exceeds the %d hosts in the rollout (targets minus staging), got %d", fleetSize, w.Count))
			prev = 0 // already wrong; do not compare the next wave with it
			continue
		}
		if n := w.nominal(fleetSize); n < prev {
			errs = append(errs, p.ErrorAt(fmt.Sprintf("rollout.waves[%d]", i), p.waveObject(i),
				"wave is smaller than the wave before it (%d hosts) in a fleet of %d; waves should grow, got %d hosts", prev, fleetSize, n))
		} else {
			prev = n
		}
	}
	if len(errs) > 0 {
		errs.Sort()
		return nil, PlanRest{}, errs
	}
	var out []PlannedWave
	left := fleetSize
	for i := 0; left > 0; i++ {
		w := waves[min(i, len(waves)-1)]
		if limit >= 0 && len(out) == limit {
			return out, planRest(waves, i, left, fleetSize), nil
		}
		name := w.Name
		if i >= len(waves) {
			name = fmt.Sprintf("%s-%d", w.Name, i-len(waves)+2)
		}
		size := min(w.nominal(fleetSize), left)
		left -= size
		out = append(out, PlannedWave{Name: name, Size: size, MaxParallel: max(1, w.MaxParallel), Bake: w.Bake.Std()})
	}
	return out, PlanRest{}, nil
}

// planRest counts the waves from wave i on that cover left hosts: the
// listed ones one by one, then the last one's size repeated, by division.
func planRest(waves []Wave, i, left, fleetSize int) PlanRest {
	var rest PlanRest
	for ; left > 0 && i < len(waves); i++ {
		size := min(waves[i].nominal(fleetSize), left)
		left -= size
		rest.Waves++
		rest.Hosts += size
	}
	if left > 0 {
		n := waves[len(waves)-1].nominal(fleetSize)
		rest.Waves += (left + n - 1) / n
		rest.Hosts += left
	}
	return rest
}

// WaveSizes returns only the sizes of Plan(fleetSize).
func (p *Policy) WaveSizes(fleetSize int) ([]int, error) {
	plan, err := p.Plan(fleetSize)
	if err != nil {
		return nil, err
	}
	sizes := make([]int, len(plan))
	for i, w := range plan {
		sizes[i] = w.Size
	}
	return sizes, nil
}

// EffectiveBudget is how many failed hosts the rollout of fleetSize hosts
// tolerates: the failure budget's count, its percent of the fleet (rounded
// down), or the smaller of both when both are set; 0 when neither is, so the
// first failure is a breach.
func (p *Policy) EffectiveBudget(fleetSize int) int {
	b := p.Rollout.FailureBudget
	byPercent := -1
	if b.Percent > 0 {
		byPercent = int(math.Floor(b.Percent*float64(fleetSize)/100 + 1e-9))
	}
	switch {
	case b.Count > 0 && byPercent >= 0:
		return min(b.Count, byPercent)
	case b.Count > 0:
		return b.Count
	case byPercent >= 0:
		return byPercent
	}
	return 0
}

// waveObject names wave i in errors the way the schema walk does: by the
// name the file gives it, else by index.
func (p *Policy) waveObject(i int) string {
	if i < len(p.Rollout.Waves) && p.Rollout.Waves[i].Name != "" && (p.pos.at == nil || p.pos.has(fmt.Sprintf("rollout.waves[%d].name", i))) {
		return "wave " + quote(p.Rollout.Waves[i].Name)
	}
	return fmt.Sprintf("rollout.waves[%d]", i)
}
