package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
)

// sessionOpenTimeout bounds opening a session on an established connection;
// a healthy server answers in milliseconds, so a longer wait means the
// connection is half-dead (the host rebooted without a TCP reset).
const sessionOpenTimeout = 10 * time.Second

type sshConn struct {
	host        string
	user        string
	sudo        bool // the host wants Become and we are not root
	client      *ssh.Client
	hops        []*ssh.Client
	outputLimit int
	dead        atomic.Bool
	closed      atomic.Bool
}

func (c *sshConn) Host() string { return c.host }

// Close closes the connection and then its jump hops.
func (c *sshConn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	err := c.client.Close()
	for i := len(c.hops) - 1; i >= 0; i-- {
		c.hops[i].Close()
	}
	if c.dead.Load() {
		return nil // already gone; closing it is not a new failure
	}
	return err
}

func (c *sshConn) Run(ctx context.Context, cmd Command) (Result, error) {
	op := "run " + cmd.String()
	if c.closed.Load() {
		return Result{}, &Error{Host: c.host, Op: op, Kind: Closed, Err: errors.New("connection is closed")}
	}
	if err := cmd.validate(); err != nil {
		return Result{}, &Error{Host: c.host, Op: op, Kind: Invalid, Err: err}
	}
	if c.dead.Load() {
		return Result{}, &Error{Host: c.host, Op: op, Kind: Unreachable, Err: errConnDead}
	}
	sess, err := c.openSession(ctx)
	if err != nil {
		return Result{}, err
	}
	defer sess.Close()

	stdout := &syncBuffer{lb: limitedBuffer{limit: c.outputLimit}}
	stderr := &syncBuffer{lb: limitedBuffer{limit: c.outputLimit}}
	sess.Stdout, sess.Stderr = stdout, stderr
	if cmd.Stdin != nil {
		sess.Stdin = bytes.NewReader(cmd.Stdin)
	}
	useSudo := cmd.Sudo && c.sudo
	if err := sess.Start(cmd.CommandLine(useSudo)); err != nil {
		return Result{}, &Error{Host: c.host, Op: op, Kind: Unreachable, Err: fmt.Errorf("start command: %w", err)}
	}
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	timer := time.NewTimer(cmd.timeout())
	defer timer.Stop()

	var waitErr error
	select {
	case waitErr = <-done:
	case <-timer.C:
		terminate(sess, done)
		return collect(stdout, stderr, -1), ctxError(context.Background(), c.host, cmd)
	case <-ctx.Done():
		terminate(sess, done)
		return collect(stdout, stderr, -1), ctxError(ctx, c.host, cmd)
	}
	res := collect(stdout, stderr, 0)
	var exitErr *ssh.ExitError
	var missing *ssh.ExitMissingError
	switch {
	case waitErr == nil:
	case errors.As(waitErr, &exitErr):
		res.ExitCode = exitErr.ExitStatus()
		if exitErr.Signal() != "" && exitErr.ExitStatus() == 0 {
			res.ExitCode = 128 + 15 // killed by a signal without a status
		}
	case errors.As(waitErr, &missing):
		res.ExitCode = -1
		return res, &Error{Host: c.host, Op: op, Kind: Unreachable,
			Err: errors.New("connection lost while the command ran; its outcome is unknown")}
	default:
		res.ExitCode = -1
		return res, &Error{Host: c.host, Op: op, Kind: Unreachable, Err: waitErr}
	}
	if useSudo && sudoPasswordPrompted(res.ExitCode, res.Stderr) {
		return res, sudoPasswordError(c.host, c.user, cmd)
	}
	return res, nil
}

// openSession opens a session, treating failure or a hang as a dead
// connection (errConnDead), which the pool answers with one redial.
func (c *sshConn) openSession(ctx context.Context) (*ssh.Session, error) {
	ch := make(chan sessionResult, 1)
	go func() {
		s, err := c.client.NewSession()
		ch <- sessionResult{s, err}
	}()
	timer := time.NewTimer(sessionOpenTimeout)
	defer timer.Stop()
	var err error
	select {
	case r := <-ch:
		if r.err == nil {
			return r.s, nil
		}
		err = r.err
	case <-timer.C:
		err = fmt.Errorf("no session within %s", sessionOpenTimeout)
	case <-ctx.Done():
		go closeLate(ch)
		return nil, &Error{Host: c.host, Op: "open session", Kind: Timeout, Err: ctx.Err()}
	}
	go closeLate(ch)
	c.dead.Store(true)
	c.client.Close()
	return nil, &Error{Host: c.host, Op: "open session", Kind: Unreachable, Err: fmt.Errorf("%w: %v", errConnDead, err)}
}

// sessionResult is the outcome of opening a session in the background.
type sessionResult struct {
	s   *ssh.Session
	err error
}

// closeLate closes a session that arrives after its caller gave up.
func closeLate(ch <-chan sessionResult) {
	if r := <-ch; r.s != nil {
		r.s.Close()
	}
}

// terminate ends a running command: SIGTERM (sudo relays it), a grace
// period, SIGKILL, then closing the channel. It waits briefly for the
// session's output copiers so the buffers are no longer written.
func terminate(sess *ssh.Session, done <-chan error) {
	_ = sess.Signal(ssh.SIGTERM)
	select {
	case <-done:
		return
	case <-time.After(killGrace):
	}
	_ = sess.Signal(ssh.SIGKILL)
	sess.Close()
	select {
	case <-done:
	case <-time.After(killGrace):
	}
}

// syncBuffer is a limitedBuffer safe to read while the session may still
// be writing to it (after a timeout).
type syncBuffer struct {
	mu sync.Mutex
	lb limitedBuffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lb.Write(p)
}

func (s *syncBuffer) snapshot() ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.lb.buf), s.lb.truncated
}

func collect(stdout, stderr *syncBuffer, exit int) Result {
	o, ot := stdout.snapshot()
	e, et := stderr.snapshot()
	return Result{Stdout: o, Stderr: e, ExitCode: exit, Truncated: ot || et}
}
