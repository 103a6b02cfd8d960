package localfleet

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// SetReachable takes the host's network link down (false) or up (true):
// connections to it then time out, as to a host that fell off the network.
// The host keeps running.
func (f *Fleet) SetReachable(host string, reachable bool) error {
	h, err := f.host(host)
	if err != nil {
		return err
	}
	state := "down"
	if reachable {
		state = "up"
	}
	if _, err := run(context.Background(), "ip", "-n", h.ns, "link", "set", "eth0", state); err != nil {
		return fmt.Errorf("localfleet: set %s reachable=%v: %w", host, reachable, err)
	}
	return nil
}

// lockHolder holds apt's and dpkg's locks the way apt does (fcntl locks;
// flock(2) locks are invisible to apt) until its stdin closes.
const lockHolder = `import fcntl, sys
held = []
for path in ("/var/lib/dpkg/lock-frontend", "/var/lib/dpkg/lock"):
    f = open(path, "a")
    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    held.append(f)
print("locked", flush=True)
sys.stdin.read()
`

// HoldDpkgLock holds the host's dpkg frontend lock and dpkg lock, as a
// running apt would, until release is called (or the host reboots). apt and
// dpkg on the host then fail with "Could not get lock".
func (f *Fleet) HoldDpkgLock(host string) (release func() error, err error) {
	held, err := f.holdLocks(host, "dpkg lock", lockHolder)
	if err != nil {
		return nil, err
	}
	// dpkg's locks are fcntl locks only: a holder that had to be killed
	// leaves nothing behind, so release has nothing to report.
	return func() error {
		held()
		return nil
	}, nil
}

