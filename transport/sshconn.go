package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
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
	pid := &pidCatcher{next: stderr}
	sess.Stdout, sess.Stderr = stdout, pid
	if cmd.Stdin != nil {
		sess.Stdin = bytes.NewReader(cmd.Stdin)
	}
	useSudo := cmd.Sudo && c.sudo
	if err := sess.Start(pidAnnounce + cmd.CommandLine(useSudo)); err != nil {
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
		c.terminate(sess, done, pid.get(), useSudo)
		pid.flush()
		return collect(stdout, stderr, -1), ctxError(context.Background(), c.host, cmd)
	case <-ctx.Done():
		c.terminate(sess, done, pid.get(), useSudo)
		pid.flush()
		return collect(stdout, stderr, -1), ctxError(ctx, c.host, cmd)
	}
	pid.flush()
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
	if why := sudoRefusal(res.ExitCode, res.Stderr); useSudo && why != "" {
		return res, sudoError(c.host, c.user, why, cmd)
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

// pidAnnounce makes the remote shell report its PID on stderr before it
// execs the command. sshd makes that shell a session and process group
// leader, so the PID names the group a timeout must end: OpenSSH ignores
// signal requests for root sessions ("session signalling requires privilege
// separation"), and closing the channel does not stop a command without a
// terminal.
const pidAnnounce = `printf 'patchflow-pid %s\n' "$$" >&2; `

// terminate ends a timed-out command: SIGTERM to its process group (sudo
// relays it to the command), a grace period, SIGKILL, then closing the
// channel. It waits briefly for the session's output copiers so the buffers
// are no longer written.
func (c *sshConn) terminate(sess *ssh.Session, done <-chan error, pid int, useSudo bool) {
	for _, sig := range []string{"TERM", "KILL"} {
		_ = sess.Signal(ssh.Signal(sig)) // honoured for non-root users
		if pid > 0 {
			c.killGroup(pid, sig, useSudo)
		}
		select {
		case <-done:
			return
		case <-time.After(killGrace):
		}
	}
	sess.Close()
	select {
	case <-done:
	case <-time.After(killGrace):
	}
}

// killGroup signals the remote process group on a second session.
func (c *sshConn) killGroup(pid int, sig string, useSudo bool) {
	kill := Command{Args: []string{"sh", "-c", `kill -s "$1" -- "-$2" 2>/dev/null`, "sh", sig, strconv.Itoa(pid)}, Timeout: killGrace}
	sess, err := c.openSession(context.Background())
	if err != nil {
		return
	}
	defer sess.Close()
	ch := make(chan error, 1)
	go func() { ch <- sess.Run(kill.CommandLine(useSudo)) }()
	select {
	case <-ch:
	case <-time.After(killGrace):
	}
}

// pidCatcher removes the pidAnnounce line from stderr and passes
// everything else on. The line is looked for among the first few lines, in
// case the login shell's start-up files print something first.
type pidCatcher struct {
	next    io.Writer
	mu      sync.Mutex
	decided bool
	head    []byte
	lines   int
	pid     int
}

const (
	pidPrefix    = "patchflow-pid "
	pidScanLines = 8
	pidScanBytes = 4096
)

func (p *pidCatcher) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.decided {
		return p.next.Write(b)
	}
	p.head = append(p.head, b...)
	for !p.decided {
		i := bytes.IndexByte(p.head, '\n')
		if i < 0 {
			if len(p.head) > pidScanBytes {
				p.decided = true
			}
			break
		}
		line := p.head[:i+1]
		if pid, ok := bytes.CutPrefix(line, []byte(pidPrefix)); ok {
			p.pid, _ = strconv.Atoi(string(bytes.TrimSpace(pid)))
			p.decided = true
		} else {
			_, _ = p.next.Write(line)
			p.lines++
			p.decided = p.lines >= pidScanLines
		}
		p.head = p.head[i+1:]
	}
	if p.decided && len(p.head) > 0 {
		_, _ = p.next.Write(p.head)
		p.head = nil
	}
	return len(b), nil
}

// flush passes on what is still held back (output that ended before the
// announcement was found, such as a shell that failed to start).
func (p *pidCatcher) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.head) > 0 {
		_, _ = p.next.Write(p.head)
		p.head = nil
	}
	p.decided = true
}

func (p *pidCatcher) get() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pid
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
