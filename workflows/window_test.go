package workflows

import (
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
)

// windowSpec: one host per wave (a, b, c, d), each wave baking 25m, in a
// daily 02:00 UTC window of 1h; one host's worst case is 20m.
func windowSpec(w *domain.Window) domain.CycleSpec {
	return domain.CycleSpec{
		Policy:    "web",
		Inventory: domain.InventorySpec{Source: "inv.yaml"},
		Patches:   domain.PatchRules{Classes: []domain.Class{domain.ClassSecurity, domain.ClassBugfix}},
		Waves: []domain.Wave{{Count: 1, Bake: 25 * time.Minute}, {Count: 1, Bake: 25 * time.Minute},
			{Count: 1, Bake: 25 * time.Minute}, {Count: 1, Bake: 25 * time.Minute}},
		Budget: domain.Budget{MaxFailures: 1},
		Host:   domain.HostSteps{DecisionTimeout: 10 * time.Minute},
		Window: w,
	}
}

func dailyWindow() *domain.Window {
	return &domain.Window{Cron: "0 2 * * *", Timezone: "UTC", Duration: time.Hour, HostWorstCase: 20 * time.Minute}
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// queryAt records the cycle's status at a time offset.
func (c *cycleEnv) queryAt(t *testing.T, after time.Duration, into *CycleStatus) {
	c.env.RegisterDelayedCallback(func() {
		v, err := c.env.QueryWorkflow(QueryStatus)
		if err != nil {
			t.Errorf("status query: %v", err)
			return
		}
		if err := v.Get(into); err != nil {
			t.Error(err)
		}
	}, after)
}

func assertEachPatchedOnce(t *testing.T, c *cycleEnv, res CycleResult, hosts ...string) {
	t.Helper()
	for _, h := range hosts {
		if n := c.fleet.applyCalls[h]; n != 1 {
			t.Errorf("%s: ApplyPins ran %d times, want once (no host repatched after the park)", h, n)
		}
		if o := c.outcomes(t)[h]; o.State != domain.HostPatched {
			t.Errorf("%s ended %s (%s), want patched", h, o.State, o.Reason)
		}
	}
}

// A window that closes between waves: waves 1 and 2 fit (02:00, 02:25),
// wave 3 would start at 02:50 with 10m left and a 20m host, so the cycle
// parks until 02:00 the next day and then finishes waves 3 and 4.
func TestCycleParksBetweenWavesUntilTheNextWindow(t *testing.T) {
	c := newCycleEnv(t, "a", "b", "c", "d")
	c.env.SetStartTime(utc("2026-11-25T02:00:00Z"))
	var parked CycleStatus
	c.queryAt(t, 3*time.Hour, &parked) // 05:00: parked overnight
	res := c.run(t, windowSpec(dailyWindow()))

	if parked.State != domain.CycleParked || parked.Window == nil || !parked.Window.ParkedUntil.Equal(utc("2026-11-26T02:00:00Z")) {
		t.Fatalf("at 05:00 the cycle is %s (%s), window %+v; want parked until 2026-11-26T02:00Z", parked.State, parked.Reason, parked.Window)
	}
	if got := parked.Counts.Done(); got != 2 || parked.Counts.Pending != 2 {
		t.Fatalf("while parked %d hosts finished, %d pending; want a, b done and c, d waiting", got, parked.Counts.Pending)
	}
	t.Logf("parked: %s", parked.Reason)
	if res.State != domain.CycleCompleted || res.Finished.Before(utc("2026-11-26T02:25:00Z")) {
		t.Fatalf("cycle %s at %s; want completed after the next window's waves", res.State, res.Finished)
	}
	if res.Window.Parks != 1 {
		t.Errorf("parks = %d, want 1", res.Window.Parks)
	}
	assertEachPatchedOnce(t, c, res, "a", "b", "c", "d")
}

// A window that closes mid-wave: one wave of five hosts, one at a time,
// baking 30m after each part; with 25m per host, 02:00 starts two hosts,
// 02:30 one more, then the cycle parks and the next window does the last
// two. No host is patched twice.
func TestCycleSplitsAWaveAtTheWindowEnd(t *testing.T) {
	c := newCycleEnv(t, "h1", "h2", "h3", "h4", "h5")
	c.env.SetStartTime(utc("2026-11-25T02:00:00Z"))
	w := dailyWindow()
	w.HostWorstCase = 25 * time.Minute
	spec := windowSpec(w)
	spec.Waves = []domain.Wave{{Percent: 100, MaxParallel: 1, Bake: 30 * time.Minute}}
	var parked CycleStatus
	c.queryAt(t, 2*time.Hour, &parked)
	res := c.run(t, spec)

	if parked.State != domain.CycleParked || parked.Counts.Done() != 3 {
		t.Fatalf("at 04:00: state %s, %d hosts done (%s); want parked after 3", parked.State, parked.Counts.Done(), parked.Reason)
	}
	if res.State != domain.CycleCompleted {
		t.Fatalf("cycle %s: %s", res.State, res.Reason)
	}
	assertEachPatchedOnce(t, c, res, "h1", "h2", "h3", "h4", "h5")
}

// A blackout date skips that day's window: parked on the 25th at 02:50,
// the cycle sleeps through the 26th (blackout) to the 27th.
func TestBlackoutDateSkipsAWindow(t *testing.T) {
	c := newCycleEnv(t, "a", "b")
	c.env.SetStartTime(utc("2026-11-25T02:50:00Z"))
	w := dailyWindow()
	w.BlackoutDates = []string{"2026-11-26"}
	spec := windowSpec(w)
	spec.Waves = spec.Waves[:2]
	var parked CycleStatus
	c.queryAt(t, time.Hour, &parked)
	res := c.run(t, spec)

	if parked.State != domain.CycleParked || !parked.Window.ParkedUntil.Equal(utc("2026-11-27T02:00:00Z")) {
		t.Fatalf("parked %s until %v; want until 2026-11-27T02:00Z (26th is a blackout)", parked.State, parked.Window)
	}
	if res.State != domain.CycleCompleted || res.Finished.Before(utc("2026-11-27T02:00:00Z")) {
		t.Fatalf("cycle %s finished %s", res.State, res.Finished)
	}
	assertEachPatchedOnce(t, c, res, "a", "b")
}

// Spring forward: Europe/Berlin jumps 02:00 -> 03:00 on 2026-03-29. A
// daily 02:30 window that day opens at 03:30 CEST (01:30 UTC), the
// policies.Window rule, and the parked cycle wakes then.
func TestSpringForwardWindowOpensAfterTheGap(t *testing.T) {
	c := newCycleEnv(t, "a")
	berlin, _ := time.LoadLocation("Europe/Berlin")
	c.env.SetStartTime(time.Date(2026, 3, 28, 3, 20, 0, 0, berlin).UTC()) // 10m left in the 28th's window
	w := &domain.Window{Days: []string{"sun-sat"}, Start: "02:30", Timezone: "Europe/Berlin", Duration: time.Hour, HostWorstCase: 20 * time.Minute}
	spec := windowSpec(w)
	spec.Waves = spec.Waves[:1]
	var parked CycleStatus
	c.queryAt(t, time.Hour, &parked)
	res := c.run(t, spec)

	if parked.State != domain.CycleParked || !parked.Window.ParkedUntil.Equal(utc("2026-03-29T01:30:00Z")) {
		t.Fatalf("parked %s until %+v; want until 2026-03-29T01:30Z (03:30 CEST)", parked.State, parked.Window)
	}
	if res.State != domain.CycleCompleted {
		t.Fatalf("cycle %s: %s", res.State, res.Reason)
	}
	assertEachPatchedOnce(t, c, res, "a")
}

// resume on a parked cycle goes on at once; extend-window on a parked
// cycle opens a window of that length from now.
func TestResumeAndExtendEndAPark(t *testing.T) {
	for _, msg := range []string{MsgResume, MsgExtendWindow} {
		t.Run(msg, func(t *testing.T) {
			c := newCycleEnv(t, "a", "b")
			c.env.SetStartTime(utc("2026-11-25T12:00:00Z")) // outside the window
			spec := windowSpec(dailyWindow())
			spec.Waves = spec.Waves[:2]
			var parked CycleStatus
			c.queryAt(t, time.Minute, &parked)
			c.env.RegisterDelayedCallback(func() {
				var arg any
				if msg == MsgExtendWindow {
					arg = ExtendWindowRequest{Duration: 2 * time.Hour}
				}
				c.env.SignalWorkflow(msg, arg)
			}, 10*time.Minute)
			res := c.run(t, spec)
			if parked.State != domain.CycleParked {
				t.Fatalf("started outside the window, the cycle is %s (%s), want parked", parked.State, parked.Reason)
			}
			if res.State != domain.CycleCompleted || !res.Finished.Before(utc("2026-11-26T00:00:00Z")) {
				t.Fatalf("cycle %s at %s; want completed the same day after %s", res.State, res.Finished, msg)
			}
			assertEachPatchedOnce(t, c, res, "a", "b")
		})
	}
}

func TestCycleWindowAt(t *testing.T) {
	w := dailyWindow()
	open, closes, next, err := WindowAt(w, utc("2026-11-25T02:10:00Z"))
	if err != nil || !open || !closes.Equal(utc("2026-11-25T03:00:00Z")) || !next.Equal(utc("2026-11-26T02:00:00Z")) {
		t.Fatalf("02:10: open %v closes %s next %s err %v", open, closes, next, err)
	}
	open, _, next, _ = WindowAt(w, utc("2026-11-25T03:00:00Z"))
	if open || !next.Equal(utc("2026-11-26T02:00:00Z")) {
		t.Fatalf("03:00: open %v next %s; the window is closed at its end", open, next)
	}
	// Touching windows merge: every 30m for 30m is always open.
	w = &domain.Window{Cron: "*/30 * * * *", Duration: 30 * time.Minute}
	if open, closes, _, _ := WindowAt(w, utc("2026-11-25T02:10:00Z")); !open || closes.Sub(utc("2026-11-25T02:10:00Z")) < 24*time.Hour {
		t.Fatalf("back-to-back windows: open %v closes %s", open, closes)
	}
}

// A cycle without a window runs whenever started, as before.
func TestNoWindowNeverParks(t *testing.T) {
	c := newCycleEnv(t, "a", "b")
	c.env.SetStartTime(utc("2026-11-25T12:00:00Z"))
	spec := windowSpec(nil)
	spec.Waves = spec.Waves[:2]
	res := c.run(t, spec)
	if res.State != domain.CycleCompleted || res.Window != nil || res.Finished.After(utc("2026-11-25T13:00:00Z")) {
		t.Fatalf("cycle %s finished %s window %+v", res.State, res.Finished, res.Window)
	}
}

// The expected host duration is the mean measured so far in this cycle,
// the policy's worst case before any host finished.
func TestHostEstimate(t *testing.T) {
	c := &cycleRun{spec: domain.CycleSpec{Window: &domain.Window{HostWorstCase: 40 * time.Minute}}}
	if got := c.hostEstimate(); got != 40*time.Minute {
		t.Fatalf("before any host: %s, want the worst case 40m", got)
	}
	c.hosts.record(HostResult{Host: "a", State: domain.HostPatched, Duration: 4 * time.Minute})
	c.hosts.record(HostResult{Host: "b", State: domain.HostSkipped})
	c.hosts.record(HostResult{Host: "c", State: domain.HostPatched, Duration: 8 * time.Minute})
	if got := c.hostEstimate(); got != 6*time.Minute {
		t.Fatalf("after a (4m) and c (8m): %s, want the mean 6m", got)
	}
	c = &cycleRun{spec: domain.CycleSpec{Window: &domain.Window{}, Host: domain.HostSteps{ApplyTimeout: time.Minute}}}
	if got := c.hostEstimate(); got != time.Minute+2*domain.DefaultCommandTimeout+domain.DefaultRebootTimeout {
		t.Fatalf("no worst case in the spec: %s", got)
	}
}