// holdLocks starts script (Python that takes a package manager's locks,
// prints "locked" and waits for end of input) on the host and returns once
// it holds them. release closes its input and waits for it to exit, killing
// it after 5 seconds; that is an error, as the holder may have left its
// marks (a pid file) behind. what names the locks in errors ("rpm lock").
func (f *Fleet) holdLocks(host, what, script string) (release func() error, err error) {
	cmd, err := f.hostCommand(context.Background(), host, []string{"python3", "-c", script})
	if err != nil {
		return nil, err
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("localfleet: hold %s on %s: %w", what, host, err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("localfleet: hold %s on %s: %w", what, host, err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("localfleet: hold %s on %s: %w", what, host, err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		stdin.Close()
		cmd.Wait()
		return nil, fmt.Errorf("localfleet: hold %s on %s: the lock holder did not get the lock%s", what, host, tail([]byte(stderr.String())))
	}
	pgid := cmd.Process.Pid
	return func() error {
		stdin.Close() // the holder exits on end of input, releasing its locks
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
			return nil
		case <-time.After(5 * time.Second):
			syscall.Kill(-pgid, syscall.SIGKILL) // its own process group (hostCommand)
			<-done
			return fmt.Errorf("localfleet: release %s on %s: the holder did not exit; killed it (its pid file may remain)", what, host)
		}
	}, nil
}

// FillDisk makes /var/cache/apt/archives on the host a full, tiny file
// system (a tmpfs in the host's mount namespace), so package downloads fail
// with "No space left on device" (apt skips its own free-space check on
// tmpfs). undo unmounts it; a reboot does too.
func (f *Fleet) FillDisk(host string) (undo func() error, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const dir = "/var/cache/apt/archives"
	h, err := f.host(host)
	if err != nil {
		return nil, err
	}
	undo, err = f.fillWithTmpfs(ctx, h, host, dir, "mkdir -p "+dir+"/partial && ", "fill disk", "undo full disk")
	if err != nil {
		return nil, err
	}
	out, err := f.Exec(ctx, host, "df", "--output=avail", "-B1", dir)
	if w := strings.Fields(string(out)); err != nil || len(w) < 2 || w[len(w)-1] != "0" {
		undo()
		return nil, fmt.Errorf("localfleet: fill disk on %s: %s still has space (df: %q, %v)", host, dir, out, err)
	}
	return undo, nil
}

// fillWithTmpfs mounts a tiny tmpfs over dir in host h's mount namespace and
// fills it (after running the shell prefix prepare there), so writes to dir
// fail with "No space left on device". op and undoOp name the fault and its
// undo in errors. undo unmounts the tmpfs; a reboot does too.
func (f *Fleet) fillWithTmpfs(ctx context.Context, h *host, name, dir, prepare, op, undoOp string) (undo func() error, err error) {
	pid, err := h.pid()
	if err != nil {
		return nil, err
	}
	// The machine's mount, in the host's mount namespace: the apt variant
	// base has no mount(8). There the host's root is h.root (it chroots).
	target := filepath.Join(h.root, dir)
	inHost := []string{"--target", strconv.Itoa(pid), "--mount", "--"}
	if _, err := run(ctx, "nsenter", append(inHost, "mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "patchflow-full", target)...); err != nil {
		return nil, fmt.Errorf("localfleet: %s on %s: %w", op, name, err)
	}
	undo = func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := run(ctx, "nsenter", append(inHost, "umount", target)...); err != nil {
			return fmt.Errorf("localfleet: %s on %s: %w", undoOp, name, err)
		}
		return nil
	}
	// Fill it: dd ends with "No space left on device", which is the point.
	f.Exec(ctx, name, "sh", "-c", prepare+"dd if=/dev/zero of="+dir+"/patchflow-fill bs=4k 2>/dev/null; sync")
	return undo, nil
}

// RotateHostKey gives the host a new host key and restarts its sshd (which
// re-executes itself on SIGHUP), leaving KnownHostsPath as it was: clients
// then see a changed host key. It returns when the new key is served.
func (f *Fleet) RotateHostKey(host string) error {
	h, err := f.host(host)
	if err != nil {
		return err
	}
	key, err := newKeyPair(filepath.Join(h.root, "etc/ssh/ssh_host_ed25519_key"), "root@"+h.Name)
	if err != nil {
		return err
	}
	pid, err := h.pid()
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		return fmt.Errorf("localfleet: restart sshd on %s (pid %d): %w", host, pid, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		got, err := scanHostKey(ctx, h.Addr)
		if err == nil && string(got.Marshal()) == string(key.Marshal()) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("localfleet: %s does not serve its new host key: %v", host, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

var errGotKey = errors.New("host key received")

// scanHostKey returns the host key the sshd at addr offers.
func scanHostKey(ctx context.Context, addr string) (ssh.PublicKey, error) {
	d := net.Dialer{Timeout: 2 * time.Second}
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(addr, "22"))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	var key ssh.PublicKey
	_, _, _, err = ssh.NewClientConn(c, addr, &ssh.ClientConfig{
		User: "root",
		HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error {
			key = k
			return errGotKey
		},
		HostKeyAlgorithms: []string{ssh.KeyAlgoED25519},
	})
	if key != nil {
		return key, nil
	}
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	return nil, err
}

// MarkBad makes demo-lib's update (1.1) fail its postinst on this host
// only, as a patch that breaks on one machine of a fleet.
func (f *Fleet) MarkBad(host string) error {
	h, err := f.host(host)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(h.root, DemoFailFile), []byte("patchflow test fleet: demo-lib 1.1 fails here\n"), 0o644); err != nil {
		return fmt.Errorf("localfleet: mark %s bad: %w", host, err)
	}
	return nil
}

// AcceptHostKey records the host's current key in KnownHostsPath (after
// RotateHostKey, say), as an operator would after verifying the change.
func (f *Fleet) AcceptHostKey(host string) error {
	f.knownMu.Lock()
	defer f.knownMu.Unlock()
	keys := make([]ssh.PublicKey, len(f.order))
	for i, h := range f.order {
		data, err := os.ReadFile(filepath.Join(h.root, "etc/ssh/ssh_host_ed25519_key.pub"))
		if err != nil {
			return fmt.Errorf("localfleet: read host key of %s: %w", h.Name, err)
		}
		k, _, _, _, err := ssh.ParseAuthorizedKey(data)
		if err != nil {
			return fmt.Errorf("localfleet: read host key of %s: %w", h.Name, err)
		}
		keys[i] = k
		if h.Name != host {
			// Only the named host's entry changes; others keep what
			// known_hosts says, even if stale.
			if old, ok := f.knownKeys[h.Name]; ok {
				keys[i] = old
			}
		}
	}
	if _, err := f.host(host); err != nil {
		return err
	}
	return f.writeKnownHosts(keys)
}
