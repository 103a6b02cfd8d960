package workflows

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/report"
)

// fakeFleet stands in for the activities in testsuite tests: hosts with
// installed versions and pending candidates that ApplyPins and Rollback
// really change, so the tests check what the hosts end up with. Tests on
// the real fleet and server live in package e2e.
type fakeFleet struct {
	mu    sync.Mutex
	hosts map[string]*fakeHost
	// badPins makes ApplyPins fail for "name=version" on every host, or
	// "host:name=version" on one host (a failing postinst).
	badPins map[string]bool
	// checkFails makes RunChecks fail on these hosts.
	checkFails map[string]bool
	// rollbackFails makes Rollback fail on these hosts.
	rollbackFails map[string]bool
	applyCalls    map[string]int
	hooks         []string
	downloadFails map[string]bool
	downloads     []string
	// waveCheckFailsWith fails a wave-level check for any batch holding
	// one of these hosts.
	waveCheckFailsWith map[string]bool
	checkBefore        map[string]float64
	// firstSeen ("host:package") and published ("package") are the times
	// the scan reports, as the activity does from each host's first-seen
	// file and the package manager's advisory dates.
	firstSeen, published map[string]time.Time
	exceptions           []report.Exception
	// events logs scans and installs in the order the activities ran.
	events []string
	// history answers PatchHistory (history_test.go).
	history fakeHistory
}

type fakeHost struct {
	installed map[string]string
	pending   []domain.Update
	down      bool
	kernel    string
}

// newFakeFleet makes hosts that all have demo-app 1.0.0 installed with
// 1.0.1 pending (security, high) and libfoo 2.0 with 2.1 pending (bugfix).
func newFakeFleet(names ...string) *fakeFleet {
	f := &fakeFleet{hosts: map[string]*fakeHost{}, badPins: map[string]bool{}, checkFails: map[string]bool{},
		rollbackFails: map[string]bool{}, applyCalls: map[string]int{}, downloadFails: map[string]bool{},
		waveCheckFailsWith: map[string]bool{}}
	for _, n := range names {
		f.hosts[n] = &fakeHost{
			kernel:    "6.1.0-25-amd64",
			installed: map[string]string{"demo-app": "1.0.0", "libfoo": "2.0"},
			pending: []domain.Update{
				{Name: "demo-app", Installed: "1.0.0", Candidate: "1.0.1", Class: "security", Vulns: domain.Vulns{Severity: "high", CVEs: []string{"CVE-2026-0001"}, Advisories: []string{"DSA-9999-1"}}},
				{Name: "libfoo", Installed: "2.0", Candidate: "2.1", Class: "bugfix", Vulns: domain.Vulns{Severity: "unknown"}},
			},
		}
	}
	return f
}

func (f *fakeFleet) register(env *testsuite.TestWorkflowEnvironment) {
	reg := func(fn any, name string) { env.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name}) }
	reg(f.ResolveTargets, ActResolveTargets)
	reg(f.AssessContext, ActAssessContext)
	reg(f.Prepare, ActPrepare)
	reg(f.HostResults, ActHostResults)
	reg(f.Precheck, ActPrecheck)
	reg(f.Snapshot, ActSnapshot)
	reg(f.RunHook, ActRunHook)
	reg(f.ApplyPins, ActApplyPins)
	reg(f.Reboot, ActReboot)
	reg(f.WaitForHost, ActWaitForHost)
	reg(f.Verify, ActVerify)
	reg(f.Rollback, ActRollback)
	reg(f.RunChecks, ActRunChecks)
	reg(f.HostLock, ActHostLock)
	reg(f.ScanHosts, ActScanHosts)
	reg(f.VerifyHosts, ActVerifyHosts)
	reg(f.DownloadHosts, ActDownloadHosts)
	reg(f.ProbeChecks, ActProbeChecks)
	reg(f.PatchHistory, ActPatchHistory)
}

// DownloadHosts fails for hosts in downloadFails.
func (f *fakeFleet) DownloadHosts(_ context.Context, in TargetBatch) (TargetBatchResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var r TargetBatchResult
	for _, t := range in.Targets {
		f.downloads = append(f.downloads, t.Host)
		if f.downloadFails[t.Host] {
			r.Failed = append(r.Failed, HostProblem{Host: t.Host, Problem: "fetch demo-app 1.0.1: 404 Not Found"})
		}
	}
	return r, nil
}

