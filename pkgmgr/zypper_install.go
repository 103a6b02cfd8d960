package pkgmgr

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// zypperSpec is the argument zypper resolves to exactly the pinned
// version: name=[epoch:]version[-release], read with --name as a package
// name (never as a capability another package provides).
func zypperSpec(p Pin) string { return p.Name + "=" + p.Version }

// Available checks every versioned pin against what the repositories
// carry (zypper search --details --match-exact) and the installed version.
func (z *Zypper) Available(ctx context.Context, pins []Pin) error {
	names, err := z.r.checkPins("zypper", "check availability", pins)
	if err != nil || len(names) == 0 {
		return err
	}
	inst, err := z.installed(ctx, "check availability", names)
	if err != nil {
		return err
	}
	offered, run, err := z.offered(ctx, "check availability", names)
	if err != nil {
		return err
	}
	for _, p := range pins {
		if p.Version == "" || anySameVersion(evrs(inst[p.Name]), p.Version) || anySameVersion(offered[p.Name], p.Version) {
			continue
		}
		return z.notFound("check availability", p, offered[p.Name], run)
	}
	return nil
}

// offered maps each name to the versions the enabled repositories carry.
// A search that finds nothing exits 104; a skipped repository (106) is
// remembered in the run, for a not-found error to mention.
func (z *Zypper) offered(ctx context.Context, op string, names []string) (map[string][]string, zypperRun, error) {
	args := append([]string{"search", "--details", "--match-exact", "--type", "package", "--"}, names...)
	run, err := z.exec(ctx, z.zypper(true, zypperQueryTimeout, args...))
	if err != nil {
		return nil, run, err
	}
	switch code := run.res.ExitCode; {
	case run.succeeded(), code == zypperExitCapNotFound, code == zypperExitReposSkipped:
	default:
		return nil, run, z.fail(op, classifyZypper(run), run, "")
	}
	out := map[string][]string{}
	for _, s := range run.out.Solvables {
		if s.kind() != "package" || s.Edition == "" || s.Repository == "(System Packages)" {
			continue
		}
		if v := normalizeEVR(s.Edition); !slices.Contains(out[s.Name], v) {
			out[s.Name] = append(out[s.Name], v)
		}
	}
	return out, run, nil
}

func (z *Zypper) notFound(op string, p Pin, offered []string, run zypperRun) *Error {
	shows := offeredList("zypper", offered, "nothing: check the package name and that the metadata is fresh (zypper refresh)")
	msg := fmt.Sprintf("host %s: %s=%s not available from any enabled repository (zypper search --details --match-exact %s shows: %s)",
		z.r.host(), p.Name, p.Version, p.Name, shows)
	if skipped := skippedRepos(run.out); len(skipped) > 0 {
		msg += fmt.Sprintf("; zypper skipped repositories it could not refresh (%s), which may carry it", excerptN(strings.Join(skipped, ", "), 120))
	}
	return &Error{Host: z.r.host(), Op: op, Kind: NotFound, Cmd: "zypper search --details --match-exact " + p.Name, Msg: msg}
}

// Download fetches the versioned pins into zypper's package cache without
// installing them (zypper install --download-only); a later Install uses
// the cached files.
func (z *Zypper) Download(ctx context.Context, pins []Pin) error {
	if _, err := z.r.checkPins("zypper", "download", pins); err != nil {
		return err
	}
	var specs []string
	for _, p := range pins {
		if p.Version != "" {
			specs = append(specs, zypperSpec(p))
		}
	}
	if len(specs) == 0 {
		return nil
	}
	progress(ctx, "%s: downloading %d packages", z.r.host(), len(specs))
	args := append([]string{"install", "--oldpackage", "--name", "--download-only", "--"}, specs...)
	run, err := z.exec(ctx, z.zypper(true, zypperInstallTimeout, args...))
	if err != nil {
		return err
	}
	if run.succeeded() || run.res.ExitCode == zypperExitReposSkipped {
		return nil
	}
	return z.changeFailure(ctx, "download", run, pins)
}

