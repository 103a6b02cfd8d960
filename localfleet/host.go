package localfleet

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// host is the fixture's side of one host.
type host struct {
	Host
	index int
	ns    string // network namespace
	veth  string // bridge side of eth0
	dir   string // upper, work, root (the overlay mount), log
	root  string
	kind  hostKind

	mu       sync.Mutex
	cmd      *exec.Cmd     // the current boot's unshare process
	initPID  int           // the host's PID 1 as the machine sees it; 0 while down
	exited   chan struct{} // closed when the current boot has ended
	stopping bool
	state    string // "up", "rebooting", "halted", "crashed"
}

// supervisorScript becomes the host's PID 1 (in new pid, mount, uts and ipc
// namespaces) and execs sshd, which then is PID 1: when it exits, the kernel
// ends every process of the host, as a power cycle would. The kernel's
// boot_id is machine-wide, so each boot gets its own, bound over it, for
// tools that detect a reboot by it (Ansible's reboot module does).
// Arguments: root directory, host name.
const supervisorScript = `set -e
root=$1
hostname "$2"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts"
mount --bind "$root/dev/pts/ptmx" "$root/dev/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/dev/shm"
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$root/run"
mkdir -p "$root/run/sshd" "$root/run/lock"
cat /proc/sys/kernel/random/uuid > "$root` + BootIDFile + `"
mount --bind "$root` + BootIDFile + `" "$root/proc/sys/kernel/random/boot_id"
exec chroot "$root" /usr/sbin/sshd -D -e
`

// boot starts the host once: a fresh /run, a new boot id and boot count,
// the same disk and host key.
func (f *Fleet) boot(h *host) error {
	if err := bumpBootCount(h.root); err != nil {
		return err
	}
	os.Remove(filepath.Join(h.root, rebootMarker))
	logf, err := os.OpenFile(filepath.Join(h.dir, "log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("localfleet: host %s: open log: %w", h.Name, err)
	}
	defer logf.Close()
	cmd := exec.Command("ip", "netns", "exec", h.ns,
		"unshare", "--uts", "--ipc", "--pid", "--mount", "--fork", "--kill-child",
		"--mount-proc="+filepath.Join(h.root, "proc"),
		"/bin/sh", "-c", supervisorScript, "sh", h.root, h.Name)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"}
	// Its own process group: a ^C in the terminal running the tests must
	// not reach the hosts; Down ends them.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Start under the lock so Down either sees this boot and ends it, or
	// this boot sees Down and does not start.
	h.mu.Lock()
	if h.stopping {
		h.mu.Unlock()
		return fmt.Errorf("localfleet: host %s: fleet is going down", h.Name)
	}
	if err := cmd.Start(); err != nil {
		h.mu.Unlock()
		return fmt.Errorf("localfleet: host %s: start: %w", h.Name, err)
	}
	exited := make(chan struct{})
	h.cmd, h.exited, h.state, h.initPID = cmd, exited, "booting", 0
	h.mu.Unlock()
	f.wg.Add(1)
	go f.supervise(h, cmd, exited)

	pid, err := childPID(cmd.Process.Pid, exited)
	if err != nil {
		return fmt.Errorf("localfleet: host %s: find its PID 1: %w (log: %s)", h.Name, err, filepath.Join(h.dir, "log"))
	}
	h.mu.Lock()
	if h.exited == exited {
		h.initPID, h.state = pid, "up"
	}
	h.mu.Unlock()
	return nil
}

// supervise waits for a boot to end and boots the host again when it ended
// through /sbin/reboot.
func (f *Fleet) supervise(h *host, cmd *exec.Cmd, exited chan struct{}) {
	defer f.wg.Done()
	err := cmd.Wait()
	marker := filepath.Join(h.root, rebootMarker)
	what, _ := os.ReadFile(marker)
	h.mu.Lock()
	h.initPID = 0
	close(exited)
	stopping := h.stopping
	switch {
	case stopping:
		h.state = "stopped"
	case strings.HasPrefix(string(what), "reboot"):
		h.state = "rebooting"
	case len(what) > 0:
		h.state = "halted"
	default:
		h.state = "crashed"
	}
	state := h.state
	h.mu.Unlock()
	if stopping {
		return
	}
	switch state {
	case "halted":
		f.cfg.Logf("localfleet: host %s halted (%s); it stays down", h.Name, strings.TrimSpace(string(what)))
		return
	case "crashed":
		f.cfg.Logf("localfleet: host %s ended on its own (%v); see %s", h.Name, err, filepath.Join(h.dir, "log"))
		return
	}
	f.cfg.Logf("localfleet: host %s rebooting (%s)", h.Name, strings.TrimSpace(string(what)))
	select {
	case <-f.stop:
		return
	case <-time.After(rebootDelay): // the time a reboot takes, not a synchronisation
	}
	if err := f.boot(h); err != nil {
		f.cfg.Logf("localfleet: host %s: boot after reboot: %v", h.Name, err)
		h.mu.Lock()
		h.state = "crashed"
		h.mu.Unlock()
	}
}

// childPID waits for the unshare process to fork the host's PID 1.
func childPID(parent int, exited chan struct{}) (int, error) {
	deadline := time.Now().Add(10 * time.Second)
	path := fmt.Sprintf("/proc/%d/task/%d/children", parent, parent)
	for {
		data, err := os.ReadFile(path)
		if err == nil {
			if f := strings.Fields(string(data)); len(f) > 0 {
				return strconv.Atoi(f[0])
			}
		}
		select {
		case <-exited:
			return 0, errors.New("the host ended while booting")
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("no child of process %d after 10s", parent)
		}
	}
}

func bumpBootCount(root string) error {
	path := filepath.Join(root, BootCountFile)
	data, _ := os.ReadFile(path)
	n, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	if err := os.WriteFile(path, []byte(strconv.Itoa(n+1)+"\n"), 0o644); err != nil {
		return fmt.Errorf("localfleet: write boot count: %w", err)
	}
	return nil
}

// pid returns the host's PID 1, or an error naming its state when down.
func (h *host) pid() (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.initPID == 0 {
		return 0, fmt.Errorf("localfleet: host %s is %s", h.Name, h.state)
	}
	return h.initPID, nil
}

// mountOverlay mounts the host's root: the kind's base below, the host's
// own upper directory above.
func (h *host) mountOverlay() error {
	for _, d := range []string{"upper", "work", "root"} {
		if err := os.MkdirAll(filepath.Join(h.dir, d), 0o755); err != nil {
			return fmt.Errorf("localfleet: host %s: %w", h.Name, err)
		}
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s",
		h.kind.lowerDir(), filepath.Join(h.dir, "upper"), filepath.Join(h.dir, "work"))
	if err := syscall.Mount("overlay", h.root, "overlay", 0, opts); err != nil {
		return fmt.Errorf("localfleet: host %s: mount overlay on %s (%s): %w", h.Name, h.root, opts, err)
	}
	return nil
}
