package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// PrintOverhead prints the overhead run's stages and ratios.
func PrintOverhead(w io.Writer, r OverheadResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "stage\thosts\tslowest host\tbake\t")
	for _, s := range r.Stages {
		name := fmt.Sprintf("wave %d", s.Wave)
		if s.Wave == 0 {
			name = "staging"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t\n", name, s.Hosts, s.Slowest.Round(time.Millisecond), s.Bake)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "cycle wall time %s over %d hosts\n", r.Wall.Round(time.Millisecond), r.Hosts)
	fmt.Fprintf(w, "critical path (slowest host + bake, per stage) %s: wall/critical = %.3f (goal <= 1.05)\n",
		r.CriticalPath.Round(time.Millisecond), r.Ratio())
	fmt.Fprintf(w, "fleet scan %s + final verify %s (host work the critical path leaves out): wall/(critical+scan+verify) = %.3f\n",
		r.Scan.Round(time.Millisecond), r.Verify.Round(time.Millisecond), r.RatioWithScan())
}

// PrintCompare prints each tool's runs with hosts/s and the ratio of its
// wall time to the Go loop's mean.
func PrintCompare(w io.Writer, runs []CompareRun) {
	if len(runs) == 0 {
		return
	}
	var order []string
	byTool := map[string][]CompareRun{}
	for _, r := range runs {
		if byTool[r.Tool] == nil {
			order = append(order, r.Tool)
		}
		byTool[r.Tool] = append(byTool[r.Tool], r)
	}
	mean := func(rs []CompareRun) time.Duration {
		var sum time.Duration
		for _, r := range rs {
			sum += r.Wall
		}
		return sum / time.Duration(len(rs))
	}
	floor := mean(byTool[ToolGoLoop])
	fmt.Fprintf(w, "%d hosts, %d at once (forks = max_parallel); mean of %d round(s), tools interleaved\n",
		runs[0].Hosts, runs[0].Forks, len(byTool[order[0]]))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "tool\twall\truns\thosts/s\tratio to go loop\t")
	for _, t := range order {
		m := mean(byTool[t])
		var each []string
		for _, r := range byTool[t] {
			each = append(each, r.Wall.Round(100*time.Millisecond).String())
		}
		ratio := "-"
		if floor > 0 {
			ratio = fmt.Sprintf("%.2f", m.Seconds()/floor.Seconds())
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%s\t\n", t, m.Round(100*time.Millisecond), strings.Join(each, " "),
			float64(runs[0].Hosts)/m.Seconds(), ratio)
	}
	_ = tw.Flush()
	var scans []string
	for _, r := range byTool[ToolPatchflow] {
		scans = append(scans, r.Scan.Round(100*time.Millisecond).String())
	}
	if len(scans) > 0 {
		fmt.Fprintf(w, "of the patchflow runs, the fleet scan phase (apt-get update and pending updates, before any install) took %s\n", strings.Join(scans, " "))
	}
}

// shortWorkflow names a cycle's workflow relative to the cycle ID.
func shortWorkflow(id, cycleID string) string {
	switch {
	case id == cycleID:
		return "cycle"
	case strings.HasPrefix(id, cycleID+"/"):
		return strings.TrimPrefix(id, cycleID+"/")
	}
	return id
}

// Ratios are issue 14's three figures, from one run: the orchestration
// overhead by the strict definition, and patchflow's wall time against
// the bare Go ssh loop and against Ansible (default settings) on the same
// hosts and parallelism.
type Ratios struct {
	Overhead            float64 // wall / critical path; goal <= 1.05
	VsGoLoop, VsAnsible float64 // goals <= 1.3 and <= 0.5; 0 when not measured
}

// RatiosOf computes the ratios from an overhead run and comparison runs
// (means over rounds).
func RatiosOf(ov OverheadResult, runs []CompareRun) Ratios {
	mean := func(tool string) float64 {
		var sum float64
		n := 0
		for _, r := range runs {
			if r.Tool == tool {
				sum += r.Wall.Seconds()
				n++
			}
		}
		if n == 0 {
			return 0
		}
		return sum / float64(n)
	}
	r := Ratios{}
	if ov.CriticalPath > 0 {
		r.Overhead = ov.Ratio()
	}
	pf := mean(ToolPatchflow)
	if g := mean(ToolGoLoop); g > 0 {
		r.VsGoLoop = pf / g
	}
	if a := mean(ToolAnsible); a > 0 {
		r.VsAnsible = pf / a
	}
	return r
}

// PrintRatios prints the three ratios with their goals.
func PrintRatios(w io.Writer, r Ratios) {
	show := func(v float64) string {
		if v == 0 {
			return "not measured"
		}
		return fmt.Sprintf("%.2f", v)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ratio\tmeasured\tgoal\t")
	fmt.Fprintf(tw, "overhead: cycle wall time / critical path\t%s\t<= 1.05\t\n", show(r.Overhead))
	fmt.Fprintf(tw, "patchflow / bare Go ssh loop\t%s\t<= 1.3\t\n", show(r.VsGoLoop))
	fmt.Fprintf(tw, "patchflow / Ansible (apt module)\t%s\t<= 0.5\t\n", show(r.VsAnsible))
	_ = tw.Flush()
}
