package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/workflows"
)

// TestMain doubles as a worker process: with PATCHFLOW_E2E_WORKER set to
// a frontend address the test binary runs a patchflow worker until killed,
// so a test can SIGKILL a real worker process mid-wave.
func TestMain(m *testing.M) {
	if addr := os.Getenv("PATCHFLOW_E2E_WORKER"); addr != "" {
		os.Exit(runWorker(addr, os.Getenv("PATCHFLOW_E2E_NAMESPACE")))
	}
	os.Exit(m.Run())
}

func runWorker(addr, namespace string) int {
	c, err := client.Dial(client.Options{HostPort: addr, Namespace: namespace})
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker: dial:", err)
		return 1
	}
	defer c.Close()
	w := worker.New(c, workflows.TaskQueue, worker.Options{})
	register(w, c)
	if err := w.Run(worker.InterruptCh()); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 1
	}
	return 0
}

// lockedBuffer collects a worker process's output for the test log.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (e *env) startWorkerProcess(name string) (*exec.Cmd, *lockedBuffer) {
	e.t.Helper()
	out := &lockedBuffer{}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PATCHFLOW_E2E_WORKER="+e.ts.GetFrontendHostPort(), "PATCHFLOW_E2E_NAMESPACE="+e.ts.GetDefaultNamespace())
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("start worker %s: %v", name, err)
	}
	e.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	e.t.Logf("worker %s: pid %d", name, cmd.Process.Pid)
	return cmd, out
}

// TestWorkerKilledMidWave kills the only worker process with SIGKILL while
// the second wave runs and starts a new one: the cycle completes and the
// hosts' own dpkg records show each host changed packages exactly once.
func TestWorkerKilledMidWave(t *testing.T) {
	e := newEnvNoWorker(t, 7)
	hosts := hostList(e.fleet)
	first, firstOut := e.startWorkerProcess("A")

	start := time.Now()
	spec := e.spec("kill")
	spec.Patches = domain.PatchRules{Include: []string{"demo-app"}, Approve: []string{"demo-app=1.0.1"}}
	spec.Host.CommandTimeout = 20 * time.Second
	run := e.startCycle(spec, start)
	st := e.statusUntil(run.GetID(), 3*time.Minute, func(s workflows.CycleStatus) bool {
		return s.Wave == 2 && s.CurrentWorkflow != ""
	})
	// Kill once wave 2 has a host inside one of its steps (an activity
	// running on worker A), so the stall a lost worker costs is measured.
	var ws workflows.WaveStatus
	inStep := func() bool {
		for _, h := range ws.InFlight {
			var hs workflows.HostStatus
			if v, err := e.c.QueryWorkflow(context.Background(), workflows.HostWorkflowID(h), "", workflows.QueryStatus); err == nil && v.Get(&hs) == nil &&
				hs.Cycle == run.GetID() && hs.State != domain.HostPending && !hs.State.Final() {
				return true
			}
		}
		return false
	}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if v, err := e.c.QueryWorkflow(context.Background(), st.CurrentWorkflow, "", workflows.QueryStatus); err == nil && v.Get(&ws) == nil && len(ws.InFlight) > 0 && inStep() {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(ws.InFlight) == 0 {
		t.Fatalf("wave 2 never had a host in flight: %+v", ws)
	}
	t.Logf("killing worker A with wave 2 hosts in flight: %v", ws.InFlight)
	killed := time.Now()
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	t.Logf("killed worker A in wave %d (%s); its log tail:\n%s", st.Wave, st.CurrentWorkflow, tail(firstOut, 5))
	_, secondOut := e.startWorkerProcess("B")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var res workflows.CycleResult
	if err := run.Get(ctx, &res); err != nil {
		t.Fatalf("cycle after worker restart: %v\nworker B log:\n%s", err, tail(secondOut, 20))
	}
	t.Logf("cycle %s after restart: %s %+v in %v", run.GetID(), res.State, res.Counts, time.Since(start).Round(time.Second))
	if res.State != domain.CycleCompleted || res.Counts.Patched != len(hosts) {
		t.Fatalf("cycle %s (%s) %+v, want all %d patched", res.State, res.Reason, res.Counts, len(hosts))
	}
	for _, h := range hosts {
		if v := e.installed(h, "demo-app"); v != "1.0.1" {
			t.Errorf("%s demo-app = %s, want 1.0.1", h, v)
		}
		ivs, err := e.fleet.PackageOpTimes(h)
		must(t, err)
		n := 0
		for _, iv := range ivs {
			if !iv.Start.Before(start) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %d dpkg runs during the cycle, want exactly 1 (patched once)", h, n)
		}
	}
	if n := e.maxOverlap(hosts[1:], start); n > 2 {
		t.Errorf("%d hosts patched at once, max_parallel is 2", n)
	}
	// What the lost worker cost each host it held: from the kill to the
	// retried attempt of its activity starting on worker B (heartbeat
	// timeout plus retry backoff). Reported, not asserted: timings are
	// measured, and docs/operations.md quotes this figure.
	for _, h := range ws.InFlight {
		if stall, ok := e.retryAfter(workflows.HostWorkflowID(h), killed); ok {
			t.Logf("host %s: its activity was retried on worker B %s after the kill", h, stall.Round(100*time.Millisecond))
		}
	}
}

// retryAfter is how long after t the first retried activity attempt of a
// workflow started (an ActivityTaskStarted event with attempt > 1).
func (e *env) retryAfter(workflowID string, t time.Time) (time.Duration, bool) {
	iter := e.c.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			return 0, false
		}
		if a := ev.GetActivityTaskStartedEventAttributes(); a != nil && a.GetAttempt() > 1 && ev.GetEventTime().AsTime().After(t) {
			return ev.GetEventTime().AsTime().Sub(t), true
		}
	}
	return 0, false
}

func tail(b *lockedBuffer, n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(b.b.String()), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
