// Command patchbench runs patchflow's benchmarks (DESIGN.md section 7) and
// prints their tables: orchestration overhead and the comparison with
// Ansible on a real test fleet (root), and full cycles over simulated
// fleets of thousands of hosts. See docs/benchmarks.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/patchflow/patchflow/bench"
	"github.com/patchflow/patchflow/localfleet"
)

func main() {
	bench.MaybeRunSimWorker()
	var (
		only     = flag.String("only", "overhead,compare,scale", "benchmarks to run, comma-separated: overhead, compare, scale")
		ovHosts  = flag.Int("overhead-hosts", 12, "real hosts in the overhead cycle (at least 7)")
		hosts    = flag.Int("hosts", 50, "real hosts in the comparison")
		forks    = flag.Int("forks", 10, "hosts at once in the comparison (Ansible forks = patchflow max_parallel)")
		rounds   = flag.Int("rounds", 1, "comparison rounds, tools interleaved")
		scale    = flag.String("scale", "1000,2000", "simulated fleet sizes, comma-separated (e.g. 10000)")
		parallel = flag.Int("scale-parallel", 100, "max_parallel of the scale cycle's main wave")
		latency  = flag.Duration("latency", 0, "latency added to every simulated command")
	)
	flag.Parse()
	if err := run(*only, *ovHosts, *hosts, *forks, *rounds, *scale, *parallel, *latency); err != nil {
		fmt.Fprintln(os.Stderr, "patchbench:", err)
		os.Exit(1)
	}
}

func run(only string, ovHosts, hosts, forks, rounds int, scale string, parallel int, latency time.Duration) error {
	want := map[string]bool{}
	for _, s := range strings.Split(only, ",") {
		switch s = strings.TrimSpace(s); s {
		case "overhead", "compare", "scale":
			want[s] = true
		default:
			return fmt.Errorf("-only: unknown benchmark %q (known: overhead, compare, scale)", s)
		}
	}
	if ovHosts < 7 {
		return fmt.Errorf("-overhead-hosts %d: the overhead cycle needs at least 7 hosts", ovHosts)
	}
	sizes, err := parseSizes(scale)
	if err != nil {
		return err
	}
	ctx := context.Background()
	st, err := bench.StartStack(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	fmt.Printf("patchbench %s, %d CPUs, load %s\n\n", time.Now().UTC().Format(time.RFC3339), cpus(), loadavg())

	if want["overhead"] || want["compare"] {
		if os.Geteuid() != 0 {
			fmt.Println("skipping overhead and compare: the test fleet needs root")
		} else {
			if err := fleetBenchmarks(ctx, st, want, ovHosts, hosts, forks, rounds, logf); err != nil {
				return err
			}
		}
	}
	if want["scale"] {
		var rows []bench.ScaleResult
		for _, n := range sizes {
			res, err := bench.Scale(ctx, st, bench.ScaleConfig{Hosts: n, MaxParallel: parallel, Latency: latency, Logf: logf})
			if err != nil {
				return err
			}
			rows = append(rows, res)
		}
		fmt.Printf("== scale: full cycles over simulated hosts (latency %v per command), load %s\n", latency, loadavg())
		bench.PrintScale(os.Stdout, rows)
	}
	return nil
}

func fleetBenchmarks(ctx context.Context, st *bench.Stack, want map[string]bool, ovHosts, hosts, forks, rounds int, logf func(string, ...any)) error {
	if want["overhead"] {
		f, err := localfleet.Up(ctx, localfleet.Config{Name: "bn", Subnet: 9, Hosts: ovHosts, Logf: logf})
		if err != nil {
			return err
		}
		res, err := bench.Overhead(ctx, st, f, "overhead")
		err = errors.Join(err, f.Down())
		if err != nil {
			return err
		}
		fmt.Printf("== orchestration overhead, load %s\n", loadavg())
		bench.PrintOverhead(os.Stdout, res)
		fmt.Println()
	}
	if want["compare"] {
		if _, err := exec.LookPath("ansible-playbook"); err != nil {
			fmt.Println("note: ansible-playbook not on PATH (apt-get install ansible-core); comparing without it")
		}
		f, err := localfleet.Up(ctx, localfleet.Config{Name: "bn", Subnet: 9, Hosts: hosts, Logf: logf})
		if err != nil {
			return err
		}
		runs, err := bench.Compare(ctx, st, f, bench.Tools(), forks, rounds, logf)
		err = errors.Join(err, f.Down())
		if err != nil {
			return err
		}
		fmt.Printf("== same task (apt-get update, install demo-app=1.0.1, version check), load %s\n", loadavg())
		bench.PrintCompare(os.Stdout, runs)
		fmt.Println()
	}
	return nil
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 11 {
			return nil, fmt.Errorf("-scale %q: want host counts above 10 (the canary takes 10), comma-separated", s)
		}
		out = append(out, n)
	}
	return out, nil
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func cpus() int { return runtime.NumCPU() }
