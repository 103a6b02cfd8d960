package localfleet

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
)

// hostEnv is the environment of commands run with Exec: a root login's,
// not the caller's.
var hostEnv = []string{
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOME=/root", "LANG=C.UTF-8", "DEBIAN_FRONTEND=noninteractive",
}

// hostCommand builds a command that runs args inside the host: in its
// namespaces and below its root, as root, without ssh.
func (f *Fleet) hostCommand(ctx context.Context, name string, args []string) (*exec.Cmd, error) {
	h, err := f.host(name)
	if err != nil {
		return nil, err
	}
	if len(args) == 0 {
		return nil, fmt.Errorf("localfleet: exec on %s: no command", name)
	}
	pid, err := h.pid()
	if err != nil {
		return nil, err
	}
	nsargs := append([]string{"--target", strconv.Itoa(pid),
		"--mount", "--uts", "--ipc", "--net", "--pid", "--root", "--wd", "--"}, args...)
	cmd := exec.CommandContext(ctx, "nsenter", nsargs...)
	cmd.Env = hostEnv
	// nsenter forks into the host's pid namespace; cancelling must end the
	// command too, so it gets its own process group and the group is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	return cmd, nil
}

// Exec runs a command inside host as root, without ssh (for test
// assertions such as dpkg-query), and returns its stdout. A non-zero exit
// is an error naming the host and command, with the end of its output.
func (f *Fleet) Exec(ctx context.Context, host string, args ...string) ([]byte, error) {
	cmd, err := f.hostCommand(ctx, host, args)
	if err != nil {
		return nil, err
	}
	// The error carries the end of both streams as they interleaved: apt
	// reports a failing maintainer script on stdout, its summary on stderr.
	var stdout bytes.Buffer
	both := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = io.MultiWriter(&stdout, both), both
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("localfleet: on %s: %s: %w%s", host, cmdString(args[0], args[1:]), err, tail(both.Bytes()))
	}
	return stdout.Bytes(), nil
}

// syncBuffer collects stdout and stderr, which exec copies from two
// goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Bytes()
}
