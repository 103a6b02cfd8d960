package pkgmgr

import (
	"context"
	"fmt"
	"time"

	"github.com/patchflow/patchflow/transport"
)

// ProgressFunc receives short progress notes during long operations
// ("apt-get install running for 20s"); activities use it to heartbeat.
type ProgressFunc func(note string)

type progressKey struct{}

// WithProgress returns a context whose long package operations call fn
// every ProgressInterval while a command runs, and between steps.
func WithProgress(ctx context.Context, fn ProgressFunc) context.Context {
	return context.WithValue(ctx, progressKey{}, fn)
}

// ProgressInterval is how often a running command reports progress.
var ProgressInterval = 5 * time.Second

func progress(ctx context.Context, format string, args ...any) {
	if fn, ok := ctx.Value(progressKey{}).(ProgressFunc); ok && fn != nil {
		fn(fmt.Sprintf(format, args...))
	}
}

// runner runs commands for a driver: a fixed C locale so output parses the
// same everywhere, sudo for privileged commands, progress while waiting.
type runner struct {
	conn transport.Conn
	sudo bool
}

func (r runner) host() string { return r.conn.Host() }

// cmd builds a command with the parsing-friendly environment.
func (r runner) cmd(privileged bool, timeout time.Duration, args ...string) transport.Command {
	return transport.Command{
		Args:    args,
		Sudo:    privileged && r.sudo,
		Timeout: timeout,
		Env:     map[string]string{"LC_ALL": "C", "DEBIAN_FRONTEND": "noninteractive"},
	}
}

// run runs c, reporting progress every ProgressInterval while it runs.
// Only transport failures are errors; the caller interprets the exit code.
func (r runner) run(ctx context.Context, c transport.Command) (transport.Result, error) {
	fn, _ := ctx.Value(progressKey{}).(ProgressFunc)
	if fn == nil {
		return r.conn.Run(ctx, c)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		start := time.Now()
		t := time.NewTicker(ProgressInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fn(fmt.Sprintf("%s: %s running for %s", r.host(), c.Args[0], time.Since(start).Round(time.Second)))
			}
		}
	}()
	return r.conn.Run(ctx, c)
}

// errorFor makes an *Error for a failed command with the tail of its output.
func (r runner) errorFor(op string, kind ErrorKind, c transport.Command, res transport.Result, msg string) *Error {
	tail := transport.Tail(res.Stderr, 6)
	if tail == "" {
		tail = transport.Tail(res.Stdout, 6)
	}
	if msg == "" {
		msg = fmt.Sprintf("host %s: %s failed (%s exited %d)", r.host(), op, c.String(), res.ExitCode)
		if tail != "" {
			msg += ": " + tail
		}
		if h := kindHints[kind]; h != "" {
			msg += "; " + h
		}
	}
	return &Error{Host: r.host(), Op: op, Cmd: c.String(), Kind: kind, Msg: msg, Stderr: tail}
}

// kindHints tell the operator what to do about a failure of each kind.
var kindHints = map[ErrorKind]string{
	Locked:      "another package manager run holds the lock: wait for it to finish, then retry",
	DiskFull:    "free space (apt-get clean / dnf clean packages, or grow the file system) and retry",
	FetchFailed: "check that the host reaches its repositories",
	Broken:      "repair the package state (dpkg --configure -a, or install a working version) and retry",
}
