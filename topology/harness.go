package topology

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Options describe a topology for Start. Zero ports are chosen free on
// 127.0.0.1.
type Options struct {
	// Dir is the state directory (TOPOLOGY_DIR): data, logs and pid files.
	// When running as root, the user postgres must be able to enter it.
	Dir string
	// Cache holds the built server binaries across runs (TOPOLOGY_CACHE);
	// default DefaultCache().
	Cache string
	// Repo is the patchflow checkout whose deploy/local/topology runs;
	// default: the module root above the working directory.
	Repo string
	// Patchflow is the patchflow binary the workers run; "" lets the script
	// build one from Repo.
	Patchflow string
	Workers   int // default 3
	Namespace string
	// Retention of the namespace, a Go duration ("720h"); "" is the
	// script's default.
	Retention string
	// Ports of PostgreSQL, the Temporal frontend (the server takes eight
	// more around it, see the script) and the first worker's metrics.
	PostgresPort, TemporalPort, MetricsPort int
	// Log receives the script's output.
	Log io.Writer
}

// Topology is a topology started by deploy/local/topology.
type Topology struct {
	opts   Options
	script string
}

// DefaultCache is the script's default build cache:
// $XDG_CACHE_HOME/patchflow/topology or ~/.cache/patchflow/topology.
func DefaultCache() (string, error) {
	if d := os.Getenv("TOPOLOGY_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("topology: no cache directory: %w; set TOPOLOGY_CACHE", err)
	}
	return filepath.Join(d, "patchflow", "topology"), nil
}

// New fills in the defaults of opts (free ports, cache, checkout) without
// starting anything.
func New(opts Options) (*Topology, error) {
	if opts.Dir == "" {
		return nil, errors.New("topology: Options.Dir (the state directory) is required")
	}
	var err error
	if opts.Cache == "" {
		if opts.Cache, err = DefaultCache(); err != nil {
			return nil, err
		}
	}
	if opts.Repo == "" {
		if opts.Repo, err = moduleRoot(); err != nil {
			return nil, err
		}
	}
	if opts.Workers == 0 {
		opts.Workers = 3
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.PostgresPort == 0 || opts.TemporalPort == 0 || opts.MetricsPort == 0 {
		pg, tp, mp, err := freePorts(opts.Workers)
		if err != nil {
			return nil, err
		}
		opts.PostgresPort = orPort(opts.PostgresPort, pg)
		opts.TemporalPort = orPort(opts.TemporalPort, tp)
		opts.MetricsPort = orPort(opts.MetricsPort, mp)
	}
	script := filepath.Join(opts.Repo, "deploy", "local", "topology")
	if _, err := os.Stat(script); err != nil {
		return nil, fmt.Errorf("topology: %w; is %s a patchflow checkout?", err, opts.Repo)
	}
	return &Topology{opts: opts, script: script}, nil
}

func orPort(set, chosen int) int {
	if set != 0 {
		return set
	}
	return chosen
}

// Start runs `deploy/local/topology start`: it builds what is missing and
// starts whatever is not running (all of it the first time; after a
// SIGKILL, just what was killed), and returns once the namespace is ready
// and every worker it started polls the task queue.
func (t *Topology) Start(ctx context.Context) error { return t.run(ctx, "start") }

// Stop runs `deploy/local/topology stop`.
func (t *Topology) Stop(ctx context.Context) error { return t.run(ctx, "stop") }

// Status runs `deploy/local/topology status` and returns its table; the
// error is set when something is not running.
func (t *Topology) Status(ctx context.Context) (string, error) {
	var out bytes.Buffer
	err := t.runTo(ctx, &out, "status")
	return out.String(), err
}

func (t *Topology) run(ctx context.Context, verb string) error {
	var out bytes.Buffer
	err := t.runTo(ctx, io.MultiWriter(&out, t.opts.Log), verb)
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", t.script, verb, err, lastLines(out.String(), 12))
	}
	return nil
}

