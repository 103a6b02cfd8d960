package bench

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkRollback runs a 10,000-host cycle (PATCHBENCH_ROLLBACK_HOSTS)
// on the embedded server whose last wave breaches its budget with
// rollback_all, and prints the rollback's time and every history.
func BenchmarkRollback(b *testing.B) {
	ctx := context.Background()
	st, err := StartStack(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	n := envInt("PATCHBENCH_ROLLBACK_HOSTS", 10000)
	var rows []ScaleResult
	for b.Loop() {
		ctx, cancel := context.WithTimeout(ctx, 4*time.Hour)
		res, err := Rollback(ctx, st.Target(), RollbackConfig{Hosts: n, Unreachable: DefaultUnreachable, Uniform: os.Getenv("PATCHBENCH_UNIFORM") == "1", NoDeadlockDetector: os.Getenv("PATCHBENCH_NO_DEADLOCK_DETECTOR") == "1",
			ProfileDir: os.Getenv("PATCHBENCH_PROFILE"), Logf: b.Logf})
		cancel()
		rows = append(rows, res)
		PrintHistories(os.Stdout, res)
		if err != nil {
			b.Error(err)
			break
		}
		b.ReportMetric(res.Rollback.Seconds(), "rollback-s")
	}
	PrintScale(os.Stdout, rows)
}

// BenchmarkTopology runs the 10,000-host scale cycle
// (PATCHBENCH_TOPOLOGY_HOSTS) on the production topology (the Temporal
// server binary on PostgreSQL, deploy/local/topology) with 1, 2 and 3
// sim worker processes (PATCHBENCH_TOPOLOGY_WORKERS, comma-separated) and
// prints hosts/s and the server's and PostgreSQL's CPU per host. It skips
// when the machine cannot run the topology, and fails instead under
// CI=true.
func BenchmarkTopology(b *testing.B) {
	if why := ClusterUnavailable(); why != "" {
		if os.Getenv("CI") == "true" {
			b.Fatalf("topology: cannot run under CI=true: %s", why)
		}
		b.Skipf("topology: skipped: %s", why)
	}
	ctx := context.Background()
	cl, err := StartCluster(ctx, os.Stderr)
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := cl.Close(); err != nil {
			b.Error(err)
		}
	}()
	var counts []int
	for _, f := range strings.Split(os.Getenv("PATCHBENCH_TOPOLOGY_WORKERS"), ",") {
		if v, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && v > 0 {
			counts = append(counts, v)
		}
	}
	if len(counts) == 0 {
		counts = []int{1, 2, 3}
	}
	for b.Loop() {
		rows, err := TopologyScale(ctx, cl, envInt("PATCHBENCH_TOPOLOGY_HOSTS", 10000), counts,
			ScaleConfig{Unreachable: DefaultUnreachable, Uniform: os.Getenv("PATCHBENCH_UNIFORM") == "1", NoDeadlockDetector: os.Getenv("PATCHBENCH_NO_DEADLOCK_DETECTOR") == "1", ProfileDir: os.Getenv("PATCHBENCH_PROFILE"), Logf: b.Logf})
		for _, r := range rows {
			PrintHistories(os.Stdout, r)
		}
		PrintScale(os.Stdout, rows)
		if err != nil {
			b.Error(err)
		}
	}
}
