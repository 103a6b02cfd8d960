package pkgmgr

import (
	"context"
	"fmt"
	"strings"

	"github.com/patchflow/patchflow/transport"
)

// RebootRequired asks `dnf needs-restarting -r` (dnf-plugins-core): exit 1
// when a core package (kernel, glibc, systemd, ... and those listed in
// /etc/dnf/plugins/needs-restarting.d/*.conf) was updated after boot.
func (d *DNF) RebootRequired(ctx context.Context) (bool, error) {
	c := d.dnf(false, dnfQueryTimeout, "--quiet", "needs-restarting", "--reboothint")
	res, err := d.r.run(ctx, c)
	if err != nil {
		return false, err
	}
	// Exit 1 is also dnf's generic failure: the hint it prints says which.
	out := string(res.Stdout)
	switch {
	case res.ExitCode == 0 && strings.Contains(out, "Reboot should not be necessary"):
		return false, nil
	case res.ExitCode == 1 && strings.Contains(out, "Reboot is required"):
		return true, nil
	}
	return false, d.r.errorFor("check reboot-required (install dnf-plugins-core for needs-restarting)", classifyDNFOutput(res), c, res, "")
}

// dnfLockScript prints the first held dnf or rpm lock and exits 1: dnf's
// pid files (held while the pid lives) and rpm's transaction lock (an
// fcntl lock in the rpm database directory, tested with lockScript).
const dnfLockScript = `for f in /var/lib/dnf/rpmdb_lock.pid /var/cache/dnf/metadata_lock.pid /var/cache/dnf/download_lock.pid; do
	[ -s "$f" ] || continue
	pid=$(cat "$f" 2>/dev/null)
	case "$pid" in ''|*[!0-9]*) continue ;; esac
	if [ -d "/proc/$pid" ]; then echo "$f (pid $pid)"; exit 1; fi
done
db=$(rpm -E '%{_dbpath}')
command -v python3 >/dev/null || exit 0
python3 -c "$1" "$db/.rpm.lock"
`

// Health reports, in order: too little free disk space (dnf itself needs
// room in its cache to run), a held dnf or rpm lock, and rpm database
// problems dnf check finds (unsatisfied dependencies, duplicates).
func (d *DNF) Health(ctx context.Context) error {
	if err := d.r.diskSpace(ctx, dnfQueryTimeout, []string{"/var/cache/dnf", "/"}, "dnf clean packages"); err != nil {
		return err
	}
	host := d.r.host()
	c := d.r.cmd(true, dnfQueryTimeout, "sh", "-c", dnfLockScript, "sh", lockScript)
	if err := d.r.lockFree(ctx, c, "package lock", "dnf, rpm or dnf-automatic", "dnf and rpm lock check"); err != nil {
		return err
	}
	// No repository is needed to check the rpm database.
	c = d.dnf(false, dnfQueryTimeout, "--quiet", "--disablerepo=*", "check")
	res, err := d.r.run(ctx, c)
	if err != nil {
		return err
	}
	if res.ExitCode == 0 {
		return nil
	}
	kind := classifyDNFOutput(res)
	if kind != Failed && kind != Broken {
		return d.r.errorFor("health (dnf check)", kind, c, res, "")
	}
	out := transport.Tail(res.Stdout, 6)
	if out == "" {
		out = transport.Tail(res.Stderr, 6)
	}
	return &Error{Host: host, Op: "health", Cmd: c.String(), Kind: Broken, Stderr: out,
		Msg: fmt.Sprintf("host %s: dnf check reports rpm database problems: %s; install a working version of each package, or repair with dnf distro-sync", host, out)}
}
