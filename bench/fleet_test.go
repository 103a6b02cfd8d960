package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/patchflow/patchflow/localfleet"
)

// The benchmark fleet: its own name and subnet, so it runs beside other
// packages' fleets.
const (
	fleetName   = "bn"
	fleetSubnet = 9
)

// envInt reads a positive integer override, else def.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func startFleet(b *testing.B, hosts int) *localfleet.Fleet {
	b.Helper()
	localfleet.Require(b) // skips when not root (fails under CI=true)
	return localfleet.Start(b, localfleet.Config{Name: fleetName, Subnet: fleetSubnet, Hosts: hosts, Logf: b.Logf})
}

// BenchmarkOverhead runs a four-stage cycle (staging, canary, ramp, rest)
// over 12 real hosts (PATCHBENCH_OVERHEAD_HOSTS) and reports wall time /
// critical path.
func BenchmarkOverhead(b *testing.B) {
	f := startFleet(b, envInt("PATCHBENCH_OVERHEAD_HOSTS", 12))
	ctx := context.Background()
	st, err := StartStack(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	i := 0
	for b.Loop() {
		b.StopTimer()
		if err := ResetFleet(ctx, f, 10); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := Overhead(ctx, st, f, fmt.Sprintf("overhead%d", i))
		if err != nil {
			b.Fatal(err)
		}
		i++
		PrintOverhead(os.Stdout, res)
		b.ReportMetric(res.Ratio(), "wall/critical")
		b.ReportMetric(res.RatioWithScan(), "wall/(critical+scan+verify)")
	}
}

// BenchmarkVsAnsible runs the same task on the same 50 real hosts
// (PATCHBENCH_HOSTS) with 10 forks (PATCHBENCH_FORKS), PATCHBENCH_ROUNDS
// rounds (default 1): a plain Go ssh loop, a patchflow cycle, and
// ansible-playbook with and without pipelining.
func BenchmarkVsAnsible(b *testing.B) {
	if _, err := exec.LookPath("ansible-playbook"); err != nil {
		b.Skip("skipping: ansible-playbook not on PATH (apt-get install ansible-core)")
	}
	f := startFleet(b, envInt("PATCHBENCH_HOSTS", 50))
	ctx := context.Background()
	st, err := StartStack(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	for b.Loop() {
		runs, err := Compare(ctx, st, f, Tools(), envInt("PATCHBENCH_FORKS", 10), envInt("PATCHBENCH_ROUNDS", 1), b.Logf)
		if err != nil {
			b.Fatal(err)
		}
		PrintCompare(os.Stdout, runs)
	}
}

// BenchmarkRatios measures issue 14's three ratios side by side in one
// run: the overhead cycle on 12 real hosts, then the comparison on 50
// (10 at a time) with the Go ssh loop, patchflow and Ansible, and prints
// wall/critical path, patchflow/Go loop and patchflow/Ansible.
func BenchmarkRatios(b *testing.B) {
	ctx := context.Background()
	st, err := StartStack(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	localfleet.Require(b)
	up := func(hosts int) *localfleet.Fleet {
		f, err := localfleet.Up(ctx, localfleet.Config{Name: fleetName, Subnet: fleetSubnet, Hosts: hosts, Logf: b.Logf})
		if err != nil {
			b.Fatal(err)
		}
		return f
	}
	for b.Loop() {
		// One fleet at a time: both use the benchmark fleet's name and subnet.
		ovFleet := up(envInt("PATCHBENCH_OVERHEAD_HOSTS", 12))
		ov, err := Overhead(ctx, st, ovFleet, fmt.Sprintf("ratios-overhead-%d", time.Now().Unix()))
		if derr := ovFleet.Down(); err == nil {
			err = derr
		}
		if err != nil {
			b.Fatal(err)
		}
		PrintOverhead(os.Stdout, ov)
		f := up(envInt("PATCHBENCH_HOSTS", 50))
		runs, err := Compare(ctx, st, f, Tools(), envInt("PATCHBENCH_FORKS", 10), envInt("PATCHBENCH_ROUNDS", 1), b.Logf)
		if derr := f.Down(); err == nil {
			err = derr
		}
		if err != nil {
			b.Fatal(err)
		}
		PrintCompare(os.Stdout, runs)
		r := RatiosOf(ov, runs)
		PrintRatios(os.Stdout, r)
		b.ReportMetric(r.Overhead, "wall/critical")
		b.ReportMetric(r.VsGoLoop, "patchflow/goloop")
		b.ReportMetric(r.VsAnsible, "patchflow/ansible")
	}
}
