package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/patchflow/patchflow/activities"
	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/inventory"
	"github.com/patchflow/patchflow/transport"
	"github.com/patchflow/patchflow/workflows"
)

// MaxHistoryEvents is the history size no patchflow workflow may exceed
// (DESIGN.md 7); Temporal warns at 10,240 events and a long history slows
// every replay.
const MaxHistoryEvents = 10240

// Environment of a simulated-fleet worker process (see MaybeRunSimWorker).
const (
	envSimWorker  = "PATCHBENCH_SIM_WORKER" // frontend address
	envSimNS      = "PATCHBENCH_SIM_NAMESPACE"
	envSimHosts   = "PATCHBENCH_SIM_HOSTS"
	envSimLatency = "PATCHBENCH_SIM_LATENCY"
)

// ScaleConfig sizes a scale run.
type ScaleConfig struct {
	Hosts       int           // simulated hosts
	MaxParallel int           // hosts in flight in the main wave; default 100
	Latency     time.Duration // added to every simulated command
	Logf        func(format string, args ...any)
}

// ScaleResult is what a scale run measured.
type ScaleResult struct {
	Hosts        int
	MaxParallel  int
	Wall         time.Duration
	HostsPerSec  float64
	Workflows    int    // workflow runs of the cycle (cycle, wave runs, hosts)
	MaxHistory   int    // largest history among them, in events
	MaxHistoryOf string // the workflow ID with that history
	WorkerRSSMiB float64
	WorkerHWMMiB float64 // peak resident set of the worker process
	CycleID      string
}

// MaybeRunSimWorker turns this process into a worker serving a simulated
// fleet when the benchmark started it as one (environment set by Scale),
// and exits when that worker stops. Call it first in main or TestMain.
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

func runSimWorker(addr string) error {
	n, err := strconv.Atoi(os.Getenv(envSimHosts))
	if err != nil || n <= 0 {
		return fmt.Errorf("%s=%q: want a positive host count", envSimHosts, os.Getenv(envSimHosts))
	}
	latency, err := time.ParseDuration(os.Getenv(envSimLatency))
	if err != nil {
		return fmt.Errorf("%s=%q: %w", envSimLatency, os.Getenv(envSimLatency), err)
	}
	c, err := client.Dial(client.Options{HostPort: addr, Namespace: os.Getenv(envSimNS), Logger: quietLogger()})
	if err != nil {
		return fmt.Errorf("dial %s: %w", addr, err)
	}
	defer c.Close()
	fleet := NewSimFleet(n)
	fleet.Latency = latency
	inv := fleet.Inventory()
	pool := transport.NewPool(fleet)
	defer pool.Close()
	w := newWorker(c, activities.Deps{Pool: pool, Client: c, Logger: discardSlog(),
		LoadInventory: func(string) (*inventory.Inventory, error) { return inv, nil }})
	return w.Run(sdkworker.InterruptCh())
}

// ScaleSpec is the cycle of a scale run: every simulated host gets
// demo-app 1.0.1; a canary of 10, then the rest max_parallel at once; no
// staging, no bake, no checks, so only orchestration is measured.
func ScaleSpec(policy string, maxParallel int) domain.CycleSpec {
	return domain.CycleSpec{
		Policy:    policy,
		Inventory: domain.InventorySpec{Source: "sim", Select: []string{"group=" + SimGroup}},
		Patches:   domain.PatchRules{Include: []string{"demo-app"}, Approve: []string{"demo-app=1.0.1"}},
		Approval:  domain.ApprovalSpec{Mode: "auto"},
		Waves: []domain.Wave{
			{Name: "canary", Count: 10, MaxParallel: 10},
			{Name: "rest", Percent: 100, MaxParallel: maxParallel},
		},
		OnBudgetBreach: domain.BreachPause,
		ScanParallel:   50,
		Host:           domain.HostSteps{Reboot: "never", DecisionTimeout: time.Minute, CommandTimeout: time.Minute},
	}
}