// ScanHosts answers as the real activity does: a compact table.
func (f *fakeFleet) ScanHosts(_ context.Context, in ScanBatchInput) (ScanBatchResult, error) {
	f.mu.Lock()
	f.events = append(f.events, "scan "+strings.Join(in.Hosts, ","))
	f.mu.Unlock()
	var r ScanBatchResult
	var t domain.PendingTable
	for _, h := range in.Hosts {
		s, err := f.scanHost(h)
		if err != nil {
			r.Failed = append(r.Failed, HostProblem{Host: h, Problem: err.Error()})
			continue
		}
		ups := make([]domain.Pending, len(s.Updates))
		for i, u := range s.Updates {
			f.mu.Lock()
			u.FirstSeen, u.Published = f.firstSeen[h+":"+u.Name], f.published[u.Name]
			f.mu.Unlock()
			ups[i] = u.Pending(s.Manager)
			if in.Assess || in.Fingerprint {
				ups[i] = u.PendingWithInstalled(s.Manager)
			}
		}
		t.Add(s.Host, s.Manager, ups)
		if in.Fingerprint {
			f.mu.Lock()
			t.Hosts[len(t.Hosts)-1].RunningKernel = f.hosts[h].kernel
			f.mu.Unlock()
		}
	}
	r.Updates, r.Hosts = t.Updates, t.Hosts
	return r, nil
}

// AssessContext has the fleet's exceptions.
func (f *fakeFleet) AssessContext(_ context.Context, _ AssessContextInput) (AssessContext, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return AssessContext{Exceptions: f.exceptions}, nil
}

// HostResults reports every host as never started: the fake fleet keeps
// no host workflows of its own.
func (f *fakeFleet) HostResults(_ context.Context, in HostResultsInput) (HostResultsResult, error) {
	var r HostResultsResult
	for _, h := range in.Hosts {
		r.Hosts = append(r.Hosts, RecoveredHost{HostResult: HostResult{Host: h}})
	}
	return r, nil
}

// Prepare is Precheck and Snapshot in one.
func (f *fakeFleet) Prepare(ctx context.Context, in HostInput) (SnapshotResult, error) {
	if err := f.Precheck(ctx, in); err != nil {
		return SnapshotResult{}, err
	}
	return f.Snapshot(ctx, in)
}

func (f *fakeFleet) VerifyHosts(ctx context.Context, in TargetBatch) (TargetBatchResult, error) {
	var r TargetBatchResult
	for _, t := range in.Targets {
		v, err := f.Verify(ctx, HostInput{Inventory: in.Inventory, Host: t.Host, Pins: t.PinsFrom(in.PlanPins)})
		if err != nil {
			r.Failed = append(r.Failed, HostProblem{Host: t.Host, Problem: err.Error()})
		} else if len(v.Problems) > 0 {
			r.Failed = append(r.Failed, HostProblem{Host: t.Host, Problem: strings.Join(v.Problems, "; ")})
		}
	}
	return r, nil
}

func (f *fakeFleet) host(name string) (*fakeHost, error) {
	h, ok := f.hosts[name]
	if !ok {
		return nil, temporal.NewNonRetryableApplicationError("unknown host "+name, ErrUnknownHost, nil)
	}
	if h.down {
		return nil, temporal.NewNonRetryableApplicationError("connect "+name+": unreachable", "Unreachable", nil)
	}
	return h, nil
}

func (f *fakeFleet) names() []string {
	var out []string
	for n := range f.hosts {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ResolveTargets puts hosts named stg* into staging when staging terms are set.
func (f *fakeFleet) ResolveTargets(_ context.Context, in ResolveInput) (ResolveResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var r ResolveResult
	for _, n := range f.names() {
		if len(in.Staging) > 0 && strings.HasPrefix(n, "stg") {
			r.Staging = append(r.Staging, n)
		} else {
			r.Production = append(r.Production, n)
		}
	}
	return r, nil
}

func (f *fakeFleet) scanHost(name string) (ScanResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h, err := f.host(name)
	if err != nil {
		return ScanResult{}, err
	}
	r := ScanResult{Host: name, Manager: "apt"}
	for _, u := range h.pending {
		if h.installed[u.Name] != u.Candidate {
			r.Updates = append(r.Updates, u)
		}
	}
	return r, nil
}

func (f *fakeFleet) Precheck(_ context.Context, in HostInput) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, err := f.host(in.Host)
	return err
}

func (f *fakeFleet) Snapshot(_ context.Context, in HostInput) (SnapshotResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h, err := f.host(in.Host)
	if err != nil {
		return SnapshotResult{}, err
	}
	var r SnapshotResult
	for _, p := range in.Pins {
		r.Pins = append(r.Pins, domain.Pin{Name: p.Name, Version: h.installed[p.Name]})
	}
	return r, nil
}

func (f *fakeFleet) RunHook(_ context.Context, in HostInput) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hooks = append(f.hooks, in.Host+":"+in.Hook.Name)
	return nil
}

