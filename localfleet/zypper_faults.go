package localfleet

import (
	"context"
	"fmt"
	"time"
)

// zyppLockHolder holds the zypp lock the way PackageKit or YaST does: it
// runs a real libzypp program (zypper shell, which takes the lock at once
// and keeps it while it waits for commands) and reports "locked" once
// /run/zypp.pid names it. End of input ends the shell and the lock.
const zyppLockHolder = `import os, subprocess, sys, time
p = subprocess.Popen(["zypper", "shell"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, env=dict(os.environ, LANG="C"))
deadline = time.time() + 20
while True:
    try:
        if open("/run/zypp.pid").read().strip() == str(p.pid):
            break
    except OSError:
        pass
    if p.poll() is not None:
        print("zypper shell exited with %d before taking the lock" % p.returncode, flush=True)
        sys.exit(1)
    if time.time() > deadline:
        p.kill()
        print("zypper shell did not take the zypp lock within 20s", flush=True)
        sys.exit(1)
    time.sleep(0.02)  # polling the pid file, with a deadline
print("locked", flush=True)
sys.stdin.read()
p.stdin.close()
p.wait()
`

// HoldZyppLock holds a zypper host's zypp lock with a running zypper shell
// until release is called (or the host reboots): every other zypper then
// waits ZYPP_LOCK_TIMEOUT seconds and exits 7 ("System management is
// locked by the application with pid N (zypper)").
func (f *Fleet) HoldZyppLock(host string) (release func() error, err error) {
	h, err := f.host(host)
	if err != nil {
		return nil, err
	}
	if h.Kind != "zypper" {
		return nil, fmt.Errorf("localfleet: hold the zypp lock on %s: it is an %s host (HoldDpkgLock, HoldRPMLock)", host, h.Kind)
	}
	return f.holdLocks(host, "zypp lock", zyppLockHolder)
}

// FillZypperDownloads makes /var/tmp on a zypper host a full, tiny file
// system (a tmpfs in the host's mount namespace): libzypp downloads every
// package there before it moves it into its cache, so downloads and
// installs fail (curl: "Failure writing output to destination"). undo
// unmounts it; a reboot does too.
func (f *Fleet) FillZypperDownloads(host string) (undo func() error, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h, err := f.host(host)
	if err != nil {
		return nil, err
	}
	if h.Kind != "zypper" {
		return nil, fmt.Errorf("localfleet: fill the zypper download directory on %s: it is an %s host (FillDisk, FillDNFCache)", host, h.Kind)
	}
	return f.fillWithTmpfs(ctx, h, host, "/var/tmp", "", "fill the zypper download directory", "undo the full zypper download directory")
}
