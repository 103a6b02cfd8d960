package domain

import (
	"fmt"
	"math"
	"time"
)

// MaxWaves bounds the waves a rollout resolves to: after the last listed
// wave its size repeats until every host has a wave, so a tiny last wave
// over a huge fleet would otherwise make millions of waves.
const MaxWaves = 1000

// MaxFleet bounds the fleet size a rollout is planned for.
const MaxFleet = 1_000_000

// Wave sizes one wave: Count hosts, or Percent of the production hosts
// (targets minus staging), with at most MaxParallel in flight and a bake
// after it.
type Wave struct {
	Name        string        `json:"name,omitempty"`
	Count       int           `json:"count,omitempty"`
	Percent     float64       `json:"percent,omitempty"`
	MaxParallel int           `json:"max_parallel,omitempty"` // default 1
	Bake        time.Duration `json:"bake,omitempty"`
}

// Parallel is the wave's max_parallel, at least 1.
func (w Wave) Parallel() int { return max(w.MaxParallel, 1) }

// Nominal is the size the wave asks for in a fleet of n: its count, or its
// percent of n rounded up, at least one host.
func (w Wave) Nominal(n int) int {
	if w.Count > 0 {
		return w.Count
	}
	// The epsilon keeps 10% of 30 at 3 despite float rounding.
	return max(1, int(math.Ceil(w.Percent*float64(n)/100-1e-9)))
}

// PlannedWave is one wave resolved against a fleet size.
type PlannedWave struct {
	// Index is the wave's position in the policy's list; waves past the
	// list repeat the last one and carry its index.
	Index       int           `json:"index"`
	Name        string        `json:"name"`
	Size        int           `json:"size"`
	MaxParallel int           `json:"max_parallel"`
	Bake        time.Duration `json:"bake"`
}

// WaveAt is the spec of wave i (0-based): the listed wave, or the last one
// for the waves its size repeats into.
func WaveAt(waves []Wave, i int) Wave {
	return waves[min(i, len(waves)-1)]
}

// PlanWaves resolves waves for a fleet of n production hosts: each wave
// takes its count or percent of the fleet (rounded up) from the hosts
// left; after the last listed wave its size repeats, named "<name>-2",
// "<name>-3", ..., until every host has a wave. No waves plan one wave of
// everything. It fails for a fleet above MaxFleet or a plan of more than
// MaxWaves waves.
func PlanWaves(waves []Wave, n int) ([]PlannedWave, error) {
	if n < 0 || n > MaxFleet {
		return nil, fmt.Errorf("fleet size must be between 0 and %d, got %d", MaxFleet, n)
	}
	if len(waves) == 0 {
		waves = []Wave{{Name: "all", Percent: 100}}
	}
	// Count first, so an absurd plan is refused before it is built.
	count, left := 0, n
	for i := 0; left > 0; i++ {
		w := WaveAt(waves, i)
		if i >= len(waves) {
			// The last size repeats: the rest needs ceil(left/size) waves.
			size := w.Nominal(n)
			count += (left + size - 1) / size
			break
		}
		left -= min(w.Nominal(n), left)
		count++
	}
	if count > MaxWaves {
		last := waves[len(waves)-1]
		return nil, fmt.Errorf("the rollout of %d hosts would need %d waves (at most %d): the last wave (%s) repeats until every host has one; make it larger",
			n, count, MaxWaves, describeWave(last))
	}
	out := make([]PlannedWave, 0, count)
	left = n
	for i := 0; left > 0; i++ {
		w := WaveAt(waves, i)
		name := w.Name
		if i >= len(waves) {
			name = fmt.Sprintf("%s-%d", w.Name, i-len(waves)+2)
		}
		size := min(w.Nominal(n), left)
		left -= size
		out = append(out, PlannedWave{Index: min(i, len(waves)-1), Name: name, Size: size, MaxParallel: w.Parallel(), Bake: w.Bake})
	}
	return out, nil
}

func describeWave(w Wave) string {
	if w.Count > 0 {
		return fmt.Sprintf("count %d", w.Count)
	}
	return fmt.Sprintf("percent %g", w.Percent)
}

// AssignWaves splits hosts, in order, into the planned waves.
func AssignWaves(hosts []string, planned []PlannedWave) [][]string {
	out := make([][]string, 0, len(planned))
	next := 0
	for _, w := range planned {
		end := min(next+w.Size, len(hosts))
		out = append(out, hosts[next:end:end])
		next = end
	}
	return out
}

// WaveProblem is a wave that cannot be planned for a fleet: Index is its
// position in the policy's list.
type WaveProblem struct {
	Index   int
	Field   string // "count" or "" for the wave as a whole
	Problem string
}

// CheckWaves reports waves that do not fit a fleet of n: a count larger
// than the fleet, or a wave smaller than the one before it (waves should
// grow). A wave found wrong is not compared with the next one.
func CheckWaves(waves []Wave, n int) []WaveProblem {
	if n == 0 {
		return nil // nothing to patch: no wave can be wrong
	}
	var out []WaveProblem
	prev := 0
	for i, w := range waves {
		if w.Count > n {
			out = append(out, WaveProblem{Index: i, Field: "count",
				Problem: fmt.Sprintf("count exceeds the %d hosts in the rollout (targets minus staging), got %d", n, w.Count)})
			prev = 0
			continue
		}
		if size := w.Nominal(n); size < prev {
			out = append(out, WaveProblem{Index: i,
				Problem: fmt.Sprintf("wave is smaller than the wave before it (%d hosts) in a fleet of %d; waves should grow, got %d hosts", prev, n, size)})
		} else {
			prev = size
		}
	}
	return out
}

// Budget bounds failed production hosts across a rollout.
type Budget struct {
	MaxFailures int     `json:"max_failures,omitempty"`
	MaxPercent  float64 `json:"max_percent,omitempty"`
}

// Tolerated is how many failed production hosts the budget allows out of
// n: MaxFailures, MaxPercent of n rounded down, or the smaller of both
// when both are set; 0 when neither is, so the first failure is a breach.
// The epsilon makes "rounded down" exact for percents that are not exact
// in binary: 9.2% of 750 is 69, not 68.
func (b Budget) Tolerated(n int) int {
	byPercent := -1
	if b.MaxPercent > 0 {
		byPercent = int(math.Floor(b.MaxPercent*float64(n)/100 + 1e-9))
	}
	switch {
	case b.MaxFailures > 0 && byPercent >= 0:
		return min(b.MaxFailures, byPercent)
	case b.MaxFailures > 0:
		return b.MaxFailures
	case byPercent >= 0:
		return byPercent
	}
	return 0
}
