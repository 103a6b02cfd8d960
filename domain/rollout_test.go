package domain

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestPlanWavesRepeatsTheLastSize(t *testing.T) {
	hosts := []string{"h1", "h2", "h3", "h4", "h5", "h6", "h7"}
	planned, err := PlanWaves([]Wave{{Name: "canary", Count: 1}, {Name: "ramp", Percent: 30}, {Name: "rest", Count: 2}}, len(hosts))
	if err != nil {
		t.Fatal(err)
	}
	got := AssignWaves(hosts, planned)
	want := [][]string{{"h1"}, {"h2", "h3", "h4"}, {"h5", "h6"}, {"h7"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("AssignWaves = %v, want %v (30%% of 7 rounds up to 3; the last wave's size repeats for the rest)", got, want)
	}
	if planned[3].Name != "rest-2" || planned[3].Index != 2 {
		t.Errorf("repeated wave = %+v, want rest-2 from the policy's wave 2", planned[3])
	}
	if p, _ := PlanWaves([]Wave{{Count: 1}, {Count: 5}}, 1); len(p) != 1 {
		t.Errorf("one host, two waves: got %v, want one wave", p)
	}
}

// TestPlanWavesRefusesAbsurdPlans: a count of 1 repeated over ten million
// hosts would plan ten million waves; it is refused before anything is
// allocated.
func TestPlanWavesRefusesAbsurdPlans(t *testing.T) {
	_, err := PlanWaves([]Wave{{Name: "one", Count: 1}}, MaxFleet)
	if err == nil || !strings.Contains(err.Error(), "1000000 waves") || !strings.Contains(err.Error(), "make it larger") {
		t.Errorf("count 1 over %d hosts: %v, want a refusal naming the wave count", MaxFleet, err)
	}
	if _, err := PlanWaves([]Wave{{Percent: 10}}, 10_000_000); err == nil || !strings.Contains(err.Error(), "fleet size") {
		t.Errorf("fleet of ten million: %v, want a refusal", err)
	}
	if p, err := PlanWaves([]Wave{{Count: 1000}}, MaxFleet); err != nil || len(p) != 1000 {
		t.Errorf("1000 waves of 1000: %d waves, %v", len(p), err)
	}
}

func TestBudgetTolerated(t *testing.T) {
	for _, c := range []struct {
		b     Budget
		total int
		want  int
	}{
		{Budget{}, 10, 0},
		{Budget{MaxFailures: 3}, 10, 3},
		{Budget{MaxPercent: 25}, 10, 2},
		{Budget{MaxFailures: 3, MaxPercent: 10}, 10, 1},
		{Budget{MaxFailures: 1, MaxPercent: 50}, 10, 1},
		// 9.2% of 750 is 69 exactly; the float product is 68.99999999999999.
		{Budget{MaxPercent: 9.2}, 750, 69},
		{Budget{MaxPercent: 5}, 19, 0}, // 0.95 rounds down
		{Budget{MaxPercent: 2.5}, 40, 1},
		{Budget{MaxFailures: 3, MaxPercent: 10}, 100, 3},
		{Budget{MaxFailures: 30, MaxPercent: 10}, 100, 10},
	} {
		if got := c.b.Tolerated(c.total); got != c.want {
			t.Errorf("%+v.Tolerated(%d) = %d, want %d", c.b, c.total, got, c.want)
		}
	}
}

// TestBudgetToleratedIsExactRoundingDown checks every percent with one
// decimal against integer arithmetic: floor(p/10 * n / 100) computed in
// integers is the documented "rounded down".
func TestBudgetToleratedIsExactRoundingDown(t *testing.T) {
	for tenths := 1; tenths <= 1000; tenths++ {
		for n := 0; n <= 2000; n += 7 {
			want := tenths * n / 1000
			if got := (Budget{MaxPercent: float64(tenths) / 10}).Tolerated(n); got != want {
				t.Fatalf("%.1f%% of %d = %d, want %d", float64(tenths)/10, n, got, want)
			}
		}
	}
}

func TestWorstCaseSaturates(t *testing.T) {
	h := HostSteps{ApplyTimeout: time.Duration(math.MaxInt64 / 2), RebootTimeout: time.Duration(math.MaxInt64 / 2),
		PreHooks: []Hook{{Command: []string{"x"}, Timeout: time.Duration(math.MaxInt64 / 2)}}}
	if got := h.WorstCase(); got != math.MaxInt64 {
		t.Errorf("worst case of huge timeouts = %s, want the saturated maximum (never a wrapped small value)", got)
	}
	d := HostSteps{}
	want := DefaultCommandTimeout + DefaultApplyTimeout + DefaultCommandTimeout + DefaultRebootTimeout
	if got := d.WorstCase(); got != want {
		t.Errorf("default worst case = %s, want precheck+apply+verify+reboot = %s", got, want)
	}
	d.Reboot = RebootNever
	if got := d.WorstCase(); got != want-DefaultRebootTimeout {
		t.Errorf("never reboot: %s", got)
	}
}

func TestCycleSpecValidate(t *testing.T) {
	good := CycleSpec{Policy: "web", Inventory: InventorySpec{Source: "/inv.yaml"}, Waves: []Wave{{Count: 1}}}
	if err := good.Validate(); err != nil {
		t.Fatalf("good spec: %v", err)
	}
	bad := good
	bad.Policy = "a/b"
	bad.Waves = append(bad.Waves, Wave{Count: 1, Percent: 5})
	bad.OnBudgetBreach = "explode"
	bad.Checks = []Check{{Name: "c", Type: CheckCommand}}
	err := bad.Validate()
	if err == nil {
		t.Fatal("bad spec validated")
	}
	for _, want := range []string{`policy name`, `wave 2: set exactly one`, `on_budget_breach`, `check "c"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestInventorySource(t *testing.T) {
	for _, c := range []struct{ policy, inv, want, err string }{
		{"/etc/patchflow/web.yaml", "hosts.yaml", "/etc/patchflow/hosts.yaml", ""},
		{"/etc/patchflow/web.yaml", "/srv/inv.yaml", "/srv/inv.yaml", ""},
		{"/etc/patchflow/web.yaml", "https://cmdb.example/inv", "https://cmdb.example/inv", ""},
		{"/etc/patchflow/web.yaml", "file:///etc/passwd", "", "must be http"},
		{"/etc/patchflow/web.yaml", "", "", "empty"},
	} {
		got, _, err := InventorySource(c.policy, c.inv)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: %v, want error %q", c.inv, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: %q %v, want %q", c.inv, got, err, c.want)
		}
	}
}

// BenchmarkPlanWavesMostWaves plans the largest plan a cycle accepts:
// MaxWaves waves over MaxFleet hosts.
func BenchmarkPlanWavesMostWaves(b *testing.B) {
	waves := []Wave{{Name: "rest", Count: MaxFleet / MaxWaves}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PlanWaves(waves, MaxFleet); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDecisionTimeoutVocabulary: a spec accepts the actions the policy
// reference documents (skip, abort) and nothing else; an empty action ends
// the host failed, as a spec not made from a policy may leave it.
func TestDecisionTimeoutVocabulary(t *testing.T) {
	spec := CycleSpec{Policy: "p", Inventory: InventorySpec{Source: "/inv"}, Waves: []Wave{{Percent: 100}}}
	for _, a := range append([]DecisionTimeoutAction{""}, DecisionTimeoutActions...) {
		spec.Host.OnDecisionTimeout = a
		if err := spec.Validate(); err != nil {
			t.Errorf("on_decision_timeout %q: %v", a, err)
		}
	}
	spec.Host.OnDecisionTimeout = "fail"
	if err := spec.Validate(); err == nil || !strings.Contains(err.Error(), `host on_decision_timeout must be skip or abort, got "fail"`) {
		t.Errorf("on_decision_timeout fail: %v, want a refusal naming skip and abort", err)
	}
}
