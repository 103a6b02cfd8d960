package pkgmgr

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/patchflow/patchflow/transport"
)

// Available checks every versioned pin against the repositories (dnf
// repoquery --showduplicates) and the installed version.
func (d *DNF) Available(ctx context.Context, pins []Pin) error {
	names, err := d.r.checkPins("dnf", "check availability", pins)
	if err != nil || len(names) == 0 {
		return err
	}
	inst, err := d.installed(ctx, "check availability", names)
	if err != nil {
		return err
	}
	offered, err := d.offered(ctx, "check availability", names)
	if err != nil {
		return err
	}
	for _, p := range pins {
		if p.Version == "" || anySameVersion(inst[p.Name], p.Version) || anySameVersion(offered[p.Name], p.Version) {
			continue
		}
		return d.notFound("check availability", p, offered[p.Name])
	}
	return nil
}

// offered maps each name to the versions the enabled repositories carry.
func (d *DNF) offered(ctx context.Context, op string, names []string) (map[string][]string, error) {
	args := append([]string{"--quiet", "repoquery", "--available", "--showduplicates", "--queryformat", repoqueryFormat, "--"}, names...)
	c := d.dnf(true, dnfQueryTimeout, args...) // the system metadata cache, as in Pending
	res, err := d.r.run(ctx, c)
	if err != nil {
		return nil, err
	}
	if res.ExitCode != 0 {
		return nil, d.r.errorFor(op, classifyDNFOutput(res), c, res, "")
	}
	out := map[string][]string{}
	for _, u := range parseRepoquery(string(res.Stdout)) {
		if !slices.Contains(out[u.name], u.evr) {
			out[u.name] = append(out[u.name], u.evr)
		}
	}
	return out, nil
}

func anySameVersion(have []string, pin string) bool {
	for _, v := range have {
		if sameVersion(v, pin) {
			return true
		}
	}
	return false
}

func (d *DNF) notFound(op string, p Pin, offered []string) *Error {
	shows := offeredList("dnf", offered, "nothing: check the package name and that the metadata is fresh (dnf makecache --refresh)")
	return &Error{Host: d.r.host(), Op: op, Kind: NotFound, Cmd: "dnf repoquery --showduplicates " + p.Name,
		Msg: fmt.Sprintf("host %s: %s-%s not available from any enabled repository (dnf repoquery --showduplicates %s shows: %s)",
			d.r.host(), p.Name, p.Version, p.Name, shows)}
}

// Download fetches the versioned pins into dnf's cache without installing
// them (dnf install --downloadonly); a later Install uses the cached files.
func (d *DNF) Download(ctx context.Context, pins []Pin) error {
	if _, err := d.r.checkPins("dnf", "download", pins); err != nil {
		return err
	}
	var specs []string
	for _, p := range pins {
		if p.Version != "" {
			specs = append(specs, pinSpec(p))
		}
	}
	if len(specs) == 0 {
		return nil
	}
	progress(ctx, "%s: downloading %d packages", d.r.host(), len(specs))
	args := append([]string{"--setopt=strict=True", "install", "--downloadonly", "--"}, specs...)
	c := d.dnf(true, dnfInstallTimeout, args...)
	res, err := d.r.run(ctx, c)
	if err != nil {
		return err
	}
	if res.ExitCode == 0 {
		return nil
	}
	return d.dnfFailure(ctx, "download", c, res, pins)
}

