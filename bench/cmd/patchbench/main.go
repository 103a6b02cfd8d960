// Command patchbench runs patchflow's benchmarks and prints their tables:
// orchestration overhead and the comparison with a bare Go ssh loop and
// Ansible on a real test fleet (root), with the three ratios side by side;
// full cycles over simulated fleets of thousands of hosts on the embedded
// server, with every history and payload measured; a rollback of a whole
// fleet; and the same cycle on the production topology (PostgreSQL) with
// 1, 2 and 3 workers. See docs/benchmarks.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/patchflow/patchflow/bench"
	"github.com/patchflow/patchflow/localfleet"
)

type options struct {
	only                  map[string]bool
	ovHosts, hosts, forks int
	rounds                int
	scale                 []int
	rollback, topoHosts   int
	topoWorkers           []int
	parallel              int
	latency               time.Duration
	unreachable           float64
	profile               string
	profileSeconds        int
	uniform               bool
	noDeadlock            bool
	jsonPath              string
}

var benchmarks = []string{"overhead", "compare", "ratios", "scale", "rollback", "topology"}

func main() {
	bench.MaybeRunSimWorker()
	var (
		only        = flag.String("only", "ratios,scale", "benchmarks to run, comma-separated: "+strings.Join(benchmarks, ", ")+" (ratios = overhead + compare + the three ratios)")
		ovHosts     = flag.Int("overhead-hosts", 12, "real hosts in the overhead cycle (at least 7)")
		hosts       = flag.Int("hosts", 50, "real hosts in the comparison")
		forks       = flag.Int("forks", 10, "hosts at once in the comparison (Ansible forks = patchflow max_parallel)")
		rounds      = flag.Int("rounds", 1, "comparison rounds, tools interleaved")
		scale       = flag.String("scale", "1000,10000", "simulated fleet sizes of the scale runs, comma-separated (100000 runs too)")
		rollback    = flag.Int("rollback", 10000, "simulated hosts in the rollback run")
		topoHosts   = flag.Int("topology-hosts", 10000, "simulated hosts in each topology run")
		topoWorkers = flag.String("topology-workers", "1,2,3", "worker process counts of the topology runs, comma-separated")
		parallel    = flag.Int("scale-parallel", 100, "max_parallel of the simulated cycles' main waves")
		latency     = flag.Duration("latency", 0, "latency added to every simulated command")
		unreachable = flag.Float64("unreachable", bench.DefaultUnreachable, "share of simulated hosts that cannot be reached (0..1)")
		profile     = flag.String("profile", "", "directory for CPU profiles (worker and this process) and the worker's heap, per simulated run")
		profileSecs = flag.Int("profile-seconds", 30, "length of each CPU profile")
		jsonPath    = flag.String("json", "", "also write every simulated run's results (figures, history report, problems) to this file as JSON")
		noDeadlock  = flag.Bool("no-deadlock-detector", false, "run the sim workers without the Temporal SDK's deadlock detector (TEMPORAL_DEBUG; patchflow worker never does): measures what lies past a workflow task that runs over a second")
		uniform     = flag.Bool("uniform", false, "give every simulated host the same backlog of 97 updates (measures throughput where a realistic, varied fleet cannot finish)")
	)
	flag.Parse()
	o, err := parse(*only, *scale, *topoWorkers)
	if err == nil {
		o.ovHosts, o.hosts, o.forks, o.rounds = *ovHosts, *hosts, *forks, *rounds
		o.rollback, o.topoHosts, o.parallel, o.latency = *rollback, *topoHosts, *parallel, *latency
		o.unreachable, o.profile, o.profileSeconds, o.uniform = *unreachable, *profile, *profileSecs, *uniform
		o.jsonPath, o.noDeadlock = *jsonPath, *noDeadlock
		err = validate(o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "patchbench:", err)
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "patchbench:", err)
		os.Exit(1)
	}
}

func parse(only, scale, workers string) (options, error) {
	o := options{only: map[string]bool{}}
	for _, s := range strings.Split(only, ",") {
		s = strings.TrimSpace(s)
		if !slices.Contains(benchmarks, s) {
			return o, fmt.Errorf("-only: unknown benchmark %q (known: %s)", s, strings.Join(benchmarks, ", "))
		}
		o.only[s] = true
	}
	if o.only["ratios"] {
		o.only["overhead"], o.only["compare"] = true, true
	}
	var err error
	if o.scale, err = ints("-scale", scale, 11); err != nil {
		return o, err
	}
	o.topoWorkers, err = ints("-topology-workers", workers, 1)
	return o, err
}

func validate(o options) error {
	switch {
	case o.ovHosts < 7:
		return fmt.Errorf("-overhead-hosts %d: the overhead cycle needs at least 7 hosts", o.ovHosts)
	case o.unreachable < 0 || o.unreachable > 0.05:
		return fmt.Errorf("-unreachable %g: want 0..0.05 (the scale cycle's budget tolerates 5%% failed hosts)", o.unreachable)
	case o.rollback < 100 || o.topoHosts < 11:
		return fmt.Errorf("-rollback %d, -topology-hosts %d: want at least 100 and 11 hosts", o.rollback, o.topoHosts)
	}
	return nil
}

func ints(flagName, s string, least int) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < least {
			return nil, fmt.Errorf("%s %q: want numbers of at least %d, comma-separated", flagName, s, least)
		}
		out = append(out, n)
	}
	return out, nil
}

