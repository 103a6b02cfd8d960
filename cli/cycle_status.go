package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// CycleStatusOptions are the flags of `patchflow cycle status`.
type CycleStatusOptions struct {
	IO      IOStreams
	Factory *Factory
	ID      string
	Watch   bool
	JSON    bool
}

// NewCmdCycleStatus builds `patchflow cycle status`.
func NewCmdCycleStatus(f *Factory, runF func(*CycleStatusOptions) error) *cobra.Command {
	opts := &CycleStatusOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "status CYCLE_ID",
		Short: "Show a cycle's state, waves and hosts",
		Long: `Show a cycle's state, waves and hosts. --watch follows a running cycle until it
finishes and then exits like "cycle start --wait" (3 when hosts failed or were
rolled back).`,
		Args: wrapArgs(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(opts)
			}
			return cycleStatusRun(opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Watch, "watch", "w", false, "follow the cycle until it finishes")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the status as JSON")
	return cmd
}

func cycleStatusRun(opts *CycleStatusOptions) error {
	ctx, c, done, err := opts.Factory.connect()
	if err != nil {
		return err
	}
	defer done()
	if opts.Watch {
		return watchToEnd(ctx, c, opts.ID, opts.IO, opts.JSON)
	}
	snap, err := fetchCycle(ctx, c, opts.ID)
	if err != nil {
		return err
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, snap.Status)
	}
	if snap.Result != nil {
		printCycleSummary(opts.IO.Out, *snap.Result)
		return nil
	}
	termf(opts.IO.Out, "%s\n", progressLine(snap.Status))
	fmt.Fprint(opts.IO.Out, progressFrame(snap.Status, "")[1:])
	printCycleHosts(opts.IO.Out, snap.Status.Hosts)
	return nil
}
