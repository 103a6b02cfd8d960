// Package cli holds patchflow's cobra commands: one file per verb, each
// with an options struct, a NewCmdX constructor that only parses, and an
// xRun function that does the work against the Factory's streams.
package cli

import (
	"github.com/spf13/cobra"
)

// NewCmdRoot builds the whole command tree.
func NewCmdRoot(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "patchflow",
		Short: "Patch server fleets safely, as durable Temporal workflows",
		Long: `patchflow runs patch cycles on server fleets as durable Temporal workflows.
A YAML policy says which hosts, which patches, when, how fast, how to check and
how to undo; patchflow pins exact versions, proves them on staging hosts, rolls
them out in waves with a failure budget, verifies every host and rolls back
what broke.

Quick start:
  patchflow dev       embedded Temporal server + UI + worker on this machine

Reaching Temporal: --address, or TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE /
TEMPORAL_API_KEY / TEMPORAL_TLS_* and envconfig profiles (TEMPORAL_PROFILE);
default ` + defaultAddressHelp + `.

` + exitCodeHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       f.Version,
	}
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &ExitError{Code: ExitUsage, Err: err}
	})
	root.AddCommand(
		NewCmdDev(f, nil),
		NewCmdDemo(f, nil),
		NewCmdWorker(f, nil),
		NewCmdVersion(f, nil),
		NewCmdCycle(f),
		NewCmdHost(f),
		NewCmdInventory(f),
		NewCmdPolicy(f),
		NewCmdSchedule(f),
		NewCmdAdvisories(f),
	)
	return root
}

// Execute runs the command tree with args and returns the process exit
// code, printing the error (if any) once.
func Execute(f *Factory, args []string) int {
	root := NewCmdRoot(f)
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	if err != nil && isUsageError(cmd, err) {
		err = &ExitError{Code: ExitUsage, Err: err}
	}
	if ShouldPrint(err) {
		f.IO.ErrOut.Write([]byte("error: " + err.Error() + "\n"))
		if ExitCode(err) == ExitUsage && cmd != nil {
			f.IO.ErrOut.Write([]byte("run '" + cmd.CommandPath() + " --help' for usage\n"))
		}
	}
	return ExitCode(err)
}
