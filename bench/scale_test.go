package bench

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scaleSizes are the fleet sizes of BenchmarkScale; PATCHBENCH_SCALE
// (comma-separated) replaces them, e.g. 100000.
func scaleSizes() []int {
	var out []int
	for _, f := range strings.Split(os.Getenv("PATCHBENCH_SCALE"), ",") {
		if v, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && v > 10 {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return []int{1000, 10000}
	}
	return out
}

// BenchmarkScale runs full cycles over simulated fleets (100 pending
// updates per host on average, 1% unreachable) on the embedded server,
// the worker in its own process, and prints throughput, resources and
// every history and payload size. It fails when a host does not end as
// it should or a history or payload passes a Temporal limit.
// PATCHBENCH_PROFILE=dir saves CPU and heap profiles there.
func BenchmarkScale(b *testing.B) {
	ctx := context.Background()
	st, err := StartStack(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var rows []ScaleResult
	for _, n := range scaleSizes() {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				ctx, cancel := context.WithTimeout(ctx, 6*time.Hour)
				res, err := Scale(ctx, st, ScaleConfig{Hosts: n, Unreachable: DefaultUnreachable, Uniform: os.Getenv("PATCHBENCH_UNIFORM") == "1", NoDeadlockDetector: os.Getenv("PATCHBENCH_NO_DEADLOCK_DETECTOR") == "1",
					ProfileDir: os.Getenv("PATCHBENCH_PROFILE"), Logf: b.Logf})
				cancel()
				rows = append(rows, res)
				PrintHistories(os.Stdout, res)
				if err != nil {
					b.Error(err)
					return
				}
				b.ReportMetric(res.HostsPerSec, "hosts/s")
				events, _ := res.History.MaxEvents()
				b.ReportMetric(float64(events), "max-history-events")
				b.ReportMetric(float64(res.History.LargestPayload().Bytes), "max-payload-bytes")
				b.ReportMetric(res.WorkerHWMMiB, "worker-peak-MiB")
			}
		})
	}
	PrintScale(os.Stdout, rows)
}
