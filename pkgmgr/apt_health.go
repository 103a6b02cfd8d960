package pkgmgr

import (
	"context"
	"fmt"
	"strings"
)

// MinFreeBytes is the free space Health wants in apt's download cache and
// on the root file system before a patch.
var MinFreeBytes int64 = 64 << 20

// dpkgLocks are the locks apt and dpkg take, frontend first.
var dpkgLocks = []string{"/var/lib/dpkg/lock-frontend", "/var/lib/dpkg/lock"}

// lockScript tries each lock the way apt and dpkg take it (fcntl, not
// flock: the two do not see each other) and releases it at once; exit 1
// names the held lock.
const lockScript = `import fcntl, os, sys
for path in sys.argv[1:]:
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o640)
    except OSError as e:
        print("cannot open %s: %s" % (path, e)); sys.exit(2)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        print(path); sys.exit(1)
    os.close(fd)
`

// RebootRequired reports whether /var/run/reboot-required exists (written
// by packages such as the kernel and libc through update-notifier-common).
func (a *Apt) RebootRequired(ctx context.Context) (bool, error) {
	c := a.r.cmd(false, aptQueryTimeout, "test", "-e", "/var/run/reboot-required")
	res, err := a.r.run(ctx, c)
	if err != nil {
		return false, err
	}
	switch res.ExitCode {
	case 0:
		return true, nil
	case 1:
		return false, nil
	}
	return false, a.r.errorFor("check reboot-required", Failed, c, res, "")
}

// Health reports, in order: packages dpkg --audit finds broken or
// half-configured, a held dpkg lock, too little free disk space.
func (a *Apt) Health(ctx context.Context) error {
	host := a.r.host()
	// dpkg --audit checks the database lock, which needs root.
	c := a.r.cmd(true, aptQueryTimeout, "dpkg", "--audit")
	res, err := a.r.run(ctx, c)
	if err != nil {
		return err
	}
	if out := strings.TrimSpace(string(res.Stdout)); out != "" {
		return &Error{Host: host, Op: "health", Cmd: c.String(), Kind: Broken, Stderr: out,
			Msg: fmt.Sprintf("host %s: dpkg reports broken packages: %s; install a working version of each, or repair with `dpkg --configure -a`",
				host, summarizeAudit(out))}
	}
	if res.ExitCode != 0 {
		return a.r.errorFor("health (dpkg --audit)", Failed, c, res, "")
	}

	c = a.r.cmd(true, aptQueryTimeout, append([]string{"python3", "-c", lockScript}, dpkgLocks...)...)
	if err := a.r.lockFree(ctx, c, "dpkg lock", "apt, dpkg or unattended-upgrades", "dpkg lock check"); err != nil {
		return err
	}
	return a.r.diskSpace(ctx, aptQueryTimeout, []string{"/var/cache/apt/archives", "/"}, "apt-get clean")
}

// summarizeAudit keeps dpkg --audit's package lines short for a message.
func summarizeAudit(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			keep = append(keep, l)
		}
	}
	return strings.Join(lastN(keep, 6), " ")
}
