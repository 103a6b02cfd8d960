package bench

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// PrintScale prints scenario runs as a table: throughput, the resources
// of the workers and of the cluster per 1,000 hosts, and the largest
// history and payload of each run (PrintHistories has the detail).
func PrintScale(w io.Writer, rows []ScaleResult) {
	if len(rows) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\ton\thosts\tunreachable\tpending/host\tworkers\tmax_parallel\twall\tscan\tverify\thosts/s\thost workflows/s\tin flight\trollback\tworker RSS/peak MiB\tworker CPU s/1k hosts\tserver RSS MiB\tserver CPU s/1k hosts\tpostgres CPU s/1k hosts\tDB growth MiB\tstate\t")
	for _, r := range rows {
		per1k := func(s float64) string {
			if s <= 0 || r.Hosts == 0 {
				return "-"
			}
			return fmt.Sprintf("%.1f", s*1000/float64(r.Hosts))
		}
		server := per1k(r.ServerCPU)
		if r.Target == "embedded" && server != "-" {
			server += "*"
		}
		rollback := "-"
		if r.Rollback > 0 {
			rollback = r.Rollback.Round(100 * time.Millisecond).String()
		}
		db := "-"
		if r.DBGrowthMiB != 0 {
			db = fmt.Sprintf("%.0f", r.DBGrowthMiB)
		}
		hps := "-"
		if r.HostsPerSec > 0 {
			hps = fmt.Sprintf("%.1f", r.HostsPerSec)
			if r.UntilVerify {
				hps += "†"
			}
		}
		hwf, inflight := "-", "-"
		if h := r.History; h != nil && h.Hosts.Span > 0 {
			hwf = fmt.Sprintf("%.1f", float64(h.Hosts.Runs)/h.Hosts.Span.Seconds())
			inflight = fmt.Sprintf("%.0f", h.Hosts.InFlight())
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.0f (%d-%d)\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.0f/%.0f\t%s\t%.0f\t%s\t%s\t%s\t%s\t\n",
			r.Scenario, r.Target, r.Hosts, r.Unreachable, r.PendingMean, r.PendingMin, r.PendingMax, r.Workers, r.MaxParallel,
			r.Wall.Round(100*time.Millisecond), r.Scan.Round(100*time.Millisecond), r.Verify.Round(100*time.Millisecond), hps, hwf, inflight, rollback, r.WorkerRSSMiB, r.WorkerHWMMiB,
			per1k(r.WorkerCPU), r.ServerRSSMiB, server, per1k(r.PostgresCPU), db, r.State)
	}
	_ = tw.Flush()
	for _, r := range rows {
		if r.UntilVerify {
			fmt.Fprintln(w, "† the cycle stuck after its final verify, with every reachable host patched: hosts/s up to the verify's end")
			break
		}
	}
	for _, r := range rows {
		if r.Target == "embedded" {
			fmt.Fprintln(w, "* embedded: the server runs in the benchmark process with the simulated hosts; its CPU includes theirs")
			break
		}
	}
}

// PrintHistories prints a run's history and payload report: per kind of
// workflow, the longest and largest history and the largest payload; the
// largest payloads overall; and every Temporal limit passed.
func PrintHistories(w io.Writer, r ScaleResult) {
	h := r.History
	if h == nil {
		fmt.Fprintf(w, "%s: no histories measured\n", r.Scenario)
		return
	}
	fmt.Fprintf(w, "%s on %s: cycle %s, %d workflow runs (histories read with GetWorkflowHistory in %v)\n",
		r.Scenario, r.Target, h.CycleID, h.Runs, h.Elapsed.Round(time.Second))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "kind\truns\tmax events\tof\tmax size\tof\tall events\tall size\tlargest payload\tin\t")
	for _, k := range h.Kinds {
		p := k.LargestPayload
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t\n", k.Kind, k.Runs, k.MaxEvents, shortWorkflow(k.MaxEventsOf, h.CycleID),
			kib(k.MaxBytes), shortWorkflow(k.MaxBytesOf, h.CycleID), k.TotalEvents, mib(k.TotalBytes), kib(int64(p.Bytes)),
			fmt.Sprintf("%s event %d: %s", shortWorkflow(p.WorkflowID, h.CycleID), p.EventID, p.What))
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "where the payload bytes are, per kind (count, total, mean):")
	for _, k := range h.Kinds {
		var parts []string
		for _, c := range k.Classes[:min(len(k.Classes), 4)] {
			parts = append(parts, fmt.Sprintf("%s %d x, %s, %s each", c.What, c.Count, kib(c.Bytes), kib(c.Bytes/max(c.Count, 1))))
		}
		fmt.Fprintf(w, "  %s: %s\n", k.Kind, strings.Join(parts, "; "))
	}
	fmt.Fprintln(w, "largest payloads (at most one per run):")
	for i, p := range h.Largest {
		fmt.Fprintf(w, "  %d. %s\n", i+1, p)
	}
	if ht := h.Hosts; ht.Runs > 0 {
		fmt.Fprintf(w, "host workflows: %d, %s mean run time, over %s: %.1f in flight on average (max_parallel %d); %d wave parts, %s between one part's end and the next one's start in all\n",
			ht.Runs, ht.Mean.Round(time.Millisecond), ht.Span.Round(time.Second), ht.InFlight(), r.MaxParallel, ht.Parts, ht.Gaps.Round(100*time.Millisecond))
	}
	if r.StatusQueryBytes > 0 {
		fmt.Fprintf(w, "query answers at the end: status %s, hosts (first page of 1,000) %s\n", kib(int64(r.StatusQueryBytes)), kib(int64(r.HostsQueryBytes)))
	}
	if len(h.Flags) == 0 {
		fmt.Fprintf(w, "limits: no payload above 512 KiB, no history above %d events or %s\n", HistoryWarnEvents, mib(HistoryWarnBytes))
	} else {
		fmt.Fprintf(w, "limits passed (%d):\n  %s\n", len(h.Flags), strings.Join(h.Flags, "\n  "))
	}
	var other []string
	for _, p := range r.Problems {
		if !slices.Contains(h.Flags, p) {
			other = append(other, p)
		}
	}
	if len(other) > 0 {
		fmt.Fprintf(w, "problems:\n  %s\n", strings.Join(other, "\n  "))
	}
	if len(r.Profiles) > 0 {
		fmt.Fprintf(w, "profiles: %s\n", strings.Join(r.Profiles, " "))
	}
}
