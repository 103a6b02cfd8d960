package pkgmgr

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/patchflow/patchflow/transport"
)

// zypperResult is a run's messages as one output, for the rpm scriptlet
// patterns dnf shares: zypper prints rpm's output inside <message>.
func zypperResult(run zypperRun) transport.Result {
	return transport.Result{Stdout: []byte(run.out.allText()), Stderr: run.res.Stderr, ExitCode: run.res.ExitCode}
}

// scriptFailed reports a failed rpm scriptlet with what is installed now:
// zypper exits 107 and leaves the new version installed.
func (z *Zypper) scriptFailed(pins []Pin, inst map[string][]rpmPkg, run zypperRun, fails []string) error {
	host := z.r.host()
	var state []string
	for _, p := range pins {
		v := strings.Join(evrs(inst[p.Name]), " and ")
		if v == "" {
			v = "not installed"
		}
		state = append(state, p.Name+" is "+v)
	}
	msg := excerptN(strings.Join(fails, "; "), 300)
	if msg == "" {
		msg = run.detail()
	}
	if msg == "" {
		msg = "zypper did not say which"
	}
	return &Error{Host: host, Op: "install", Cmd: run.cmd.String(), Kind: ScriptFailed, Stderr: msg,
		Msg: fmt.Sprintf("host %s: install %s: a package script failed (zypper exited %d): %s; now %s",
			host, pinList(pins), run.res.ExitCode, msg, strings.Join(state, ", "))}
}

// changeFailure turns a failed install or download into an error of the
// right kind: a version that does not exist is reported with what the
// repositories offer; a download that could not be written is DiskFull
// when the download directories are short of space.
func (z *Zypper) changeFailure(ctx context.Context, op string, run zypperRun, pins []Pin) error {
	kind := classifyZypper(run)
	switch kind {
	case NotFound:
		names, _ := z.r.checkPins("zypper", op, pins)
		if offered, orun, err := z.offered(ctx, op, names); err == nil {
			inst, _ := z.installed(ctx, op, names)
			for _, p := range pins {
				if p.Version != "" && !anySameVersion(offered[p.Name], p.Version) && !anySameVersion(evrs(inst[p.Name]), p.Version) {
					orun.out.Messages = append(orun.out.Messages, run.out.Messages...)
					return z.notFound(op, p, offered[p.Name], orun)
				}
			}
		}
	case DiskFull, FetchFailed, Failed:
		if err := z.r.diskSpace(ctx, zypperQueryTimeout, zypperDiskPaths, "zypper clean --all"); KindOf(err) == DiskFull {
			e := err.(*Error)
			e.Op, e.Cmd = op, run.cmd.String()
			e.Msg = fmt.Sprintf("host %s: %s failed (%s exited %d): %s; %s", z.r.host(), op, run.cmd.String(), run.res.ExitCode,
				run.detail(), strings.TrimPrefix(e.Msg, "host "+z.r.host()+": "))
			return e
		}
	}
	if run.res.ExitCode == zypperExitReposSkipped {
		return z.reposSkipped(op, run, "the pinned versions may be in them")
	}
	if locked := lockedPackages(run.out); len(locked) > 0 {
		return z.fail(op, kind, run, fmt.Sprintf("a package lock holds %s (zypper locks): remove it with zypper removelock %s if the plan is meant to change it, or leave the package out of the plan",
			strings.Join(locked, ", "), strings.Join(locked, " ")))
	}
	return z.fail(op, kind, run, "")
}

// lockedRequestRE finds the packages zypper's solver would have to unlock:
// "remove lock to allow installation of demo-tool-1.1-1.noarch[repo]".
var lockedRequestRE = regexp.MustCompile(`remove lock to allow (?:installation|removal) of (\S+?)-[^-\s]+-[^-\s]+\.[A-Za-z0-9_]+(?:\[|\s|$)`)

// lockedPackages names the packages a package lock (zypper addlock) kept
// the solver from changing.
func lockedPackages(out zypperOutput) []string {
	var names []string
	for _, p := range out.Problems {
		for _, m := range lockedRequestRE.FindAllStringSubmatch(p, -1) {
			if n := excerpt(m[1]); !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return names
}

// verifyVersions checks that zypper, having succeeded, left every pin at
// its exact version (or absent). Several installed versions are fine for
// multiversion packages (kernels) when the newest is the pin.
func (z *Zypper) verifyVersions(pins []Pin, inst map[string][]rpmPkg, runs []zypperRun) error {
	var c transport.Command
	if len(runs) > 0 {
		c = runs[len(runs)-1].cmd
	}
	for _, p := range pins {
		have := evrs(inst[p.Name])
		if p.Version == "" && len(have) == 0 {
			continue
		}
		if p.Version != "" && len(have) > 0 && sameVersion(have[len(have)-1], p.Version) {
			continue
		}
		return z.r.versionMismatch(c, "zypper", p, strings.Join(have, " and "), " (rpm -q "+p.Name+")")
	}
	return nil
}
