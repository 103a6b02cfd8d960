package activities

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/hostscan"
	"github.com/patchflow/patchflow/localfleet"
	"github.com/patchflow/patchflow/transport"
	"github.com/patchflow/patchflow/workflows"
)

type actEnv struct {
	t    *testing.T
	env  *testsuite.TestActivityEnvironment
	acts *Activities
	inv  string
}

func (e *actEnv) run(fn any, in any, out any) error {
	e.t.Helper()
	v, err := e.env.ExecuteActivity(fn, in)
	if err != nil {
		return err
	}
	if out != nil {
		return v.Get(out)
	}
	return nil
}

// scan scans one host as ScanHosts does for each of its hosts, with the
// full per-update detail the batch's table leaves out.
func (e *actEnv) scan(inventory, host string) workflows.ScanResult {
	e.t.Helper()
	r, err := e.acts.scanHost(e.t.Context(), inventory, host, hostscan.Options{Refresh: true})
	if err != nil {
		e.t.Fatal(err)
	}
	return workflows.ScanResult{Host: host, Manager: r.Manager, Updates: r.Updates}
}

func (e *actEnv) must(fn any, in any, out any) {
	e.t.Helper()
	if err := e.run(fn, in, out); err != nil {
		e.t.Fatal(err)
	}
}

func errType(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Type()
	}
	return ""
}

