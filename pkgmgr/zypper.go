package pkgmgr

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/patchflow/patchflow/transport"
)

func init() {
	register(driver{kind: "zypper",
		families: []string{"suse", "sles", "sled", "sles_sap", "opensuse", "opensuse-leap", "opensuse-tumbleweed", "sle-micro", "sl-micro"},
		binary:   "zypper",
		new:      func(c transport.Conn, sudo bool) Manager { return NewZypper(c, sudo) }})
}

// Timeouts of zypper operations, as for apt and dnf; each command also gets
// ZypperLockWait on top, the time it may spend waiting for the zypp lock.
const (
	zypperRefreshTimeout = 10 * time.Minute
	zypperInstallTimeout = 30 * time.Minute
	zypperQueryTimeout   = 2 * time.Minute
)

// ZypperLockWait is how long every zypper command waits for the zypp lock
// (libzypp's ZYPP_LOCK_TIMEOUT) when another libzypp program holds it
// (PackageKit, YaST, a zypper in another session) before it gives up with
// exit 7, which the driver reports as Locked.
var ZypperLockWait = 30 * time.Second

// Exit codes zypper documents (zypper(8), EXIT CODES). 100 and above are
// informational: the command did its work.
const (
	zypperExitSyntax          = 2
	zypperExitNoRepos         = 6
	zypperExitLocked          = 7
	zypperExitUpdateNeeded    = 100 // patch-check: patches needed
	zypperExitSecUpdateNeeded = 101 // patch-check: security patches needed
	zypperExitRebootNeeded    = 102 // a reboot is needed (needs-rebooting; a patch suggested one)
	zypperExitRestartNeeded   = 103 // the package stack was updated: run zypper again
	zypperExitCapNotFound     = 104 // a requested package or capability is not there
	zypperExitReposSkipped    = 106 // repositories could not be refreshed and were left out
	zypperExitScriptFailed    = 107 // an rpm scriptlet failed; the package is installed
)

// Zypper drives zypper and rpm (SUSE Linux Enterprise, openSUSE). Every
// zypper command runs with --non-interactive and --xmlout in the C locale,
// and the driver reads zypper's XML, never its tables.
type Zypper struct {
	r               runner
	withInteractive []string
}

// NewZypper returns the zypper driver on c; sudo runs privileged commands
// through sudo where the host's user is not root.
func NewZypper(c transport.Conn, sudo bool) *Zypper { return &Zypper{r: runner{conn: c, sudo: sudo}} }

// WithInteractive returns a copy of z whose Pending offers the updates of
// the listed patches as any other although zypper flags them interactive (a
// reboot suggested, a message or a licence to read). Each entry names a
// patch, or a package the patch updates (which includes the whole patch);
// "*" includes every interactive patch. Pending marks the updates of the
// interactive patches not listed (Update.Interactive), as zypper patch
// skips them.
func (z *Zypper) WithInteractive(patches ...string) *Zypper {
	c := *z
	c.withInteractive = append(append([]string(nil), z.withInteractive...), patches...)
	return &c
}

// Kind returns "zypper".
func (z *Zypper) Kind() string { return "zypper" }

// zypper builds a zypper command: no questions, XML out, the C locale, and
// a bounded wait for the zypp lock.
func (z *Zypper) zypper(privileged bool, timeout time.Duration, args ...string) transport.Command {
	c := z.r.cmd(privileged, timeout+ZypperLockWait, append([]string{"zypper", "--non-interactive", "--xmlout"}, args...)...)
	c.Env["LANG"] = "C"
	c.Env["ZYPP_LOCK_TIMEOUT"] = strconv.Itoa(int(ZypperLockWait.Round(time.Second) / time.Second))
	return c
}

// zypperRun is one finished zypper run and what its XML said.
type zypperRun struct {
	cmd      transport.Command
	res      transport.Result
	out      zypperOutput
	parseErr error
}

// exec runs c and parses its XML. Only transport failures are errors.
func (z *Zypper) exec(ctx context.Context, c transport.Command) (zypperRun, error) {
	res, err := z.r.run(ctx, c)
	if err != nil {
		return zypperRun{}, err
	}
	out, perr := parseZypperXML(res.Stdout)
	return zypperRun{cmd: c, res: res, out: out, parseErr: perr}, nil
}

// succeeded: the command did its work (the informational exit codes
// included); 103, 106 and 107 need a closer look and are not here.
func (run zypperRun) succeeded() bool {
	switch run.res.ExitCode {
	case 0, zypperExitUpdateNeeded, zypperExitSecUpdateNeeded, zypperExitRebootNeeded:
		return true
	}
	return false
}

// query runs a read-only zypper command that must see every repository:
// exit 106 (a repository skipped) is an error, since the answer would be
// missing that repository's packages.
func (z *Zypper) query(ctx context.Context, op string, args ...string) (zypperRun, error) {
	return z.queryRepos(ctx, op, false, args...)
}

