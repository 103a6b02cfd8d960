package transport

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"os/user"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/patchflow/patchflow/inventory"
)

// LocalDialer returns a Dialer that runs commands on this machine with
// os/exec: argv is executed directly, no shell is involved. Sudo applies as
// for SSH: only when the host has Become set and this process is not root.
func LocalDialer() Dialer { return localDialer{} }

type localDialer struct{}

func (localDialer) Dial(ctx context.Context, h inventory.Host) (Conn, error) {
	name := h.Name
	if name == "" {
		name = "localhost"
	}
	uname := "root"
	if u, err := user.Current(); err == nil {
		uname = u.Username
	}
	return &localConn{host: name, user: uname, sudo: h.Become && os.Geteuid() != 0}, nil
}

type localConn struct {
	host   string
	user   string
	sudo   bool
	closed atomic.Bool
}

func (c *localConn) Host() string { return c.host }

func (c *localConn) Close() error {
	c.closed.Store(true)
	return nil
}

// killGrace is how long a timed-out command gets between SIGTERM and SIGKILL.
const killGrace = 2 * time.Second

func (c *localConn) Run(ctx context.Context, cmd Command) (Result, error) {
	if c.closed.Load() {
		return Result{}, &Error{Host: c.host, Op: "run " + cmd.String(), Kind: Closed, Err: errors.New("connection is closed")}
	}
	if err := cmd.validate(); err != nil {
		return Result{}, &Error{Host: c.host, Op: "run " + cmd.String(), Kind: Invalid, Err: err}
	}
	useSudo := cmd.Sudo && c.sudo
	argv := cmd.argv(useSudo)
	runCtx, cancel := context.WithTimeout(ctx, cmd.timeout())
	defer cancel()

	x := exec.CommandContext(runCtx, argv[0], argv[1:]...)
	// A process group of its own, so a timeout ends the command's children
	// too (a shell script's sleep, apt's dpkg).
	x.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	x.Cancel = func() error { return syscall.Kill(-x.Process.Pid, syscall.SIGTERM) }
	x.WaitDelay = killGrace
	stdout := &limitedBuffer{limit: DefaultOutputLimit}
	stderr := &limitedBuffer{limit: DefaultOutputLimit}
	x.Stdout, x.Stderr = stdout, stderr
	if cmd.Stdin != nil {
		x.Stdin = bytes.NewReader(cmd.Stdin)
	}
	err := x.Run()
	res := Result{Stdout: stdout.buf, Stderr: stderr.buf, Truncated: stdout.truncated || stderr.truncated}
	if x.ProcessState != nil {
		res.ExitCode = x.ProcessState.ExitCode()
	}
	if runCtx.Err() != nil {
		if x.Process != nil {
			// Whatever ignored SIGTERM in the group does not outlive us.
			_ = syscall.Kill(-x.Process.Pid, syscall.SIGKILL)
		}
		return res, ctxError(ctx, c.host, cmd)
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		res.ExitCode = -1
		return res, &Error{Host: c.host, Op: "run " + cmd.String(), Kind: CommandFailed, Err: err}
	}
	if why := sudoRefusal(res.ExitCode, res.Stderr); useSudo && why != "" {
		return res, sudoError(c.host, c.user, why, cmd)
	}
	return res, nil
}

// ctxError explains why a command's context ended: the caller's own context
// (cancelled or past its deadline) or the command's timeout.
func ctxError(parent context.Context, host string, cmd Command) error {
	op := "run " + cmd.String()
	if err := parent.Err(); err != nil {
		kind := Unknown
		if errors.Is(err, context.DeadlineExceeded) {
			kind = Timeout
		}
		return &Error{Host: host, Op: op, Kind: kind, Err: err}
	}
	return &Error{Host: host, Op: op, Kind: Timeout,
		Err: errors.New("timed out after " + cmd.timeout().String() + "; the command was terminated")}
}
