package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/topology"
	"github.com/patchflow/patchflow/workflows"
)

// Target is the Temporal cluster a scenario runs on.
type Target struct {
	Name      string // "embedded" or "postgresql"
	Address   string
	Namespace string
	Client    client.Client
	// ServerPID is the Temporal server process; 0 when the server runs in
	// this process (the embedded server), whose CPU then is this
	// process's, simulated hosts included.
	ServerPID int
	// PostgresPID is the PostgreSQL postmaster (0: none) and DataDir its
	// data directory, for CPU and database growth.
	PostgresPID int
	DataDir     string
}

// Scenario is one cycle over a simulated fleet, measured.
type Scenario struct {
	Name    string
	Fleet   SimConfig
	Spec    domain.CycleSpec
	Workers int // sim worker processes; default 1
	// ProfileDir, when set, receives CPU profiles of the first worker and
	// of this process, ProfileSeconds long (default 30), taken when the
	// cycle starts scanning and when it starts rolling out, and the
	// worker's heap at the end.
	ProfileDir     string
	ProfileSeconds int
	// StallAfter stops a cycle in which no host finished for this long,
	// or whose workflow task keeps failing (default 10 minutes).
	StallAfter time.Duration
	// NoDeadlockDetector runs the workers without the SDK's deadlock
	// detector (see StartSimWorker): not how patchflow runs.
	NoDeadlockDetector bool
	// Check returns what is wrong with the outcome a user sees (nil for
	// the default: every reachable host patched, the unreachable ones
	// failed, no host patched twice).
	Check func(res *ScaleResult, fleet *SimFleet) []string
	Logf  func(format string, args ...any)
}

// ScaleResult is what one scenario measured.
type ScaleResult struct {
	Scenario, Target                         string
	Hosts, Unreachable, Workers, MaxParallel int
	// Backlog per reachable host before the cycle: pending updates.
	PendingMin, PendingMax int
	PendingMean            float64
	CycleID                string
	State                  domain.CycleState
	Reason                 string
	Counts                 workflows.Counts
	Wall                   time.Duration
	HostsPerSec            float64
	// UntilVerify marks a HostsPerSec measured up to the end of the final
	// verify, for a cycle that stuck after it.
	UntilVerify bool
	// Rollback is the time from the first rollback wave's start to the
	// last one's end (rollback scenarios).
	Rollback time.Duration
	// Scan and Verify are the cycle's fleet scan and final verify, from
	// its history (first activity start to last completion).
	Scan, Verify time.Duration
	// Worker process figures: the largest resident set and peak of any
	// worker at the end, and the CPU all workers used.
	WorkerRSSMiB, WorkerHWMMiB, WorkerCPU float64
	// ServerCPU is the Temporal server process's CPU during the cycle
	// (this process's, simulated hosts included, when embedded);
	// PostgresCPU PostgreSQL's; DBGrowthMiB the data directory's growth.
	ServerCPU, PostgresCPU, DBGrowthMiB float64
	ServerRSSMiB                        float64
	Sim                                 SimStats
	History                             *HistoryReport
	// QueryBytes are the sizes of the cycle's status and first hosts page
	// query answers at the end.
	StatusQueryBytes, HostsQueryBytes int
	Problems                          []string
	Profiles                          []string
	Load                              string
}

