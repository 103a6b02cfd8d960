package cli

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/patchflow/patchflow/activities"
	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/workflows"
)

// fakeFleet stands in for the activities that touch hosts, so the CLI's
// verbs run against the real workflows without root or a fleet: every
// host has demo-app 1.0.0 installed and the security update 1.0.1
// pending, installs really change what the fake host has, and a host's
// name says how it behaves: a name holding "bad" fails every install (a
// failing postinst), "flaky" fails its first install only, "gone" cannot
// be reached (its scan fails as an unreachable host's does). The activities
// that only read the inventory or Temporal (ResolveTargets, HostLock,
// HostResults, PatchHistory) and the one that sends webhooks (Notify) are
// the real ones.
type fakeFleet struct {
	mu        sync.Mutex
	installed map[string]string // host -> demo-app version
	installs  map[string]int    // host -> install attempts
}

// fakeKernel is the running kernel of every fake host.
const fakeKernel = "6.1.0-28-amd64"

func newFakeFleet() *fakeFleet {
	return &fakeFleet{installed: map[string]string{}, installs: map[string]int{}}
}

// registry is where workflows and activities are registered: a worker of
// the test server, or an SDK testsuite environment.
type registry interface {
	worker.WorkflowRegistry
	RegisterActivityWithOptions(a any, options activity.RegisterOptions)
}

// register adds the real workflows, the real read-only activities and the
// fake host activities to r; c, when set, lets HostLock and HostResults
// ask Temporal.
func (f *fakeFleet) register(r registry, c client.Client) {
	workflows.Register(r)
	real := activities.New(activities.Deps{Client: c})
	reg := func(fn any, name string) { r.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name}) }
	reg(real.ResolveTargets, workflows.ActResolveTargets)
	reg(real.HostLock, workflows.ActHostLock)
	reg(real.HostResults, workflows.ActHostResults)
	reg(real.PatchHistory, workflows.ActPatchHistory)
	reg(real.Notify, workflows.ActNotify)
	reg(f.ScanHosts, workflows.ActScanHosts)
	reg(f.Prepare, workflows.ActPrepare)
	reg(f.Precheck, workflows.ActPrecheck)
	reg(f.Prepare, workflows.ActSnapshot)
	reg(f.ApplyPins, workflows.ActApplyPins)
	reg(f.Verify, workflows.ActVerify)
	reg(f.Rollback, workflows.ActRollback)
	reg(f.VerifyHosts, workflows.ActVerifyHosts)
	reg(f.VerifyHosts, workflows.ActDownloadHosts)
	reg(f.RunChecks, workflows.ActRunChecks)
}

// version is what a host has installed; a host not seen yet has 1.0.0.
func (f *fakeFleet) version(host string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v, ok := f.installed[host]; ok {
		return v
	}
	return "1.0.0"
}

func (f *fakeFleet) set(host, version string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.installed[host] = version
}

// ScanHosts reports demo-app's update on every host that does not have
// it yet, as the real activity does: a compact table. Asked for a
// fingerprint (cycle plan, cycle start --plan), it also reports the
// installed version and a running kernel, as the real scan does.
func (f *fakeFleet) ScanHosts(_ context.Context, in workflows.ScanBatchInput) (workflows.ScanBatchResult, error) {
	var t domain.PendingTable
	var failed []workflows.HostProblem
	for _, h := range in.Hosts {
		if strings.Contains(h, "gone") {
			failed = append(failed, workflows.HostProblem{Host: h, Problem: "ssh " + h + ":22: dial tcp: connect: no route to host"})
			continue
		}
		var ups []domain.Pending
		if v := f.version(h); v != "1.0.1" {
			u := domain.Pending{Name: "demo-app", Candidate: "1.0.1", Class: domain.ClassSecurity,
				Vulns: domain.Vulns{Severity: domain.SeverityHigh, CVEs: []string{"CVE-2026-0001"}}}
			if in.Fingerprint {
				u.Installed = v
			}
			ups = append(ups, u)
		}
		t.Add(h, "apt", ups)
		if in.Fingerprint {
			t.Hosts[len(t.Hosts)-1].RunningKernel = fakeKernel
		}
	}
	return workflows.ScanBatchResult{Updates: t.Updates, Hosts: t.Hosts, Failed: failed}, nil
}

// Prepare (and Snapshot, on a retry) snapshots what the host has.
func (f *fakeFleet) Prepare(_ context.Context, in workflows.HostInput) (workflows.SnapshotResult, error) {
	var r workflows.SnapshotResult
	for _, p := range in.Pins {
		r.Pins = append(r.Pins, domain.Pin{Name: p.Name, Version: f.version(in.Host)})
	}
	return r, nil
}

// Precheck passes: the fake hosts are reachable and healthy.
func (f *fakeFleet) Precheck(context.Context, workflows.HostInput) error { return nil }

// ApplyPins installs the pins, failing as the host's name says.
func (f *fakeFleet) ApplyPins(_ context.Context, in workflows.HostInput) (workflows.ApplyResult, error) {
	f.mu.Lock()
	f.installs[in.Host]++
	attempt := f.installs[in.Host]
	f.mu.Unlock()
	if strings.Contains(in.Host, "bad") || strings.Contains(in.Host, "flaky") && attempt == 1 {
		return workflows.ApplyResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("install demo-app=1.0.1 on %s: postinst failed (exit 1)", in.Host), workflows.ErrScriptFailed, nil)
	}
	return f.Rollback(context.Background(), in)
}

// Verify compares what the host has with the pins.
func (f *fakeFleet) Verify(_ context.Context, in workflows.HostInput) (workflows.VerifyResult, error) {
	var r workflows.VerifyResult
	for _, p := range in.Pins {
		if got := f.version(in.Host); got != p.Version {
			r.Problems = append(r.Problems, fmt.Sprintf("%s is %q, want %q", p.Name, got, p.Version))
		}
	}
	return r, nil
}

// Rollback installs the pins it is given: the snapshot's versions (and
// ApplyPins' plan versions once it lets an install through).
func (f *fakeFleet) Rollback(_ context.Context, in workflows.HostInput) (workflows.ApplyResult, error) {
	for _, p := range in.Pins {
		f.set(in.Host, p.Version)
	}
	return workflows.ApplyResult{}, nil
}

// VerifyHosts is the final verify: every host at its pins.
func (f *fakeFleet) VerifyHosts(ctx context.Context, in workflows.TargetBatch) (workflows.TargetBatchResult, error) {
	var r workflows.TargetBatchResult
	for _, t := range in.Targets {
		v, _ := f.Verify(ctx, workflows.HostInput{Host: t.Host, Pins: t.PinsFrom(in.PlanPins)})
		if len(v.Problems) > 0 {
			r.Failed = append(r.Failed, workflows.HostProblem{Host: t.Host, Problem: strings.Join(v.Problems, "; ")})
		}
	}
	return r, nil
}

// RunChecks passes.
func (f *fakeFleet) RunChecks(context.Context, workflows.ChecksInput) (workflows.ChecksResult, error) {
	return workflows.ChecksResult{}, nil
}
