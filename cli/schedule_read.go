package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchflow/patchflow/schedules"
)

// ScheduleListOptions are the flags of `schedule list`.
type ScheduleListOptions struct {
	IO      IOStreams
	Factory *Factory
	JSON    bool
}

// NewCmdScheduleList builds `patchflow schedule list`.
func NewCmdScheduleList(f *Factory, runF func(*ScheduleListOptions) error) *cobra.Command {
	opts := &ScheduleListOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List patchflow's schedules with their next window",
		Args:  wrapArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return scheduleListRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the list as JSON")
	return cmd
}

func scheduleListRun(opts *ScheduleListOptions) error {
	ctx, c, done, err := opts.Factory.connect()
	if err != nil {
		return err
	}
	defer done()
	entries, err := schedules.List(ctx, c)
	if err != nil {
		return temporalError(err)
	}
	if opts.JSON {
		if entries == nil {
			entries = []schedules.Entry{}
		}
		return printJSON(opts.IO.Out, map[string]any{"schedules": entries})
	}
	t := newTable(opts.IO.Out, "SCHEDULE", "POLICY", "STATE", "NEXT WINDOW (UTC)", "LAST CYCLE")
	for _, e := range entries {
		state, next, last := "active", "-", "-"
		if e.Paused {
			state = "paused"
		}
		if len(e.NextActionTimes) > 0 {
			next = e.NextActionTimes[0].UTC().Format(time.DateTime)
		}
		if e.LastCycle != "" {
			last = e.LastCycle
		}
		t.row(e.ID, e.Policy, state, next, last)
	}
	t.flush()
	return nil
}

// ScheduleDescribeOptions are the flags of `schedule describe`.
type ScheduleDescribeOptions struct {
	IO      IOStreams
	Factory *Factory
	Policy  string
	JSON    bool
}

// NewCmdScheduleDescribe builds `patchflow schedule describe`.
func NewCmdScheduleDescribe(f *Factory, runF func(*ScheduleDescribeOptions) error) *cobra.Command {
	opts := &ScheduleDescribeOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "describe POLICY",
		Short: "Show a schedule: its window, next windows (local time and UTC), cycles started",
		Args:  wrapArgs(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Policy = schedulePolicyArg(args[0])
			if runF != nil {
				return runF(opts)
			}
			return scheduleDescribeRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the schedule as JSON")
	return cmd
}

func scheduleDescribeRun(opts *ScheduleDescribeOptions) error {
	ctx, c, done, err := opts.Factory.connect()
	if err != nil {
		return err
	}
	defer done()
	d, err := schedules.Describe(ctx, c, opts.Policy)
	if err != nil {
		return temporalError(err)
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, d)
	}
	printScheduleDescription(opts.IO, d)
	return nil
}

func printScheduleDescription(io IOStreams, d schedules.Description) {
	w := io.Out
	state := "active"
	if d.Paused {
		state = "paused"
	}
	if d.Note != "" {
		state += " (" + d.Note + ")"
	}
	termf(w, "schedule %s (policy %s): %s\n", d.ID, d.Policy, state)
	starts := strings.Join(append(append([]string{}, d.Cron...), d.Calendars...), "; ")
	termf(w, "window starts: %s in %s, jitter %s, catch-up %s\n", starts, d.TimeZone, d.Jitter, d.CatchupWindow)
	if len(d.Skip) > 0 {
		termf(w, "skipped: %s\n", strings.Join(d.Skip, ", "))
	}
	termf(w, "cycles started: %d; windows missed (catch-up): %d; skipped (a cycle still ran): %d\n", d.Actions, d.MissedCatchup, d.SkippedOverlap)
	for _, r := range d.Running {
		termf(w, "running: %s\n", r)
	}
	loc, err := time.LoadLocation(d.TimeZone)
	if err != nil {
		termf(io.ErrOut, "warning: time zone %s: %v; showing UTC\n", d.TimeZone, err)
		loc = time.UTC
	}
	if len(d.NextActionTimes) == 0 {
		fmt.Fprintln(w, "next windows: none")
	} else {
		termf(w, "next windows (%s, then UTC):\n", d.TimeZone)
		for _, t := range d.NextActionTimes {
			termf(w, "  %s  %s\n", t.In(loc).Format("Mon 2006-01-02 15:04 MST"), t.UTC().Format("2006-01-02 15:04 UTC"))
		}
	}
	if len(d.Recent) > 0 {
		fmt.Fprintln(w, "recent cycles:")
		for _, r := range d.Recent {
			termf(w, "  %s  scheduled %s\n", r.CycleID, r.Scheduled.In(loc).Format("2006-01-02 15:04:05 MST"))
		}
	}
}
