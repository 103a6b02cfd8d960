package cli

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/patchflow/patchflow/workflows"
)

// CycleExtendWindowOptions are the flags of `cycle extend-window`.
type CycleExtendWindowOptions struct {
	IO       IOStreams
	Factory  *Factory
	ID       string
	Duration time.Duration
	JSON     bool
}

// NewCmdCycleExtendWindow builds `patchflow cycle extend-window`.
func NewCmdCycleExtendWindow(f *Factory, runF func(*CycleExtendWindowOptions) error) *cobra.Command {
	opts := &CycleExtendWindowOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "extend-window CYCLE_ID --duration D",
		Short: "Lengthen a cycle's maintenance window (a parked cycle goes on now for D)",
		Long: `Lengthen the maintenance window of a cycle by --duration: the open window
closes D later, and a parked cycle goes on now with a window of D. The cycle
still starts only batches of hosts that fit. "cycle resume" on a parked cycle
goes on with the rest of the wave whatever the window says.`,
		Args: wrapArgs(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.ID = args[0]
			if opts.Duration <= 0 {
				return UsageError("--duration must be > 0, such as 30m or 2h")
			}
			if runF != nil {
				return runF(opts)
			}
			return cycleExtendWindowRun(opts)
		},
	}
	cmd.Flags().DurationVar(&opts.Duration, "duration", 0, "how much longer the window stays open (e.g. 30m, 2h)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the reply as JSON")
	return cmd
}

func cycleExtendWindowRun(opts *CycleExtendWindowOptions) error {
	ctx, c, done, err := opts.Factory.connect()
	if err != nil {
		return err
	}
	defer done()
	var reply workflows.CycleReply
	if err := sendUpdate(ctx, c, opts.ID, workflows.MsgExtendWindow, workflows.ExtendWindowRequest{Duration: opts.Duration}, &reply); err != nil {
		return err
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, reply)
	}
	termf(opts.IO.Out, "%s: window extended by %s; cycle is %s\n", reply.CycleID, opts.Duration, reply.State)
	return nil
}
