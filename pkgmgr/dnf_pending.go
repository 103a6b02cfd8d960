package pkgmgr

import (
	"context"
	"slices"
	"sort"
	"strings"
)

// dnfUpgrade is one newer version of an installed package in a repository.
type dnfUpgrade struct {
	name, evr, arch, repo string
}

// dnfAdvisory is one `dnf updateinfo list` line: an advisory (or, with
// --with-cve, one of its CVEs) naming a package version.
type dnfAdvisory struct {
	id       string
	class    Class
	severity Severity
	nevra    string // name-[epoch:]version-release.arch, zero epoch left out
}

// repoqueryFormat prints each upgrade one per line.
const repoqueryFormat = `%{name}\t%{epoch}:%{version}-%{release}\t%{arch}\t%{repoid}`

// Pending lists newer versions of installed packages with their class,
// severity and advisories from the repositories' updateinfo, as dnf
// updateinfo shows them. A package gets one Update per newer version an
// advisory names (so demo-app can show 1.0.1 as a security fix and 1.0.2
// as an enhancement, and a security-only plan can pin the minimal fixed
// version as `dnf upgrade-minimal --security` would), plus one for the
// newest version when no advisory names it (Class feature, Severity
// unknown: a repository without updateinfo says nothing more). Sorted by
// name, then version.
func (d *DNF) Pending(ctx context.Context) ([]Update, error) {
	// Privileged like Refresh: dnf keeps a separate metadata cache per
	// user, and an unprivileged query would read the user's own, maybe
	// days older than the system cache Refresh just renewed.
	c := d.dnf(true, dnfQueryTimeout, "--quiet", "repoquery", "--upgrades", "--queryformat", repoqueryFormat)
	res, err := d.r.run(ctx, c)
	if err != nil {
		return nil, err
	}
	if res.ExitCode != 0 {
		return nil, d.r.errorFor("list pending updates", classifyDNFOutput(res), c, res, "")
	}
	ups := parseRepoquery(string(res.Stdout))
	if len(ups) == 0 {
		return []Update{}, nil
	}
	var advs []dnfAdvisory
	for _, extra := range [][]string{nil, {"--with-cve"}} {
		args := append([]string{"--quiet", "updateinfo", "list", "--available"}, extra...)
		c := d.dnf(true, dnfQueryTimeout, args...)
		res, err := d.r.run(ctx, c)
		if err != nil {
			return nil, err
		}
		if res.ExitCode != 0 {
			return nil, d.r.errorFor("list advisories", classifyDNFOutput(res), c, res, "")
		}
		advs = append(advs, parseUpdateinfoList(string(res.Stdout))...)
	}
	var names []string
	for _, u := range ups {
		if !slices.Contains(names, u.name) {
			names = append(names, u.name)
		}
	}
	inst, err := d.Installed(ctx, names)
	if err != nil {
		return nil, err
	}
	return dnfUpdates(ups, advs, inst), nil
}

// dnfUpdates joins upgrades and advisories into Updates (see Pending).
func dnfUpdates(ups []dnfUpgrade, advs []dnfAdvisory, installed map[string]string) []Update {
	byNEVRA := map[string][]dnfAdvisory{}
	for _, a := range advs {
		byNEVRA[a.nevra] = append(byNEVRA[a.nevra], a)
	}
	newest := map[string]string{} // name.arch -> newest evr
	for _, u := range ups {
		k := u.name + "." + u.arch
		if n, ok := newest[k]; !ok || Compare("dnf", u.evr, n) > 0 {
			newest[k] = u.evr
		}
	}
	out := []Update{}
	seen := map[string]bool{}
	for _, u := range ups {
		nevra := u.name + "-" + u.evr + "." + u.arch
		if seen[nevra] {
			continue
		}
		seen[nevra] = true
		as := byNEVRA[nevra]
		if len(as) == 0 && newest[u.name+"."+u.arch] != u.evr {
			continue
		}
		up := Update{Name: u.name, Arch: u.arch, Installed: installed[u.name], Candidate: u.evr, Source: u.repo,
			Class: Feature, Severity: SeverityUnknown, Advisories: []string{}}
		if len(as) > 0 {
			up.Class = ""
		}
		for _, a := range as {
			up.Class = strongerDNFClass(up.Class, a.class)
			if a.class == Security && severityOrder[a.severity] > severityOrder[up.Severity] {
				up.Severity = a.severity
			}
			if !slices.Contains(up.Advisories, a.id) {
				up.Advisories = append(up.Advisories, a.id)
			}
		}
		sort.Strings(up.Advisories)
		out = append(out, up)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		if out[i].Arch != out[j].Arch {
			return out[i].Arch < out[j].Arch
		}
		return Compare("dnf", out[i].Candidate, out[j].Candidate) < 0
	})
	return out
}

var severityOrder = map[Severity]int{SeverityUnknown: 0, Low: 1, Medium: 2, High: 3, Critical: 4}

var classOrder = map[Class]int{"": 0, Feature: 1, Bugfix: 2, Security: 3}

func strongerDNFClass(a, b Class) Class {
	if classOrder[b] > classOrder[a] {
		return b
	}
	return a
}

// parseRepoquery reads repoqueryFormat lines.
func parseRepoquery(out string) []dnfUpgrade {
	var ups []dnfUpgrade
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(strings.TrimSpace(line), "\t")
		if len(f) != 4 || f[0] == "" || f[1] == "" {
			continue
		}
		ups = append(ups, dnfUpgrade{name: f[0], evr: normalizeEVR(f[1]), arch: f[2], repo: f[3]})
	}
	return ups
}

// parseUpdateinfoList reads `dnf updateinfo list` lines: "ID LABEL NEVRA",
// LABEL one of Critical/Sec. Important/Sec. Moderate/Sec. Low/Sec.
// Unknown/Sec. bugfix enhancement newpackage unknown. Lines of other shapes
// (headers, notices) are skipped.
func parseUpdateinfoList(out string) []dnfAdvisory {
	var advs []dnfAdvisory
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 4 && f[0] == "i" { // --all marks installed advisories
			f = f[1:]
		}
		if len(f) != 3 {
			continue
		}
		a := dnfAdvisory{id: f[0], nevra: f[2], severity: SeverityUnknown}
		switch label := f[1]; {
		case strings.HasSuffix(label, "/Sec."), label == "security":
			a.class = Security
			a.severity = dnfSeverity(strings.TrimSuffix(label, "/Sec."))
		case label == "bugfix":
			a.class = Bugfix
		case label == "enhancement", label == "newpackage", label == "unknown":
			a.class = Feature
		default:
			continue
		}
		advs = append(advs, a)
	}
	return advs
}

// dnfSeverity maps updateinfo severities (Red Hat's scale) to ours.
func dnfSeverity(s string) Severity {
	switch strings.ToLower(s) {
	case "critical":
		return Critical
	case "important":
		return High
	case "moderate":
		return Medium
	case "low":
		return Low
	}
	return SeverityUnknown
}
