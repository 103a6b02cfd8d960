package report

import (
	"bytes"
	"strings"
	"testing"
)

func TestCycleEvidenceDerivesRebootsResultsAndTimeline(t *testing.T) {
	e := buildSampleCycle(t)
	if len(e.Waves) != 3 || e.Waves[0].Name != "staging" || e.Waves[2].Name != "rest" {
		t.Fatalf("waves not in index order: %+v", e.Waves)
	}
	var reboots []string
	for _, r := range e.Reboots {
		reboots = append(reboots, r.Host)
	}
	if strings.Join(reboots, " ") != "stg-001 web-001" {
		t.Errorf("reboots %v", reboots)
	}
	res := map[HostResult]int{}
	for _, r := range e.Results {
		res[r.Result] = r.Hosts
	}
	if res[HostPatched] != 2 || res[HostRolledBack] != 1 || res[HostNeedsRepair] != 1 {
		t.Errorf("results %v", res)
	}
	var kinds []string
	for i, ev := range e.Timeline {
		kinds = append(kinds, string(ev.What))
		if i > 0 && ev.At.Before(e.Timeline[i-1].At) {
			t.Errorf("timeline out of order at %d", i)
		}
	}
	want := "cycle_started assessed plan_created approved wave_started wave_finished wave_started wave_finished wave_started rollback host_result rollback host_result wave_finished reassessed cycle_finished"
	if strings.Join(kinds, " ") != want {
		t.Errorf("timeline\n got %s\nwant %s", strings.Join(kinds, " "), want)
	}
	if e.Before[0].Host != "stg-001" || e.Before[0].Findings[0].Package != "libc6" {
		t.Errorf("before not sorted by host, then severity: %+v", e.Before[0])
	}
	var b bytes.Buffer
	if err := WriteCycleEvidenceTable(&b, e, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Approval: by alice@example.org at 2026-11-20 02:21 UTC (03:21 CET) via update: CAB-1142",
		"web-004  needs_repair", "2 reboots; results: patched 2, rolled_back 1, needs_repair 1"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, b.String())
		}
	}
}

func TestBuildCycleEvidenceNamesEveryProblem(t *testing.T) {
	in := sampleCycleInput()
	in.State = "done"
	in.Approval = Approval{Mode: ApprovalOperator}
	in.Waves[0].Hosts[0].Result = "ok"
	in.Rollbacks[0].Result = HostPatched
	in.Plan.Entries = append(in.Plan.Entries, in.Plan.Entries[0])
	_, err := BuildCycleEvidence(in)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`cycle state "done"`, "operator approval needs who", `result "ok"`, `result "patched": want rolled_back or needs_repair`, "listed twice"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
