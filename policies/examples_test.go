package policies

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"
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
			if _, err := p.Plan(17); err != nil {
				t.Errorf("Plan(17): %v", err)
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
	sizes, err := p.WaveSizes(10)
	if err != nil || !reflect.DeepEqual(sizes, []int{1, 1, 5, 3}) {
		t.Errorf("WaveSizes(10) = %v, %v; want [1 1 5 3] (canary, 10%%, 50%%, the rest)", sizes, err)
	}
	if b := p.EffectiveBudget(10); b != 1 {
		t.Errorf("EffectiveBudget(10) = %d, want 1 (min of count 2 and 10%% of 10)", b)
	}
	starts, err := p.Window.CycleWindow().NextWindows(time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC), 3)
	if err != nil || len(starts) != 3 || starts[2].Format("2006-01-02 15:04 MST") != "2026-12-29 02:00 CET" {
		t.Errorf("NextWindows = %v, %v; want Tue 22, Wed 23, then (24 is blacked out) Tue 29 at 02:00 CET", starts, err)
	}
}