// Install brings every pin to its exact version, then removes the pins
// whose Version is "" (after a dry run shows that nothing else would go),
// and verifies the result with rpm -q whatever zypper's exit code.
//
// The package stack goes first, as zypper patch does it: pins that
// belong to a pending patch flagged pkgmanager are installed in their own
// zypper run, together with those patches when the pins cover all of a
// patch's installed packages; zypper then exits 103 ("run again"), and
// the remaining pins go in a new zypper run that uses the new stack.
//
// A failing %post leaves the new version installed and zypper exiting 107:
// that is ScriptFailed, not success. Exit 106 (a repository skipped) is
// success when the verified versions are the pinned ones.
func (z *Zypper) Install(ctx context.Context, pins []Pin) error {
	names, err := z.r.checkPins("zypper", "install", pins)
	if err != nil || len(pins) == 0 {
		return err
	}
	var specs []Pin
	var removes []string
	for _, p := range pins {
		if p.Version == "" {
			removes = append(removes, p.Name)
		} else {
			specs = append(specs, p)
		}
	}
	progress(ctx, "%s: installing %s", z.r.host(), pinList(pins))
	var runs []zypperRun
	if len(specs) > 0 {
		steps, err := z.installSteps(ctx, specs)
		if err != nil {
			return err
		}
		for i, st := range steps {
			if i > 0 {
				progress(ctx, "%s: package stack updated (zypper exited %d); installing the rest in a new zypper run",
					z.r.host(), runs[i-1].res.ExitCode)
			}
			run, err := z.installStep(ctx, st)
			if err != nil {
				return err
			}
			runs = append(runs, run)
			if !changed(run) {
				break
			}
		}
	}
	if len(removes) > 0 && (len(runs) == 0 || changed(runs[len(runs)-1])) {
		run, ok, err := z.remove(ctx, removes)
		if err != nil {
			return err
		}
		if ok {
			runs = append(runs, run)
		}
	}
	inst, err := z.installed(ctx, "verify install", names)
	if err != nil {
		return err
	}
	for _, run := range runs {
		if fails := scriptletFailures(zypperResult(run)); len(fails) > 0 || run.res.ExitCode == zypperExitScriptFailed {
			return z.scriptFailed(pins, inst, run, fails)
		}
	}
	for _, run := range runs {
		if !changed(run) {
			return z.changeFailure(ctx, "install", run, pins)
		}
	}
	return z.verifyVersions(pins, inst, runs)
}

// installStep is one zypper install run: pins plus patches (the package
// stack). A run that exits 103 again is repeated, at most three times in
// all: zypper asks to be run again once the stack is current.
type installStep struct {
	pins    []Pin
	patches []string
}

func (z *Zypper) installStep(ctx context.Context, st installStep) (zypperRun, error) {
	args := []string{"install", "--oldpackage", "--name", "--"}
	for _, p := range st.pins {
		args = append(args, zypperSpec(p))
	}
	for _, id := range st.patches {
		args = append(args, "patch:"+id)
	}
	c := z.zypper(true, zypperInstallTimeout, args...)
	var run zypperRun
	var err error
	for round := 0; round < 3; round++ {
		if run, err = z.exec(ctx, c); err != nil {
			return run, err
		}
		// The stack step ends with 103 by design; only a step without
		// patches that still says 103 asks for another round.
		if run.res.ExitCode != zypperExitRestartNeeded || len(st.patches) > 0 {
			break
		}
	}
	return run, nil
}

// changed reports whether an install or remove run changed what it was
// asked to: success, a reboot or restart asked for, a repository skipped.
// 107 and failures are examined by Install.
func changed(run zypperRun) bool {
	switch run.res.ExitCode {
	case zypperExitRestartNeeded, zypperExitReposSkipped:
		return true
	}
	return run.succeeded()
}

