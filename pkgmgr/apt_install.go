package pkgmgr

import (
	"context"
	"fmt"
	"strings"

	"github.com/patchflow/patchflow/transport"
)

// Install brings every pin to its exact version in one apt transaction
// (apt resolves all pins before changing anything, so a missing version
// changes nothing), keeping existing configuration files. Version "" removes
// the package. Whatever apt's exit code, the result is verified with
// dpkg-query: every pin must be "ii" at its version (or absent).
func (a *Apt) Install(ctx context.Context, pins []Pin) error {
	if _, err := a.r.checkPins("apt", "install", pins); err != nil {
		return err
	}
	if len(pins) == 0 {
		return nil
	}
	args := []string{"apt-get", "install", "-y", "-q", "--allow-downgrades",
		"-o", "Dpkg::Options::=--force-confold", "-o", "Dpkg::Options::=--force-confdef"}
	for _, p := range pins {
		if p.Version == "" {
			args = append(args, p.Name+"-") // apt's "remove this one" suffix
		} else {
			args = append(args, p.Name+"="+p.Version)
		}
	}
	progress(ctx, "%s: installing %s", a.r.host(), pinList(pins))
	c := a.r.cmd(true, aptInstallTimeout, args...)
	res, err := a.r.run(ctx, c)
	if err != nil {
		return err
	}
	names, _ := a.r.checkPins("apt", "install", pins)
	st, verr := a.states(ctx, "verify install", names)
	if verr != nil {
		return verr
	}
	// A half-configured pin is the most specific finding whatever apt's
	// exit code; otherwise apt's own failure explains a missed pin (and,
	// with every pin right, a dependency it pulled in may be broken).
	if err := a.verifyConfigured(pins, st, c, res); err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return a.aptFailure(ctx, "install", c, res, pins)
	}
	return a.verifyVersions(pins, st, c)
}

// verifyConfigured finds pins left unpacked but not configured after an
// install: a failed maintainer script (or an interrupted dpkg).
func (a *Apt) verifyConfigured(pins []Pin, st map[string]pkgState, c transport.Command, res transport.Result) error {
	host := a.r.host()
	for _, p := range pins {
		s := st[p.Name]
		if !s.present() || s.Status == "ii" {
			continue
		}
		msg := dpkgMessages(string(res.Stdout)+"\n"+string(res.Stderr), p.Name)
		kind := Broken
		if msg != "" {
			kind = ScriptFailed
		} else {
			msg = transport.Tail(res.Stderr, 4)
		}
		return &Error{Host: host, Op: "install", Cmd: c.String(), Kind: kind, Stderr: msg,
			Msg: fmt.Sprintf("host %s: install %s: package %s %s is left %s (dpkg status %s): %s",
				host, pinList(pins), p.Name, s.Version, statusWord(s.Status), s.Status, msg)}
	}
	return nil
}

// verifyVersions checks that apt, having succeeded, left every pin at its
// exact version (or absent).
func (a *Apt) verifyVersions(pins []Pin, st map[string]pkgState, c transport.Command) error {
	for _, p := range pins {
		if got := st[p.Name].installedVersion(); got != p.Version {
			return a.r.versionMismatch(c, "apt-get", p, got, "")
		}
	}
	return nil
}

// dpkgMessages extracts dpkg's complaint about one package: the
// "dpkg: error processing package NAME" line and the explanation after it.
func dpkgMessages(out, name string) string {
	lines := strings.Split(out, "\n")
	var keep []string
	for i, l := range lines {
		if strings.Contains(l, "error processing package "+name) || strings.Contains(l, "error processing package "+name+":") {
			keep = append(keep, strings.TrimSpace(l))
			if i+1 < len(lines) {
				keep = append(keep, strings.TrimSpace(lines[i+1]))
			}
		}
	}
	if len(keep) == 0 {
		for _, l := range lines {
			if strings.Contains(l, name) && strings.Contains(l, "script subprocess returned error") {
				keep = append(keep, strings.TrimSpace(l))
			}
		}
	}
	return strings.Join(lastN(keep, 4), " ")
}

// statusWord names dpkg's status letter for messages.
func statusWord(abbrev string) string {
	if len(abbrev) < 2 {
		return "in an unknown state"
	}
	switch abbrev[1] {
	case 'F':
		return "half-configured"
	case 'U':
		return "unpacked but not configured"
	case 'H':
		return "half-installed"
	case 'W', 't':
		return "awaiting triggers"
	}
	return "in state " + abbrev
}

func pinList(pins []Pin) string {
	s := make([]string, len(pins))
	for i, p := range pins {
		s[i] = p.String()
	}
	return strings.Join(s, " ")
}
