package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/report"
	"github.com/patchflow/patchflow/schedules"
	"github.com/patchflow/patchflow/workflows"
)

// parkedPolicy is postureExtra with a window that opens only at New
// Year's first hour (UTC), so a cycle started now parks.
const parkedPolicy = postureExtra + `window: {cron: "0 0 1 1 *", duration: 1h, timezone: UTC}
host: {timeouts: {precheck: 5m, apply: 10m, reboot: 10m, verify: 5m, hook: 5m}}
`

// TestPostureScheduledByParkedCycleAndSchedule: the audit's future
// state. A parked cycle that will patch the affected hosts makes them
// scheduled (the cycle, each host's wave, when the window opens); with
// the cycle gone, the policy's schedule does (its next window).
func TestPostureScheduledByParkedCycleAndSchedule(t *testing.T) {
	postureServer(t)
	policy := writeFleetPolicy(t, "po-park", []string{"park-1", "park-2", "park-3"}, parkedPolicy)
	assessOnPosture(t, policy)

	code, out, errOut := runPosture(t, "cycle", "start", "-p", policy, "--json")
	var started struct {
		CycleID string `json:"cycle_id"`
	}
	if code != ExitOK || json.Unmarshal([]byte(out), &started) != nil {
		t.Fatalf("cycle start: exit %d\n%s%s", code, out, errOut)
	}
	st := awaitPostureCycle(t, started.CycleID, "parking", func(st workflows.CycleStatus) bool { return st.State == domain.CycleParked })
	a := auditOnPosture(t, "CVE-2023-4911", "-p", "po-park")
	for host, wave := range map[string]int{"park-1": 1, "park-2": 1, "park-3": 2} {
		h := cveHost(t, a, "CVE-2023-4911", host)
		if h.State != report.CVEScheduled || h.Evidence.CycleID != started.CycleID || h.Evidence.Wave == nil || *h.Evidence.Wave != wave ||
			!h.Evidence.WindowOpens.Equal(st.Window.ParkedUntil.UTC().Truncate(time.Second)) {
			t.Errorf("%s: %s %+v; want scheduled by %s, wave %d, window opening %s", host, h.State, h.Evidence, started.CycleID, wave, st.Window.ParkedUntil)
		}
	}
	code, out, _ = runPosture(t, "cve", "audit", "CVE-2023-4911", "-p", "po-park")
	if code != ExitOK || !strings.Contains(out, "scheduled") || !strings.Contains(out, started.CycleID) {
		t.Errorf("cve audit (table):\n%s", out)
	}
	if code, out, errOut := runPosture(t, "cycle", "abort", started.CycleID); code != ExitOK {
		t.Fatalf("cycle abort: exit %d\n%s%s", code, out, errOut)
	}
	awaitPostureCycle(t, started.CycleID, "the abort", func(st workflows.CycleStatus) bool { return st.State.Final() })

	if code, out, errOut := runPosture(t, "schedule", "create", "-p", policy); code != ExitOK {
		t.Fatalf("schedule create: exit %d\n%s%s", code, out, errOut)
	}
	defer runPosture(t, "schedule", "delete", "po-park")
	code, out, _ = runPosture(t, "schedule", "describe", "po-park", "--json")
	var d schedules.Description
	if code != ExitOK || json.Unmarshal([]byte(out), &d) != nil || len(d.NextActionTimes) == 0 {
		t.Fatalf("schedule describe: exit %d\n%s", code, out)
	}
	a = auditOnPosture(t, "CVE-2023-4911", "-p", "po-park")
	h := cveHost(t, a, "CVE-2023-4911", "park-3")
	if h.State != report.CVEScheduled || h.Evidence.ScheduleID != "patchflow/po-park" || h.Evidence.Wave == nil || *h.Evidence.Wave != 2 ||
		!h.Evidence.WindowOpens.Equal(d.NextActionTimes[0].UTC().Truncate(time.Second)) {
		t.Errorf("park-3 with the schedule: %s %+v; want scheduled by patchflow/po-park, wave 2, at %s", h.State, h.Evidence, d.NextActionTimes[0])
	}
}

// TestAssessSchedule: schedule create --assess makes a schedule that
// runs Assess every --every; the schedule verbs take it as
// assess/<policy>, and a triggered run adds a trend point.
func TestAssessSchedule(t *testing.T) {
	postureServer(t)
	policy := writeFleetPolicy(t, "po-sched", []string{"sched-1", "sched-2"}, postureExtra)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--every", "1h"}, "--every applies to an assessment schedule: add --assess"},
		{[]string{"--assess", "--every", "1m"}, "--every 1m0s is too short"},
		{[]string{"--assess", "--dry-run"}, "--dry-run and --assess exclude each other"},
	} {
		code, _, errOut := runPosture(t, append([]string{"schedule", "create", "-p", policy}, tt.args...)...)
		if code != ExitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("schedule create %v: exit %d %q; want exit 2 and %q", tt.args, code, errOut, tt.want)
		}
	}
	code, out, errOut := runPosture(t, "schedule", "create", "--assess", "-p", policy, "--every", "1h", "--json")
	var res ScheduleApplyResult
	if code != ExitOK || json.Unmarshal([]byte(out), &res) != nil || res.ScheduleID != "patchflow/assess/po-sched" || res.Result != "created" {
		t.Fatalf("schedule create --assess: exit %d\n%s%s", code, out, errOut)
	}
	defer runPosture(t, "schedule", "delete", "assess/po-sched")
	if code, out, _ := runPosture(t, "schedule", "update", "--assess", "-p", policy, "--every", "1h"); code != ExitOK || !strings.Contains(out, "unchanged") {
		t.Errorf("schedule update with the same interval: exit %d\n%s", code, out)
	}
	code, out, _ = runPosture(t, "schedule", "describe", "assess/po-sched", "--json")
	var d schedules.Description
	if code != ExitOK || json.Unmarshal([]byte(out), &d) != nil || len(d.NextActionTimes) == 0 || d.NextActionTimes[0].After(time.Now().Add(time.Hour+time.Minute)) {
		t.Fatalf("schedule describe assess/po-sched: exit %d\n%s", code, out)
	}
	if code, out, errOut := runPosture(t, "schedule", "trigger", "assess/po-sched"); code != ExitOK {
		t.Fatalf("schedule trigger: exit %d\n%s%s", code, out, errOut)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, out, _ := runPosture(t, "report", "compliance", "-p", "po-sched", "--json")
		if code == ExitOK {
			rep, err := report.ReadCompliance(strings.NewReader(out))
			if err == nil && len(rep.Trend) == 1 && stateCount(rep, report.StateNoncompliant) == 2 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the triggered assessment never showed in the report:\n%s", out)
		}
		waitABit()
	}
}
