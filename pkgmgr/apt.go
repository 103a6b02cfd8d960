package pkgmgr

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/patchflow/patchflow/transport"
)

func init() {
	register(driver{kind: "apt", families: []string{"debian", "ubuntu"}, binary: "apt-get",
		new: func(c transport.Conn, sudo bool) Manager { return NewApt(c, sudo) }})
}

// Timeouts of apt operations: index refreshes and installs can be slow on
// real mirrors; queries are local.
const (
	aptRefreshTimeout = 10 * time.Minute
	aptInstallTimeout = 30 * time.Minute
	aptQueryTimeout   = 2 * time.Minute
)

// Apt drives apt and dpkg (Debian, Ubuntu).
type Apt struct{ r runner }

// NewApt returns the apt driver on c; sudo runs privileged commands through
// sudo where the host's user is not root.
func NewApt(c transport.Conn, sudo bool) *Apt { return &Apt{r: runner{conn: c, sudo: sudo}} }

// Kind returns "apt".
func (a *Apt) Kind() string { return "apt" }

// Refresh runs apt-get update. apt exits 0 when some repositories failed
// (it keeps the old index), so failed fetches and GPG errors in its output
// are errors here: patching against a stale index would miss updates.
func (a *Apt) Refresh(ctx context.Context) error {
	c := a.r.cmd(true, aptRefreshTimeout, "apt-get", "update", "-q")
	res, err := a.r.run(ctx, c)
	if err != nil {
		return err
	}
	var bad []string
	for _, line := range strings.Split(string(res.Stdout)+"\n"+string(res.Stderr), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "E:") || strings.HasPrefix(line, "Err:") ||
			strings.HasPrefix(line, "W: Failed to fetch") || strings.HasPrefix(line, "W: GPG error") ||
			strings.HasPrefix(line, "W: Some index files failed") {
			bad = append(bad, line)
		}
	}
	if res.ExitCode == 0 && len(bad) == 0 {
		return nil
	}
	kind := classifyAptOutput(res)
	if kind == Failed && len(bad) > 0 {
		kind = FetchFailed
	}
	msg := fmt.Sprintf("host %s: refresh package index failed (apt-get update exited %d)", a.r.host(), res.ExitCode)
	if len(bad) > 0 {
		msg += ": " + strings.Join(lastN(bad, 4), "; ")
	} else if t := transport.Tail(res.Stderr, 4); t != "" {
		msg += ": " + t
	}
	e := a.r.errorFor("refresh", kind, c, res, msg)
	return e
}

// Installed returns the installed version of each name ("" when absent).
func (a *Apt) Installed(ctx context.Context, names []string) (map[string]string, error) {
	st, err := a.states(ctx, "list installed versions", names)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(names))
	for _, n := range names {
		out[n] = st[n].installedVersion()
	}
	return out, nil
}

// pkgState is one package's dpkg database entry.
type pkgState struct {
	Version string
	Status  string // db:Status-Abbrev, e.g. "ii", "iF", "rc"
}

// present reports whether the package's files are on the system, in any
// state from half-installed to fully configured.
func (s pkgState) present() bool {
	return len(s.Status) >= 2 && strings.ContainsRune("iUFWtH", rune(s.Status[1]))
}

func (s pkgState) installedVersion() string {
	if s.present() {
		return s.Version
	}
	return ""
}

// states queries dpkg for names; unknown packages are absent.
func (a *Apt) states(ctx context.Context, op string, names []string) (map[string]pkgState, error) {
	if err := a.r.checkNames("apt", op, names); err != nil {
		return nil, err
	}
	out := map[string]pkgState{}
	if len(names) == 0 {
		return out, nil
	}
	args := append([]string{"dpkg-query", "-W", "-f", "${Package}\t${Architecture}\t${Version}\t${db:Status-Abbrev}\n"}, names...)
	c := a.r.cmd(false, aptQueryTimeout, args...)
	res, err := a.r.run(ctx, c)
	if err != nil {
		return nil, err
	}
	// Exit 1 with "no packages found matching" only means some are unknown.
	if res.ExitCode != 0 && !(res.ExitCode == 1 && strings.Contains(string(res.Stderr), "no packages found matching")) {
		return nil, a.r.errorFor(op, Failed, c, res, "")
	}
	for _, line := range strings.Split(string(res.Stdout), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			continue
		}
		st := pkgState{Version: f[2], Status: strings.TrimSpace(f[3])}
		// Answer both "name" and "name:arch"; with several architectures
		// of one name, "name" keeps one that is present.
		for _, key := range []string{f[0], f[0] + ":" + f[1]} {
			if prev, ok := out[key]; ok && prev.present() {
				continue
			}
			out[key] = st
		}
	}
	return out, nil
}

