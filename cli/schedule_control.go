package cli

import (
	"context"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/schedules"
)

// scheduleVerb is one action on an existing schedule.
type scheduleVerb struct {
	name  string
	short string
	done  string // past tense for the reply
	note  bool   // takes --note
	run   func(ctx context.Context, c client.Client, policy, note string) error
}

var scheduleVerbs = []scheduleVerb{
	{"pause", "Stop a schedule from starting cycles (running cycles go on)", "paused", true, schedules.Pause},
	{"unpause", "Let a paused schedule start cycles again", "unpaused", true, schedules.Unpause},
	{"trigger", "Start a cycle of the schedule now (skipped while one still runs)", "triggered", false,
		func(ctx context.Context, c client.Client, policy, _ string) error {
			return schedules.Trigger(ctx, c, policy)
		}},
	{"delete", "Delete a schedule (cycles it started go on)", "deleted", false,
		func(ctx context.Context, c client.Client, policy, _ string) error {
			return schedules.Delete(ctx, c, policy)
		}},
}

// ScheduleControlOptions are the flags of pause, unpause, trigger, delete.
type ScheduleControlOptions struct {
	IO      IOStreams
	Factory *Factory
	Verb    scheduleVerb
	Policy  string
	Note    string
	JSON    bool
}

// NewCmdScheduleControl builds one of pause, unpause, trigger and delete.
func NewCmdScheduleControl(f *Factory, v scheduleVerb, runF func(*ScheduleControlOptions) error) *cobra.Command {
	opts := &ScheduleControlOptions{IO: f.IO, Factory: f, Verb: v}
	cmd := &cobra.Command{
		Use:   v.name + " POLICY",
		Short: v.short,
		Args:  wrapArgs(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Policy = schedulePolicyArg(args[0])
			if runF != nil {
				return runF(opts)
			}
			return scheduleControlRun(opts)
		},
	}
	if v.note {
		cmd.Flags().StringVar(&opts.Note, "note", "", "why (shown by schedule describe and in the Temporal UI)")
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the reply as JSON")
	return cmd
}

func scheduleControlRun(opts *ScheduleControlOptions) error {
	ctx, c, done, err := opts.Factory.connect()
	if err != nil {
		return err
	}
	defer done()
	note := opts.Note
	if note == "" && opts.Verb.note {
		note = opts.Verb.done + " with patchflow schedule " + opts.Verb.name
	}
	if err := opts.Verb.run(ctx, c, opts.Policy, note); err != nil {
		return temporalError(err)
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, map[string]string{"schedule_id": schedules.ID(opts.Policy), "result": opts.Verb.done})
	}
	termf(opts.IO.Out, "schedule %s %s\n", schedules.ID(opts.Policy), opts.Verb.done)
	return nil
}
