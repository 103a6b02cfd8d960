package pkgmgr

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/patchflow/patchflow/transport"
)

func init() {
	register(driver{kind: "dnf",
		families: []string{"rhel", "fedora", "centos", "rocky", "almalinux", "ol", "amzn"},
		binary:   "dnf",
		new:      func(c transport.Conn, sudo bool) Manager { return NewDNF(c, sudo) }})
}

// Timeouts of dnf operations, as for apt.
const (
	dnfRefreshTimeout = 10 * time.Minute
	dnfInstallTimeout = 30 * time.Minute
	dnfQueryTimeout   = 2 * time.Minute
)

// dnfOpts go first on every dnf command line: no questions, and a held
// lock is an error at once (exit 200) instead of an endless wait.
var dnfOpts = []string{"--assumeyes", "--setopt=exit_on_lock=True"}

// DNF drives dnf and rpm (RHEL, Fedora and their rebuilds).
type DNF struct{ r runner }

// NewDNF returns the dnf driver on c; sudo runs privileged commands through
// sudo where the host's user is not root.
func NewDNF(c transport.Conn, sudo bool) *DNF { return &DNF{r: runner{conn: c, sudo: sudo}} }

// Kind returns "dnf".
func (d *DNF) Kind() string { return "dnf" }

// dnf builds a dnf command.
func (d *DNF) dnf(privileged bool, timeout time.Duration, args ...string) transport.Command {
	return d.r.cmd(privileged, timeout, append(append([]string{"dnf"}, dnfOpts...), args...)...)
}

// Refresh downloads fresh metadata for every enabled repository (dnf
// makecache --refresh). A repository that cannot be read fails it, also
// where skip_if_unavailable would let dnf carry on with stale metadata.
func (d *DNF) Refresh(ctx context.Context) error {
	c := d.dnf(true, dnfRefreshTimeout, "--setopt=*.skip_if_unavailable=False", "makecache", "--refresh")
	res, err := d.r.run(ctx, c)
	if err != nil {
		return err
	}
	if res.ExitCode == 0 {
		return nil
	}
	kind := classifyDNFOutput(res)
	if kind == Failed {
		kind = FetchFailed
	}
	return d.r.errorFor("refresh package index", kind, c, res, "")
}

// rpmQueryFormat prints one installed package per line; %{EPOCHNUM} is 0
// where the package has no epoch (%{EPOCH} would print "(none)").
const rpmQueryFormat = `%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\t%{ARCH}\n`

// Installed returns the installed version of each name ("" when absent),
// as [epoch:]version-release with a zero epoch left out.
func (d *DNF) Installed(ctx context.Context, names []string) (map[string]string, error) {
	inst, err := d.installed(ctx, "list installed versions", names)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(names))
	for _, n := range names {
		out[n] = ""
		if v := inst[n]; len(v) > 0 {
			out[n] = v[len(v)-1]
		}
	}
	return out, nil
}

// installed returns every installed version of each name, oldest first
// (more than one: an install-only package such as the kernel, or a broken
// upgrade that left the old version in the database).
func (d *DNF) installed(ctx context.Context, op string, names []string) (map[string][]string, error) {
	if err := d.r.checkNames("dnf", op, names); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	if len(names) == 0 {
		return out, nil
	}
	c := d.r.cmd(false, dnfQueryTimeout, append([]string{"rpm", "-q", "--qf", rpmQueryFormat}, names...)...)
	res, err := d.r.run(ctx, c)
	if err != nil {
		return nil, err
	}
	// rpm -q exits with the number of names not installed and says so on
	// stdout ("package x is not installed"); anything on stderr is a failure.
	if res.ExitCode != 0 && (res.ExitCode > len(names) || strings.TrimSpace(string(res.Stderr)) != "") {
		return nil, d.r.errorFor(op, classifyDNFOutput(res), c, res, "")
	}
	asked := map[string]bool{}
	for _, n := range names {
		asked[n] = true
	}
	for _, line := range strings.Split(string(res.Stdout), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 || !asked[f[0]] {
			continue
		}
		v := normalizeEVR(f[1])
		if !slices.Contains(out[f[0]], v) {
			out[f[0]] = append(out[f[0]], v)
		}
	}
	for n := range out {
		sort.Slice(out[n], func(i, j int) bool { return Compare("dnf", out[n][i], out[n][j]) < 0 })
	}
	return out, nil
}

// normalizeEVR drops a zero epoch: "0:1.0-1" -> "1.0-1", as dnf and rpm
// print versions.
func normalizeEVR(v string) string {
	if rest, ok := strings.CutPrefix(v, "0:"); ok {
		return rest
	}
	return v
}

// sameVersion reports whether an installed EVR satisfies a pinned one: the
// same epoch, version and release; a pin without a release matches every
// release of its version.
func sameVersion(installed, pin string) bool {
	installed, pin = normalizeEVR(installed), normalizeEVR(pin)
	if installed == pin {
		return true
	}
	if strings.Contains(pin, "-") {
		return false
	}
	v, _, ok := strings.Cut(installed, "-")
	return ok && v == pin
}

// pinSpec is the package spec dnf resolves to exactly the pinned version:
// name-[epoch:]version[-release].
func pinSpec(p Pin) string { return p.Name + "-" + p.Version }

// classifyDNFOutput recognises dnf's and rpm's failure messages.
func classifyDNFOutput(res transport.Result) ErrorKind {
	out := string(res.Stderr) + "\n" + string(res.Stdout)
	switch {
	case res.ExitCode == 200, strings.Contains(out, "already locked by"),
		strings.Contains(out, "waiting for transaction lock"), strings.Contains(out, "can't create transaction lock"):
		return Locked
	case strings.Contains(out, "No space left on device"), strings.Contains(out, "needs more space"),
		strings.Contains(out, "Disk Requirements"), strings.Contains(out, "installing package") && strings.Contains(out, "needs"):
		return DiskFull
	case strings.Contains(out, "scriptlet in rpm package"), strings.Contains(out, "scriptlet failed"):
		return ScriptFailed
	case strings.Contains(out, "Unable to find a match"), strings.Contains(out, "No match for argument"),
		strings.Contains(out, "No package ") && strings.Contains(out, "available"):
		return NotFound
	case strings.Contains(out, "Failed to download metadata"), strings.Contains(out, "Cannot download"),
		strings.Contains(out, "Curl error"), strings.Contains(out, "Error downloading packages"):
		return FetchFailed
	case strings.Contains(out, "RPM database") && strings.Contains(out, "corrupt"),
		strings.Contains(out, "rpmdb open failed"):
		return Broken
	}
	return Failed
}
