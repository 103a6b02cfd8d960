package policyspec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/policies"
)

// preview writes a policy and, next to it, testdata/web.inventory.yaml
// (web1..web4 with env=prod, stg1 with env=staging), then previews the
// rollout.
func preview(t *testing.T, body string) (*policies.Policy, *Rollout, error) {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile("testdata/web.inventory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hosts.yaml"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(file, []byte("apiVersion: patchflow/v1\nkind: PatchPolicy\nmetadata: {name: web}\n"+body), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := policies.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Spec(p)
	if err != nil {
		t.Fatal(err)
	}
	inv, note, errs := ReadInventory(p)
	if inv == nil || note != "" || errs != nil {
		t.Fatalf("inventory: %v %q %v", inv, note, errs)
	}
	r, errs := Preview(p, res.Spec, inv)
	if errs != nil {
		return p, nil, errs
	}
	return p, r, nil
}

func TestPreviewStagingOverlap(t *testing.T) {
	_, r, err := preview(t, `targets:
  inventory: hosts.yaml
  select: [group=web]
  staging:
    select: [env=staging]
    hosts: [web2]
    count: 2
rollout:
  waves: [{name: a, count: 1}, {name: b, percent: 50}]
  failure_budget: {percent: 34}
`)
	if err != nil {
		t.Fatal(err)
	}
	// Staging (stg1 by label, web2 by name) is patched first and never
	// again: the waves get the other three web hosts.
	got := fmt.Sprintf("targets %v staging %v production %v budget %d", r.Targets, r.Staging, r.Production, r.Budget)
	want := "targets [stg1 web1 web2 web3 web4] staging [stg1 web2] production [web1 web3 web4] budget 1"
	if got != want {
		t.Errorf("preview %s\nwant      %s", got, want)
	}
	var waves []string
	for _, w := range r.Waves {
		waves = append(waves, w.Name+"="+strings.Join(w.Hosts, ","))
	}
	if strings.Join(waves, " ") != "a=web1 b=web3,web4" {
		t.Errorf("waves %v, want a=web1 b=web3,web4", waves)
	}
	// A count of 1 keeps the first staging host in inventory order.
	_, r, err = preview(t, "targets: {inventory: hosts.yaml, select: [group=web], staging: {select: [env=staging], hosts: [web2], count: 1}}\n")
	if err != nil || strings.Join(r.Staging, ",") != "stg1" || len(r.Production) != 4 {
		t.Errorf("count 1: %+v, %v", r, err)
	}
}

// TestPreviewWaveErrorsPointIntoThePolicy: waves that do not fit the
// rollout (domain.CheckWaves) are reported at the wave in the file.
func TestPreviewWaveErrorsPointIntoThePolicy(t *testing.T) {
	p, _, err := preview(t, `targets: {inventory: hosts.yaml, select: [group=web]}
rollout:
  waves:
    - {name: canary, count: 6}
    - {name: rest, percent: 10}
`)
	want := p.Source + `:7:29: wave "canary": count exceeds the 5 hosts in the rollout (targets minus staging), got 6`
	if err == nil || err.Error() != want {
		t.Errorf("preview error = %v\nwant %s", err, want)
	}
	// 10% of 5 hosts is 1 host, fewer than the canary's 2.
	p, _, err = preview(t, `targets: {inventory: hosts.yaml, select: [group=web]}
rollout:
  waves:
    - {name: canary, count: 2}
    - {name: rest, percent: 10}
`)
	want = p.Source + `:8:7: wave "rest": wave is smaller than the wave before it (2 hosts) in a fleet of 5; waves should grow, got 1 hosts`
	if err == nil || err.Error() != want {
		t.Errorf("preview error = %v\nwant %s", err, want)
	}
	// The cycle refuses a plan of more than domain.MaxWaves waves; so
	// does the preview, at the waves.
	p = load(t, "emergency-critical-cve.yaml")
	res, _ := Spec(p)
	res.Spec.Waves = []domain.Wave{{Name: "one", Count: 1}}
	if _, _, errs := PlanFleet(p, res.Spec, 5000); errs == nil || !strings.Contains(errs.Error(), "would need 5000 waves (at most 1000)") {
		t.Errorf("5000 waves of one host: %v", errs)
	}
}
