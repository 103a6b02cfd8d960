package hostscan

import (
	"context"
	"slices"
	"strings"

	"github.com/patchflow/patchflow/advisories"
	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/transport"
)

// exposures assesses the installed packages: the vulnerabilities no
// pending update fixes (no fix yet, no DSA, ...) and, for the running
// kernel, those a newer installed kernel fixes (reboot pending). Only the
// running kernel counts as exposed: an installed newer kernel is not
// "fixed" until the host boots it.
func (s *Scanner) exposures(ctx context.Context, t Target, res *Result, db *advisories.DB, host advisories.Host,
	installed map[string]advisories.InstalledPackage, note func(string, ...any)) {
	if k, err := runningKernel(ctx, t); err != nil {
		note("running kernel unknown: %v", err)
	} else {
		res.RunningKernel = k
	}
	if reboot, err := t.Mgr.RebootRequired(ctx); err != nil {
		note("reboot-required unknown: %v", err)
	} else {
		res.RebootPending = reboot
	}
	pkgs := make([]advisories.InstalledPackage, 0, len(installed))
	for _, p := range installed {
		pkgs = append(pkgs, p)
	}
	slices.SortFunc(pkgs, func(a, b advisories.InstalledPackage) int { return strings.Compare(a.Name, b.Name) })
	rep := db.AssessInstalled(host, pkgs, res.RunningKernel)
	if rep.Kernel != nil && rep.Kernel.RebootPending {
		res.RebootPending = true
	}
	for _, e := range rep.Packages {
		for _, f := range e.NoFix {
			res.Exposures = append(res.Exposures, exposure(e, f, string(f.Status)))
		}
		for _, f := range e.RebootPending {
			res.Exposures = append(res.Exposures, exposure(e, f, domain.RebootPending))
		}
	}
}

func exposure(e advisories.Exposure, f advisories.Finding, state string) domain.Exposure {
	return domain.Exposure{Package: e.Package, Version: e.Version, ID: f.ID, State: state,
		Severity: domain.Severity(f.Severity).OrUnknown(), KEV: f.KEV != nil, Fixed: f.FixedVersion}
}

// runningKernel is `uname -r`.
func runningKernel(ctx context.Context, t Target) (string, error) {
	cmd := transport.Command{Args: []string{"uname", "-r"}, Timeout: identifyTimeout}
	out, err := t.Conn.Run(ctx, cmd)
	if err := transport.Check(out, err, t.Name, cmd); err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out.Stdout)), nil
}
