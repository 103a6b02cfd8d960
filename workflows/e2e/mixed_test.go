package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
)

// rpmVersion reads a package's version-release on a dnf host from rpm.
func (e *env) rpmVersion(host, pkg string) string {
	e.t.Helper()
	out, err := e.fleet.Exec(context.Background(), host, "rpm", "-q", "--qf", "%{VERSION}-%{RELEASE}", pkg)
	if err != nil {
		e.t.Fatalf("rpm -q %s on %s: %v: %s", pkg, host, err, out)
	}
	return strings.TrimSpace(string(out))
}

// stagingOfEachKind makes the first host of each package manager the
// staging group, as a mixed estate must: the plan is made from staging's
// scan, so an update pending on no staging host is not proven and left out.
func (e *env) stagingOfEachKind(spec *domain.CycleSpec) {
	seen := map[string]bool{}
	spec.Staging.Select = nil
	spec.Staging.Hosts = nil
	for _, h := range e.fleet.Hosts {
		if !seen[h.Kind] {
			seen[h.Kind] = true
			spec.Staging.Hosts = append(spec.Staging.Hosts, h.Name)
		}
	}
}

// TestMixedAptAndDnf patches apt and dnf hosts in one cycle: one plan, a
// pin per package manager, each host verified by its own package database.
func TestMixedAptAndDnf(t *testing.T) {
	e := newEnvMixed(t, 2, 2)
	spec := e.spec("mixed")
	e.stagingOfEachKind(&spec)
	spec.Patches = domain.PatchRules{Include: []string{"demo-app"}, Approve: []string{"demo-app=1.0.1"}}
	_, res := e.runCycle(spec, time.Now())
	if res.State != domain.CycleCompleted || res.Counts.Patched != 4 {
		t.Fatalf("cycle %s (%s) %+v, want 4 patched", res.State, res.Reason, res.Counts)
	}
	managers := map[string]bool{}
	for _, p := range res.Plan.Entries {
		managers[p.Manager] = true
	}
	if !managers["apt"] || !managers["dnf"] {
		t.Errorf("plan %+v, want demo-app pinned for apt and for dnf", res.Plan.Entries)
	}
	for _, h := range e.fleet.Hosts {
		switch h.Kind {
		case "apt":
			if v := e.installed(h.Name, "demo-app"); v != "1.0.1" {
				t.Errorf("%s (apt) demo-app = %s, want 1.0.1", h.Name, v)
			}
		default:
			if v := e.rpmVersion(h.Name, "demo-app"); v != "1.0.1-1" {
				t.Errorf("%s (%s) demo-app = %s, want 1.0.1-1", h.Name, h.Kind, v)
			}
		}
	}
}