// Install brings every pin to its exact version in one dnf transaction
// (`dnf install name-version` upgrades or downgrades; dnf resolves every
// pin before changing anything, so a missing version changes nothing),
// then removes the pins whose Version is "" in a second one. Whatever dnf's
// exit code, the result is verified with rpm -q. A failing %post leaves
// the new version installed and dnf exiting 0 with "Error in POSTIN
// scriptlet" on stderr: that is ScriptFailed, not success.
func (d *DNF) Install(ctx context.Context, pins []Pin) error {
	names, err := d.r.checkPins("dnf", "install", pins)
	if err != nil || len(pins) == 0 {
		return err
	}
	var specs, removes []string
	for _, p := range pins {
		if p.Version == "" {
			removes = append(removes, p.Name)
		} else {
			specs = append(specs, pinSpec(p))
		}
	}
	progress(ctx, "%s: installing %s", d.r.host(), pinList(pins))
	var c transport.Command
	var res transport.Result
	if len(specs) > 0 {
		c = d.dnf(true, dnfInstallTimeout, append([]string{"--setopt=strict=True", "install", "--"}, specs...)...)
		if res, err = d.r.run(ctx, c); err != nil {
			return err
		}
	}
	if len(removes) > 0 && res.ExitCode == 0 {
		inst, err := d.installed(ctx, "install", removes)
		if err != nil {
			return err
		}
		var present []string
		for _, n := range removes {
			if len(inst[n]) > 0 {
				present = append(present, n)
			}
		}
		if len(present) > 0 {
			rc := d.dnf(true, dnfInstallTimeout, append([]string{"remove", "--"}, present...)...)
			rres, err := d.r.run(ctx, rc)
			if err != nil {
				return err
			}
			if len(specs) == 0 || rres.ExitCode != 0 || len(scriptletFailures(rres)) > 0 {
				c, res = rc, rres
			}
		}
	}
	inst, err := d.installed(ctx, "verify install", names)
	if err != nil {
		return err
	}
	if fails := scriptletFailures(res); len(fails) > 0 {
		return d.scriptFailed(pins, inst, c, res, fails)
	}
	if res.ExitCode != 0 {
		return d.dnfFailure(ctx, "install", c, res, pins)
	}
	return d.verifyVersions(pins, inst, c)
}

// scriptletRE matches dnf's "Error in POSTIN scriptlet in rpm package
// demo-app" and rpm's "warning: %post(demo-app-1.0.2-1.noarch) scriptlet
// failed, exit status 1" (error: for fatal ones such as %pre).
var scriptletRE = regexp.MustCompile(`Error in \S+ scriptlet in rpm package \S+|(?:warning|error): %\w+\([^)]*\) scriptlet failed[^\n]*`)

// scriptletFailures returns the scriptlet failure lines of a dnf run.
func scriptletFailures(res transport.Result) []string {
	var out []string
	for _, m := range scriptletRE.FindAllString(string(res.Stderr)+"\n"+string(res.Stdout), -1) {
		if m = strings.TrimSpace(m); !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// scriptFailed reports a failed scriptlet with what is installed now.
func (d *DNF) scriptFailed(pins []Pin, inst map[string][]string, c transport.Command, res transport.Result, fails []string) error {
	host := d.r.host()
	var state []string
	for _, p := range pins {
		v := strings.Join(inst[p.Name], " and ")
		if v == "" {
			v = "not installed"
		}
		state = append(state, p.Name+" is "+v)
	}
	how := "dnf exited 0"
	if res.ExitCode != 0 {
		how = fmt.Sprintf("dnf exited %d", res.ExitCode)
	}
	msg := strings.Join(fails, "; ")
	return &Error{Host: host, Op: "install", Cmd: c.String(), Kind: ScriptFailed, Stderr: msg,
		Msg: fmt.Sprintf("host %s: install %s: a package script failed (%s): %s; now %s",
			host, pinList(pins), how, msg, strings.Join(state, ", "))}
}

// dnfFailure turns a failed dnf run into an error of the right kind; a
// version that does not exist is reported with what the repositories offer.
func (d *DNF) dnfFailure(ctx context.Context, op string, c transport.Command, res transport.Result, pins []Pin) error {
	kind := classifyDNFOutput(res)
	if kind == NotFound {
		names, _ := d.r.checkPins("dnf", op, pins)
		if offered, err := d.offered(ctx, op, names); err == nil {
			inst, _ := d.installed(ctx, op, names)
			for _, p := range pins {
				if p.Version != "" && !anySameVersion(offered[p.Name], p.Version) && !anySameVersion(inst[p.Name], p.Version) {
					return d.notFound(op, p, offered[p.Name])
				}
			}
		}
	}
	return d.r.errorFor(op, kind, c, res, "")
}

// verifyVersions checks that dnf, having succeeded, left every pin at its
// exact version (or absent). Several installed versions are fine for
// install-only packages (kernels) when the newest is the pin; a failed
// upgrade that leaves both versions behind shows as a scriptlet failure.
func (d *DNF) verifyVersions(pins []Pin, inst map[string][]string, c transport.Command) error {
	for _, p := range pins {
		have := inst[p.Name]
		if p.Version == "" && len(have) == 0 {
			continue
		}
		if p.Version != "" && len(have) > 0 && sameVersion(have[len(have)-1], p.Version) {
			continue
		}
		return d.r.versionMismatch(c, "dnf", p, strings.Join(have, " and "), " (rpm -q "+p.Name+")")
	}
	return nil
}
