package localfleet

import (
	"context"
	"fmt"
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
	// The holder removes its pid file on end of input; release reports a
	// holder it had to kill, since that file then remains.
	return f.holdLocks(host, "rpm lock", rpmLockHolder)
}

// FillDNFCache makes /var/cache/dnf on a dnf host a full, tiny file system
// (a tmpfs in the host's mount namespace), so downloads fail with "No space
// left on device". undo unmounts it; a reboot does too.
func (f *Fleet) FillDNFCache(host string) (undo func() error, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h, err := f.host(host)
	if err != nil {
		return nil, err
	}
	if h.Kind != "dnf" {
		return nil, fmt.Errorf("localfleet: fill the dnf cache on %s: it is an %s host (use FillDisk)", host, h.Kind)
	}
	return f.fillWithTmpfs(ctx, h, host, "/var/cache/dnf", "", "fill the dnf cache", "undo the full dnf cache")
}
