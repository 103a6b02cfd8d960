package policies

import (
	"reflect"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/notify"
)

// TestVulnerabilityKeysReachTheSpec: what a policy says about CVEs, KEV,
// EPSS, age, approval by risk or plan and KEV due dates is what the cycle
// runs, and its webhooks are what the worker sends to.
func TestVulnerabilityKeysReachTheSpec(t *testing.T) {
	p := parseTest(t, `patches:
  cves: [cve-2024-45490]
  kev: true
  min_epss: 0.2
  min_age: 3d
approval: {mode: plan, timeout: 2h, plan_max_age: 48h}
sla: {critical: 1d, kev_due_date: true}
notifications:
  webhooks:
    - {url_env: SLACK_URL, format: slack, events: ["cycle.*"], timeout: 15s}
`)
	spec := p.CycleSpec()
	r := spec.Patches
	if !reflect.DeepEqual(r.CVEs, []string{"CVE-2024-45490"}) || !r.KEV || r.MinEPSS != 0.2 || r.MinAge != 72*time.Hour {
		t.Errorf("patch rules %+v", r)
	}
	if a := spec.Approval; a.Mode != domain.ApprovalPlan || a.PlanMaxAge != 48*time.Hour || a.Timeout != 2*time.Hour {
		t.Errorf("approval %+v", a)
	}
	if !spec.SLA.KEVDueDate {
		t.Error("sla.kev_due_date did not reach the spec")
	}
	want := []notify.Webhook{{URLEnv: "SLACK_URL", Format: "slack", Events: []string{"cycle.*"}, Timeout: 15 * time.Second}}
	if got := p.Webhooks(); !reflect.DeepEqual(got, want) {
		t.Errorf("webhooks %+v, want %+v", got, want)
	}
	// An update fixing the CVE passes, named in any case; others do not.
	e := domain.PlanEntry{Name: "libexpat1", Class: domain.ClassSecurity, Vulns: domain.Vulns{CVEs: []string{"CVE-2024-45490"}, KEV: true, EPSS: new(0.5)}}
	if why := r.Admit(e); why != "" {
		t.Errorf("the named CVE's fix left out: %s", why)
	}
}

// TestInteractivePatchesReachTheSpec: patches.interactive, by patch and by
// package name, is what the cycle hands the scan; a policy without it
// lists none, so no interactive patch is planned.
func TestInteractivePatchesReachTheSpec(t *testing.T) {
	p := parseTest(t, `patches:
  interactive: [SUSE-SLE-Module-Basesystem-15-SP5-2024-1234, kernel-default]
`)
	want := []string{"SUSE-SLE-Module-Basesystem-15-SP5-2024-1234", "kernel-default"}
	if got := p.CycleSpec().Patches.Interactive; !reflect.DeepEqual(got, want) {
		t.Errorf("spec's interactive patches = %q, want %q", got, want)
	}
	if got := parseTest(t, "").CycleSpec().Patches.Interactive; got != nil {
		t.Errorf("without patches.interactive the spec lists %q, want none", got)
	}
}
