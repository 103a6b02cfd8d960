package pkgmgr

import (
	"context"
	"fmt"
	"strings"
)

// zypperDiskPaths are where zypper needs room: its caches, /var/tmp (where
// libzypp downloads packages before it moves them into the cache) and /.
var zypperDiskPaths = []string{"/var/cache", "/var/tmp", "/"}

// RebootRequired asks `zypper needs-rebooting`: exit 102 when libzypp set
// its reboot-needed flag (/run/reboot-needed) because a package from
// /etc/zypp/needreboot (or needreboot.d, or one providing
// installhint(reboot-needed)) was installed since boot; 0 when not. A
// zypper too old for the command exits 2 (unknown command); then the flag
// file itself answers.
func (z *Zypper) RebootRequired(ctx context.Context) (bool, error) {
	run, err := z.exec(ctx, z.zypper(false, zypperQueryTimeout, "needs-rebooting"))
	if err != nil {
		return false, err
	}
	switch run.res.ExitCode {
	case zypperExitRebootNeeded:
		return true, nil
	case 0:
		return false, nil
	case zypperExitSyntax:
		c := z.r.cmd(false, zypperQueryTimeout, "sh", "-c", `test -e /run/reboot-needed || test -e /var/run/reboot-needed`)
		res, err := z.r.run(ctx, c)
		if err != nil {
			return false, err
		}
		switch res.ExitCode {
		case 0:
			return true, nil
		case 1:
			return false, nil
		}
		return false, z.r.errorFor("check reboot-required (/run/reboot-needed)", Failed, c, res, "")
	}
	return false, z.fail("check reboot-required", classifyZypper(run), run, "")
}

// zyppLockScript prints the held zypp lock and exits 1: libzypp's pid
// file (held while the pid lives; stale files are ignored, as libzypp
// does), then rpm's transaction lock (an fcntl lock in the rpm database
// directory, tested with lockScript).
const zyppLockScript = `for f in /run/zypp.pid /var/run/zypp.pid; do
	[ -s "$f" ] || continue
	pid=$(cat "$f" 2>/dev/null)
	case "$pid" in ''|*[!0-9]*) continue ;; esac
	if [ -d "/proc/$pid" ]; then
		echo "$f (pid $pid, $(cat "/proc/$pid/comm" 2>/dev/null))"
		exit 1
	fi
done
db=$(rpm -E '%{_dbpath}')
command -v python3 >/dev/null || exit 0
python3 -c "$1" "$db/.rpm.lock"
`

// Health reports, in order: too little free disk space, a held zypp or
// rpm lock, and dependency problems zypper verify finds in the installed
// packages (a package whose requirements are missing).
func (z *Zypper) Health(ctx context.Context) error {
	if err := z.r.diskSpace(ctx, zypperQueryTimeout, zypperDiskPaths, "zypper clean --all"); err != nil {
		return err
	}
	c := z.r.cmd(true, zypperQueryTimeout, "sh", "-c", zyppLockScript, "sh", lockScript)
	if err := z.r.lockFree(ctx, c, "zypp lock", "PackageKit, YaST or zypper", "zypp and rpm lock check"); err != nil {
		return err
	}
	// No repository is needed to check the installed packages.
	run, err := z.exec(ctx, z.zypper(true, zypperQueryTimeout, "--no-refresh", "verify", "--dry-run", "--no-recommends"))
	if err != nil {
		return err
	}
	changes := run.out.Summary.changes()
	if run.succeeded() && len(changes) == 0 && len(run.out.Problems) == 0 {
		return nil
	}
	kind := classifyZypper(run)
	if kind != Failed && kind != Broken {
		return z.fail("health (zypper verify)", kind, run, "")
	}
	host := z.r.host()
	what := run.detail()
	if len(changes) > 0 {
		var names []string
		for _, s := range changes {
			names = append(names, s.Name+"-"+s.Edition)
		}
		what = "zypper verify would change " + excerptN(strings.Join(names, ", "), 200) + " to repair them"
	}
	if unmet := z.unmetDependencies(ctx); unmet != "" {
		what = unmet + "; " + what
	}
	return &Error{Host: host, Op: "health", Cmd: run.cmd.String(), Kind: Broken, Stderr: what,
		Msg: fmt.Sprintf("host %s: installed packages have unsatisfied dependencies: %s; install a working version of each package, or repair with zypper verify", host, what)}
}

// unmetDependencies names the installed packages whose requirements are
// missing, as rpm -V reports them ("Unsatisfied dependencies for X:",
// then one "Y is needed by (installed) X" line each); "" when it cannot
// tell. zypper verify says only how it would repair them.
func (z *Zypper) unmetDependencies(ctx context.Context) string {
	c := z.r.cmd(false, zypperQueryTimeout, "rpm", "-Va", "--nofiles", "--nodigest", "--nosignature", "--noscripts")
	res, err := z.r.run(ctx, c)
	if err != nil {
		return ""
	}
	var out []string
	for _, line := range strings.Split(string(res.Stdout), "\n") {
		line = strings.TrimSpace(line)
		if need, by, ok := strings.Cut(line, " is needed by (installed) "); ok {
			out = append(out, by+" needs "+need)
		}
	}
	return excerptN(strings.Join(out, ", "), 300)
}