func (t *Topology) runTo(ctx context.Context, w io.Writer, verb string) error {
	cmd := exec.CommandContext(ctx, t.script, verb)
	cmd.Env = append(os.Environ(), t.Env()...)
	cmd.Stdout, cmd.Stderr = w, w
	// The daemons the script starts keep no pipe of ours (their output goes
	// to the log files), so Wait returns when the script does.
	cmd.WaitDelay = 10 * time.Second
	return cmd.Run()
}

// Env is the script's environment for this topology.
func (t *Topology) Env() []string {
	o := t.opts
	env := []string{
		"TOPOLOGY_DIR=" + o.Dir, "TOPOLOGY_CACHE=" + o.Cache,
		"TOPOLOGY_WORKERS=" + strconv.Itoa(o.Workers), "TOPOLOGY_NAMESPACE=" + o.Namespace,
		"TOPOLOGY_PG_PORT=" + strconv.Itoa(o.PostgresPort),
		"TOPOLOGY_TEMPORAL_PORT=" + strconv.Itoa(o.TemporalPort),
		"TOPOLOGY_METRICS_PORT=" + strconv.Itoa(o.MetricsPort),
	}
	if o.Patchflow != "" {
		env = append(env, "TOPOLOGY_PATCHFLOW="+o.Patchflow)
	}
	if o.Retention != "" {
		env = append(env, "TOPOLOGY_RETENTION="+o.Retention)
	}
	return env
}

// Address is the Temporal frontend's host:port.
func (t *Topology) Address() string { return fmt.Sprintf("127.0.0.1:%d", t.opts.TemporalPort) }

// Namespace is the topology's Temporal namespace.
func (t *Topology) Namespace() string { return t.opts.Namespace }

// Options returns the options with their defaults filled in.
func (t *Topology) Options() Options { return t.opts }

// MetricsURL is worker i's (1-based) /metrics.
func (t *Topology) MetricsURL(i int) string {
	return fmt.Sprintf("http://127.0.0.1:%d/metrics", t.opts.MetricsPort+i-1)
}

// ServerPID is the process ID of the running Temporal server.
func (t *Topology) ServerPID() (int, error) {
	return livePID(filepath.Join(t.opts.Dir, "run", "temporal-server.pid"))
}

// WorkerPID is the process ID of running worker i (1-based).
func (t *Topology) WorkerPID(i int) (int, error) {
	return livePID(filepath.Join(t.opts.Dir, "run", fmt.Sprintf("worker-%d.pid", i)))
}

// WorkerPIDs maps each running worker's process ID to its number.
func (t *Topology) WorkerPIDs() map[int]int {
	pids := map[int]int{}
	for i := 1; i <= t.opts.Workers; i++ {
		if pid, err := t.WorkerPID(i); err == nil {
			pids[pid] = i
		}
	}
	return pids
}

// LogTail returns the last n lines of a process's log: "temporal-server",
// "worker-1", "postgres", "schema".
func (t *Topology) LogTail(name string, n int) string {
	data, err := os.ReadFile(filepath.Join(t.opts.Dir, "logs", name+".log"))
	if err != nil {
		return err.Error()
	}
	return lastLines(string(data), n)
}

// Kill sends SIGKILL to pid and waits until the process is gone (or a
// zombie awaiting its reaper), so the caller knows it no longer runs.
func Kill(ctx context.Context, pid int) error {
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill -9 %d: %w", pid, err)
	}
	for {
		if !running(pid) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("process %d still runs after SIGKILL: %w", pid, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// running reports whether pid is a live process (not a zombie).
func running(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
}

func livePID(pidFile string) (int, error) {
	data, err := os.ReadFile(pidFile)
	if err != nil {
		return 0, fmt.Errorf("not running: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", pidFile, err)
	}
	if !running(pid) {
		return 0, fmt.Errorf("%s: process %d is not running", pidFile, pid)
	}
	return pid, nil
}

// moduleRoot finds the go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("topology: no go.mod above %s; set Options.Repo to the patchflow checkout", dir)
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// BuildPatchflow builds ./cmd/patchflow of repo into dest, for the
// workers and the CLI of a test.
func BuildPatchflow(ctx context.Context, repo, dest string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dest, "./cmd/patchflow")
	cmd.Dir = repo
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/patchflow in %s: %w\n%s", repo, err, out)
	}
	return nil
}
