package cli

import (
	"errors"
	"fmt"
)

// Exit codes, a contract with scripts (docs/architecture.md, "Names every
// part shares"). They are documented in the root command's help.
const (
	ExitOK          = 0 // success
	ExitFailure     = 1 // failure, including invalid input
	ExitUsage       = 2 // unknown command, bad flag or wrong number of arguments
	ExitHostsFailed = 3 // a cycle finished with failed or rolled-back hosts
	ExitNoTemporal  = 4 // the Temporal frontend could not be reached
)

// exitCodeHelp is appended to the root command's long help.
const exitCodeHelp = `Exit codes:
  0  success
  1  failure, including invalid input
  2  usage error (unknown command, bad flag, wrong arguments)
  3  the cycle finished with failed or rolled-back hosts
  4  cannot reach Temporal`

// ExitError carries an exit code to main. Commands return it (wrapped or
// not) when a failure must map to a code other than ExitFailure.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// UsageError marks an error as a usage error (exit code 2).
func UsageError(format string, args ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, args...)}
}

// WithExitCode wraps err so that main exits with code; nil stays nil.
func WithExitCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &ExitError{Code: code, Err: err}
}

// SilentError makes main exit with code without printing anything more:
// the command has already told the user what went wrong (for example
// `policy validate` after printing every error of every file).
func SilentError(code int) error { return &ExitError{Code: code} }

// ExitCode maps an error returned by a command to the process exit code.
// It is the one place where errors become exit codes.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitFailure
}

// ShouldPrint reports whether main should print err: silent errors carry
// only a code.
func ShouldPrint(err error) bool {
	var ee *ExitError
	if errors.As(err, &ee) && ee.Err == nil {
		return false
	}
	return err != nil
}
