package workflows

import "math"

// Tolerated is how many failed production hosts the budget allows out of
// total: the smaller of MaxFailures and MaxPercent of total (rounded down)
// when both are set, zero when neither is.
func (b BudgetSpec) Tolerated(total int) int {
	n := -1
	if b.MaxFailures > 0 {
		n = b.MaxFailures
	}
	if b.MaxPercent > 0 {
		p := int(math.Floor(b.MaxPercent * float64(total) / 100))
		if n < 0 || p < n {
			n = p
		}
	}
	if n < 0 {
		return 0
	}
	return n
}

// AssignWaves splits hosts, in order, into waves: a wave takes Count hosts
// or Percent of all hosts (rounded up, at least one) from the hosts left.
// After the last listed wave its size repeats until every host has a wave,
// exactly as policies.Policy.Plan resolves it for `policy explain`, so the
// reviewer's plan is the rollout's. WaveAt gives each wave's settings.
func AssignWaves(hosts []string, waves []WaveSpec) [][]string {
	var out [][]string
	total := len(hosts)
	if len(waves) == 0 {
		return out
	}
	for next, i := 0, 0; next < total; i++ {
		w := WaveAt(waves, i)
		n := w.Count
		if w.Percent > 0 {
			// The epsilon keeps 10% of 30 at 3 despite float rounding.
			n = int(math.Ceil(w.Percent*float64(total)/100 - 1e-9))
		}
		end := min(next+max(n, 1), total)
		out = append(out, append([]string(nil), hosts[next:end]...))
		next = end
	}
	return out
}

// WaveAt is the spec of wave i (0-based): the listed wave, or the last one
// for the waves its size repeats into.
func WaveAt(waves []WaveSpec, i int) WaveSpec {
	return waves[min(i, len(waves)-1)]
}
