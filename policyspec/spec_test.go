package policyspec

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/policies"
)

func load(t *testing.T, name string) *policies.Policy {
	t.Helper()
	p, err := policies.Load(filepath.Join("..", "policies", "examples", name))
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return p
}

func TestSpecFromExample(t *testing.T) {
	p := load(t, "emergency-critical-cve.yaml")
	res, err := Spec(p)
	if err != nil {
		t.Fatalf("spec: %v", err)
	}
	s := res.Spec
	if s.Policy != p.Metadata.Name || s.Approval.Mode != p.Approval.Mode || s.OnBudgetBreach != p.Rollout.OnBudgetBreach {
		t.Errorf("policy %q approval %q", s.Policy, s.Approval.Mode)
	}
	if !filepath.IsAbs(s.Inventory.Source) || !strings.HasSuffix(s.Inventory.Source, p.Targets.Inventory[strings.LastIndex(p.Targets.Inventory, "/")+1:]) {
		t.Errorf("inventory source %q is not the policy's inventory made absolute", s.Inventory.Source)
	}
	if len(s.Waves) != len(p.Rollout.Waves) {
		t.Fatalf("%d waves, policy has %d", len(s.Waves), len(p.Rollout.Waves))
	}
	for i, w := range p.Rollout.Waves {
		got := s.Waves[i]
		if got.Name != w.Name || got.Count != w.Count || got.Percent != w.Percent || got.MaxParallel != w.MaxParallel || got.Bake != w.Bake.Std() {
			t.Errorf("wave %d = %+v, policy %+v", i, got, w)
		}
	}
	if s.Host.ApplyTimeout != p.Host.Timeouts.Apply.Std() || s.Host.RebootTimeout != p.Host.Timeouts.Reboot.Std() {
		t.Errorf("host timeouts %+v", s.Host)
	}
	if s.Host.RollbackOnFailure != p.Rollback.OnHostFailure {
		t.Errorf("rollback on failure %v, policy %v", s.Host.RollbackOnFailure, p.Rollback.OnHostFailure)
	}
}

func TestSpecCarriesPromQLChecks(t *testing.T) {
	p := load(t, "web-canary.yaml")
	res, err := Spec(p)
	if err != nil {
		t.Fatalf("spec: %v", err)
	}
	var found bool
	for _, c := range res.Spec.Checks {
		if c.Type == "promql" {
			found = true
			if c.Query == "" || c.Prometheus == "" || c.Threshold == nil || c.Threshold.Op != "<" || c.BeforeAfter == nil || c.BeforeAfter.MaxIncreasePercent != 20 {
				t.Errorf("promql check not carried over: %+v", c)
			}
		}
	}
	if !found || len(res.Spec.Checks) != len(p.Checks) {
		t.Fatalf("%d checks in the spec, policy has %d (promql found: %v)", len(res.Spec.Checks), len(p.Checks), found)
	}
}

func TestUnknownSeverityMapping(t *testing.T) {
	for _, tt := range []struct{ policy, spec string }{
		{"include", string(domain.SeverityCritical)},
		{"exclude", "exclude"},
		{"as:medium", "medium"},
	} {
		p := load(t, "emergency-critical-cve.yaml")
		p.Patches.UnknownSeverity = tt.policy
		res, err := Spec(p)
		if err != nil {
			t.Fatalf("%s: %v", tt.policy, err)
		}
		if string(res.Spec.Patches.UnknownSeverity) != tt.spec {
			t.Errorf("unknown_severity %s -> %q, want %q", tt.policy, res.Spec.Patches.UnknownSeverity, tt.spec)
		}
	}
}

func TestInventorySourceURLKept(t *testing.T) {
	p := load(t, "emergency-critical-cve.yaml")
	p.Targets.Inventory = "https://cmdb.example.com/inv.yaml"
	res, err := Spec(p)
	if err != nil || res.Spec.Inventory.Source != "https://cmdb.example.com/inv.yaml" {
		t.Fatalf("inventory source = %q, %v", res.Spec.Inventory.Source, err)
	}
	p.Targets.Inventory = "ftp://cmdb.example.com/inv.yaml"
	if _, err := Spec(p); err == nil || !strings.Contains(err.Error(), "inventory URL must be http:// or https://") {
		t.Errorf("ftp inventory: %v, want a refusal", err)
	}
}

func TestSpecCarriesSLA(t *testing.T) {
	p := load(t, "emergency-critical-cve.yaml")
	p.SLA = policies.SLA{Critical: policies.Duration(24 * time.Hour), High: policies.Duration(72 * time.Hour), Unknown: policies.Duration(240 * time.Hour)}
	res, err := Spec(p)
	if err != nil {
		t.Fatalf("spec: %v", err)
	}
	want := domain.SLA{Critical: 24 * time.Hour, High: 72 * time.Hour, Unknown: 240 * time.Hour}
	if res.Spec.SLA != want {
		t.Errorf("sla %+v, want %+v (medium and low without an SLA)", res.Spec.SLA, want)
	}
	if got := res.Spec.SLA.For("low"); got != 0 {
		t.Errorf("low SLA %v, want none", got)
	}
}