// queryRepos is query; with someRepos, an answer without the skipped
// repositories (exit 106) will do.
func (z *Zypper) queryRepos(ctx context.Context, op string, someRepos bool, args ...string) (zypperRun, error) {
	// Privileged: an unprivileged zypper cannot refresh expired metadata
	// and would answer from whatever its cache holds.
	run, err := z.exec(ctx, z.zypper(true, zypperQueryTimeout, args...))
	if err != nil {
		return run, err
	}
	switch {
	case run.res.ExitCode == zypperExitReposSkipped && someRepos:
	case run.res.ExitCode == zypperExitReposSkipped:
		return run, z.reposSkipped(op, run, "the answer would leave out their packages")
	case !run.succeeded():
		return run, z.fail(op, classifyZypper(run), run, "")
	case run.parseErr != nil:
		return run, z.fail(op, Failed, run, fmt.Sprintf("zypper printed XML patchflow cannot read (%v)", run.parseErr))
	}
	return run, nil
}

// Refresh downloads fresh metadata for every enabled repository (zypper
// refresh). A repository zypper skips because it cannot be read fails it,
// whether zypper exits 4 or 106 for it, and the error names the
// repositories.
func (z *Zypper) Refresh(ctx context.Context) error {
	run, err := z.exec(ctx, z.zypper(true, zypperRefreshTimeout, "refresh"))
	if err != nil {
		return err
	}
	skipped := skippedRepos(run.out)
	switch {
	case run.res.ExitCode == 0 && len(skipped) == 0:
		return nil
	case len(skipped) > 0:
		return z.reposSkipped("refresh package index", run, "their metadata is stale or missing")
	case run.res.ExitCode == zypperExitNoRepos:
		return z.fail("refresh package index", Failed, run, "the host has no enabled repository: add one with zypper addrepo")
	}
	kind := classifyZypper(run)
	if kind == Failed {
		kind = FetchFailed
	}
	return z.fail("refresh package index", kind, run, "")
}

// skippedRE finds the repositories zypper left out: "Skipping repository
// 'X' because of the above error." (X is the repository's name).
var skippedRE = regexp.MustCompile(`Skipping repository '([^'\n]{1,200})'`)

func skippedRepos(out zypperOutput) []string {
	var names []string
	for _, m := range skippedRE.FindAllStringSubmatch(out.allText(), -1) {
		if !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	return names
}

// reposSkipped is the FetchFailed error for repositories zypper skipped.
func (z *Zypper) reposSkipped(op string, run zypperRun, consequence string) *Error {
	host := z.r.host()
	quoted := make([]string, 0)
	for _, n := range skippedRepos(run.out) {
		quoted = append(quoted, strconv.Quote(excerpt(n)))
	}
	if len(quoted) == 0 {
		quoted = append(quoted, "(zypper did not name them)")
	}
	detail := run.detail()
	return &Error{Host: host, Op: op, Cmd: run.cmd.String(), Kind: FetchFailed, Stderr: detail,
		Msg: fmt.Sprintf("host %s: %s: zypper skipped repositories %s (%s exited %d): %s; %s; check that the host reaches them (zypper repos --uri), or disable them with zypper modifyrepo --disable",
			host, op, strings.Join(quoted, ", "), run.cmd.String(), run.res.ExitCode, detail, consequence)}
}

// zypperHints tell the operator what to do about a failure of each kind.
var zypperHints = map[ErrorKind]string{
	Locked:      "another libzypp program (PackageKit, YaST, zypper) holds the zypp lock: wait for it to finish, then retry",
	DiskFull:    "free space (zypper clean --all, or grow the file system) and retry",
	FetchFailed: "check that the host reaches its repositories (zypper repos --uri)",
	Broken:      "repair the package state (zypper verify, or install a working version) and retry",
	NotFound:    "check the package name and version against zypper search --details",
}

// fail makes an *Error for a failed zypper run, quoting zypper's own error
// messages (a short, sanitised excerpt).
func (z *Zypper) fail(op string, kind ErrorKind, run zypperRun, hint string) *Error {
	host := z.r.host()
	detail := run.detail()
	msg := fmt.Sprintf("host %s: %s failed (%s exited %d)", host, op, run.cmd.String(), run.res.ExitCode)
	if kind == Locked {
		msg = fmt.Sprintf("host %s: %s: the zypp lock is held%s; zypper waited %s for it (ZYPP_LOCK_TIMEOUT) and gave up (exit %d)",
			host, op, lockHolder(run.out), ZypperLockWait, run.res.ExitCode)
	} else if detail != "" {
		msg += ": " + detail
	}
	if hint == "" {
		hint = zypperHints[kind]
	}
	if hint != "" {
		msg += "; " + hint
	}
	return &Error{Host: host, Op: op, Cmd: run.cmd.String(), Kind: kind, Msg: msg, Stderr: detail}
}

// detail is the part of a run's output that explains a failure: zypper's
// error messages and solver problems, else its warnings, else stderr.
func (run zypperRun) detail() string {
	parts := append(run.out.texts("error"), run.out.Problems...)
	if len(parts) == 0 {
		parts = run.out.texts("warning")
	}
	// Each message in short, so a long first one (a repository's
	// download history) leaves room for the next ("Skipping repository").
	for i, p := range parts {
		parts[i] = excerptN(p, 200)
	}
	if len(parts) == 0 {
		if t := transport.Tail(run.res.Stderr, 6); t != "" {
			parts = []string{t}
		}
	}
	if len(parts) == 0 && run.parseErr != nil {
		parts = []string{transport.Tail(run.res.Stdout, 3)}
	}
	return excerptN(strings.Join(parts, "; "), 400)
}

// lockedRE reads zypper's "System management is locked by the
// application with pid 1234 (zypper)."
var lockedRE = regexp.MustCompile(`locked by the application with pid (\d+) \(([^)\n]{0,100})\)`)

func lockHolder(out zypperOutput) string {
	if m := lockedRE.FindStringSubmatch(out.allText()); m != nil {
		return fmt.Sprintf(" by pid %s (%s)", m[1], excerpt(m[2]))
	}
	return ""
}

// classifyZypper recognises a failed zypper run by its exit code, then by
// its messages.
func classifyZypper(run zypperRun) ErrorKind {
	text := run.out.allText() + "\n" + string(run.res.Stderr)
	switch run.res.ExitCode {
	case zypperExitLocked:
		return Locked
	case zypperExitCapNotFound:
		return NotFound
	case zypperExitScriptFailed:
		return ScriptFailed
	}
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(text, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("System management is locked"):
		return Locked
	case has("No space left on device", "Not enough disk space", "needs more disk space",
		// curl's words when the download directory is full
		"Failure writing output to destination", "Error code: Write error"):
		return DiskFull
	case scriptletRE.MatchString(text):
		return ScriptFailed
	case has("Download (curl) error", "Valid metadata not found", "not found on medium", "Could not resolve host",
		"Connection failed", "Timeout exceeded", "Skipping repository"):
		return FetchFailed
	case has("rpmdb open failed", "Failed to cache rpm database", "error: db5 error", "rpmdbNextIterator"):
		return Broken
	case run.res.ExitCode == zypperExitReposSkipped:
		return FetchFailed
	}
	return Failed
}

// Installed returns the installed version of each name ("" when absent),
// as [epoch:]version-release with a zero epoch left out.
func (z *Zypper) Installed(ctx context.Context, names []string) (map[string]string, error) {
	inst, err := z.installed(ctx, "list installed versions", names)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(names))
	for _, n := range names {
		out[n] = ""
		if v := inst[n]; len(v) > 0 {
			out[n] = v[len(v)-1].evr
		}
	}
	return out, nil
}