// TestActivitiesOnFleet drives every activity against real Debian hosts:
// scan, snapshot, install, a failing postinst, rollback, a real reboot,
// hooks and checks.
func TestActivitiesOnFleet(t *testing.T) {
	f := localfleet.Start(t, localfleet.Config{Name: "act", Subnet: 21, Hosts: 2, Logf: t.Logf})
	pool := transport.NewPool(transport.NewSSHDialer(transport.WithSSHConfigFile(""), transport.WithAgentSocket("")))
	t.Cleanup(func() { pool.Close() })
	acts := New(Deps{Pool: pool, RebootPoll: 500 * time.Millisecond})
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	e := &actEnv{t: t, env: env, acts: acts, inv: f.InventoryPath}
	h1, h2 := f.Hosts[0].Name, f.Hosts[1].Name
	hi := func(host string, pins ...domain.Pin) workflows.HostInput {
		return workflows.HostInput{Inventory: f.InventoryPath, Host: host, Pins: pins}
	}

	var targets workflows.ResolveResult
	e.must(acts.ResolveTargets, workflows.ResolveInput{Inventory: domain.InventorySpec{Source: f.InventoryPath, Select: []string{"group=fleet"}}, Staging: []string{"group=staging"}}, &targets)
	if !slices.Equal(targets.Staging, []string{h1}) || !slices.Contains(targets.Production, h2) {
		t.Fatalf("targets %+v, want staging [%s] and %s in production", targets, h1, h2)
	}
	if err := e.run(acts.ResolveTargets, workflows.ResolveInput{Inventory: domain.InventorySpec{Source: f.InventoryPath}, Staging: []string{"group=nosuch"}}, nil); errType(err) != workflows.ErrInvalidInput {
		t.Errorf("unknown staging group: %v, want InvalidInput", err)
	}

	e.must(acts.ResolveTargets, workflows.ResolveInput{Inventory: domain.InventorySpec{Source: f.InventoryPath},
		Staging: []string{"group=staging"}, StagingHosts: []string{h2}, StagingCount: 1}, &targets)
	if !slices.Equal(targets.Staging, []string{h1}) || !slices.Contains(targets.Production, h2) {
		t.Errorf("staging capped at 1: %+v, want [%s] (first by name) and %s back in production", targets, h1, h2)
	}
	if err := e.run(acts.ResolveTargets, workflows.ResolveInput{Inventory: domain.InventorySpec{Source: f.InventoryPath}, StagingHosts: []string{"ghost"}}, nil); errType(err) != workflows.ErrInvalidInput {
		t.Errorf("unknown staging host: %v, want InvalidInput", err)
	}

	scan := e.scan(f.InventoryPath, h1)
	byName := map[string]domain.Update{}
	for _, u := range scan.Updates {
		byName[u.Name] = u
	}
	if scan.Manager != "apt" || byName["demo-app"].Installed != "1.0.0" || byName["demo-lib"].Candidate != "1.1" {
		t.Fatalf("scan of %s: %s %+v", h1, scan.Manager, scan.Updates)
	}
	for _, name := range f.SecurityUpdates {
		if byName[name].Class != "security" {
			t.Errorf("real security update %s classified %q", name, byName[name].Class)
		}
	}

	good := domain.Pin{Name: "demo-app", Version: "1.0.1"}
	e.must(acts.Precheck, hi(h1, good), nil)
	var snap workflows.SnapshotResult
	e.must(acts.Snapshot, hi(h1, good), &snap)
	if !slices.Equal(snap.Pins, []domain.Pin{{Name: "demo-app", Version: "1.0.0"}}) {
		t.Fatalf("snapshot %v, want demo-app 1.0.0", snap.Pins)
	}
	var applied workflows.ApplyResult
	e.must(acts.ApplyPins, hi(h1, good), &applied)
	var vr workflows.VerifyResult
	e.must(acts.Verify, hi(h1, good), &vr)
	if len(vr.Problems) > 0 {
		t.Errorf("verify after install: %v", vr.Problems)
	}

	err := e.run(acts.ApplyPins, hi(h1, domain.Pin{Name: "demo-app", Version: "9.9"}), nil)
	if errType(err) != workflows.ErrPackageNotFound {
		t.Errorf("missing version: %v (type %q), want %s", err, errType(err), workflows.ErrPackageNotFound)
	}
	err = e.run(acts.ApplyPins, hi(h1, domain.Pin{Name: "demo-app", Version: "1.0.2"}), nil)
	if errType(err) != workflows.ErrScriptFailed || !strings.Contains(err.Error(), "post-installation script") {
		t.Errorf("bad package: %v (type %q), want non-retryable %s", err, errType(err), workflows.ErrScriptFailed)
	}
	e.must(acts.Rollback, hi(h1, snap.Pins...), nil)
	e.must(acts.Verify, hi(h1, snap.Pins...), &vr)
	if len(vr.Problems) > 0 {
		t.Errorf("verify after rollback: %v", vr.Problems)
	}

	// demo-lib 1.1 asks for a reboot; the host really restarts.
	scan = e.scan(f.InventoryPath, h2)
	bootsBefore, _ := f.BootCount(h2)
	e.must(acts.ApplyPins, hi(h2, domain.Pin{Name: "demo-lib", Version: "1.1"}), &applied)
	if !applied.RebootRequired {
		t.Error("demo-lib 1.1 installed but no reboot required reported")
	}
	var rb workflows.RebootResult
	e.must(acts.Reboot, hi(h2), &rb)
	in := hi(h2)
	in.BootID = rb.BootID
	start := time.Now()
	e.must(acts.WaitForHost, in, nil)
	if boots, _ := f.BootCount(h2); boots != bootsBefore+1 {
		t.Errorf("boot count %d -> %d, want one reboot", bootsBefore, boots)
	}
	t.Logf("reboot and return took %v", time.Since(start))

	hook := workflows.HostInput{Inventory: f.InventoryPath, Host: h1, Hook: &domain.Hook{Name: "drain", Command: []string{"sh", "-c", "echo drained >&2; exit 3"}}}
	if err := e.run(acts.RunHook, hook, nil); errType(err) != workflows.ErrHookFailed || !strings.Contains(err.Error(), "drained") {
		t.Errorf("failing hook: %v, want HookFailed with its stderr", err)
	}
	var cr workflows.ChecksResult
	e.must(acts.RunChecks, workflows.ChecksInput{Inventory: f.InventoryPath, Hosts: []string{h1, h2}, Checks: []domain.Check{
		{Name: "lib", Type: "command", Command: []string{"sh", "-c", `test "$(dpkg-query -W -f='${Version}' demo-lib)" = 1.1`}},
		{Name: "ssh", Type: "tcp", Address: "{host}:22"},
	}}, &cr)
	if len(cr.Failed) != 1 || cr.Failed[0].Host != h1 || !strings.Contains(cr.Failed[0].Problem, "check lib") {
		t.Errorf("checks: %+v, want only %s failing check lib (demo-lib 1.1 is only on %s)", cr.Failed, h1, h2)
	}
	var batch workflows.ScanBatchResult
	e.must(acts.ScanHosts, workflows.ScanBatchInput{Inventory: f.InventoryPath, Hosts: []string{h1, "ghost", h2}}, &batch)
	if len(batch.Hosts) != 2 || len(batch.Failed) != 1 || batch.Failed[0].Host != "ghost" || !strings.Contains(batch.Failed[0].Problem, "not in inventory") {
		t.Errorf("batch scan: %d hosts scanned, failed %+v; want 2 scans and ghost failed as unknown", len(batch.Hosts), batch.Failed)
	}
	if len(batch.Updates) == 0 || len(batch.Updates) > len(batch.Hosts[0].Updates)+len(batch.Hosts[1].Updates) {
		t.Errorf("batch table: %d distinct updates for hosts with %d and %d", len(batch.Updates), len(batch.Hosts[0].Updates), len(batch.Hosts[1].Updates))
	}
	var vb workflows.TargetBatchResult
	e.must(acts.VerifyHosts, workflows.TargetBatch{Inventory: f.InventoryPath, Targets: []workflows.HostTarget{
		{Host: h1, Pins: snap.Pins},
		{Host: h2, Pins: []domain.Pin{{Name: "demo-lib", Version: "1.0"}}},
	}}, &vb)
	if len(vb.Failed) != 1 || vb.Failed[0].Host != h2 || !strings.Contains(vb.Failed[0].Problem, "demo-lib is 1.1, want 1.0") {
		t.Errorf("batch verify: %+v, want only %s off its pin", vb.Failed, h2)
	}
	var db workflows.TargetBatchResult
	e.must(acts.DownloadHosts, workflows.TargetBatch{Inventory: f.InventoryPath, Targets: []workflows.HostTarget{
		{Host: h1, Pins: []domain.Pin{good}},
		{Host: h2, Pins: []domain.Pin{{Name: "demo-app", Version: "7.7"}}},
	}}, &db)
	if len(db.Failed) != 1 || db.Failed[0].Host != h2 {
		t.Errorf("batch download: %+v, want only %s failing (no such version)", db.Failed, h2)
	}
	if err := e.run(acts.Precheck, hi("nosuch"), nil); errType(err) != workflows.ErrUnknownHost {
		t.Errorf("unknown host: %v, want %s", err, workflows.ErrUnknownHost)
	}
}