// Scale runs a full cycle over cfg.Hosts simulated hosts on the stack's
// server, with the worker in its own process (so its resident set is its
// own), then checks every workflow history of the cycle stays within
// MaxHistoryEvents.
func Scale(ctx context.Context, st *Stack, cfg ScaleConfig) (ScaleResult, error) {
	if cfg.MaxParallel <= 0 {
		cfg.MaxParallel = 100
	}
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	self, err := os.Executable()
	if err != nil {
		return ScaleResult{}, fmt.Errorf("find own executable to start the sim worker: %w", err)
	}
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), envSimWorker+"="+st.Server.FrontendAddress(), envSimNS+"="+st.Server.Namespace(),
		envSimHosts+"="+strconv.Itoa(cfg.Hosts), envSimLatency+"="+cfg.Latency.String())
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return ScaleResult{}, fmt.Errorf("start sim worker %s: %w", self, err)
	}
	pid := cmd.Process.Pid
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	logf("scale: %d simulated hosts, worker pid %d", cfg.Hosts, pid)

	// The worker polls for the whole run, so the peak resident set
	// includes its start-up; the sampler keeps the current value too.
	policy := fmt.Sprintf("scale%d", cfg.Hosts)
	pctx, stopProgress := context.WithCancel(ctx)
	go progress(pctx, st.Client, policy, logf)
	run, err := RunCycle(ctx, st.Client, ScaleSpec(policy, cfg.MaxParallel))
	stopProgress()
	res := ScaleResult{Hosts: cfg.Hosts, MaxParallel: cfg.MaxParallel, Wall: run.Wall, CycleID: run.ID}
	res.WorkerRSSMiB, res.WorkerHWMMiB = procMemMiB(pid)
	if err != nil {
		return res, err
	}
	res.HostsPerSec = float64(cfg.Hosts) / run.Wall.Seconds()
	logf("scale: cycle %s done in %v (%.1f hosts/s), worker RSS %.0f MiB (peak %.0f)", run.ID, run.Wall.Round(time.Millisecond), res.HostsPerSec, res.WorkerRSSMiB, res.WorkerHWMMiB)
	if err := histories(ctx, st, run.ID, cfg.Hosts, &res); err != nil {
		return res, err
	}
	if res.MaxHistory > MaxHistoryEvents {
		return res, fmt.Errorf("workflow %s has %d history events, above the %d limit", res.MaxHistoryOf, res.MaxHistory, MaxHistoryEvents)
	}
	return res, nil
}

// progress logs the running cycle of policy every 30 seconds (a large
// run takes minutes) until ctx ends.
func progress(ctx context.Context, c client.Client, policy string, logf func(string, ...any)) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("PatchPolicy = %q AND ExecutionStatus = 'Running' AND WorkflowType = 'PatchCycle'", policy)})
		if err != nil || len(resp.GetExecutions()) == 0 {
			continue
		}
		id := resp.GetExecutions()[0].GetExecution().GetWorkflowId()
		var cs workflows.CycleStatus
		if v, err := c.QueryWorkflow(ctx, id, "", workflows.QueryStatus); err != nil || v.Get(&cs) != nil {
			continue
		}
		line := fmt.Sprintf("scale: %s %s, wave %d", id, cs.State, cs.Wave)
		var ws workflows.WaveStatus
		if cs.CurrentWorkflow != "" {
			if v, err := c.QueryWorkflow(ctx, cs.CurrentWorkflow, "", workflows.QueryStatus); err == nil && v.Get(&ws) == nil {
				line += fmt.Sprintf(": %d of %d hosts done, %d in flight", ws.Counts.Total-ws.Counts.Pending, ws.Counts.Total, len(ws.InFlight))
			}
		}
		logf("%s", line)
	}
}

// histories finds the longest history among the cycle's workflow runs from
// visibility (history length is recorded when a run closes).
func histories(ctx context.Context, st *Stack, cycleID string, hosts int, res *ScaleResult) error {
	query := fmt.Sprintf("WorkflowId = %q OR PatchCycle = %q", cycleID, cycleID)
	deadline := time.Now().Add(time.Minute)
	for {
		var token []byte
		res.Workflows, res.MaxHistory, res.MaxHistoryOf = 0, 0, ""
		zero := 0
		for {
			resp, err := st.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
				Namespace: st.Server.Namespace(), Query: query, PageSize: 1000, NextPageToken: token})
			if err != nil {
				return fmt.Errorf("list workflows of cycle %s: %w", cycleID, err)
			}
			for _, e := range resp.GetExecutions() {
				res.Workflows++
				n := int(e.GetHistoryLength())
				if n == 0 {
					zero++
				}
				if n > res.MaxHistory {
					res.MaxHistory, res.MaxHistoryOf = n, e.GetExecution().GetWorkflowId()
				}
			}
			if token = resp.GetNextPageToken(); len(token) == 0 {
				break
			}
		}
		// Visibility catches up asynchronously: wait until every host run
		// (and the cycle) is listed with its length.
		if res.Workflows >= hosts+1 && zero == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("visibility lists %d workflow runs of cycle %s (%d without a history length), want at least %d", res.Workflows, cycleID, zero, hosts+1)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// procMemMiB reads a process's current and peak resident set (VmRSS,
// VmHWM) from /proc; zeros when unreadable.
func procMemMiB(pid int) (rss, hwm float64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) < 1 {
			continue
		}
		kb, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmRSS":
			rss = kb / 1024
		case "VmHWM":
			hwm = kb / 1024
		}
	}
	return rss, hwm
}
