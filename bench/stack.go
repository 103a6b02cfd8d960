package bench

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/patchflow/patchflow/activities"
	"github.com/patchflow/patchflow/devserver"
	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/workflows"
)

// Stack is the embedded Temporal server on a SQLite file, as `patchflow
// dev` runs it (the file is temporary here), and a client connected to
// it. A file, not memory: a store in memory keeps every history of every
// run in the process (it grew past 20 GB over three 10,000-host runs).
type Stack struct {
	Server *devserver.Server
	Client client.Client
	dir    string
}

// StartStack starts the embedded server on a free loopback port with
// patchflow's search attributes registered.
func StartStack(ctx context.Context) (*Stack, error) {
	dir, err := os.MkdirTemp("", "patchbench-db-")
	if err != nil {
		return nil, fmt.Errorf("directory for the benchmark server's database: %w", err)
	}
	var srv *devserver.Server
	// The server takes more ports than the free one found (its HTTP API
	// and membership ports): on a busy machine another process may hold
	// one, so a few ports are tried.
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		srv, err = devserver.Start(ctx, devserver.Options{
			IP: "127.0.0.1", Port: port, SearchAttributes: workflows.SearchAttributes, DBFile: filepath.Join(dir, "temporal.db"),
			Logger: discardSlog(), LogLevel: slog.LevelError + 4, Retention: 24 * time.Hour,
		})
		if err == nil {
			break
		}
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("start embedded Temporal server for the benchmark: %w", err)
		}
	}
	c, err := client.DialContext(ctx, client.Options{HostPort: srv.FrontendAddress(), Namespace: srv.Namespace(),
		Logger: quietLogger()})
	if err != nil {
		srv.Stop()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("dial embedded Temporal server at %s: %w", srv.FrontendAddress(), err)
	}
	return &Stack{Server: srv, Client: c, dir: dir}, nil
}

// Close stops the client and the server.
func (s *Stack) Close() {
	s.Client.Close()
	s.Server.Stop()
	os.RemoveAll(s.dir)
}

// StartWorker runs a patchflow worker in this process with the real
// workflows and activities built from deps; stop ends it.
func (s *Stack) StartWorker(deps activities.Deps) (stop func(), err error) {
	w := newWorker(s.Client, deps)
	if err := w.Start(); err != nil {
		return nil, fmt.Errorf("start benchmark worker on %s: %w", s.Server.FrontendAddress(), err)
	}
	return w.Stop, nil
}

// newWorker builds a worker with patchflow's workflows and activities and
// the options `patchflow worker` runs with (worker.Run): the SDK's
// default pollers and concurrency, so the comparisons measure patchflow
// as users run it.
func newWorker(c client.Client, deps activities.Deps) sdkworker.Worker {
	w := sdkworker.New(c, workflows.TaskQueue, sdkworker.Options{WorkerStopTimeout: 10 * time.Second})
	workflows.Register(w)
	w.RegisterActivity(activities.New(deps))
	return w
}

// CycleRun is one finished cycle and its wall time, from start request to
// result.
type CycleRun struct {
	ID     string
	Result workflows.CycleResult
	// Hosts is every host's final report (the result lists only hosts
	// that did not end patched).
	Hosts []workflows.HostReport
	Wall  time.Duration
}

// RunCycle starts a PatchCycle for spec and waits for its result.
func RunCycle(ctx context.Context, c client.Client, spec domain.CycleSpec) (CycleRun, error) {
	start := time.Now()
	id := workflows.CycleID(spec.Policy, start)
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue},
		workflows.PatchCycle, workflows.CycleInput{Spec: spec})
	if err != nil {
		return CycleRun{}, fmt.Errorf("start cycle %s: %w", id, err)
	}
	var res workflows.CycleResult
	if err := run.Get(ctx, &res); err != nil {
		var ok bool
		if res, ok = workflows.ResultOf(err); !ok {
			return CycleRun{}, fmt.Errorf("cycle %s: %w", id, err)
		}
	}
	out := CycleRun{ID: id, Result: res, Wall: time.Since(start)}
	hosts, err := workflows.AllHosts(ctx, c, id)
	if err != nil {
		return out, err
	}
	out.Hosts = hosts.Hosts
	if res.State != domain.CycleCompleted || res.Counts.Patched != res.Counts.Total {
		return out, fmt.Errorf("cycle %s ended %s (%s) with %+v; a benchmark needs every host patched", id, res.State, res.Reason, res.Counts)
	}
	return out, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free loopback port for the benchmark server: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func discardSlog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// quietLogger keeps the SDK's per-task logs out of the benchmark tables.
func quietLogger() sdklog.Logger { return sdklog.NewStructuredLogger(discardSlog()) }
