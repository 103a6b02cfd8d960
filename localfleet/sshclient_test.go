package localfleet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// dialSSH connects to a fleet host as a client would: the fleet key, host
// keys checked against the fleet's known_hosts.
func dialSSH(f *Fleet, addr, user string) (*ssh.Client, error) {
	keyPEM, err := os.ReadFile(f.KeyPath)
	if err != nil {
		return nil, err
	}
	signer, err := ssh.ParsePrivateKey(keyPEM)
	if err != nil {
		return nil, err
	}
	check, err := knownhosts.New(f.KnownHostsPath)
	if err != nil {
		return nil, err
	}
	return ssh.Dial("tcp", net.JoinHostPort(addr, "22"), &ssh.ClientConfig{
		User:              user,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback:   check,
		HostKeyAlgorithms: []string{ssh.KeyAlgoED25519},
		Timeout:           3 * time.Second,
	})
}

// sshRun runs one command over ssh and returns stdout, stderr and the exit
// status (-1 when the command did not exit normally).
func sshRun(f *Fleet, addr, user, command string) (stdout, stderr string, code int, err error) {
	c, err := dialSSH(f, addr, user)
	if err != nil {
		return "", "", -1, err
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		return "", "", -1, err
	}
	defer s.Close()
	var o, e bytes.Buffer
	s.Stdout, s.Stderr = &o, &e
	err = s.Run(command)
	var exit *ssh.ExitError
	switch {
	case err == nil:
		return o.String(), e.String(), 0, nil
	case errors.As(err, &exit):
		return o.String(), e.String(), exit.ExitStatus(), nil
	default:
		return o.String(), e.String(), -1, err
	}
}

// mustSSH runs a command over ssh that must succeed.
func mustSSH(t *testing.T, f *Fleet, h Host, user, command string) string {
	t.Helper()
	out, errOut, code, err := sshRun(f, h.Addr, user, command)
	if err != nil || code != 0 {
		t.Fatalf("ssh %s@%s %q: exit %d, err %v, stderr %s", user, h.Name, command, code, err, errOut)
	}
	return out
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %s waiting for %s", d, what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// reachable reports whether a TCP connection to addr:22 opens quickly.
func reachable(addr string) bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort(addr, "22"), 300*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func execString(t *testing.T, f *Fleet, host string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := f.Exec(ctx, host, args...)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// execFails runs a command inside the host that must fail, and returns the
// error text.
func execFails(t *testing.T, f *Fleet, host string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := f.Exec(ctx, host, args...)
	if err == nil {
		t.Fatalf("on %s: %v succeeded, want a failure; output: %s", host, args, out)
	}
	return fmt.Sprint(err)
}

// running reports whether a process exists and is not a zombie waiting
// for the machine's init to reap it.
func running(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}