// Available checks every versioned pin against apt-cache madison (the
// configured repositories) and the installed version.
func (a *Apt) Available(ctx context.Context, pins []Pin) error {
	names, err := a.r.checkPins("apt", "check availability", pins)
	if err != nil || len(names) == 0 {
		return err
	}
	st, err := a.states(ctx, "check availability", names)
	if err != nil {
		return err
	}
	c := a.r.cmd(false, aptQueryTimeout, append([]string{"apt-cache", "madison"}, names...)...)
	res, err := a.r.run(ctx, c)
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return a.r.errorFor("check availability", Failed, c, res, "")
	}
	offered := parseMadison(string(res.Stdout))
	for _, p := range pins {
		if p.Version == "" || st[p.Name].installedVersion() == p.Version || slices.Contains(offered[p.Name], p.Version) {
			continue
		}
		return a.notFound("check availability", p, offered[p.Name])
	}
	return nil
}

// parseMadison maps package -> versions from `apt-cache madison` lines
// ("  demo-app |  1.0.1 | http://repo fleet/main amd64 Packages").
func parseMadison(out string) map[string][]string {
	m := map[string][]string{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "|")
		if len(f) < 3 {
			continue
		}
		name, ver := strings.TrimSpace(f[0]), strings.TrimSpace(f[1])
		if !slices.Contains(m[name], ver) {
			m[name] = append(m[name], ver)
		}
	}
	return m
}

func (a *Apt) notFound(op string, p Pin, offered []string) *Error {
	shows := offeredList("apt", offered, "nothing: check the package name and that the index is refreshed (apt-get update)")
	return &Error{Host: a.r.host(), Op: op, Kind: NotFound, Cmd: "apt-cache madison " + p.Name,
		Msg: fmt.Sprintf("host %s: %s=%s not available from any configured repository (apt-cache madison %s shows: %s)",
			a.r.host(), p.Name, p.Version, p.Name, shows)}
}

// Download fetches the versioned pins into apt's cache without installing.
func (a *Apt) Download(ctx context.Context, pins []Pin) error {
	if _, err := a.r.checkPins("apt", "download", pins); err != nil {
		return err
	}
	args := []string{"apt-get", "install", "--download-only", "-y", "-q", "--allow-downgrades"}
	n := 0
	for _, p := range pins {
		if p.Version != "" {
			args = append(args, p.Name+"="+p.Version)
			n++
		}
	}
	if n == 0 {
		return nil
	}
	progress(ctx, "%s: downloading %d packages", a.r.host(), n)
	c := a.r.cmd(true, aptInstallTimeout, args...)
	res, err := a.r.run(ctx, c)
	if err != nil {
		return err
	}
	if res.ExitCode == 0 {
		return nil
	}
	return a.aptFailure(ctx, "download", c, res, pins)
}

// aptFailure turns a failed apt-get run into an error of the right kind;
// a version that does not exist is reported with what the repositories do
// offer.
func (a *Apt) aptFailure(ctx context.Context, op string, c transport.Command, res transport.Result, pins []Pin) error {
	kind := classifyAptOutput(res)
	if kind == NotFound {
		names, _ := a.r.checkPins("apt", op, pins)
		mc := a.r.cmd(false, aptQueryTimeout, append([]string{"apt-cache", "madison"}, names...)...)
		if mres, err := a.r.run(ctx, mc); err == nil {
			offered := parseMadison(string(mres.Stdout))
			for _, p := range pins {
				if p.Version != "" && !slices.Contains(offered[p.Name], p.Version) {
					return a.notFound(op, p, offered[p.Name])
				}
			}
		}
	}
	return a.r.errorFor(op, kind, c, res, "")
}

// classifyAptOutput recognises apt's and dpkg's failure messages.
func classifyAptOutput(res transport.Result) ErrorKind {
	out := string(res.Stderr) + "\n" + string(res.Stdout)
	switch {
	case strings.Contains(out, "Could not get lock"), strings.Contains(out, "Unable to acquire the dpkg frontend lock"),
		strings.Contains(out, "Unable to lock directory"), strings.Contains(out, "is locked by another process"):
		return Locked
	case strings.Contains(out, "You don't have enough free space"), strings.Contains(out, "No space left on device"):
		return DiskFull
	case strings.Contains(out, "was not found"), strings.Contains(out, "Unable to locate package"),
		strings.Contains(out, "has no installation candidate"):
		return NotFound
	case strings.Contains(out, "dpkg: error processing"), strings.Contains(out, "subprocess returned error exit status"):
		return ScriptFailed
	case strings.Contains(out, "dpkg was interrupted"):
		return Broken
	case strings.Contains(out, "Failed to fetch"):
		return FetchFailed
	}
	return Failed
}

func lastN(s []string, n int) []string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
