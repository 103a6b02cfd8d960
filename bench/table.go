package bench

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// PrintScale prints scale runs as a table, with a linear extrapolation
// to 10,000 hosts from the largest run when none reached it.
func PrintScale(w io.Writer, rows []ScaleResult) {
	if len(rows) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "hosts\tmax_parallel\twall\thosts/s\tworkflow runs\tmax history\tworker RSS MiB\tworker peak MiB\t")
	largest := rows[0]
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%d\t%s\t%.1f\t%d\t%d\t%.0f\t%.0f\t\n", r.Hosts, r.MaxParallel, r.Wall.Round(100*time.Millisecond),
			r.HostsPerSec, r.Workflows, r.MaxHistory, r.WorkerRSSMiB, r.WorkerHWMMiB)
		if r.Hosts > largest.Hosts {
			largest = r
		}
	}
	_ = tw.Flush()
	if largest.Hosts < 10000 && largest.HostsPerSec > 0 {
		fmt.Fprintf(w, "extrapolated, not measured: 10000 hosts at %.1f hosts/s (the %d-host rate) would take %s\n",
			largest.HostsPerSec, largest.Hosts, (time.Duration(10000/largest.HostsPerSec) * time.Second).Round(time.Second))
	}
}
