package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchflow/patchflow/policies"
	"github.com/patchflow/patchflow/schedules"
)

// NewCmdSchedule builds `patchflow schedule` and its verbs.
func NewCmdSchedule(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Run a policy's cycles in its maintenance windows (Temporal Schedules)",
		Long: `A schedule starts one cycle of a policy at each start of the policy's
maintenance window (window.cron or window.calendar, in window.timezone, with
jitter, blackout dates skipped). Its ID is patchflow/<policy>; the cycles it
starts are cycle/<policy>-<scheduled UTC time>. A window missed by more than
window.catchup_window (the server was down) is skipped, not run late, and a
window never starts a second cycle while one of the policy still runs.

A cycle keeps to the window: it starts only the batches of hosts that can
finish before the window closes, then parks until the next window
(cycle resume goes on now, cycle extend-window lengthens the window).`,
	}
	addTemporalFlags(cmd.PersistentFlags(), &f.Temporal)
	cmd.AddCommand(
		NewCmdScheduleApply(f, true, nil),
		NewCmdScheduleApply(f, false, nil),
		NewCmdScheduleList(f, nil),
		NewCmdScheduleDescribe(f, nil),
	)
	for _, v := range scheduleVerbs {
		cmd.AddCommand(NewCmdScheduleControl(f, v, nil))
	}
	return cmd
}

// ScheduleApplyOptions are the flags of `schedule create` and `update`.
type ScheduleApplyOptions struct {
	IO         IOStreams
	Factory    *Factory
	Create     bool
	PolicyPath string
	DryRun     bool
	JSON       bool
	// Assess schedules the policy's assessment every Every instead of
	// its cycles (schedule ID patchflow/assess/<policy>).
	Assess     bool
	Every      time.Duration
	KEVDueDate bool
}

// ScheduleApplyResult is the --json output of create and update.
type ScheduleApplyResult struct {
	ScheduleID string `json:"schedule_id"`
	Policy     string `json:"policy"`
	// Result is "created", "updated" or "unchanged".
	Result   string `json:"result"`
	SpecHash string `json:"spec_hash"`
}

// NewCmdScheduleApply builds `schedule create` (create true) or `update`.
func NewCmdScheduleApply(f *Factory, create bool, runF func(*ScheduleApplyOptions) error) *cobra.Command {
	opts := &ScheduleApplyOptions{IO: f.IO, Factory: f, Create: create}
	cmd := &cobra.Command{
		Use:   "create -p POLICY",
		Short: "Create the schedule of a policy's maintenance window",
		Args:  wrapArgs(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if opts.PolicyPath == "" {
				return UsageError("a policy is required: %s -p POLICY", c.CommandPath())
			}
			if err := checkAssessFlags(c, opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return scheduleApplyRun(opts)
		},
	}
	if !create {
		cmd.Use = "update -p POLICY"
		cmd.Short = "Apply a changed policy to its schedule (the same policy changes nothing)"
	}
	cmd.Flags().StringVarP(&opts.PolicyPath, "policy", "p", "", "policy file (YAML) with a window")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "scheduled cycles scan and plan only; they change no host")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	addAssessScheduleFlags(cmd, opts)
	return cmd
}

func scheduleApplyRun(opts *ScheduleApplyOptions) error {
	plan, err := schedulePlan(opts.PolicyPath, opts.DryRun, opts.IO)
	if opts.Assess {
		plan, err = assessSchedulePlan(opts)
	}
	if err != nil {
		return err
	}
	ctx, c, done, err := opts.Factory.connect()
	if err != nil {
		return err
	}
	defer done()
	res := ScheduleApplyResult{ScheduleID: plan.Options.ID, Policy: plan.Policy, SpecHash: plan.Hash, Result: "created"}
	if opts.Create {
		if err := schedules.Create(ctx, c, plan); err != nil {
			return temporalError(err)
		}
	} else {
		changed, err := schedules.Update(ctx, c, plan)
		if err != nil {
			return temporalError(err)
		}
		res.Result = "unchanged"
		if changed {
			res.Result = "updated"
		}
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, res)
	}
	termf(opts.IO.Out, "schedule %s %s (policy %s)\n", res.ScheduleID, res.Result, res.Policy)
	if res.Result != "unchanged" && opts.Assess {
		termf(opts.IO.Out, "next assessments: patchflow schedule describe %s\n", res.Policy)
	} else if res.Result != "unchanged" {
		termf(opts.IO.Out, "next windows: patchflow schedule describe %s\n", res.Policy)
	}
	return nil
}

// schedulePlan loads, validates and resolves a policy (its inventory read
// now, as cycle start does) and builds its schedule.
func schedulePlan(path string, dryRun bool, io IOStreams) (schedules.Plan, error) {
	f, err := readPolicyFile(path, policyRead{inventory: true, check: func(p *policies.Policy) error {
		if !p.Window.Scheduled() {
			return fmt.Errorf("policy %s has no window: add window.cron or window.calendar (%s)", p.Metadata.Name, path)
		}
		return nil
	}})
	if err != nil {
		return schedules.Plan{}, err
	}
	for _, w := range f.warnings {
		termf(io.ErrOut, "warning: %s\n", w)
	}
	f.spec.DryRun = dryRun
	return schedules.FromSpec(f.policy, f.spec)
}

// schedulePolicyArg accepts a policy name or a schedule ID (patchflow/NAME).
func schedulePolicyArg(arg string) string {
	return strings.TrimPrefix(arg, schedules.IDPrefix)
}
