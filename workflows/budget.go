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

// AssignWaves splits hosts, in order, into the spec's waves: a wave takes
// Count hosts or Percent of all hosts (rounded up, at least one while hosts
// remain). Hosts left after the last wave join the last wave; waves that
// get no host are dropped.
func AssignWaves(hosts []string, waves []WaveSpec) [][]string {
	var out [][]string
	next := 0
	total := len(hosts)
	for i, w := range waves {
		if next >= total {
			break
		}
		n := w.Count
		if w.Percent > 0 {
			n = int(math.Ceil(w.Percent * float64(total) / 100))
		}
		if n < 1 {
			n = 1
		}
		end := min(next+n, total)
		if i == len(waves)-1 {
			end = total
		}
		out = append(out, append([]string(nil), hosts[next:end]...))
		next = end
	}
	return out
}