// rpmPkg is one installed package as rpm lists it.
type rpmPkg struct{ name, evr, arch string }

// installed returns every installed version of each name, oldest first
// (more than one: a multiversion package such as kernel-default).
func (z *Zypper) installed(ctx context.Context, op string, names []string) (map[string][]rpmPkg, error) {
	if err := z.r.checkNames("zypper", op, names); err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return map[string][]rpmPkg{}, nil
	}
	return z.rpmQuery(ctx, op, names)
}

// rpmQuery runs rpm -q (names) or rpm -qa (none) with rpmQueryFormat.
func (z *Zypper) rpmQuery(ctx context.Context, op string, names []string) (map[string][]rpmPkg, error) {
	args := []string{"rpm", "-qa", "--qf", rpmQueryFormat}
	if len(names) > 0 {
		args = append([]string{"rpm", "-q", "--qf", rpmQueryFormat, "--"}, names...)
	}
	c := z.r.cmd(false, zypperQueryTimeout, args...)
	res, err := z.r.run(ctx, c)
	if err != nil {
		return nil, err
	}
	// rpm -q exits with the number of names not installed and says so on
	// stdout ("package x is not installed"); anything on stderr is a failure.
	if res.ExitCode != 0 && (len(names) == 0 || strings.TrimSpace(string(res.Stderr)) != "") {
		return nil, z.r.errorFor(op, classifyDNFOutput(res), c, res, "")
	}
	asked := map[string]bool{}
	for _, n := range names {
		asked[n] = true
	}
	out := map[string][]rpmPkg{}
	for _, line := range strings.Split(string(res.Stdout), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 || f[0] == "" || (len(names) > 0 && !asked[f[0]]) {
			continue
		}
		p := rpmPkg{name: f[0], evr: normalizeEVR(f[1]), arch: f[2]}
		if !slices.Contains(out[p.name], p) {
			out[p.name] = append(out[p.name], p)
		}
	}
	for n := range out {
		sort.SliceStable(out[n], func(i, j int) bool { return Compare("zypper", out[n][i].evr, out[n][j].evr) < 0 })
	}
	return out, nil
}

// evrs lists the versions of installed packages.
func evrs(ps []rpmPkg) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.evr
	}
	return out
}
