package topology_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/localfleet"
	"github.com/patchflow/patchflow/topology"
	"github.com/patchflow/patchflow/workflows"
)

// The fleet of this package: names start with "tp", subnets 70-79.
const (
	killFleet  = "tpk"
	killSubnet = 70
	killHosts  = 12
	// maxParallel of the policy's second wave.
	maxParallel = 2
	// slowDpkg lengthens every dpkg run, as a real library update takes
	// seconds, so a kill aimed at an applying host lands inside apt.
	slowDpkg = 3 * time.Second
)

// TestCycleSurvivesKills runs a cycle on 12 real hosts against the
// production topology (the Temporal server binary on PostgreSQL, three
// `patchflow worker` processes) and, in the cycle's second wave, SIGKILLs
// the worker applying a host's patch, then another worker applying
// another host's, then, after a supervisor's restart of both, the Temporal
// server while a host is applying. The server is restarted; the workers
// must reconnect by themselves. From the hosts' own records: every host
// ends at the planned versions, none installed a planned version twice,
// and no more than max_parallel hosts ran dpkg at once.
func TestCycleSurvivesKills(t *testing.T) {
	localfleet.Require(t)
	requireTopology(t)
	fleet := localfleet.Start(t, localfleet.Config{Name: killFleet, Subnet: killSubnet, Hosts: killHosts, Logf: t.Logf})
	slowInstalls(t, fleet, slowDpkg)
	topo, bringUp := startTopology(t, 3)
	t.Logf("topology up in %v", bringUp.Round(100*time.Millisecond))
	c := dial(t, topo)
	ctx, cancel := context.WithTimeout(context.Background(), testBudget(t, 20*time.Minute))
	defer cancel()

	policy := writeKillPolicy(t, fleet.InventoryPath)
	cycleStart := time.Now()
	out, errOut, err := patchflow(t, topo, "cycle", "start", "-p", policy, "--json")
	var started struct {
		CycleID string `json:"cycle_id"`
	}
	if err != nil || json.Unmarshal([]byte(out), &started) != nil || started.CycleID == "" {
		t.Fatalf("patchflow cycle start: %v\n%s%s", err, out, errOut)
	}
	w := &watch{t: t, ctx: ctx, c: c, fleet: fleet, topo: topo, cycle: started.CycleID, since: cycleStart}
	t.Logf("cycle %s started", w.cycle)
	rest := w.secondWaveHosts()

	// 1 and 2: a worker applying a patch, then another: the first as apt
	// starts, the second once dpkg itself runs (after the slow hook).
	k1 := w.killApplyingWorker(rest, 0)
	w.waitRunEnded(rest, k1.at, k1.host)
	k2 := w.killApplyingWorker(rest, slowDpkg+200*time.Millisecond)
	w.waitRunEnded(rest, k2.at, k2.host)
	// A supervisor (systemd, Kubernetes) starts them again.
	if err := topo.Start(ctx); err != nil {
		t.Fatalf("restart killed workers: %v", err)
	}
	t.Logf("workers %d and %d restarted: pids %v", k1.worker, k2.worker, topo.WorkerPIDs())

	// 3: the server, while a host applies.
	host, _ := w.waitApplying(rest, nil)
	serverPID, err := topo.ServerPID()
	if err != nil {
		t.Fatal(err)
	}
	workersBefore := topo.WorkerPIDs()
	if err := topology.Kill(ctx, serverPID); err != nil {
		t.Fatal(err)
	}
	serverKilled := time.Now()
	t.Logf("kill -9 Temporal server (pid %d) while %s applies", serverPID, host)
	if err := topo.Start(ctx); err != nil {
		t.Fatalf("restart the server: %v", err)
	}
	serverBack := time.Now()
	if after := topo.WorkerPIDs(); !maps.Equal(after, workersBefore) {
		t.Fatalf("workers changed across the server restart: %v -> %v (start must not restart running workers)", workersBefore, after)
	}
	// The workers were not restarted: they must poll the new server by
	// themselves.
	pids := slices.Sorted(maps.Keys(workersBefore))
	if err := topology.WaitPolling(ctx, c, topo.Namespace(), workflows.TaskQueue, pids, serverBack); err != nil {
		t.Fatalf("workers did not reconnect to the restarted server: %v", err)
	}
	reconnected := time.Now()
	t.Logf("server restarted in %v; workers %v polling again %v after the restart",
		serverBack.Sub(serverKilled).Round(100*time.Millisecond), pids, reconnected.Sub(serverBack).Round(100*time.Millisecond))

	res := w.waitClosed()
	cycleTime := time.Since(cycleStart)

	// What a user sees.
	out, errOut, err = patchflow(t, topo, "cycle", "status", w.cycle, "--json")
	var st workflows.CycleStatus
	if err != nil || json.Unmarshal([]byte(out), &st) != nil {
		t.Fatalf("patchflow cycle status %s --json: %v\n%s%s", w.cycle, err, out, errOut)
	}
	// The status carries counts; every host is paged by --hosts.
	out, errOut, err = patchflow(t, topo, "cycle", "status", w.cycle, "--hosts", "--json")
	var page workflows.HostsPage
	if err != nil || json.Unmarshal([]byte(out), &page) != nil {
		t.Fatalf("patchflow cycle status %s --hosts --json: %v\n%s%s", w.cycle, err, out, errOut)
	}
	if st.State != domain.CycleCompleted || len(page.Hosts) != killHosts || res.Counts.Patched != killHosts {
		t.Fatalf("cycle %s: state %s (%s), %d hosts, counts %+v; want completed with all %d patched\nhosts: %+v",
			w.cycle, st.State, st.Reason, len(page.Hosts), res.Counts, killHosts, page.Hosts)
	}
	for _, h := range page.Hosts {
		if h.State != domain.HostPatched {
			t.Errorf("host %s: %s (%s), want patched", h.Host, h.State, h.Reason)
		}
	}

	// What the hosts recorded.
	if len(st.Plan.Entries) == 0 {
		t.Fatal("the cycle planned nothing")
	}
	var hosts []string
	for _, h := range fleet.Hosts {
		hosts = append(hosts, h.Name)
	}
	for _, h := range hosts {
		for _, p := range st.Plan.Entries {
			if got := installedVersion(t, fleet, h, p.Name); got != p.Version {
				t.Errorf("%s: %s %s, want the planned %s", h, p.Name, got, p.Version)
			}
			if n := configured(t, fleet, h, p.Name, p.Version); n != 1 {
				t.Errorf("%s: dpkg configured %s %s %d times, want exactly once", h, p.Name, p.Version, n)
			}
		}
		// A host whose worker was killed may have one more run, cut short
		// or repairing; any other host ran dpkg once.
		runs := runsSince(t, fleet, h, cycleStart)
		complete := 0
		for _, r := range runs {
			if !r.End.IsZero() {
				complete++
			}
		}
		killed := h == k1.host || h == k2.host
		if complete == 0 || (!killed && len(runs) != 1) || len(runs) > 2 {
			t.Errorf("%s: dpkg runs during the cycle %s (killed worker: %v); want one, or for a host whose worker was killed at most two",
				h, describeRuns(runs, cycleStart), killed)
		}
	}
	switch n := maxOverlap(t, fleet, hosts, cycleStart); {
	case n > maxParallel:
		t.Errorf("the hosts' dpkg records show %d hosts patching at once, max_parallel is %d", n, maxParallel)
	case n < maxParallel:
		t.Errorf("the hosts' dpkg records never show %d hosts patching at once: the wave did not run in parallel, so the max_parallel check proved nothing", maxParallel)
	default:
		t.Logf("at most %d hosts ran dpkg at once (max_parallel %d)", n, maxParallel)
	}

	// Figures: what a killed worker cost its host. The host's records say
	// what happened to its packages; the host workflow's start and close
	// say how long the host took.
	normalRun := typicalRun(t, fleet, hosts, cycleStart, k1.host, k2.host)
	normalHost := w.typicalHostTime(rest, k1.host, k2.host)
	for _, k := range []kill{k1, k2} {
		runs := runsSince(t, fleet, k.host, cycleStart)
		cut, ok := runAt(runs, k.at)
		if !ok {
			t.Errorf("%s: no dpkg run in progress at the kill of worker %d (its records: %s); the kill did not land mid-apply", k.host, k.worker, describeRuns(runs, cycleStart))
			continue
		}
		took := w.hostTime(k.host)
		t.Logf("kill -9 of worker %d (pid %d) %.1fs into %s's dpkg run: the host's dpkg runs (s after cycle start) %s, a run without a kill takes %.1fs; the host took %.1fs against %.1fs for a host without a kill: the kill cost it %.1fs",
			k.worker, k.pid, k.at.Sub(cut.Start).Seconds(), k.host, describeRuns(runs, cycleStart), normalRun.Seconds(),
			took.Seconds(), normalHost.Seconds(), (took - normalHost).Seconds())
	}
	t.Logf("cycle of %d hosts with two worker kills and a server kill: %v (bring-up %v)", killHosts, cycleTime.Round(time.Second), bringUp.Round(100*time.Millisecond))
}