func (f *fakeFleet) ApplyPins(_ context.Context, in HostInput) (ApplyResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h, err := f.host(in.Host)
	if err != nil {
		return ApplyResult{}, err
	}
	f.applyCalls[in.Host]++
	f.events = append(f.events, "apply "+in.Host)
	for _, p := range in.Pins {
		h.installed[p.Name] = p.Version
		key := p.Name + "=" + p.Version
		if f.badPins[key] || f.badPins[in.Host+":"+key] {
			return ApplyResult{}, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("install %s on %s: postinst failed", key, in.Host), ErrScriptFailed, nil)
		}
	}
	return ApplyResult{}, nil
}

func (f *fakeFleet) Reboot(_ context.Context, in HostInput) (RebootResult, error) {
	return RebootResult{BootID: "boot-1"}, nil
}

func (f *fakeFleet) WaitForHost(_ context.Context, in HostInput) error { return nil }

func (f *fakeFleet) Verify(_ context.Context, in HostInput) (VerifyResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h, err := f.host(in.Host)
	if err != nil {
		return VerifyResult{}, err
	}
	var r VerifyResult
	for _, p := range in.Pins {
		if got := h.installed[p.Name]; got != p.Version {
			r.Problems = append(r.Problems, fmt.Sprintf("%s is %q, want %q", p.Name, got, p.Version))
		}
	}
	return r, nil
}

func (f *fakeFleet) Rollback(_ context.Context, in HostInput) (ApplyResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h, err := f.host(in.Host)
	if err != nil {
		return ApplyResult{}, err
	}
	if f.rollbackFails[in.Host] {
		return ApplyResult{}, temporal.NewNonRetryableApplicationError("rollback on "+in.Host+": dpkg broken", ErrPackageManager, nil)
	}
	for _, p := range in.Pins {
		if p.Version == "" {
			delete(h.installed, p.Name)
		} else {
			h.installed[p.Name] = p.Version
		}
	}
	return ApplyResult{}, nil
}

func (f *fakeFleet) RunChecks(_ context.Context, in ChecksInput) (ChecksResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var r ChecksResult
	f.checkBefore = in.Before
	for _, h := range in.Hosts {
		if f.checkFails[h] {
			r.Failed = append(r.Failed, HostProblem{Host: h, Problem: "check http: status 500"})
		}
		if f.waveCheckFailsWith[h] {
			r.Failed = append(r.Failed, HostProblem{Problem: "check errors: value 7 grew by 6 (max 1)"})
		}
	}
	return r, nil
}

// ProbeChecks reads 1 for every check.
func (f *fakeFleet) ProbeChecks(_ context.Context, in ChecksInput) (ProbeResult, error) {
	r := ProbeResult{Values: map[string]float64{}}
	for _, c := range in.Checks {
		r.Values[c.Name] = 1
	}
	return r, nil
}

func (f *fakeFleet) HostLock(_ context.Context, in HostInput) (HostLockResult, error) {
	return HostLockResult{Running: true, Cycle: "cycle/other/2026-01-01T00:00:00Z"}, nil
}

func (f *fakeFleet) installed(host, pkg string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hosts[host].installed[pkg]
}

// childRecorder records HostPatch children as they start and finish, with
// the most running at once, from the test environment's listeners.
type childRecorder struct {
	mu          sync.Mutex
	running     int
	maxRunning  int
	startModes  []string // "patch:h1", "rollback:h3", in start order
	completions []string
}

func (r *childRecorder) attach(env *testsuite.TestWorkflowEnvironment) {
	env.SetOnChildWorkflowStartedListener(func(info *workflow.Info, _ workflow.Context, args converter.EncodedValues) {
		if info.WorkflowType.Name != "HostPatch" {
			return
		}
		var in HostPatchInput
		_ = args.Get(&in)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.running++
		r.maxRunning = max(r.maxRunning, r.running)
		r.startModes = append(r.startModes, in.Mode+":"+in.Host)
	})
	env.SetOnChildWorkflowCompletedListener(func(info *workflow.Info, result converter.EncodedValue, err error) {
		if info.WorkflowType.Name != "HostPatch" {
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.running--
		r.completions = append(r.completions, info.WorkflowExecution.ID)
	})
}
