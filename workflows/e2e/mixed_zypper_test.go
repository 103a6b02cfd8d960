package e2e

import (
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/worker"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/localfleet"
	"github.com/patchflow/patchflow/workflows"
)

// TestMixedAptDnfZypper runs one cycle of one policy over apt, dnf and
// zypper hosts: one plan with a pin per package manager, every host
// patched by its own package manager, rebooted because each says a
// reboot is needed (demo-lib is a "core library" everywhere), and
// verified by its own package database.
func TestMixedAptDnfZypper(t *testing.T) {
	localfleet.RequireZypper(t)
	e := newEnvFleet(t, localfleet.Config{Name: "zym", Subnet: 62, Hosts: 2, RPMHosts: 2, ZypperHosts: 2, Logf: t.Logf})
	e.ts.NewWorker(workflows.TaskQueue, func(r worker.Registry) { register(r, e.c) })
	spec := e.spec("mixed-zypper")
	e.stagingOfEachKind(&spec)
	spec.Patches = domain.PatchRules{Include: []string{"demo-lib"}}
	start := time.Now()
	_, res := e.runCycle(spec, start)
	t.Logf("cycle over %d hosts in %s", len(e.fleet.Hosts), time.Since(start).Round(time.Millisecond))
	if res.State != domain.CycleCompleted || res.Counts.Patched != 6 {
		t.Fatalf("cycle %s (%s) %+v, want 6 patched", res.State, res.Reason, res.Counts)
	}
	pinned := map[string]string{}
	for _, p := range res.Plan.Entries {
		pinned[p.Manager] = p.Name + "=" + p.Version
	}
	want := map[string]string{"apt": "demo-lib=1.1", "dnf": "demo-lib=1.1-1", "zypper": "demo-lib=1.1-150500.3.1"}
	for m, pin := range want {
		if pinned[m] != pin {
			t.Errorf("plan pins %q for %s, want %q (plan %+v)", pinned[m], m, pin, res.Plan.Entries)
		}
	}
	for _, h := range e.fleet.Hosts {
		var got string
		switch h.Kind {
		case "apt":
			got = e.installed(h.Name, "demo-lib")
		default:
			got = e.rpmVersion(h.Name, "demo-lib")
		}
		if m := want[h.Kind]; got != strings.TrimPrefix(m, "demo-lib=") {
			t.Errorf("%s (%s) demo-lib = %s, want %s", h.Name, h.Kind, got, m)
		}
		boots, err := e.fleet.BootCount(h.Name)
		if err != nil {
			t.Fatal(err)
		}
		if boots < 2 {
			t.Errorf("%s (%s) booted %d times, want a reboot after demo-lib asked for one", h.Name, h.Kind, boots)
		}
	}
}
