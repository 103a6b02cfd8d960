package cli

import (
	"strings"

	"github.com/spf13/cobra"
)

// isUsageError recognises the errors cobra itself returns for unknown
// commands and wrong argument counts, which carry no type of their own.
func isUsageError(cmd *cobra.Command, err error) bool {
	if ExitCode(err) != ExitFailure {
		return false
	}
	msg := err.Error()
	for _, prefix := range []string{"unknown command", "accepts ", "requires at least", "requires at most", "requires exactly", "received ", "unknown flag", "unknown shorthand flag", "invalid argument"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

// wrapArgs turns a cobra positional-argument validator's failure into a
// usage error, and refuses empty or blank arguments (a cycle ID of ""),
// which no command takes.
func wrapArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := v(cmd, args); err != nil {
			return &ExitError{Code: ExitUsage, Err: err}
		}
		for i, a := range args {
			if strings.TrimSpace(a) == "" {
				return UsageError("%s: argument %d is empty (usage: %s)", cmd.CommandPath(), i+1, cmd.UseLine())
			}
		}
		return nil
	}
}
