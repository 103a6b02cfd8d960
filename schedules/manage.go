package schedules

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

// ErrExists: create found a schedule of the policy already.
var ErrExists = errors.New("schedule exists")

// ErrNotFound: no schedule of that policy.
var ErrNotFound = errors.New("schedule not found")

// Create creates the plan's schedule; an existing one is an error wrapping
// ErrExists that suggests update.
func Create(ctx context.Context, c client.Client, plan Plan) error {
	_, err := c.ScheduleClient().Create(ctx, plan.Options)
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) || isAlreadyExists(err) {
		return fmt.Errorf("schedule %s already exists: run 'patchflow schedule update -p POLICY' to change it: %w", plan.Options.ID, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("create schedule %s: %w", plan.Options.ID, err)
	}
	return nil
}

func isAlreadyExists(err error) bool {
	var ae *serviceerror.AlreadyExists
	return errors.As(err, &ae)
}

// Update replaces the schedule's spec, action and policies with the plan's,
// keeping its paused state and note. It changes nothing and returns false
// when the schedule already holds the plan (same hash).
func Update(ctx context.Context, c client.Client, plan Plan) (changed bool, err error) {
	h := c.ScheduleClient().GetHandle(ctx, plan.Options.ID)
	err = h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
		if actionHash(in.Description.Schedule.Action) == plan.Hash {
			return nil, temporal.ErrSkipScheduleUpdate
		}
		changed = true
		o := plan.Options
		s := in.Description.Schedule
		spec := o.Spec
		return &client.ScheduleUpdate{Schedule: &client.Schedule{
			Action: o.Action,
			Spec:   &spec,
			Policy: &client.SchedulePolicies{Overlap: o.Overlap, CatchupWindow: o.CatchupWindow},
			State:  s.State,
		}}, nil
	}})
	if err != nil {
		return false, notFound(plan.Policy, fmt.Errorf("update schedule %s: %w", plan.Options.ID, err))
	}
	return changed, nil
}

// actionHash reads MemoSpecHash from a described schedule's action.
func actionHash(a client.ScheduleAction) string {
	wa, ok := a.(*client.ScheduleWorkflowAction)
	if !ok {
		return ""
	}
	var hash string
	switch v := wa.Memo[MemoSpecHash].(type) {
	case *commonpb.Payload:
		_ = converter.GetDefaultDataConverter().FromPayload(v, &hash)
	case string:
		hash = v
	}
	return hash
}

// notFound names the policy when the server does not know its schedule.
func notFound(policy string, err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return fmt.Errorf("no schedule for policy %s (schedule ID %s): create it with 'patchflow schedule create -p POLICY': %w", policy, ID(policy), ErrNotFound)
	}
	return err
}

// Description is what `schedule describe` and `list` show of a schedule.
type Description struct {
	ID       string `json:"id"`
	Policy   string `json:"policy"`
	Paused   bool   `json:"paused"`
	Note     string `json:"note,omitempty"`
	Hash     string `json:"spec_hash,omitempty"`
	TimeZone string `json:"time_zone"`
	// Cron and Calendars describe the window starts as Temporal holds them.
	Cron          []string      `json:"cron,omitempty"`
	Calendars     []string      `json:"calendars,omitempty"`
	Skip          []string      `json:"skip,omitempty"`
	Jitter        time.Duration `json:"jitter"`
	CatchupWindow time.Duration `json:"catchup_window"`
	// NextActionTimes are the server's next window starts (UTC).
	NextActionTimes []time.Time `json:"next_action_times"`
	// Actions counts cycles started; MissedCatchup counts windows skipped
	// because they were missed by more than the catch-up window;
	// SkippedOverlap counts windows skipped because a cycle still ran.
	Actions        int            `json:"actions"`
	MissedCatchup  int            `json:"missed_catchup_window"`
	SkippedOverlap int            `json:"skipped_overlap"`
	Running        []string       `json:"running,omitempty"`
	Recent         []RecentAction `json:"recent_actions,omitempty"`
}

// RecentAction is one cycle the schedule started.
type RecentAction struct {
	Scheduled time.Time `json:"scheduled"`
	Actual    time.Time `json:"actual"`
	CycleID   string    `json:"cycle_id"`
}

// Describe fetches the schedule of policy.
func Describe(ctx context.Context, c client.Client, policy string) (Description, error) {
	d, err := c.ScheduleClient().GetHandle(ctx, ID(policy)).Describe(ctx)
	if err != nil {
		return Description{}, notFound(policy, fmt.Errorf("describe schedule %s: %w", ID(policy), err))
	}
	out := Description{
		ID: ID(policy), Policy: policy, Hash: actionHash(d.Schedule.Action),
		NextActionTimes: d.Info.NextActionTimes, Actions: d.Info.NumActions,
		MissedCatchup: d.Info.NumActionsMissedCatchupWindow, SkippedOverlap: d.Info.NumActionsSkippedOverlap,
	}
	if st := d.Schedule.State; st != nil {
		out.Paused, out.Note = st.Paused, st.Note
	}
	if p := d.Schedule.Policy; p != nil {
		out.CatchupWindow = p.CatchupWindow
	}
	if s := d.Schedule.Spec; s != nil {
		out.TimeZone, out.Jitter, out.Cron = s.TimeZoneName, s.Jitter, s.CronExpressions
		for _, c := range s.Calendars {
			out.Calendars = append(out.Calendars, calendarText(c))
		}
		for _, c := range s.Skip {
			out.Skip = append(out.Skip, calendarText(c))
		}
	}
	if out.TimeZone == "" {
		out.TimeZone = "UTC"
	}
	for _, r := range d.Info.RunningWorkflows {
		out.Running = append(out.Running, r.WorkflowID)
	}
	for _, r := range d.Info.RecentActions {
		a := RecentAction{Scheduled: r.ScheduleTime, Actual: r.ActualTime}
		if r.StartWorkflowResult != nil {
			a.CycleID = r.StartWorkflowResult.WorkflowID
		}
		out.Recent = append(out.Recent, a)
	}
	return out, nil
}

