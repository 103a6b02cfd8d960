package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/patchflow/patchflow/activities"
	"github.com/patchflow/patchflow/inventory"
	"github.com/patchflow/patchflow/temporalclient"
	"github.com/patchflow/patchflow/transport"
	"github.com/patchflow/patchflow/worker"
	"github.com/patchflow/patchflow/workflows"
)

// Environment of a sim worker process (see MaybeRunSimWorker).
const (
	envSimWorker = "PATCHBENCH_SIM_WORKER" // Temporal frontend address
	envSimNS     = "PATCHBENCH_SIM_NAMESPACE"
	envSimFleet  = "PATCHBENCH_SIM_FLEET" // Unix socket of the simulated fleet
	envSimPprof  = "PATCHBENCH_SIM_PPROF" // loopback address for net/http/pprof
)

// MaybeRunSimWorker turns this process into a sim worker when a benchmark
// started it as one (environment set by StartSimWorker), and exits when
// that worker stops. Call it first in main or TestMain.
func MaybeRunSimWorker() {
	addr := os.Getenv(envSimWorker)
	if addr == "" {
		return
	}
	if err := runSimWorker(addr); err != nil {
		fmt.Fprintln(os.Stderr, "patchbench sim worker:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// runSimWorker is `patchflow worker` (cli/worker.go) with the simulated
// fleet for a transport: the same metrics registry and SDK metrics
// handler, the same worker options (worker.Run), info-level logs to
// stderr; only the hosts are different.
func runSimWorker(addr string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if p := os.Getenv(envSimPprof); p != "" {
		if err := servePprof(p); err != nil {
			return err
		}
	}
	fleet, err := DialSimFleet(os.Getenv(envSimFleet))
	if err != nil {
		return err
	}
	defer fleet.Close()
	names, err := fleet.Names(ctx)
	if err != nil {
		return err
	}
	inv := simInventory(names)
	metrics, err := worker.NewMetrics()
	if err != nil {
		return err
	}
	c, err := temporalclient.Dial(ctx, temporalclient.Config{Address: addr, Namespace: os.Getenv(envSimNS),
		Logger: logger, MetricsHandler: metrics.SDK})
	if err != nil {
		return err
	}
	defer c.Close()
	pool := transport.NewPool(fleet)
	defer pool.Close()
	return worker.Run(ctx, worker.Options{Client: c, Logger: logger, Register: func(r worker.Registry) {
		workflows.Register(r)
		r.RegisterActivity(activities.New(activities.Deps{Pool: pool, Client: c, Logger: logger,
			LoadInventory: func(string) (*inventory.Inventory, error) { return inv, nil }}))
	}})
}

// servePprof serves net/http/pprof on a loopback address only.
func servePprof(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		return fmt.Errorf("%s=%q: want a loopback host:port", envSimPprof, addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serve pprof on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	go func() { _ = http.Serve(ln, mux) }()
	return nil
}

// SimWorker is a running sim worker process.
type SimWorker struct {
	cmd     *exec.Cmd
	PID     int
	Pprof   string // loopback address of its pprof endpoint
	LogPath string
	done    chan error
}

// StartSimWorker starts this executable again as a sim worker polling the
// frontend at addr (namespace ns) with the fleet served at fleetSock; its
// logs go to logPath. noDeadlockDetector turns the SDK's deadlock
// detector off (TEMPORAL_DEBUG), which `patchflow worker` never does: it
// lets a run measure what lies past a workflow task that runs over a
// second.
func StartSimWorker(addr, ns, fleetSock, logPath string, noDeadlockDetector bool) (*SimWorker, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable to start a sim worker: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("sim worker log: %w", err)
	}
	defer logf.Close()
	w := &SimWorker{Pprof: fmt.Sprintf("127.0.0.1:%d", port), LogPath: logPath, done: make(chan error, 1)}
	w.cmd = exec.Command(self, "-test.run=^$")
	w.cmd.Env = append(os.Environ(), envSimWorker+"="+addr, envSimNS+"="+ns, envSimFleet+"="+fleetSock, envSimPprof+"="+w.Pprof)
	if noDeadlockDetector {
		w.cmd.Env = append(w.cmd.Env, "TEMPORAL_DEBUG=1")
	}
	w.cmd.Stdout, w.cmd.Stderr = logf, logf
	// A worker whose benchmark died stops too, instead of polling on.
	w.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := w.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start sim worker %s: %w", self, err)
	}
	w.PID = w.cmd.Process.Pid
	go func() { w.done <- w.cmd.Wait() }()
	return w, nil
}

// Exited reports whether the worker has exited, and how.
func (w *SimWorker) Exited() (bool, error) {
	select {
	case err := <-w.done:
		w.done <- err
		return true, err
	default:
		return false, nil
	}
}

// Stop ends the worker with SIGTERM (SIGKILL after 20 s) and waits.
func (w *SimWorker) Stop() {
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(20 * time.Second):
		_ = w.cmd.Process.Kill()
		<-w.done
	}
}

// serveFleet builds the simulated fleet and serves it on a socket in dir.
func serveFleet(cfg SimConfig, dir string) (*SimFleet, *SimServer, error) {
	f, err := NewSimFleet(cfg)
	if err != nil {
		return nil, nil, err
	}
	srv, err := ServeSimFleet(f, filepath.Join(dir, "fleet.sock"))
	if err != nil {
		return nil, nil, err
	}
	return f, srv, nil
}

// stopWorkers stops every worker and reports one that had died before.
func stopWorkers(ws []*SimWorker) error {
	var errs []error
	for _, w := range ws {
		if exited, err := w.Exited(); exited {
			errs = append(errs, fmt.Errorf("sim worker %d exited during the run (%v); its log: %s", w.PID, err, w.LogPath))
		}
		w.Stop()
	}
	return errors.Join(errs...)
}
