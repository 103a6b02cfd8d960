package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/schedules"
)

// describeOnServer is `schedule describe POLICY --json`.
func describeOnServer(t *testing.T, policy string) schedules.Description {
	t.Helper()
	return jsonOnServer[schedules.Description](t, "schedule", "describe", policy)
}

// TestScheduleVerbs runs every schedule verb on the in-process server
// (TestScheduleOnTheRealServer waits for real windows on `patchflow dev`):
// create refuses a second create, update reports unchanged or updated,
// describe and list show the window, pause and unpause keep a note,
// trigger starts a cycle that runs, delete removes the schedule.
func TestScheduleVerbs(t *testing.T) {
	_, fleet := temporalServer(t)
	const name = "sched"
	// New Year's first hour in Berlin: no window opens during the test.
	policy := writeFleetPolicy(t, name, []string{"sched-1"}, `window: {cron: "0 0 1 1 *", duration: 1h, timezone: Europe/Berlin}
host: {timeouts: {precheck: 5m, apply: 10m, reboot: 10m, verify: 5m, hook: 5m}}
`)
	for _, step := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"create", "-p", policy, "--dry-run"}, ExitOK, "schedule patchflow/sched created (policy sched)"},
		{[]string{"create", "-p", policy, "--dry-run"}, ExitFailure, "already exists"},
		{[]string{"update", "-p", policy, "--dry-run"}, ExitOK, "schedule patchflow/sched unchanged"},
		{[]string{"update", "-p", policy}, ExitOK, "schedule patchflow/sched updated"},
		{[]string{"update", "-p", policy, "--dry-run", "--json"}, ExitOK, `"result": "updated"`},
		{[]string{"list"}, ExitOK, "patchflow/sched"},
		{[]string{"describe", name}, ExitOK, "Europe/Berlin"},
		{[]string{"pause", name, "--note", "change freeze"}, ExitOK, "schedule patchflow/sched paused"},
	} {
		code, out, errOut := runOnServer(t, append([]string{"schedule"}, step.args...)...)
		if code != step.code || !strings.Contains(out+errOut, step.want) {
			t.Fatalf("schedule %s: exit %d, want %d and %q\n%s%s", strings.Join(step.args, " "), code, step.code, step.want, out, errOut)
		}
	}
	d := describeOnServer(t, name)
	if !d.Paused || d.Note != "change freeze" || len(d.NextActionTimes) == 0 || d.NextActionTimes[0].Month() != time.December && d.NextActionTimes[0].Month() != time.January {
		t.Errorf("described: paused %v note %q next %v; want paused with the note, next window at New Year", d.Paused, d.Note, d.NextActionTimes)
	}
	code, out, _ := runOnServer(t, "schedule", "list", "--json")
	if code != ExitOK || !strings.Contains(out, `"paused": true`) {
		t.Errorf("schedule list --json: exit %d\n%s", code, out)
	}
	if code, out, errOut := runOnServer(t, "schedule", "unpause", name, "--json"); code != ExitOK || !strings.Contains(out, `"result": "unpaused"`) {
		t.Fatalf("schedule unpause: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runOnServer(t, "schedule", "trigger", name); code != ExitOK || !strings.Contains(out, "triggered") {
		t.Fatalf("schedule trigger: exit %d\n%s%s", code, out, errOut)
	}
	var cycle string
	for range 300 {
		if d := describeOnServer(t, name); len(d.Recent) > 0 && d.Recent[0].CycleID != "" {
			cycle = d.Recent[0].CycleID
			break
		}
		waitABit()
	}
	if !strings.HasPrefix(cycle, "cycle/"+name+"-") {
		t.Fatalf("the triggered cycle is %q; want cycle/%s-<time>", cycle, name)
	}
	// The schedule starts dry runs: the triggered cycle scans and plans.
	st := awaitState(t, cycle, domain.CyclePlanned)
	if st.Policy != name || len(st.Plan.Entries) != 1 || fleet.version("sched-1") != "1.0.0" {
		t.Errorf("triggered dry run: policy %q, plan %+v, host at %s", st.Policy, st.Plan, fleet.version("sched-1"))
	}
	if code, out, errOut := runOnServer(t, "schedule", "delete", name); code != ExitOK || !strings.Contains(out, "deleted") {
		t.Fatalf("schedule delete: exit %d\n%s%s", code, out, errOut)
	}
	for _, verb := range []string{"describe", "trigger", "pause", "unpause", "delete"} {
		if code, _, errOut := runOnServer(t, "schedule", verb, name); code != ExitFailure || !strings.Contains(errOut, "no schedule for policy "+name) {
			t.Errorf("%s after delete: exit %d, %q", verb, code, errOut)
		}
	}
}
