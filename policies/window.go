package policies

import "github.com/patchflow/patchflow/domain"

// Scheduled reports whether the policy has a maintenance window at all.
func (w *Window) Scheduled() bool { return w.Cron != "" || w.Calendar != nil }

// CycleWindow is the window as a cycle keeps to it, nil when the policy
// has none (cycles then run whenever started). The window rules (starts,
// time zones, daylight saving) are domain.Window's.
func (w *Window) CycleWindow() *domain.Window {
	if !w.Scheduled() {
		return nil
	}
	cw := &domain.Window{Cron: w.Cron, Timezone: w.Timezone, Duration: w.Duration.Std(), BlackoutDates: w.BlackoutDates}
	if cw.Timezone == "" {
		cw.Timezone = domain.DefaultTimezone
	}
	if w.Calendar != nil {
		cw.Days, cw.Start = w.Calendar.Days, w.Calendar.Start
	}
	return cw
}

// ScheduleSpec is the window in Temporal's ScheduleSpec shape, with the
// policy's jitter and catch-up window; ok is false without a window.
func (w *Window) ScheduleSpec() (domain.WindowSpec, bool) {
	cw := w.CycleWindow()
	if cw == nil {
		return domain.WindowSpec{}, false
	}
	return cw.ScheduleSpec(w.Jitter.Std(), w.CatchupWindow.Std())
}

// schedule parses the window's starts; nil, nil when the policy has none.
// A calendar is read as written, so an empty one is reported.
func (w *Window) schedule() (*domain.Cron, error) {
	switch {
	case w.Cron != "":
		return domain.ParseCron(w.Cron)
	case w.Calendar != nil:
		return domain.CalendarCron(w.Calendar.Days, w.Calendar.Start)
	}
	return nil, nil
}
