package schedules

import (
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
)

// Temporal skips 02:30 on a spring-forward day; the policy moves it to
// 03:30, so the schedule gets an explicit 03:30 start on those days.
func TestSpringForwardStartsMoveIntoTheSchedule(t *testing.T) {
	w := &domain.Window{Days: []string{"sun-sat"}, Start: "02:30", Timezone: "Europe/Berlin", Duration: time.Hour}
	got, err := springForwardStarts(w, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2026-03-29", "2027-03-28", "2028-03-26"}
	if len(got) != len(want) {
		t.Fatalf("%d extra starts, want %d: %+v", len(got), len(want), got)
	}
	for i, c := range got {
		d := time.Date(c.Year[0].Start, time.Month(c.Month[0].Start), c.DayOfMonth[0].Start, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		if d != want[i] || c.Hour[0].Start != 3 || c.Minute[0].Start != 30 {
			t.Errorf("extra start %d: %s %02d:%02d, want %s 03:30 (%s)", i, d, c.Hour[0].Start, c.Minute[0].Start, want[i], c.Comment)
		}
	}
	// A window outside the gap, or in a zone without DST, needs none.
	for _, w := range []*domain.Window{
		{Days: []string{"sun-sat"}, Start: "04:00", Timezone: "Europe/Berlin"},
		{Cron: "30 2 * * *", Timezone: "Asia/Tokyo"},
		{Cron: "* * * * *", Timezone: "Europe/Berlin"}, // its own starts follow the gap
	} {
		if got, err := springForwardStarts(w, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)); err != nil || len(got) != 0 {
			t.Errorf("window %+v: %d extra starts (%v)", w, len(got), err)
		}
	}
}
