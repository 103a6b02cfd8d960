package bench

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"
)

// scaleSizes are the fleet sizes of BenchmarkScale; PATCHBENCH_SCALE
// (comma-free, one number) replaces them with one size, e.g. 10000.
func scaleSizes() []int {
	if v, err := strconv.Atoi(os.Getenv("PATCHBENCH_SCALE")); err == nil && v > 0 {
		return []int{v}
	}
	return []int{1000, 2000}
}

// BenchmarkScale runs full cycles over simulated fleets (in-process
// transport, real workflows, activities and apt driver, real embedded
// server) and fails only if a workflow history exceeds MaxHistoryEvents.
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
				ctx, cancel := context.WithTimeout(ctx, 40*time.Minute)
				res, err := Scale(ctx, st, ScaleConfig{Hosts: n, Logf: b.Logf})
				cancel()
				if err != nil {
					b.Fatal(err)
				}
				rows = append(rows, res)
				b.ReportMetric(res.HostsPerSec, "hosts/s")
				b.ReportMetric(float64(res.MaxHistory), "max-history-events")
				b.ReportMetric(res.WorkerHWMMiB, "worker-peak-MiB")
			}
		})
	}
	PrintScale(os.Stdout, rows)
}
