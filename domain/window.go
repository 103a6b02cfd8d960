package domain

import "time"

// Window is the maintenance window a cycle keeps to: windows start by a
// 5-field cron, or on calendar days at an HH:MM start, in Timezone, each
// open for Duration, none on a blackout date (local YYYY-MM-DD).
type Window struct {
	Cron          string        `json:"cron,omitempty"`
	Days          []string      `json:"days,omitempty"`
	Start         string        `json:"start,omitempty"`
	Timezone      string        `json:"timezone,omitempty"`
	Duration      time.Duration `json:"duration"`
	BlackoutDates []string      `json:"blackout_dates,omitempty"`
	// HostWorstCase is one host's longest run through its steps
	// (HostSteps.WorstCase): the estimate before any host was measured.
	HostWorstCase time.Duration `json:"host_worst_case,omitempty"`
}
