package testfleet

import (
	"bufio"
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// rpmLockHolder holds what a running dnf transaction holds: dnf's RPMDB
// pid-file lock (its own pid in /var/lib/dnf/rpmdb_lock.pid) and rpm's
// transaction lock (an fcntl lock on .rpm.lock in the rpm database).
const rpmLockHolder = `import fcntl, os, sys
pidfile = "/var/lib/dnf/rpmdb_lock.pid"
os.makedirs(os.path.dirname(pidfile), exist_ok=True)
with open(pidfile, "w") as f:
    f.write(str(os.getpid()))
lock = open("/var/lib/rpm/.rpm.lock", "a")
fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
print("locked", flush=True)
sys.stdin.read()
os.unlink(pidfile)
`

// HoldRPMLock holds a dnf host's package locks, as a running dnf would,
// until release is called (or the host reboots): dnf then fails at once
// with "RPMDB already locked by <pid>" (the driver passes exit_on_lock).
func (f *Fleet) HoldRPMLock(host string) (release func() error, err error) {
	cmd, err := f.hostCommand(context.Background(), host, []string{"python3", "-c", rpmLockHolder})
	if err != nil {
		return nil, err
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("testfleet: hold rpm lock on %s: %w", host, err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("testfleet: hold rpm lock on %s: %w", host, err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("testfleet: hold rpm lock on %s: %w", host, err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		stdin.Close()
		cmd.Wait()
		return nil, fmt.Errorf("testfleet: hold rpm lock on %s: the lock holder did not get the lock%s", host, tail([]byte(stderr.String())))
	}
	pgid := cmd.Process.Pid
	return func() error {
		stdin.Close() // the holder removes its pid file and exits on end of input
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
			return nil
		case <-time.After(5 * time.Second):
			syscall.Kill(-pgid, syscall.SIGKILL) // its own process group (hostCommand)
			<-done
			return fmt.Errorf("testfleet: release rpm lock on %s: the holder did not exit; killed it (its pid file may remain)", host)
		}
	}, nil
}

// FillDNFCache makes /var/cache/dnf on a dnf host a full, tiny file system
// (a tmpfs in the host's mount namespace), so downloads fail with "No space
// left on device". undo unmounts it; a reboot does too.
func (f *Fleet) FillDNFCache(host string) (undo func() error, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const dir = "/var/cache/dnf"
	h, err := f.host(host)
	if err != nil {
		return nil, err
	}
	if h.Kind != "dnf" {
		return nil, fmt.Errorf("testfleet: fill the dnf cache on %s: it is an %s host (use FillDisk)", host, h.Kind)
	}
	pid, err := h.pid()
	if err != nil {
		return nil, err
	}
	target := filepath.Join(h.root, dir)
	inHost := []string{"--target", strconv.Itoa(pid), "--mount", "--"}
	if _, err := run(ctx, "nsenter", append(inHost, "mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "patchflow-full", target)...); err != nil {
		return nil, fmt.Errorf("testfleet: fill the dnf cache on %s: %w", host, err)
	}
	undo = func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := run(ctx, "nsenter", append(inHost, "umount", target)...); err != nil {
			return fmt.Errorf("testfleet: undo the full dnf cache on %s: %w", host, err)
		}
		return nil
	}
	// dd ends with "No space left on device", which is the point.
	f.Exec(ctx, host, "sh", "-c", "dd if=/dev/zero of="+dir+"/patchflow-fill bs=4k 2>/dev/null; sync")
	return undo, nil
}
