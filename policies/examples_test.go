package policies

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
)

// TestExamples loads every example policy; the CLI tests also resolve them
// against examples/inventory/estate.yaml.
func TestExamples(t *testing.T) {
	files, _ := filepath.Glob("examples/*.yaml")
	policies := 0
	for _, f := range files {
		policies++
		t.Run(filepath.Base(f), func(t *testing.T) {
			p, err := Load(f)
			if err != nil {
				t.Fatalf("example does not load:\n%v", err)
			}
			spec := p.CycleSpec()
			if probs := domain.CheckWaves(spec.Waves, 17); len(probs) > 0 {
				t.Errorf("waves do not fit 17 hosts: %+v", probs)
			}
			if _, err := domain.PlanWaves(spec.Waves, 17); err != nil {
				t.Errorf("PlanWaves(17): %v", err)
			}
		})
	}
	if policies < 4 {
		t.Errorf("found %d example policies, want at least 4 (web canary, database, emergency, mixed estate)", policies)
	}
}

func TestExampleWebCanaryPlan(t *testing.T) {
	p, err := Load("examples/web-canary.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// web has 11 hosts; web-stg1 is staging, so 10 go through waves.
	var sizes []int
	for _, w := range planned(t, p, 10) {
		sizes = append(sizes, w.Size)
	}
	if !reflect.DeepEqual(sizes, []int{1, 1, 5, 3}) {
		t.Errorf("wave sizes of 10 hosts = %v; want [1 1 5 3] (canary, 10%%, 50%%, the rest)", sizes)
	}
	if b := p.CycleSpec().Budget.Tolerated(10); b != 1 {
		t.Errorf("budget tolerates %d of 10, want 1 (min of count 2 and 10%% of 10)", b)
	}
	starts, err := p.Window.CycleWindow().NextWindows(time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC), 3)
	if err != nil || len(starts) != 3 || starts[2].Format("2006-01-02 15:04 MST") != "2026-12-29 02:00 CET" {
		t.Errorf("NextWindows = %v, %v; want Tue 22, Wed 23, then (24 is blacked out) Tue 29 at 02:00 CET", starts, err)
	}
}
