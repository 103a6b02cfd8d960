package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/workflows"
)

// CycleStatusOptions are the flags of `patchflow cycle status`.
type CycleStatusOptions struct {
	IO      IOStreams
	Factory *Factory
	ID      string
	Watch   bool
	JSON    bool
	// Hosts lists every host of the cycle (paged from the cycle's hosts
	// query), States keeps those in the given states.
	Hosts  bool
	States []string
}

// NewCmdCycleStatus builds `patchflow cycle status`.
func NewCmdCycleStatus(f *Factory, runF func(*CycleStatusOptions) error) *cobra.Command {
	opts := &CycleStatusOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "status CYCLE_ID",
		Short: "Show a cycle's state, waves and hosts",
		Long: `Show a cycle's state, waves and hosts. --watch follows a running cycle until it
finishes and then exits like "cycle start --wait" (3 when hosts failed or were
rolled back).

The status lists the first hosts that did not end patched; --hosts lists every
host of the cycle, page by page from the cycle itself (a running worker answers),
and --state keeps hosts in the given states (patched, failed, rolled_back,
skipped, needs_repair, canceled).`,
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
	cmd.Flags().BoolVar(&opts.Hosts, "hosts", false, "list every host of the cycle")
	cmd.Flags().StringSliceVar(&opts.States, "state", nil, "with --hosts, only hosts in these states (comma-separated)")
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
	if opts.Hosts || len(opts.States) > 0 {
		return listCycleHosts(ctx, c, opts)
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

// listCycleHosts pages through the cycle's hosts query and prints every
// host (JSON: one object with all of them).
func listCycleHosts(ctx context.Context, c client.Client, opts *CycleStatusOptions) error {
	var states []domain.HostState
	for _, s := range opts.States {
		st := domain.HostState(strings.TrimSpace(s))
		if !st.Final() {
			return UsageError("--state %q: a host's final state is one of patched, failed, rolled_back, skipped, needs_repair or canceled", s)
		}
		if !slices.Contains(states, st) {
			states = append(states, st)
		}
	}
	all, err := workflows.AllHosts(ctx, c, opts.ID, states...)
	if err != nil {
		return err
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, all)
	}
	printCycleHosts(opts.IO.Out, all.Hosts)
	return nil
}
