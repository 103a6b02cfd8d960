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
	if res[HostPatched] != 2 || res[HostFailed] != 2 || res[HostRolledBack] != 1 || res[HostNeedsRepair] != 1 {
		t.Errorf("results %v", res)
	}
	var kinds []string
	for i, ev := range e.Timeline {
		kinds = append(kinds, string(ev.What))
		if i > 0 && ev.At.Before(e.Timeline[i-1].At) {
			t.Errorf("timeline out of order at %d", i)
		}
	}
	want := "cycle_started assessed plan_created approval_requested approved wave_started wave_finished wave_started wave_finished wave_started rollback host_result rollback host_result wave_finished final_verify reassessed cycle_finished"
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
	for _, s := range []string{"Approval: by alice@example.org at 2026-11-20 02:21 UTC (03:21 CET) via update, naming reviewed plan sha256:9f2c4e0d",
		": CAB-1142 (required: history risk 75 of libexpat1 2.5.0-1+deb12u5 is above the policy's 50)",
		"web-004  needs_repair", "2 reboots; results: patched 2, failed 2, rolled_back 1, needs_repair 1",
		"History risk: from 4 earlier cycles (11 waves) since 2026-08-22", "75 (2/3 failed)",
		"Final verify at 2026-11-20 04:42 UTC (05:42 CET): 3 patched hosts, 1 failed", "  web-005: libc6 is 2.36-9+deb12u2",
		"Remediation by assess/web/2026-11-20T04:45:00Z: verified 2, still_missing 1, not_reassessed 1",
		"web-002       still_missing   libc6,libexpat1", "web-005      1      failed        final verify"} {
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

func TestRemediateCountsAFixOnlyOnceReassessed(t *testing.T) {
	planned := map[string][]string{"web-1": {"libc6", "libexpat1"}, "web-2": {"libc6"}, "web-3": {"linux-image-amd64"},
		"web-4": {"libc6"}, "web-5": {"libc6"}, "web-6": {"openssl"}}
	after := []HostFindings{
		{Host: "web-1", Findings: []Finding{{Package: "libexpat1"}, {Package: "curl"}}},
		{Host: "web-2", Findings: []Finding{{Package: "curl"}}},
		{Host: "web-3"},
		{Host: "web-4", Error: "ssh: connect: no route to host"},
		{Host: "web-6", Findings: []Finding{{Package: "openssl", RebootPending: true}}},
	}
	got := Remediate(planned, after, map[string]bool{"web-3": true})
	var lines []string
	for _, r := range got {
		lines = append(lines, r.Host+" "+string(r.State)+" "+strings.Join(r.Missing, ","))
	}
	want := "web-1 still_missing libexpat1|web-2 verified |web-3 reboot_pending |web-4 assessment_failed |web-5 not_reassessed |web-6 reboot_pending openssl"
	if strings.Join(lines, "|") != want {
		t.Errorf("remediation\n got %s\nwant %s", strings.Join(lines, "|"), want)
	}
}