// calendarText prints a calendar spec as the comment it was built with,
// or (the server turns cron expressions into calendars) as a cron line,
// "at second 0" added when seconds other than 0 match.
func calendarText(c client.ScheduleCalendarSpec) string {
	if c.Comment != "" {
		return c.Comment
	}
	field := func(rs []client.ScheduleRange, lo, hi int) string {
		if len(rs) == 0 || len(rs) == 1 && rs[0].Start == lo && rs[0].End >= hi && rs[0].Step <= 1 {
			return "*"
		}
		var parts []string
		for _, r := range rs {
			switch {
			case r.End <= r.Start:
				parts = append(parts, strconv.Itoa(r.Start))
			case r.Step > 1:
				parts = append(parts, fmt.Sprintf("%d-%d/%d", r.Start, r.End, r.Step))
			default:
				parts = append(parts, fmt.Sprintf("%d-%d", r.Start, r.End))
			}
		}
		return strings.Join(parts, ",")
	}
	s := "cron " + strings.Join([]string{field(c.Minute, 0, 59), field(c.Hour, 0, 23), field(c.DayOfMonth, 1, 31),
		field(c.Month, 1, 12), field(c.DayOfWeek, 0, 6)}, " ")
	if sec := field(c.Second, 0, 59); sec != "0" {
		s += " at second " + sec
	}
	if y := field(c.Year, 0, 1<<30); y != "*" {
		s += " in " + y
	}
	return s
}

// Entry is one row of `schedule list`.
type Entry struct {
	ID              string      `json:"id"`
	Policy          string      `json:"policy"`
	Paused          bool        `json:"paused"`
	NextActionTimes []time.Time `json:"next_action_times"`
	LastCycle       string      `json:"last_cycle,omitempty"`
}

// List lists patchflow's schedules (IDs starting with IDPrefix), by ID.
func List(ctx context.Context, c client.Client) ([]Entry, error) {
	it, err := c.ScheduleClient().List(ctx, client.ScheduleListOptions{PageSize: 1000})
	if err != nil {
		return nil, fmt.Errorf("list schedules: %w", err)
	}
	var out []Entry
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("list schedules: %w", err)
		}
		if !strings.HasPrefix(e.ID, IDPrefix) {
			continue
		}
		en := Entry{ID: e.ID, Policy: strings.TrimPrefix(e.ID, IDPrefix), Paused: e.Paused, NextActionTimes: e.NextActionTimes}
		if n := len(e.RecentActions); n > 0 && e.RecentActions[n-1].StartWorkflowResult != nil {
			en.LastCycle = e.RecentActions[n-1].StartWorkflowResult.WorkflowID
		}
		out = append(out, en)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Pause stops the schedule of policy from starting cycles (running
// cycles go on); note says why.
func Pause(ctx context.Context, c client.Client, policy, note string) error {
	err := c.ScheduleClient().GetHandle(ctx, ID(policy)).Pause(ctx, client.SchedulePauseOptions{Note: note})
	if err != nil {
		return notFound(policy, fmt.Errorf("pause schedule %s: %w", ID(policy), err))
	}
	return nil
}

// Unpause lets the schedule of policy start cycles again.
func Unpause(ctx context.Context, c client.Client, policy, note string) error {
	err := c.ScheduleClient().GetHandle(ctx, ID(policy)).Unpause(ctx, client.ScheduleUnpauseOptions{Note: note})
	if err != nil {
		return notFound(policy, fmt.Errorf("unpause schedule %s: %w", ID(policy), err))
	}
	return nil
}

// Trigger starts a cycle of the schedule now (skipped, like a window, when
// a cycle of the policy still runs).
func Trigger(ctx context.Context, c client.Client, policy string) error {
	err := c.ScheduleClient().GetHandle(ctx, ID(policy)).Trigger(ctx, client.ScheduleTriggerOptions{})
	if err != nil {
		return notFound(policy, fmt.Errorf("trigger schedule %s: %w", ID(policy), err))
	}
	return nil
}

// Delete removes the schedule of policy; cycles it started go on.
func Delete(ctx context.Context, c client.Client, policy string) error {
	err := c.ScheduleClient().GetHandle(ctx, ID(policy)).Delete(ctx)
	if err != nil {
		return notFound(policy, fmt.Errorf("delete schedule %s: %w", ID(policy), err))
	}
	return nil
}
