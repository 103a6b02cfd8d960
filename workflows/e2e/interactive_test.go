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

// TestInteractiveZypperPatchNeedsThePolicy: the zypper host's repository
// has an interactive patch (demo-kernel 1.1, reboot suggested). A dry-run
// cycle of a policy without patches.interactive leaves demo-kernel out of
// the plan with the reason and what to list; with the patch listed, by
// patch name or by the package it updates, the plan pins demo-kernel 1.1.
func TestInteractiveZypperPatchNeedsThePolicy(t *testing.T) {
	localfleet.RequireZypper(t)
	e := newEnvFleet(t, localfleet.Config{Name: "zi", Subnet: 88, ZypperHosts: 1, Logf: t.Logf})
	e.ts.NewWorker(workflows.TaskQueue, func(r worker.Registry) { register(r, e.c) })
	host := e.fleet.Hosts[0].Name

	plan := func(name string, interactive []string) domain.Plan {
		t.Helper()
		spec := e.spec(name)
		spec.Checks = nil // dpkg --audit: no dpkg on a zypper host, and a dry run checks nothing
		spec.DryRun = true
		spec.Patches = domain.PatchRules{Include: []string{"demo-kernel", "demo-app"}, Interactive: interactive}
		_, res := e.runCycle(spec, time.Now())
		if res.State != domain.CyclePlanned {
			t.Fatalf("dry run %s: %s (%s), want planned", name, res.State, res.Reason)
		}
		return res.Plan
	}
	pinned := func(p domain.Plan, pkg string) string {
		for _, en := range p.Entries {
			if en.Name == pkg {
				return en.Version
			}
		}
		return ""
	}

	without := plan("zi-without", nil)
	if v := pinned(without, "demo-kernel"); v != "" {
		t.Errorf("without patches.interactive the plan pins demo-kernel %s, brought by interactive patch %s", v, localfleet.ZypperInteractivePatch)
	}
	if pinned(without, "demo-app") == "" {
		t.Errorf("plan %+v lacks demo-app: the scan of %s found nothing, so the test proves nothing", without.Entries, host)
	}
	var reason string
	for _, l := range without.Left {
		if l.Name == "demo-kernel" {
			reason = l.Reason
		}
	}
	for _, want := range []string{"zypper patch " + localfleet.ZypperInteractivePatch + " is flagged interactive",
		"list " + localfleet.ZypperInteractivePatch + " or demo-kernel in patches.interactive"} {
		if !strings.Contains(reason, want) {
			t.Errorf("demo-kernel left out for %q, want the reason to say %q (left %+v)", reason, want, without.Left)
		}
	}

	for _, listed := range []string{localfleet.ZypperInteractivePatch, "demo-kernel"} {
		with := plan("zi-with-"+strings.ToLower(listed), []string{listed})
		if v := pinned(with, "demo-kernel"); !strings.HasPrefix(v, "1.1-") {
			t.Errorf("with patches.interactive [%s] the plan pins demo-kernel %q, want 1.1 (entries %+v, left %+v)", listed, v, with.Entries, with.Left)
		}
	}
}
