package workflows

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestBuildPlanFiltersAndPins(t *testing.T) {
	scans := []ScanResult{
		{Host: "b", Manager: "apt", Updates: []Update{
			{Name: "openssl", Candidate: "3.0.15-1~deb12u1", Class: "security", Severity: "critical", Advisories: []string{"DSA-2"}},
			{Name: "demo-app", Candidate: "1.0.2", Class: "feature", Severity: "unknown"},
		}},
		{Host: "d", Manager: "apt", Updates: []Update{
			{Name: "demo-app", Candidate: "1.0.2", Class: "feature", Severity: "unknown"},
		}},
		{Host: "a", Manager: "apt", Updates: []Update{
			{Name: "openssl", Candidate: "3.0.15-1~deb12u1", Class: "security", Severity: "high", Advisories: []string{"DSA-1"}},
			{Name: "tzdata", Candidate: "2026a-0", Class: "bugfix", Severity: "unknown"},
			{Name: "demo-app", Candidate: "1.0.1", Class: "bugfix", Severity: "low"},
			{Name: "kernel-x", Candidate: "6.1", Class: "security", Severity: "high"},
		}},
		{Host: "c", Manager: "dnf", Updates: []Update{
			{Name: "openssl", Candidate: "3.2.2-1.el9", Class: "security", Severity: "medium"},
		}},
	}
	rules := PatchRules{
		Classes:     []string{"security", "bugfix"},
		MinSeverity: "medium",
		Exclude:     []string{"kernel-*"},
		Approve:     []string{"demo-app=1.0.1"},
		Reject:      []string{"tzdata"},
	}
	p := BuildPlan(scans, rules)
	var got []string
	for _, e := range p.Entries {
		got = append(got, e.Manager+" "+e.Name+"="+e.Version+" "+e.Class+"/"+e.Severity)
	}
	want := []string{
		// demo-app: 1.0.2 has most votes, but 1.0.1 is the approved version.
		"apt demo-app=1.0.1 bugfix/low",
		// the most severe rating on any host wins.
		"apt openssl=3.0.15-1~deb12u1 security/critical",
		"dnf openssl=3.2.2-1.el9 security/medium",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("plan entries:\n got %q\nwant %q", got, want)
	}
	if adv := p.Entries[1].Advisories; !reflect.DeepEqual(adv, []string{"DSA-1", "DSA-2"}) {
		t.Errorf("openssl advisories = %v, want both hosts' merged", adv)
	}
	for _, e := range BuildPlan(scans, PatchRules{}).Entries {
		if e.Name == "demo-app" && e.Version != "1.0.2" {
			t.Errorf("without approve, demo-app pinned %s, want 1.0.2 (two hosts of three)", e.Version)
		}
	}
	left := map[string]string{}
	for _, l := range p.Left {
		left[l.Name] = l.Reason
	}
	if !strings.Contains(left["tzdata"], "reject") || !strings.Contains(left["kernel-x"], "exclude") {
		t.Errorf("left-out reasons = %v, want tzdata rejected and kernel-x excluded", left)
	}
	if pins := p.HostPins(scans[0]); !reflect.DeepEqual(pins, []Pin{{"demo-app", "1.0.1"}, {"openssl", "3.0.15-1~deb12u1"}}) {
		t.Errorf("host b pins = %v: host b gets the plan's demo-app version, not its own candidate", pins)
	}
}

func TestBuildPlanSeverityRules(t *testing.T) {
	scans := []ScanResult{{Host: "a", Manager: "apt", Updates: []Update{
		{Name: "x", Candidate: "1", Class: "security", Severity: "unknown"},
		{Name: "y", Candidate: "1", Class: "security", Severity: "critical"},
		{Name: "z", Candidate: "1", Class: "security", Severity: "high"},
	}}}
	names := func(p Plan) (out []string) {
		for _, e := range p.Entries {
			out = append(out, e.Name)
		}
		return out
	}
	if got := names(BuildPlan(scans, PatchRules{MinSeverity: "high"})); !reflect.DeepEqual(got, []string{"y", "z"}) {
		t.Errorf("min high, unknown counted low: got %v", got)
	}
	if got := names(BuildPlan(scans, PatchRules{MinSeverity: "high", UnknownSeverity: "high"})); !reflect.DeepEqual(got, []string{"x", "y", "z"}) {
		t.Errorf("min high, unknown counted high: got %v", got)
	}
	if got := names(BuildPlan(scans, PatchRules{MinSeverity: "low", UnknownSeverity: "exclude"})); !reflect.DeepEqual(got, []string{"y", "z"}) {
		t.Errorf("unknown excluded: got %v", got)
	}
	if got := names(BuildPlan(scans, PatchRules{Classes: []string{"critical"}})); !reflect.DeepEqual(got, []string{"y"}) {
		t.Errorf("class critical: got %v", got)
	}
}

func TestAssignWavesAndBudget(t *testing.T) {
	hosts := []string{"h1", "h2", "h3", "h4", "h5", "h6", "h7"}
	got := AssignWaves(hosts, []WaveSpec{{Count: 1}, {Percent: 30}, {Count: 2}})
	want := [][]string{{"h1"}, {"h2", "h3", "h4"}, {"h5", "h6"}, {"h7"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("AssignWaves = %v, want %v (30%% of 7 rounds up to 3; the last wave's size repeats for the rest)", got, want)
	}
	if got := AssignWaves(hosts[:1], []WaveSpec{{Count: 1}, {Count: 5}}); len(got) != 1 {
		t.Errorf("one host, two waves: got %v, want one wave", got)
	}
	for _, c := range []struct {
		b     BudgetSpec
		total int
		want  int
	}{
		{BudgetSpec{}, 10, 0},
		{BudgetSpec{MaxFailures: 3}, 10, 3},
		{BudgetSpec{MaxPercent: 25}, 10, 2},
		{BudgetSpec{MaxFailures: 3, MaxPercent: 10}, 10, 1},
		{BudgetSpec{MaxFailures: 1, MaxPercent: 50}, 10, 1},
	} {
		if got := c.b.Tolerated(c.total); got != c.want {
			t.Errorf("%+v.Tolerated(%d) = %d, want %d", c.b, c.total, got, c.want)
		}
	}
}

func TestCycleSpecValidate(t *testing.T) {
	good := testSpec()
	if err := good.Validate(); err != nil {
		t.Fatalf("good spec: %v", err)
	}
	bad := testSpec()
	bad.Policy = "a/b"
	bad.Waves = append(bad.Waves, WaveSpec{Count: 1, Percent: 5})
	bad.OnBudgetBreach = "explode"
	bad.Checks = []Check{{Name: "c", Type: "command"}}
	err := bad.Validate()
	if err == nil {
		t.Fatal("bad spec validated")
	}
	for _, want := range []string{`policy name`, `wave 4: set exactly one`, `on_budget_breach`, `check "c"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if id := CycleID("web", time.Date(2026, 11, 25, 13, 4, 5, 999, time.FixedZone("x", 3600))); id != "cycle/web/2026-11-25T12:04:05Z" {
		t.Errorf("CycleID = %q", id)
	}
	if id := WaveID("cycle/web/x", 2); id != "cycle/web/x/wave/2" {
		t.Errorf("WaveID = %q", id)
	}
}
