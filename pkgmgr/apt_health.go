package pkgmgr

import (
	"context"
	"fmt"
	"strconv"
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
	res, err = a.r.run(ctx, c)
	if err != nil {
		return err
	}
	switch res.ExitCode {
	case 0:
	case 1:
		lock := strings.TrimSpace(string(res.Stdout))
		return &Error{Host: host, Op: "health", Cmd: "lock " + lock, Kind: Locked,
			Msg: fmt.Sprintf("host %s: the dpkg lock %s is held by another process (apt, dpkg or unattended-upgrades running); wait for it to finish, then retry", host, lock)}
	default:
		return a.r.errorFor("health (dpkg lock check)", Failed, c, res, "")
	}

	paths := []string{"/var/cache/apt/archives", "/"}
	c = a.r.cmd(false, aptQueryTimeout, append([]string{"df", "-P", "-k"}, paths...)...)
	res, err = a.r.run(ctx, c)
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return a.r.errorFor("health (free disk space)", Failed, c, res, "")
	}
	for _, fs := range parseDF(string(res.Stdout)) {
		if fs.availBytes < MinFreeBytes {
			return &Error{Host: host, Op: "health", Cmd: c.String(), Kind: DiskFull,
				Msg: fmt.Sprintf("host %s: only %s free on %s (mounted at %s), need at least %s for downloads and unpacking; free space (apt-get clean) and retry",
					host, humanBytes(fs.availBytes), fs.device, fs.mount, humanBytes(MinFreeBytes))}
		}
	}
	return nil
}

type dfRow struct {
	device, mount string
	availBytes    int64
}

// parseDF reads POSIX `df -P -k` output.
func parseDF(out string) []dfRow {
	var rows []dfRow
	for i, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if i == 0 || len(f) < 6 {
			continue
		}
		kb, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil {
			continue
		}
		rows = append(rows, dfRow{device: f[0], mount: f[len(f)-1], availBytes: kb * 1024})
	}
	return rows
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

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%d KiB", n>>10)
	}
}
