package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/schedules"
	"github.com/patchflow/patchflow/workflows"
)

// writeSchedulePolicy writes a policy whose window opens every minute (in
// Europe/Berlin, 50s long) over two hosts on a closed loopback port: a
// scheduled dry run scans them, finds them unreachable and ends planned,
// which proves the schedule fired without any fleet.
func writeSchedulePolicy(t *testing.T, name, cron, catchup string) string {
	t.Helper()
	dir := t.TempDir()
	port := freeLocalPort(t) // closed once freeLocalPort returns
	inv := fmt.Sprintf("[fleet]\n%s-h1 ansible_host=127.0.0.1 ansible_port=%d\n%s-h2 ansible_host=127.0.0.2 ansible_port=%d\n", name, port, name, port)
	if err := os.WriteFile(filepath.Join(dir, "hosts.ini"), []byte(inv), 0o600); err != nil {
		t.Fatal(err)
	}
	policy := fmt.Sprintf(`apiVersion: patchflow/v1
kind: PatchPolicy
metadata: {name: %s}
targets: {inventory: hosts.ini, select: [group=fleet]}
window:
  cron: "%s"
  duration: 50s
  timezone: Europe/Berlin
  catchup_window: %s
rollout:
  waves: [{name: all, percent: 100}]
host:
  reboot: never
  timeouts: {precheck: 5s, apply: 20s, verify: 5s, hook: 5s}
`, name, cron, catchup)
	path := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(path, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func describeSchedule(t *testing.T, addr, policy string) schedules.Description {
	t.Helper()
	code, out, errOut := run(t, "schedule", "describe", policy, "--json", "--address", addr)
	var d schedules.Description
	if code != 0 || json.Unmarshal([]byte(out), &d) != nil {
		t.Fatalf("schedule describe --json: exit %d\n%s%s", code, out, errOut)
	}
	return d
}

// waitSchedule polls describe until ok holds or the deadline passes.
func waitSchedule(t *testing.T, addr, policy string, within time.Duration, what string, ok func(schedules.Description) bool) schedules.Description {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		d := describeSchedule(t, addr, policy)
		if ok(d) {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("schedule %s: %s did not happen within %s: %+v", policy, what, within, d)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// waitCycleState polls cycle status until the cycle reaches state.
func waitCycleState(t *testing.T, addr, id string, state domain.CycleState) workflows.CycleStatus {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, out, _ := run(t, "cycle", "status", id, "--json", "--address", addr)
		var st workflows.CycleStatus
		if code == 0 && json.Unmarshal([]byte(out), &st) == nil && st.State == state {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("cycle %s did not reach %s (exit %d):\n%s", id, state, code, out)
		}
		waitABit()
	}
}

// TestScheduleOnTheRealServer: create from a policy, refuse a second
// create, update idempotently, trigger, fire at a window on its own,
// describe in local time, pause, list and delete, on the embedded server.
func TestScheduleOnTheRealServer(t *testing.T) {
	addr := startDev(t)
	const name = "sched-e2e"
	policy := writeSchedulePolicy(t, name, "* * * * *", "30s")

	code, out, errOut := run(t, "schedule", "create", "-p", policy, "--dry-run", "--address", addr)
	if code != 0 || !strings.Contains(out, "schedule patchflow/"+name+" created") {
		t.Fatalf("schedule create: exit %d\n%s%s", code, out, errOut)
	}
	created := time.Now()
	code, _, errOut = run(t, "schedule", "create", "-p", policy, "--dry-run", "--address", addr)
	if code != ExitFailure || !strings.Contains(errOut, "already exists") || !strings.Contains(errOut, "schedule update") {
		t.Fatalf("second create: exit %d, %q; want a refusal suggesting update", code, errOut)
	}
	for _, step := range []struct {
		args []string
		want string
	}{
		{[]string{"--dry-run"}, "unchanged"},
		{nil, "updated"}, // real cycles instead of dry runs: a different spec
		{nil, "unchanged"},
		{[]string{"--dry-run"}, "updated"},
	} {
		args := append([]string{"schedule", "update", "-p", policy, "--address", addr}, step.args...)
		code, out, errOut = run(t, args...)
		if code != 0 || !strings.Contains(out, "schedule patchflow/"+name+" "+step.want) {
			t.Fatalf("schedule update %v: exit %d, want %s\n%s%s", step.args, code, step.want, out, errOut)
		}
	}

	t.Run("daylight saving", func(t *testing.T) { scheduleKeepsDST(t, addr) })

	code, out, _ = run(t, "schedule", "describe", name, "--address", addr)
	if code != 0 || !strings.Contains(out, "in Europe/Berlin") || !strings.Contains(out, "next windows (Europe/Berlin, then UTC):") || !strings.Contains(out, " CET ") {
		t.Fatalf("describe: exit %d\n%s", code, out)
	}
	t.Logf("schedule describe:\n%s", out)

	code, out, errOut = run(t, "schedule", "trigger", name, "--address", addr)
	if code != 0 || !strings.Contains(out, "triggered") {
		t.Fatalf("trigger: exit %d %s%s", code, out, errOut)
	}
	d := waitSchedule(t, addr, name, 30*time.Second, "a triggered cycle", func(d schedules.Description) bool {
		return len(d.Recent) > 0 && d.Recent[0].CycleID != ""
	})
	first := d.Recent[0].CycleID
	if !strings.HasPrefix(first, "cycle/"+name+"-") {
		t.Fatalf("scheduled cycle ID %q; want cycle/%s-<time>", first, name)
	}
	st := waitCycleState(t, addr, first, domain.CyclePlanned)
	// Hosts that cannot be scanned are failed, never counted as done.
	if st.Policy != name || st.Counts.Failed != 2 {
		t.Fatalf("triggered dry run: policy %q, %+v; want both unreachable hosts failed", st.Policy, st.Counts)
	}

	// The window itself: the next minute boundary starts a cycle.
	d = waitSchedule(t, addr, name, 130*time.Second, "a cycle at a window start", func(d schedules.Description) bool {
		for _, r := range d.Recent {
			if r.Scheduled.After(created) && r.Scheduled.Second() == 0 && r.CycleID != "" {
				return true
			}
		}
		return false
	})
	var windowed schedules.RecentAction
	for _, r := range d.Recent {
		if r.Scheduled.Second() == 0 && r.Scheduled.After(created) {
			windowed = r
		}
	}
	t.Logf("window %s started %s at %s (%s late)", windowed.Scheduled.Format(time.RFC3339), windowed.CycleID,
		windowed.Actual.Format(time.RFC3339Nano), windowed.Actual.Sub(windowed.Scheduled).Round(time.Millisecond))
	if want := schedules.ActionID(name) + "-" + windowed.Scheduled.UTC().Format(time.RFC3339); windowed.CycleID != want {
		t.Fatalf("cycle ID %q, want %q", windowed.CycleID, want)
	}
	waitCycleState(t, addr, windowed.CycleID, domain.CyclePlanned)
	code, out, _ = run(t, "cycle", "list", "--policy", name, "--address", addr)
	if code != 0 || !strings.Contains(out, windowed.CycleID) {
		t.Logf("cycle list does not show %s yet (visibility lags):\n%s", windowed.CycleID, out)
	}

	code, out, _ = run(t, "schedule", "pause", name, "--note", "change freeze", "--address", addr)
	if code != 0 || !strings.Contains(out, "paused") {
		t.Fatalf("pause: exit %d %s", code, out)
	}
	if d := describeSchedule(t, addr, name); !d.Paused || d.Note != "change freeze" {
		t.Fatalf("after pause: paused %v note %q", d.Paused, d.Note)
	}
	// update keeps the pause.
	if code, out, _ = run(t, "schedule", "update", "-p", policy, "--address", addr); code != 0 || !describeSchedule(t, addr, name).Paused {
		t.Fatalf("update unpaused the schedule (exit %d): %s", code, out)
	}
	if code, out, _ = run(t, "schedule", "unpause", name, "--address", addr); code != 0 || describeSchedule(t, addr, name).Paused {
		t.Fatalf("unpause: exit %d %s", code, out)
	}
	code, out, _ = run(t, "schedule", "list", "--address", addr)
	if code != 0 || !strings.Contains(out, "patchflow/"+name) || !strings.Contains(out, "active") {
		t.Fatalf("list: exit %d\n%s", code, out)
	}

	if code, out, _ = run(t, "schedule", "delete", name, "--address", addr); code != 0 || !strings.Contains(out, "deleted") {
		t.Fatalf("delete: exit %d %s", code, out)
	}
	code, _, errOut = run(t, "schedule", "describe", name, "--address", addr)
	if code != ExitFailure || !strings.Contains(errOut, "no schedule for policy "+name) {
		t.Fatalf("describe after delete: exit %d, %q", code, errOut)
	}
	for _, verb := range []string{"trigger", "pause", "unpause", "delete", "describe"} {
		code, _, errOut = run(t, "schedule", verb, "no-such-policy", "--address", addr)
		if code != ExitFailure || !strings.Contains(errOut, "no schedule for policy no-such-policy") {
			t.Errorf("%s of an unknown schedule: exit %d, %q", verb, code, errOut)
		}
	}
	code, _, errOut = run(t, "schedule", "update", "-p", policy, "--address", addr)
	if code != ExitFailure || !strings.Contains(errOut, "no schedule for policy "+name) || !strings.Contains(errOut, "schedule create") {
		t.Errorf("update of a deleted schedule: exit %d, %q; want a pointer to create", code, errOut)
	}
}

// startDevDB runs `patchflow dev` on a SQLite file and a fixed port, so a
// test can stop it and start it again on the same state.
func startDevDB(t *testing.T, db string, port int) (addr string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var errOut bytes.Buffer
	opts := &DevOptions{
		IO: IOStreams{Out: io.Discard, ErrOut: &errOut}, IP: "127.0.0.1", Port: port,
		MetricsAddress: "127.0.0.1:0", DBFile: db, LogLevel: "error", Context: ctx,
		Ready: func(s *DevStack) { ready <- s.Server.FrontendAddress() },
	}
	go func() { done <- devRun(opts) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("dev: %v", err)
		}
	}
	t.Cleanup(stop)
	select {
	case addr = <-ready:
		return addr, stop
	case err := <-done:
		stopped = true
		t.Fatalf("dev did not start: %v\n%s", err, errOut.String())
	}
	return "", stop
}

// TestScheduleSkipsAWindowMissedDuringAnOutage: the server is down across
// a window start for longer than the catch-up window (10s); after the
// restart the schedule counts the window as missed and starts no cycle
// for it.
func TestScheduleSkipsAWindowMissedDuringAnOutage(t *testing.T) {
	db := filepath.Join(t.TempDir(), "temporal.db")
	port := freeLocalPort(t)
	addr, stop := startDevDB(t, db, port)
	const name = "catchup-e2e"
	policy := writeSchedulePolicy(t, name, "* * * * *", "10s")
	if code, out, errOut := run(t, "schedule", "create", "-p", policy, "--dry-run", "--address", addr); code != 0 {
		t.Fatalf("create: exit %d %s%s", code, out, errOut)
	}
	before := describeSchedule(t, addr, name)
	if len(before.NextActionTimes) == 0 {
		t.Fatal("no next window")
	}
	missed := before.NextActionTimes[0]
	stop()
	// The outage: wall time must pass the window start by more than the
	// catch-up window; this is the scenario, not a synchronisation.
	if wait := time.Until(missed.Add(20 * time.Second)); wait > 0 {
		t.Logf("server down; waiting %s past the %s window", wait.Round(time.Second), missed.Format(time.TimeOnly))
		time.Sleep(wait)
	}
	addr, _ = startDevDB(t, db, port)
	d := waitSchedule(t, addr, name, 60*time.Second, "the missed window counted", func(d schedules.Description) bool {
		return d.MissedCatchup >= 1
	})
	for _, r := range d.Recent {
		if r.Scheduled.Equal(missed) {
			t.Fatalf("the window missed at %s ran late anyway as %s (at %s)", missed, r.CycleID, r.Actual)
		}
	}
	t.Logf("after the outage: %d missed (catch-up), %d started; next window %v", d.MissedCatchup, d.Actions, d.NextActionTimes)
	code, out, _ := run(t, "schedule", "describe", name, "--address", addr)
	if code != 0 || !strings.Contains(out, "windows missed (catch-up): "+strconv.Itoa(d.MissedCatchup)) {
		t.Fatalf("describe does not report the missed window:\n%s", out)
	}
}

// scheduleKeepsDST: Sundays of March and October at 02:30 Europe/Berlin.
// The server's own next starts must include 2027-03-28 at 03:30 CEST
// (01:30 UTC), where 02:30 does not exist, as the policy's window rule
// says; on the fall-back Sunday 2027-10-31 the server starts once, at the
// second 02:30, which the docs say.
func scheduleKeepsDST(t *testing.T, addr string) {
	const name = "dst-e2e"
	policy := writeSchedulePolicy(t, name, "30 2 * 3,10 0", "1m")
	if code, out, errOut := run(t, "schedule", "create", "-p", policy, "--dry-run", "--address", addr); code != 0 {
		t.Fatalf("create: exit %d %s%s", code, out, errOut)
	}
	defer run(t, "schedule", "delete", name, "--address", addr)
	d := describeSchedule(t, addr, name)
	has := func(ts string) bool {
		for _, n := range d.NextActionTimes {
			if n.UTC().Format(time.RFC3339) == ts {
				return true
			}
		}
		return false
	}
	var got []string
	for _, n := range d.NextActionTimes {
		got = append(got, n.UTC().Format(time.RFC3339))
	}
	t.Logf("server's next starts: %v", got)
	if !has("2027-03-21T01:30:00Z") || !has("2027-03-28T01:30:00Z") {
		t.Fatalf("next starts lack 2027-03-21 02:30 CET or the moved 2027-03-28 03:30 CEST: %v", got)
	}
	if has("2027-03-28T00:30:00Z") || has("2027-03-28T02:30:00Z") {
		t.Fatalf("spring-forward day has a start at the wrong instant: %v", got)
	}
	// Fall back (docs/schedules.md): the server starts once, at the second
	// 02:30 (CET), an hour after the window the policy opens at the first.
	if !has("2027-10-31T01:30:00Z") || has("2027-10-31T00:30:00Z") {
		t.Fatalf("fall-back day: want one start at 01:30 UTC (02:30 CET) as documented: %v", got)
	}
}
