package testfleet

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
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
		return nil, fmt.Errorf("testfleet: exec on %s: no command", name)
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
// is an error naming the host and command, with the end of stderr.
func (f *Fleet) Exec(ctx context.Context, host string, args ...string) ([]byte, error) {
	cmd, err := f.hostCommand(ctx, host, args)
	if err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("testfleet: on %s: %s: %w%s", host, cmdString(args[0], args[1:]), err, tail(stderr.Bytes()))
	}
	return stdout.Bytes(), nil
}
