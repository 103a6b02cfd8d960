// Package schedules turns a policy's maintenance window into a Temporal
// Schedule that starts one PatchCycle per window (docs/schedules.md), and
// manages those schedules. It sits above policies, policyspec and
// workflows; the CLI calls it.
package schedules

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/policies"
	"github.com/patchflow/patchflow/workflows"
)

// IDPrefix starts the ID of every patchflow schedule: patchflow/<policy>.
const IDPrefix = "patchflow/"

// MemoSpecHash is the memo key (on the schedule's action, so an update can
// change it) holding the hash of everything the schedule was built from.
const MemoSpecHash = "patchflow_spec_hash"

// ErrNoWindow: the policy has no maintenance window to schedule.
var ErrNoWindow = errors.New("no maintenance window")

// ID is the schedule ID of a policy.
func ID(policy string) string { return IDPrefix + policy }

// ActionID is the workflow ID the schedule's action carries. Temporal
// appends "-" and the scheduled time (UTC, RFC 3339 seconds) to it, so a
// scheduled cycle's ID is cycle/<policy>-<time>, for example
// cycle/web-2026-11-25T02:00:00Z (a cycle started by hand is
// cycle/<policy>/<time>).
func ActionID(policy string) string { return "cycle/" + policy }

// Plan is a schedule built from a policy, ready to create or update.
type Plan struct {
	Policy  string
	Options client.ScheduleOptions
	// Window is the policy's window the schedule was built from.
	Window domain.WindowSpec
	// Hash identifies the schedule's content: the same policy gives the
	// same hash, so applying it again changes nothing.
	Hash string
}

// FromSpec builds the schedule of p from the CycleSpec made from it.
func FromSpec(p *policies.Policy, spec domain.CycleSpec) (Plan, error) {
	name := p.Metadata.Name
	win, ok := p.Window.ScheduleSpec()
	if !ok || spec.Window == nil {
		return Plan{}, fmt.Errorf("policy %s has no window: add window.cron or window.calendar: %w", name, ErrNoWindow)
	}
	sspec := scheduleSpec(win)
	moved, err := springForwardStarts(spec.Window, time.Now())
	if err != nil {
		return Plan{}, fmt.Errorf("policy %s: window: %w", name, err)
	}
	sspec.Calendars = append(sspec.Calendars, moved...)
	hash, err := specHash(win, sspec, spec)
	if err != nil {
		return Plan{}, fmt.Errorf("policy %s: hash the schedule: %w", name, err)
	}
	summary := "patch cycle of policy " + name + " (scheduled)"
	if spec.DryRun {
		// Scheduled dry runs prove a schedule fires without touching hosts.
		summary = "dry run of policy " + name + " (scheduled)"
	}
	opts := client.ScheduleOptions{
		ID:   ID(name),
		Spec: sspec,
		Action: &client.ScheduleWorkflowAction{
			ID:            ActionID(name),
			Workflow:      workflows.PatchCycle,
			Args:          []any{workflows.CycleInput{Spec: spec, Notify: p.Webhooks()}},
			TaskQueue:     workflows.TaskQueue,
			StaticSummary: summary,
			Memo:          map[string]any{MemoSpecHash: hash},
			TypedSearchAttributes: temporal.NewSearchAttributes(
				workflows.AttrPolicy.ValueSet(name),
				workflows.AttrCycleState.ValueSet(string(domain.CycleResolving)),
			),
		},
		// A window never starts a second cycle of the same policy.
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		// A window missed for longer than this (server down) is skipped,
		// not run hours late.
		CatchupWindow: win.CatchupWindow,
		Note:          "maintenance window of policy " + name,
	}
	return Plan{Policy: name, Options: opts, Window: win, Hash: hash}, nil
}

// specHash hashes what the schedule is made of (window and cycle spec).
func specHash(win domain.WindowSpec, sspec client.ScheduleSpec, spec domain.CycleSpec) (string, error) {
	b, err := json.Marshal(struct {
		Schedule client.ScheduleSpec           `json:"schedule"`
		Window   domain.WindowSpec             `json:"window"`
		Spec     domain.CycleSpec              `json:"spec"`
		Policy   enumspb.ScheduleOverlapPolicy `json:"overlap"`
	}{sspec, win, spec, enumspb.SCHEDULE_OVERLAP_POLICY_SKIP})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16]), nil
}

// scheduleSpec copies the policy's WindowSpec into Temporal's shape.
func scheduleSpec(w domain.WindowSpec) client.ScheduleSpec {
	s := client.ScheduleSpec{
		CronExpressions: w.CronExpressions,
		Jitter:          w.Jitter,
		TimeZoneName:    w.TimeZoneName,
	}
	if s.TimeZoneName == "" {
		s.TimeZoneName = domain.DefaultTimezone
	}
	for _, c := range w.Calendars {
		s.Calendars = append(s.Calendars, calendar(c))
	}
	for _, c := range w.Skip {
		s.Skip = append(s.Skip, calendar(c))
	}
	return s
}

func calendar(c domain.CalendarSpec) client.ScheduleCalendarSpec {
	return client.ScheduleCalendarSpec{
		Second: ranges(c.Second), Minute: ranges(c.Minute), Hour: ranges(c.Hour),
		DayOfMonth: ranges(c.DayOfMonth), Month: ranges(c.Month), Year: ranges(c.Year),
		DayOfWeek: ranges(c.DayOfWeek), Comment: c.Comment,
	}
}

func ranges(rs []domain.Range) []client.ScheduleRange {
	var out []client.ScheduleRange
	for _, r := range rs {
		out = append(out, client.ScheduleRange{Start: r.Start, End: r.End, Step: r.Step})
	}
	return out
}
