package cli

import (
	"context"
	"io"
	"os"

	"go.temporal.io/sdk/client"
	"golang.org/x/term"
)

// IOStreams are where commands read and write, so tests can use buffers.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// IsTerminal reports whether w is an interactive terminal, which decides
// between live progress and plain lines.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Factory holds what every command needs, built lazily so that commands
// that never talk to Temporal (policy validate, inventory list) never dial.
type Factory struct {
	IO IOStreams
	// Temporal holds the connection flags shared by every command that
	// reaches a Temporal frontend.
	Temporal TemporalFlags
	// TemporalClient, when set, is where every cycle, host and schedule
	// verb gets its Temporal client instead of dialing with the flags
	// (tests give one of an in-process server). The verb closes the client
	// when it is done.
	TemporalClient func(ctx context.Context) (client.Client, error)
	// Version is the build's version string.
	Version string
}

// NewFactory returns a Factory writing to the process's standard streams.
func NewFactory(version string) *Factory {
	return &Factory{
		IO:      IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr},
		Version: version,
	}
}
