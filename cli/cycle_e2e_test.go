package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/localfleet"
	"github.com/patchflow/patchflow/workflows"
)

// startDev runs `patchflow dev` (ephemeral, random ports) for the test and
// returns its frontend address once it is ready.
func startDev(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var errOut bytes.Buffer
	opts := &DevOptions{
		IO: IOStreams{Out: io.Discard, ErrOut: &errOut}, IP: "127.0.0.1",
		Port: freeLocalPort(t), MetricsAddress: "127.0.0.1:0", Ephemeral: true,
		LogLevel: "error", Context: ctx,
		Ready: func(s *DevStack) { ready <- s.Server.FrontendAddress() },
	}
	go func() { done <- devRun(opts) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("dev: %v", err)
		}
	})
	select {
	case addr := <-ready:
		return addr
	case err := <-done:
		t.Fatalf("dev did not start: %v\n%s", err, errOut.String())
	}
	return ""
}

func writeCyclePolicy(t *testing.T, name, inventoryPath, extra string) string {
	t.Helper()
	policy := fmt.Sprintf(`apiVersion: patchflow/v1
kind: PatchPolicy
metadata: {name: %s}
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
    - {name: rest, percent: 100, max_parallel: 2}
  failure_budget: {count: 1}
host:
  timeouts: {precheck: 1m, apply: 2m, reboot: 2m, verify: 1m, hook: 1m}
%s`, name, inventoryPath, extra)
	path := filepath.Join(t.TempDir(), name+".yaml")
	if err := os.WriteFile(path, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func installed(t *testing.T, f *localfleet.Fleet, host, pkg string) string {
	t.Helper()
	out, err := f.Exec(context.Background(), host, "dpkg-query", "-W", "-f", "${Version}", pkg)
	if err != nil {
		t.Fatalf("%s: dpkg-query %s: %v: %s", host, pkg, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestCycleFromTheCLI is the README's path end to end: `patchflow dev`,
// then `patchflow cycle start --dry-run` and `--wait` on real hosts, then
// `cycle status` and `cycle list` find the finished cycle.
func TestCycleFromTheCLI(t *testing.T) {
	localfleet.Require(t)
	fleet := localfleet.Start(t, localfleet.Config{Name: "cl", Subnet: 6, Hosts: 4, Logf: t.Logf})
	addr := startDev(t)
	policy := writeCyclePolicy(t, "cli-e2e", fleet.InventoryPath, "")

	code, out, errOut := run(t, "cycle", "start", "-p", policy, "--dry-run", "--address", addr)
	if code != 0 || !strings.Contains(out, "demo-app") || !strings.Contains(out, "1.0.1") || !strings.Contains(out, "planned") || !strings.Contains(out, "staging  cl-h1") {
		t.Fatalf("dry run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	t.Logf("dry run:\n%s", out)
	for _, h := range fleet.Hosts {
		if v := installed(t, fleet, h.Name, "demo-app"); v != "1.0.0" {
			t.Fatalf("dry run changed %s: demo-app %s", h.Name, v)
		}
	}

	// Cycle IDs have one-second resolution: make sure the real cycle gets
	// its own.
	start := time.Now().Add(time.Second)
	f := &Factory{IO: IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, Version: "test"}
	opts := &CycleStartOptions{IO: f.IO, Factory: f, PolicyPath: policy, Wait: true, Now: func() time.Time { return start }}
	f.Temporal.Address = addr
	err := cycleStartRun(opts)
	out, errOut = f.IO.Out.(*bytes.Buffer).String(), f.IO.ErrOut.(*bytes.Buffer).String()
	if err != nil {
		t.Fatalf("cycle start --wait: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	id := workflows.CycleID("cli-e2e", start)
	t.Logf("cycle start --wait:\n%s%s", errOut, out)
	if !strings.Contains(out, "cycle "+id+" completed") || !strings.Contains(out, "4 patched") {
		t.Fatalf("summary does not report 4 patched hosts:\n%s", out)
	}
	if !strings.Contains(errOut, "started cycle "+id) {
		t.Fatalf("progress does not name the cycle:\n%s", errOut)
	}
	for _, h := range fleet.Hosts {
		if v := installed(t, fleet, h.Name, "demo-app"); v != "1.0.1" {
			t.Errorf("%s: demo-app %s after the cycle, want the planned 1.0.1", h.Name, v)
		}
		for _, u := range fleet.SecurityDetails {
			if v := installed(t, fleet, h.Name, u.Name); v != u.Fixed {
				t.Errorf("%s: %s %s after the cycle, want the security fix %s", h.Name, u.Name, v, u.Fixed)
			}
		}
	}

	code, out, _ = run(t, "cycle", "status", id, "--json", "--address", addr)
	var st workflows.CycleStatus
	// The status lists only the hosts that did not end patched.
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.State != domain.CycleCompleted || len(st.Hosts) != 0 || st.Counts.Patched != 4 {
		t.Fatalf("cycle status --json: exit %d, state %q, %d hosts listed, %d patched:\n%s", code, st.State, len(st.Hosts), st.Counts.Patched, out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, out, _ = run(t, "cycle", "list", "--policy", "cli-e2e", "--address", addr)
		if code == 0 && strings.Contains(out, id) && strings.Contains(out, string(domain.CycleCompleted)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cycle list does not show %s completed (exit %d):\n%s", id, code, out)
		}
		waitABit()
	}
	code, _, errOut = run(t, "cycle", "pause", id, "--address", addr)
	if code != ExitFailure || !strings.Contains(errOut, "pause "+id) {
		t.Fatalf("pause of a finished cycle: exit %d, %q; want a clear refusal", code, errOut)
	}
	code, _, errOut = run(t, "host", "retry", fleet.Hosts[0].Name, "--address", addr)
	if code != ExitFailure || !strings.Contains(errOut, fleet.Hosts[0].Name) {
		t.Fatalf("retry of a patched host: exit %d, %q", code, errOut)
	}
}
