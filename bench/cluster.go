package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/topology"
)

// Cluster is the production topology (topology package,
// deploy/local/topology): the Temporal server binary on a private
// PostgreSQL cluster, started without patchflow workers, since the
// scenarios start sim workers against it.
type Cluster struct {
	Topo   *topology.Topology
	Client client.Client
	dir    string
}

// ClusterUnavailable says why this machine cannot run the topology
// (no PostgreSQL server binaries, no go command, or root without the
// user postgres), or "" when it can.
func ClusterUnavailable() string {
	if _, err := exec.LookPath("go"); err != nil {
		return "the go command is not on PATH (the topology builds the Temporal server with it)"
	}
	if d := os.Getenv("TOPOLOGY_PG_BIN"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err != nil {
			return "TOPOLOGY_PG_BIN=" + d + " holds no initdb"
		}
	} else if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb"); len(m) == 0 {
		return "PostgreSQL server binaries are missing: apt-get install postgresql-15 (or set TOPOLOGY_PG_BIN)"
	}
	if os.Geteuid() == 0 {
		if err := exec.Command("id", "postgres").Run(); err != nil {
			return "running as root needs the user postgres (created by the postgresql-15 package)"
		}
	}
	return ""
}

// StartCluster starts the topology in a new state directory (one the user
// postgres can enter) with free loopback ports and no workers; log gets
// the script's output. The Temporal server build is cached
// (TOPOLOGY_CACHE): the first start on a machine compiles it (minutes).
func StartCluster(ctx context.Context, log io.Writer) (*Cluster, error) {
	if why := ClusterUnavailable(); why != "" {
		return nil, errors.New("topology: " + why)
	}
	dir, err := os.MkdirTemp("/var/tmp", "patchbench-topology-")
	if err != nil {
		return nil, fmt.Errorf("topology state directory: %w", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	// topology.New picks the ports and the checkout; the script is run
	// here with TOPOLOGY_WORKERS=0, which it supports and the harness's
	// Options cannot say (0 means its default of three).
	topo, err := topology.New(topology.Options{Dir: dir, Workers: 1, Log: log})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cl := &Cluster{Topo: topo, dir: dir}
	script := filepath.Join(topo.Options().Repo, "deploy", "local", "topology")
	cmd := exec.CommandContext(ctx, script, "start")
	cmd.Env = append(append(os.Environ(), topo.Env()...), "TOPOLOGY_WORKERS=0")
	cmd.Stdout, cmd.Stderr = log, log
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		cl.Close()
		return nil, fmt.Errorf("%s start: %w (its output went to the benchmark log)", script, err)
	}
	c, err := client.DialContext(ctx, client.Options{HostPort: topo.Address(), Namespace: topo.Namespace(), Logger: quietLogger()})
	if err != nil {
		cl.Close()
		return nil, fmt.Errorf("dial the topology's frontend %s: %w", topo.Address(), err)
	}
	cl.Client = c
	return cl, nil
}

// Target is the cluster as a scenario target, with its server and
// PostgreSQL processes for CPU and its data directory for size.
func (cl *Cluster) Target() (Target, error) {
	pid, err := cl.Topo.ServerPID()
	if err != nil {
		return Target{}, fmt.Errorf("topology's Temporal server: %w", err)
	}
	data := filepath.Join(cl.dir, "postgres", "data")
	pg, err := postmasterPID(data)
	if err != nil {
		return Target{}, err
	}
	return Target{Name: "postgresql", Address: cl.Topo.Address(), Namespace: cl.Topo.Namespace(), Client: cl.Client,
		ServerPID: pid, PostgresPID: pg, DataDir: data}, nil
}

// postmasterPID reads the first line of PostgreSQL's postmaster.pid.
func postmasterPID(data string) (int, error) {
	b, err := os.ReadFile(filepath.Join(data, "postmaster.pid"))
	if err != nil {
		return 0, fmt.Errorf("topology's PostgreSQL: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		return 0, fmt.Errorf("topology's PostgreSQL: %s: %w", filepath.Join(data, "postmaster.pid"), err)
	}
	return pid, nil
}

// Close stops the topology and removes its state.
func (cl *Cluster) Close() error {
	if cl.Client != nil {
		cl.Client.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	err := cl.Topo.Stop(ctx)
	return errors.Join(err, os.RemoveAll(cl.dir))
}

// TopologyScale runs the scale cycle of hosts simulated hosts on the
// cluster once per worker count, each with that many sim worker processes
// (patchflow worker's options, the simulated fleet shared over a socket),
// and returns a row per count: hosts/s, and the server's and PostgreSQL's
// CPU per host, for sizing a cluster.
func TopologyScale(ctx context.Context, cl *Cluster, hosts int, workerCounts []int, cfg ScaleConfig) ([]ScaleResult, error) {
	t, err := cl.Target()
	if err != nil {
		return nil, err
	}
	if cfg.MaxParallel <= 0 {
		cfg.MaxParallel = 100
	}
	var rows []ScaleResult
	for _, w := range workerCounts {
		s := Scenario{
			Name:  fmt.Sprintf("topology %d%s, %d worker(s)", hosts, uniformLabel(cfg.Uniform), w),
			Fleet: SimConfig{Hosts: hosts, Unreachable: cfg.Unreachable, Latency: cfg.Latency, Uniform: cfg.Uniform, ScannedBefore: time.Now()},
			Spec:  ScaleSpec(fmt.Sprintf("topo%dw%d", hosts, w), cfg.MaxParallel), Workers: w,
			ProfileDir: cfg.ProfileDir, ProfileSeconds: cfg.ProfileSeconds, Logf: cfg.Logf, NoDeadlockDetector: cfg.NoDeadlockDetector,
		}
		res, err := RunScenario(ctx, t, s)
		rows = append(rows, res)
		if err != nil {
			return rows, err
		}
	}
	return rows, nil
}