func run(o options) error {
	ctx := context.Background()
	st, err := bench.StartStack(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	fmt.Printf("patchbench %s, %d CPUs, load %s\n\n", time.Now().UTC().Format(time.RFC3339), runtime.NumCPU(), bench.LoadAvg())
	var failed []error
	if o.only["overhead"] || o.only["compare"] {
		if os.Geteuid() != 0 {
			fmt.Println("skipping overhead and compare: the test fleet needs root")
		} else if err := fleetBenchmarks(ctx, st, o, logf); err != nil {
			failed = append(failed, err)
		}
	}
	scaleCfg := bench.ScaleConfig{MaxParallel: o.parallel, Latency: o.latency, Unreachable: o.unreachable, Uniform: o.uniform, NoDeadlockDetector: o.noDeadlock,
		ProfileDir: o.profile, ProfileSeconds: o.profileSeconds, Logf: logf}
	var rows []bench.ScaleResult
	report := func(r bench.ScaleResult, err error) {
		rows = append(rows, r)
		fmt.Printf("== %s: histories and payloads, load %s\n", r.Scenario, bench.LoadAvg())
		bench.PrintHistories(os.Stdout, r)
		fmt.Println()
		if err != nil {
			fmt.Printf("FAILED: %v\n\n", err)
			failed = append(failed, err)
		}
	}
	if o.only["scale"] {
		for _, n := range o.scale {
			cfg := scaleCfg
			cfg.Hosts = n
			report(bench.Scale(ctx, st, cfg))
		}
	}
	if o.only["rollback"] {
		report(bench.Rollback(ctx, st.Target(), bench.RollbackConfig{Hosts: o.rollback, MaxParallel: o.parallel,
			Unreachable: o.unreachable, Uniform: o.uniform, NoDeadlockDetector: o.noDeadlock, ProfileDir: o.profile, ProfileSeconds: o.profileSeconds, Logf: logf}))
	}
	if o.only["topology"] {
		if err := topology(ctx, o, scaleCfg, report); err != nil {
			failed = append(failed, err)
		}
	}
	if len(rows) > 0 {
		fmt.Printf("== simulated fleets (latency %v per command), load %s\n", o.latency, bench.LoadAvg())
		bench.PrintScale(os.Stdout, rows)
	}
	if o.jsonPath != "" && len(rows) > 0 {
		data, err := json.MarshalIndent(rows, "", "  ")
		if err == nil {
			err = os.WriteFile(o.jsonPath, append(data, '\n'), 0o644)
		}
		if err != nil {
			failed = append(failed, fmt.Errorf("write -json %s: %w", o.jsonPath, err))
		}
	}
	return errors.Join(failed...)
}

func topology(ctx context.Context, o options, cfg bench.ScaleConfig, report func(bench.ScaleResult, error)) error {
	if why := bench.ClusterUnavailable(); why != "" {
		fmt.Printf("skipping topology: %s\n", why)
		return nil
	}
	cl, err := bench.StartCluster(ctx, os.Stderr)
	if err != nil {
		return err
	}
	defer func() {
		if err := cl.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "patchbench: stop topology:", err)
		}
	}()
	for _, w := range o.topoWorkers {
		rows, err := bench.TopologyScale(ctx, cl, o.topoHosts, []int{w}, cfg)
		for _, r := range rows {
			report(r, err)
		}
		if len(rows) == 0 && err != nil {
			return err
		}
	}
	return nil
}

func fleetBenchmarks(ctx context.Context, st *bench.Stack, o options, logf func(string, ...any)) error {
	var ov bench.OverheadResult
	if o.only["overhead"] {
		f, err := localfleet.Up(ctx, localfleet.Config{Name: "bn", Subnet: 9, Hosts: o.ovHosts, Logf: logf})
		if err != nil {
			return err
		}
		ov, err = bench.Overhead(ctx, st, f, fmt.Sprintf("overhead-%d", time.Now().Unix()))
		if err = errors.Join(err, f.Down()); err != nil {
			return err
		}
		fmt.Printf("== orchestration overhead, load %s\n", bench.LoadAvg())
		bench.PrintOverhead(os.Stdout, ov)
		fmt.Println()
	}
	var runs []bench.CompareRun
	if o.only["compare"] {
		if _, err := exec.LookPath("ansible-playbook"); err != nil {
			fmt.Println("note: ansible-playbook not on PATH (apt-get install ansible-core); comparing without it")
		}
		f, err := localfleet.Up(ctx, localfleet.Config{Name: "bn", Subnet: 9, Hosts: o.hosts, Logf: logf})
		if err != nil {
			return err
		}
		runs, err = bench.Compare(ctx, st, f, bench.Tools(), o.forks, o.rounds, logf)
		if err = errors.Join(err, f.Down()); err != nil {
			return err
		}
		fmt.Printf("== same task (apt-get update, install demo-app=1.0.1, version check), load %s\n", bench.LoadAvg())
		bench.PrintCompare(os.Stdout, runs)
		fmt.Println()
	}
	if o.only["ratios"] {
		fmt.Printf("== the three ratios, measured in this run\n")
		bench.PrintRatios(os.Stdout, bench.RatiosOf(ov, runs))
		fmt.Println()
	}
	return nil
}
