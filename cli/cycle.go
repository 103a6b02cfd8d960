package cli

import (
	"github.com/spf13/cobra"
)

// NewCmdCycle builds `patchflow cycle` and its verbs.
func NewCmdCycle(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cycle",
		Short: "Start, watch and steer patch cycles",
		Long: `A cycle is one run of a policy: resolve the targets, scan and pin the
updates, approve, patch staging, roll out in waves, verify. Its workflow ID is
cycle/<policy>/<UTC start>; every verb takes that ID.`,
	}
	addTemporalFlags(cmd.PersistentFlags(), &f.Temporal)
	cmd.AddCommand(
		NewCmdCycleStart(f, nil),
		NewCmdCyclePlan(f, nil),
		NewCmdCycleStatus(f, nil),
		NewCmdCycleList(f, nil),
		NewCmdCycleExtendWindow(f, nil),
	)
	for _, c := range cycleControls {
		cmd.AddCommand(NewCmdCycleControl(f, c, nil))
	}
	return cmd
}