// installSteps orders the pins: those of pending package stack patches
// first (with the patches their pins cover), then the rest.
func (z *Zypper) installSteps(ctx context.Context, specs []Pin) ([]installStep, error) {
	// The stack patches of the repositories zypper can read: a skipped
	// one's cannot be installed anyway.
	lp, err := z.queryRepos(ctx, "install", true, "list-patches")
	if err != nil {
		return nil, err
	}
	var stack []zypperUpdate
	for _, p := range pendingPatches(lp.out.Updates) {
		if p.PkgManager {
			stack = append(stack, p)
		}
	}
	if len(stack) == 0 {
		return []installStep{{pins: specs}}, nil
	}
	infos, err := z.patchPackages(ctx, "install", stack)
	if err != nil {
		return nil, err
	}
	inst, err := z.rpmQuery(ctx, "install", nil)
	if err != nil {
		return nil, err
	}
	first, patches := stackPins(specs, stack, infos, inst)
	if len(first) == 0 {
		return []installStep{{pins: specs}}, nil
	}
	var rest []Pin
	for _, p := range specs {
		if !slices.Contains(first, p) {
			rest = append(rest, p)
		}
	}
	steps := []installStep{{pins: first, patches: patches}}
	if len(rest) > 0 {
		steps = append(steps, installStep{pins: rest})
	}
	return steps, nil
}

// stackPins returns the pins of packages that pending package stack
// patches update, and the patches whose installed packages are all pinned
// at or above the patch's version (so installing the patch with the pins
// changes nothing but the pins).
func stackPins(specs []Pin, stack []zypperUpdate, infos map[string]patchInfo, inst map[string][]rpmPkg) ([]Pin, []string) {
	byName := map[string]Pin{}
	for _, p := range specs {
		byName[p.Name] = p
	}
	isInstalled := func(name, arch string) bool {
		for _, p := range inst[name] {
			if p.arch == arch {
				return true
			}
		}
		return false
	}
	var first []Pin
	var patches []string
	for _, s := range stack {
		covered, any := true, false
		for _, pk := range infos[patchKey(s.Source.Alias, s.Name)].Packages {
			if !isInstalled(pk.Name, pk.Arch) {
				continue
			}
			pin, ok := byName[pk.Name]
			if !ok {
				covered = false
				continue
			}
			any = true
			if !slices.Contains(first, pin) {
				first = append(first, pin)
			}
			if !pinAtLeast(pin.Version, pk.EVR) {
				covered = false
			}
		}
		if any && covered && !slices.Contains(patches, s.Name) {
			patches = append(patches, s.Name)
		}
	}
	sort.Strings(patches)
	return first, patches
}

// pinAtLeast reports whether a pinned version is evr or newer; a pin
// without a release compares versions only.
func pinAtLeast(pin, evr string) bool {
	if !strings.Contains(pin, "-") {
		if i := strings.LastIndexByte(evr, '-'); i >= 0 {
			evr = evr[:i]
		}
	}
	return Compare("zypper", normalizeEVR(pin), normalizeEVR(evr)) >= 0
}

// remove removes the named packages that are installed, after a dry run
// shows zypper would remove nothing else (packages that require them, say).
// ok is false when none was installed.
func (z *Zypper) remove(ctx context.Context, names []string) (run zypperRun, ok bool, err error) {
	inst, err := z.installed(ctx, "install", names)
	if err != nil {
		return run, false, err
	}
	var present []string
	for _, n := range names {
		if len(inst[n]) > 0 {
			present = append(present, n)
		}
	}
	if len(present) == 0 {
		return run, false, nil
	}
	args := append([]string{"remove", "--name", "--"}, present...)
	dry, err := z.exec(ctx, z.zypper(true, zypperQueryTimeout, append([]string{"remove", "--dry-run", "--name", "--"}, present...)...))
	if err != nil {
		return run, false, err
	}
	if !dry.succeeded() && dry.res.ExitCode != zypperExitReposSkipped {
		return dry, true, nil
	}
	var extra []string
	for _, s := range dry.out.Summary.changes() {
		if !slices.Contains(present, s.Name) && !slices.Contains(extra, s.Name) {
			extra = append(extra, s.Name)
		}
	}
	if len(extra) > 0 {
		host := z.r.host()
		return run, false, &Error{Host: host, Op: "install", Cmd: dry.cmd.String(), Kind: Failed,
			Msg: fmt.Sprintf("host %s: install: removing %s would also change %s (zypper remove --dry-run); nothing was removed: roll back or remove those too, or remove by hand",
				host, strings.Join(present, ", "), excerptN(strings.Join(extra, ", "), 200))}
	}
	run, err = z.exec(ctx, z.zypper(true, zypperInstallTimeout, args...))
	return run, true, err
}
