package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/workflows"
)

func TestProgressLineShowsAParkedCycle(t *testing.T) {
	st := workflows.CycleStatus{CycleID: "cycle/web/x", State: domain.CycleParked, Reason: "no maintenance window is open",
		Window: &workflows.WindowStatus{Timezone: "Europe/Berlin", ParkedUntil: time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)}}
	line := progressLine(st)
	for _, want := range []string{"cycle/web/x: parked", "PARKED until Thu 2026-11-26 02:00 CET", "patchflow cycle resume", "extend-window"} {
		if !strings.Contains(line, want) {
			t.Errorf("progress line lacks %q:\n%s", want, line)
		}
	}
	st.State, st.Window = domain.CycleRollingOut, nil
	if strings.Contains(progressLine(st), "PARKED") {
		t.Errorf("a running cycle shows PARKED: %s", progressLine(st))
	}
}

func TestWindowStartNote(t *testing.T) {
	w := &domain.Window{Cron: "0 2 * * *", Timezone: "Europe/Berlin", Duration: time.Hour}
	spec := domain.CycleSpec{Policy: "web", Window: w}
	closed := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	if note := windowStartNote(spec, closed); !strings.Contains(note, "policy web's maintenance window is closed") || !strings.Contains(note, "Thu 2026-11-26 02:00 CET") {
		t.Errorf("closed window note: %q", note)
	}
	if note := windowStartNote(spec, time.Date(2026, 11, 26, 1, 10, 0, 0, time.UTC)); note != "" {
		t.Errorf("open window (02:10 CET) gives a note: %q", note)
	}
	spec.DryRun = true
	if note := windowStartNote(spec, closed); note != "" {
		t.Errorf("dry run gives a note: %q", note)
	}
}