// kill is one worker SIGKILLed while it applied a host's patch.
type kill struct {
	host   string
	worker int // 1-based worker number of the topology
	pid    int
	at     time.Time
}

// watch follows one cycle through the SDK client and the hosts' records.
type watch struct {
	t     *testing.T
	ctx   context.Context
	c     client.Client
	fleet *localfleet.Fleet
	topo  *topology.Topology
	cycle string
	since time.Time
}

// poll calls check every 20ms until it returns true, failing the test
// when the test's context ends.
func (w *watch) poll(what string, check func() bool) {
	w.t.Helper()
	for !check() {
		select {
		case <-w.ctx.Done():
			w.t.Fatalf("%s: %v\nserver log:\n%s", what, w.ctx.Err(), w.topo.LogTail("temporal-server", 10))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (w *watch) status() (workflows.CycleStatus, error) {
	var st workflows.CycleStatus
	v, err := w.c.QueryWorkflow(w.ctx, w.cycle, "", workflows.QueryStatus)
	if err == nil {
		err = v.Get(&st)
	}
	return st, err
}

// secondWaveHosts waits until the cycle has planned its waves and returns
// the hosts of its second production wave, where the kills happen.
func (w *watch) secondWaveHosts() []string {
	var hosts []string
	w.poll("cycle plans its waves", func() bool {
		st, err := w.status()
		for _, s := range st.Stages {
			if err == nil && s.Stage == "2" {
				hosts = s.Hosts
			}
		}
		return len(hosts) > 0
	})
	w.t.Logf("second wave: %d hosts %v", len(hosts), hosts)
	return hosts
}

// waitApplying waits until one of hosts (not in skip) is inside a dpkg run.
func (w *watch) waitApplying(hosts, skip []string) (string, localfleet.Interval) {
	var host string
	var run localfleet.Interval
	w.poll("a second-wave host applies its patch", func() bool {
		for _, h := range hosts {
			if slices.Contains(skip, h) {
				continue
			}
			if r, ok := openRun(w.t, w.fleet, h, w.since); ok {
				host, run = h, r
				return true
			}
		}
		return false
	})
	return host, run
}

// killApplyingWorker finds a host that has been inside a dpkg run for at
// least into and whose ApplyPins activity a live worker runs (the server's
// record of the attempt names the worker: "<pid>@<host>@"), and SIGKILLs
// that worker.
func (w *watch) killApplyingWorker(hosts []string, into time.Duration) kill {
	w.t.Helper()
	var k kill
	w.poll("a live worker applies a second-wave host's patch", func() bool {
		live := w.topo.WorkerPIDs()
		for _, h := range hosts {
			if r, ok := openRun(w.t, w.fleet, h, w.since); !ok || time.Since(r.Start) < into {
				continue
			}
			d, err := w.c.DescribeWorkflowExecution(w.ctx, workflows.HostWorkflowID(h), "")
			if err != nil {
				continue
			}
			for _, a := range d.GetPendingActivities() {
				if a.GetActivityType().GetName() != workflows.ActApplyPins || a.GetState() != enumspb.PENDING_ACTIVITY_STATE_STARTED {
					continue
				}
				var pid int
				if _, err := fmt.Sscanf(a.GetLastWorkerIdentity(), "%d@", &pid); err != nil {
					continue
				}
				if n, ok := live[pid]; ok {
					k = kill{host: h, worker: n, pid: pid}
					return true
				}
			}
		}
		return false
	})
	if err := topology.Kill(w.ctx, k.pid); err != nil {
		w.t.Fatal(err)
	}
	k.at = time.Now()
	w.t.Logf("kill -9 worker %d (pid %d) while it applies %s", k.worker, k.pid, k.host)
	return k
}

// waitRunEnded waits until a host other than skip finishes a dpkg run
// after at: the surviving workers carry on.
func (w *watch) waitRunEnded(hosts []string, at time.Time, skip string) {
	w.t.Helper()
	w.poll("a surviving worker finishes a host after the kill", func() bool {
		for _, h := range hosts {
			if h == skip {
				continue
			}
			for _, r := range runsSince(w.t, w.fleet, h, w.since) {
				if r.End.After(at) {
					return true
				}
			}
		}
		return false
	})
}

// waitClosed waits for the cycle workflow to close and returns its result.
func (w *watch) waitClosed() workflows.CycleResult {
	w.t.Helper()
	w.poll("cycle finishes", func() bool {
		d, err := w.c.DescribeWorkflowExecution(w.ctx, w.cycle, "")
		return err == nil && d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	})
	var res workflows.CycleResult
	if err := w.c.GetWorkflow(w.ctx, w.cycle, "").Get(w.ctx, &res); err != nil {
		w.t.Fatalf("cycle %s: %v", w.cycle, err)
	}
	return res
}

// hostTime is how long the host's workflow ran, from the server's record.
func (w *watch) hostTime(host string) time.Duration {
	w.t.Helper()
	d, err := w.c.DescribeWorkflowExecution(w.ctx, workflows.HostWorkflowID(host), "")
	if err != nil {
		w.t.Fatalf("describe %s: %v", workflows.HostWorkflowID(host), err)
	}
	info := d.GetWorkflowExecutionInfo()
	return info.GetCloseTime().AsTime().Sub(info.GetStartTime().AsTime())
}

// typicalHostTime is the median hostTime of hosts no kill touched.
func (w *watch) typicalHostTime(hosts []string, skip ...string) time.Duration {
	w.t.Helper()
	var d []time.Duration
	for _, h := range hosts {
		if !slices.Contains(skip, h) {
			d = append(d, w.hostTime(h))
		}
	}
	return median(d)
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[len(d)/2]
}

// typicalRun is the median length of the dpkg runs of hosts no kill
// touched.
func typicalRun(t *testing.T, f *localfleet.Fleet, hosts []string, since time.Time, skip ...string) time.Duration {
	var d []time.Duration
	for _, h := range hosts {
		if slices.Contains(skip, h) {
			continue
		}
		for _, r := range runsSince(t, f, h, since) {
			if !r.End.IsZero() {
				d = append(d, r.End.Sub(r.Start))
			}
		}
	}
	return median(d)
}

func describeRuns(runs []localfleet.Interval, since time.Time) string {
	var parts []string
	for _, r := range runs {
		end := "no end record"
		if !r.End.IsZero() {
			end = fmt.Sprintf("%.1fs", r.End.Sub(since).Seconds())
		}
		parts = append(parts, fmt.Sprintf("[%.1fs-%s]", r.Start.Sub(since).Seconds(), end))
	}
	return strings.Join(parts, " ")
}

// writeKillPolicy writes the policy of the test: staging, a canary, then
// the rest max_parallel at a time, with short step timeouts so a killed
// worker's activity is retried within seconds (the heartbeat timeout of a
// package operation is the command timeout, at least 15s).
func writeKillPolicy(t *testing.T, inventory string) string {
	t.Helper()
	policy := fmt.Sprintf(`apiVersion: patchflow/v1
kind: PatchPolicy
metadata: {name: topology-kills}
targets:
  inventory: %s
  select: [group=fleet]
  staging: {select: [group=staging]}
patches:
  classifications: [security]
  approve: [demo-app=1.0.1]
rollout:
  waves:
    - {name: canary, count: 1, bake: 1s}
    - {name: rest, percent: 100, max_parallel: %d}
  failure_budget: {count: 1}
host:
  timeouts: {precheck: 15s, apply: 2m, reboot: 2m, verify: 15s, hook: 1m}
`, inventory, maxParallel)
	path := filepath.Join(t.TempDir(), "topology-kills.yaml")
	if err := os.WriteFile(path, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// testBudget is want, cut to leave a minute before the test binary's own
// deadline so a stuck wait fails with its reason and cleanup still runs.
func testBudget(t *testing.T, want time.Duration) time.Duration {
	if dl, ok := t.Deadline(); ok {
		if left := time.Until(dl) - time.Minute; left < want {
			return max(left, time.Minute)
		}
	}
	return want
}