// RunScenario runs s's cycle on t with s.Workers sim worker processes
// and measures it. The result is filled as far as the run got, also when
// it returns an error.
func RunScenario(ctx context.Context, t Target, s Scenario) (res ScaleResult, err error) {
	if s.Workers <= 0 {
		s.Workers = 1
	}
	if s.StallAfter <= 0 {
		s.StallAfter = 10 * time.Minute
	}
	logf := s.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if s.NoDeadlockDetector {
		s.Name += " (no deadlock detector)"
	}
	res = ScaleResult{Scenario: s.Name, Target: t.Name, Hosts: s.Fleet.Hosts, Workers: s.Workers}
	for _, w := range s.Spec.Waves {
		res.MaxParallel = max(res.MaxParallel, w.Parallel())
	}
	dir, err := os.MkdirTemp("", "patchbench-")
	if err != nil {
		return res, fmt.Errorf("scenario work directory: %w", err)
	}
	defer func() {
		// The workers' logs of a failed run are kept: they say why.
		if err != nil {
			if kept, kerr := keepLogs(dir, s.ProfileDir, s.Name); kerr == nil {
				res.Problems = append(res.Problems, "worker logs kept in "+kept)
			}
		}
		os.RemoveAll(dir)
	}()
	fleet, srv, err := serveFleet(s.Fleet, dir)
	if err != nil {
		return res, err
	}
	defer srv.Close()
	before := fleet.Stats()
	res.Unreachable = before.Unreachable
	res.PendingMin, res.PendingMax, res.PendingMean = before.PendingMin, before.PendingMax, before.PendingMean
	logf("%s: %d simulated hosts (%d unreachable), %.1f pending updates per host (%d-%d), %d worker process(es) on %s",
		s.Name, res.Hosts, res.Unreachable, res.PendingMean, res.PendingMin, res.PendingMax, s.Workers, t.Name)

	var workers []*SimWorker
	defer func() {
		if err := stopWorkers(workers); err != nil {
			logf("%s: %v", s.Name, err)
		}
	}()
	started := time.Now()
	var pids []int
	for i := 1; i <= s.Workers; i++ {
		w, err := StartSimWorker(t.Address, t.Namespace, srv.Path, filepath.Join(dir, fmt.Sprintf("worker-%d.log", i)), s.NoDeadlockDetector)
		if err != nil {
			return res, err
		}
		workers = append(workers, w)
		pids = append(pids, w.PID)
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	err = topology.WaitPolling(wctx, t.Client, t.Namespace, workflows.TaskQueue, pids, started.Add(-time.Second))
	cancel()
	if err != nil {
		return res, fmt.Errorf("%w; worker log: %s", err, tailFile(workers[0].LogPath, 5))
	}

	cpu0 := t.cpu()
	run, err := runMonitored(ctx, t, s, workers, logf, &res)
	res.Wall, res.CycleID = run.Wall, run.ID
	res.State, res.Reason, res.Counts = run.Result.State, run.Result.Reason, run.Result.Counts
	cpu1 := t.cpu()
	res.ServerCPU, res.PostgresCPU = cpu1.server-cpu0.server, cpu1.postgres-cpu0.postgres
	res.DBGrowthMiB = (cpu1.dataMiB - cpu0.dataMiB)
	res.ServerRSSMiB = cpu1.serverRSS
	for _, w := range workers {
		rss, hwm := procMemMiB(w.PID)
		res.WorkerRSSMiB, res.WorkerHWMMiB = max(res.WorkerRSSMiB, rss), max(res.WorkerHWMMiB, hwm)
		res.WorkerCPU += procCPU(w.PID, false)
	}
	if s.ProfileDir != "" {
		if p, perr := saveHeap(ctx, workers[0], s.ProfileDir, s.Name); perr == nil {
			res.Profiles = append(res.Profiles, p)
		}
	}
	res.Sim = fleet.Stats()
	res.Load = LoadAvg()
	if err == nil && res.Wall > 0 {
		// Only a cycle that ended has a throughput.
		res.HostsPerSec = float64(res.Hosts) / res.Wall.Seconds()
	}
	for _, w := range workers {
		if n := countInFile(w.LogPath, "TMPRL1103"); n > 0 {
			res.Problems = append(res.Problems, fmt.Sprintf("worker %d logged %d payload-size warnings or errors (TMPRL1103): %s", w.PID, n, firstLineWith(w.LogPath, "TMPRL1103")))
		}
	}
	if run.ID == "" {
		return res, err
	}
	// The histories are measured whatever happened: a stuck cycle shows
	// where it is stuck.
	mctx, mcancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer mcancel()
	res.StatusQueryBytes, res.HostsQueryBytes = querySizes(mctx, t, run.ID)
	var verifyEnd, cycleStart time.Time
	if at, serr := readActivityTimes(mctx, t.Client, run.ID); serr == nil {
		cycleStart = at.started
		if s := at.spans[workflows.ActScanHosts]; s != nil {
			res.Scan = s.last.Sub(s.first)
		}
		if s := at.spans[workflows.ActVerifyHosts]; s != nil {
			res.Verify, verifyEnd = s.last.Sub(s.first), s.last
		}
	}
	rep, herr := MeasureHistories(mctx, t.Client, t.Namespace, run.ID, res.Hosts-res.Unreachable+1, err == nil)
	res.History = rep
	if rep != nil {
		logf("%s: measured %d workflow runs' histories in %v", s.Name, rep.Runs, rep.Elapsed.Round(time.Second))
		res.Problems = append(res.Problems, rep.Flags...)
		if kr := rep.Kind(KindRollback); kr != nil {
			res.Rollback = rollbackSpan(mctx, t, run.ID)
		}
	}
	if err != nil {
		if res.Sim.PendingHosts == 0 && !verifyEnd.IsZero() && !cycleStart.IsZero() {
			// Every host was patched and the final verify ran before the
			// cycle stuck: the rate up to the verify's end is still the
			// fleet's throughput.
			res.HostsPerSec, res.UntilVerify = float64(res.Hosts)/verifyEnd.Sub(cycleStart).Seconds(), true
		}
		return res, err
	}
	if herr != nil {
		res.Problems = append(res.Problems, herr.Error())
	}
	check := s.Check
	if check == nil {
		check = checkAllPatched
	}
	res.Problems = append(res.Problems, check(&res, fleet)...)
	if len(res.Problems) > 0 {
		return res, fmt.Errorf("%s: %d problem(s): %s", s.Name, len(res.Problems), strings.Join(res.Problems, "; "))
	}
	return res, nil
}

// checkAllPatched is the default outcome: every reachable host patched
// once, with no update left pending; every unreachable host failed, and
// the cycle says so.
func checkAllPatched(res *ScaleResult, fleet *SimFleet) []string {
	var p []string
	reachable := res.Hosts - res.Unreachable
	want := domain.CycleCompleted
	if res.Unreachable > 0 {
		want = domain.CycleCompletedWithFailures
	}
	if res.State != want {
		p = append(p, fmt.Sprintf("cycle ended %s (%s), want %s", res.State, res.Reason, want))
	}
	if res.Counts.Patched != reachable || res.Counts.Failed != res.Unreachable {
		p = append(p, fmt.Sprintf("cycle counts %d patched and %d failed, want %d and %d (the unreachable hosts)",
			res.Counts.Patched, res.Counts.Failed, reachable, res.Unreachable))
	}
	if res.Sim.PendingHosts > 0 {
		p = append(p, fmt.Sprintf("%d reachable hosts still have %d updates pending", res.Sim.PendingHosts, res.Sim.Pending))
	}
	if res.Sim.MaxInstalls > 1 {
		p = append(p, fmt.Sprintf("a host was patched %d times", res.Sim.MaxInstalls))
	}
	if res.Sim.HalfConfigured > 0 {
		p = append(p, fmt.Sprintf("%d hosts have a half-configured package", res.Sim.HalfConfigured))
	}
	return p
}

// cpuSample is the cluster's CPU counters at one time.
type cpuSample struct{ server, postgres, dataMiB, serverRSS float64 }

func (t Target) cpu() cpuSample {
	var s cpuSample
	pid := t.ServerPID
	if pid == 0 {
		pid = os.Getpid()
	}
	s.server = procCPU(pid, false)
	s.serverRSS, _ = procMemMiB(pid)
	if t.PostgresPID > 0 {
		s.postgres = treeCPU(t.PostgresPID)
	}
	if t.DataDir != "" {
		s.dataMiB = float64(dirBytes(t.DataDir)) / (1 << 20)
	}
	return s
}

func tailFile(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

func countInFile(path, s string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return strings.Count(string(data), s)
}

func firstLineWith(path, s string) string {
	data, _ := os.ReadFile(path)
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, s) {
			if len(l) > 300 {
				l = l[:300] + "..."
			}
			return l
		}
	}
	return ""
}

var errStalled = errors.New("cycle stalled")

// keepLogs copies the workers' logs of dir into a new directory (under
// profileDir when set) and returns it.
func keepLogs(dir, profileDir, name string) (string, error) {
	logs, _ := filepath.Glob(filepath.Join(dir, "worker-*.log"))
	if len(logs) == 0 {
		return "", errors.New("no worker logs")
	}
	base := profileDir
	if base == "" {
		base = os.TempDir()
	} else if err := os.MkdirAll(base, 0o755); err != nil {
		return "", err
	}
	kept, err := os.MkdirTemp(base, "logs-"+strings.ReplaceAll(name, " ", "-")+"-")
	if err != nil {
		return "", err
	}
	for _, l := range logs {
		data, err := os.ReadFile(l)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(kept, filepath.Base(l)), data, 0o644); err != nil {
			return "", err
		}
	}
	return kept, nil
}
