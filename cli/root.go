// Package cli holds patchflow's cobra commands: one file per verb, each
// with an options struct, a NewCmdX constructor that only parses, and an
// xRun function that does the work against the Factory's streams.
package cli

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/patchflow/patchflow/internal/safetext"
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
	root.SetHelpCommand(newCmdHelp(root))
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
		NewCmdAssess(f, nil),
		NewCmdReport(f),
		NewCmdCVE(f),
		NewCmdException(f),
	)
	strictCompletion(root)
	return root
}

// newCmdHelp replaces cobra's help command, which answers an unknown topic
// with exit status 0: here it is a usage error (exit 2).
func newCmdHelp(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Long:  "Help shows the help of any command: patchflow help [command path].",
		Args:  cobra.ArbitraryArgs,
		RunE: func(_ *cobra.Command, args []string) error {
			cmd, rest, err := root.Find(args)
			if err != nil || cmd == nil || len(rest) > 0 {
				return UsageError("unknown help topic %q; run 'patchflow help' for the commands", strings.Join(args, " "))
			}
			return cmd.Help()
		},
	}
}

// strictCompletion makes `completion` without a known shell a usage error;
// cobra's own command prints its help and exits 0 for `completion bogus`.
func strictCompletion(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return UsageError("completion: name a shell: bash, zsh, fish or powershell")
			}
			return UsageError("completion: unknown shell %q; want bash, zsh, fish or powershell", args[0])
		}
	}
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
		f.IO.ErrOut.Write([]byte("error: " + errorText(err) + "\n"))
		if ExitCode(err) == ExitUsage && cmd != nil {
			f.IO.ErrOut.Write([]byte("run '" + cmd.CommandPath() + " --help' for usage\n"))
		}
	}
	return ExitCode(err)
}

// errorText renders an error for the terminal. Errors quote names, paths
// and remote output, so control characters are escaped, line breaks
// included; only the breaks between the errors of a list (every problem of
// a policy or an inventory) are kept, one error a line.
func errorText(err error) string {
	msg := err.Error()
	var multi interface{ Unwrap() []error }
	if errors.As(err, &multi) {
		if whole := multi.(error).Error(); strings.HasSuffix(msg, whole) {
			parts := multi.Unwrap()
			lines := make([]string, len(parts))
			for i, e := range parts {
				lines[i] = safetext.Terminal(e.Error())
			}
			return safetext.Terminal(msg[:len(msg)-len(whole)]) + strings.Join(lines, "\n")
		}
	}
	return safetext.Terminal(msg)
}
