package pkgmgr

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// pendingScript lists upgradable packages as JSON through python3-apt, the
// library unattended-upgrades uses, with every origin of the candidate
// version. It exits 3 when python3-apt is missing so the caller can fall
// back to parsing `apt-get -s dist-upgrade`.
const pendingScript = `import json, sys
try:
    import apt_pkg
except ImportError:
    sys.exit(3)
apt_pkg.init()
cache = apt_pkg.Cache(None)
dep = apt_pkg.DepCache(cache)
out = []
for pkg in cache.packages:
    cur = pkg.current_ver
    if cur is None:
        continue
    cand = dep.get_candidate_ver(pkg)
    if cand is None or apt_pkg.version_compare(cand.ver_str, cur.ver_str) <= 0:
        continue
    origins = []
    for pf, _ in cand.file_list:
        if pf.not_source:
            continue
        origins.append({"origin": pf.origin or "", "label": pf.label or "", "archive": pf.archive or "",
                        "codename": pf.codename or "", "site": pf.site or "", "component": pf.component or ""})
    out.append({"name": pkg.name, "arch": cand.arch, "installed": cur.ver_str,
                "candidate": cand.ver_str, "origins": origins})
sys.stdout.write("PATCHFLOW-JSON " + json.dumps(out) + "\n")
`

// aptOrigin is one repository a candidate version comes from.
type aptOrigin struct {
	Origin    string `json:"origin"`
	Label     string `json:"label"`
	Archive   string `json:"archive"`
	Codename  string `json:"codename"`
	Site      string `json:"site"`
	Component string `json:"component"`
}

type aptUpgradable struct {
	Name      string      `json:"name"`
	Arch      string      `json:"arch"`
	Installed string      `json:"installed"`
	Candidate string      `json:"candidate"`
	Origins   []aptOrigin `json:"origins"`
}

// Pending lists the upgradable packages (as `apt list --upgradable` would)
// from python3-apt's machine-readable view. Without python3-apt it parses
// the "Inst" lines of `apt-get -s dist-upgrade`, which lists only what the
// resolver would upgrade now (kept-back packages are missing). Severity is
// unknown for apt: Debian's archive does not carry it; advisories add it.
func (a *Apt) Pending(ctx context.Context) ([]Update, error) {
	c := a.r.cmd(false, aptQueryTimeout, "python3", "-")
	c.Stdin = []byte(pendingScript)
	res, err := a.r.run(ctx, c)
	if err != nil {
		return nil, err
	}
	var ups []aptUpgradable
	switch {
	case res.ExitCode == 3 || res.ExitCode == 127:
		return a.pendingSimulated(ctx)
	case res.ExitCode != 0:
		return nil, a.r.errorFor("list pending updates", classifyAptOutput(res), c, res, "")
	}
	_, js, ok := strings.Cut(string(res.Stdout), "PATCHFLOW-JSON ")
	if !ok {
		return nil, a.r.errorFor("list pending updates", Failed, c, res,
			fmt.Sprintf("host %s: list pending updates: python3-apt printed no result", a.r.host()))
	}
	if err := json.Unmarshal([]byte(js), &ups); err != nil {
		return nil, &Error{Host: a.r.host(), Op: "list pending updates", Kind: Failed, Err: fmt.Errorf("decode python3-apt output: %w", err)}
	}
	out := make([]Update, 0, len(ups))
	for _, u := range ups {
		class, source := classifyOrigins(u.Origins)
		out = append(out, Update{Name: u.Name, Arch: u.Arch, Installed: u.Installed, Candidate: u.Candidate,
			Source: source, Class: class, Severity: SeverityUnknown, Advisories: []string{}})
	}
	sortUpdates(out)
	return out, nil
}

// distroOrigins are the origins whose main and -updates suites carry stable
// updates and point releases.
var distroOrigins = map[string]bool{"Debian": true, "Ubuntu": true, "Raspbian": true, "Devuan": true}

// classifyOrigins decides the class as unattended-upgrades does: security
// when any origin is a security archive (label Debian-Security, or a suite
// or codename ending in -security); bugfix when the distribution's own
// release or -updates suite offers it (stable updates, point releases);
// feature for everything else (backports, third-party repositories). The
// source names the deciding origin as origin/suite.
func classifyOrigins(origins []aptOrigin) (Class, string) {
	best, source := Feature, ""
	rank := map[Class]int{Feature: 0, Bugfix: 1, Security: 2}
	for _, o := range origins {
		class := Feature
		suite := o.Archive
		if suite == "" {
			suite = o.Codename
		}
		switch {
		case o.Label == "Debian-Security" || strings.HasSuffix(o.Archive, "-security") || strings.HasSuffix(o.Codename, "-security"):
			class = Security
		case distroOrigins[o.Origin] && !strings.Contains(o.Label, "Backports") && stableSuite(o.Archive) && stableSuite(o.Codename):
			class = Bugfix
		}
		name := o.Origin
		if name == "" {
			name = o.Label
		}
		src := name + "/" + suite
		if source == "" || rank[class] > rank[best] {
			best, source = class, src
		}
	}
	return best, source
}

// stableSuite reports whether a suite or codename names a release itself or
// its -updates pocket ("bookworm", "stable-updates"), not backports,
// proposed or another pocket.
func stableSuite(s string) bool {
	_, pocket, has := strings.Cut(s, "-")
	return !has || pocket == "updates"
}

// instLine matches `apt-get -s` lines such as
// "Inst libssl3 [3.0.11-1~deb12u2] (3.0.15-1~deb12u1 Debian-Security:12/stable-security [amd64])".
var instLine = regexp.MustCompile(`^Inst (\S+) \[([^\]]+)\] \((\S+) (.*) \[([^\]]+)\]\)`)

// pendingSimulated is the fallback without python3-apt.
func (a *Apt) pendingSimulated(ctx context.Context) ([]Update, error) {
	c := a.r.cmd(false, aptQueryTimeout, "apt-get", "-s", "-q", "dist-upgrade")
	res, err := a.r.run(ctx, c)
	if err != nil {
		return nil, err
	}
	if res.ExitCode != 0 {
		return nil, a.r.errorFor("list pending updates", classifyAptOutput(res), c, res, "")
	}
	return parseSimulated(string(res.Stdout)), nil
}

// parseSimulated reads the Inst lines; each release string is
// "Label:Version/Suite", several joined by ", ".
func parseSimulated(out string) []Update {
	var ups []Update
	for _, line := range strings.Split(out, "\n") {
		m := instLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue // new installs have no [installed] version: not an update
		}
		var origins []aptOrigin
		for _, rel := range strings.Split(m[4], ", ") {
			label, rest, _ := strings.Cut(strings.TrimSpace(rel), ":")
			_, suite, _ := strings.Cut(rest, "/")
			o := aptOrigin{Origin: label, Label: label, Archive: suite}
			if label == "Debian-Security" {
				o.Origin = "Debian"
			}
			origins = append(origins, o)
		}
		class, source := classifyOrigins(origins)
		ups = append(ups, Update{Name: m[1], Arch: m[5], Installed: m[2], Candidate: m[3], Source: source,
			Class: class, Severity: SeverityUnknown, Advisories: []string{}})
	}
	sortUpdates(ups)
	return ups
}

func sortUpdates(u []Update) {
	sort.Slice(u, func(i, j int) bool {
		if u[i].Name != u[j].Name {
			return u[i].Name < u[j].Name
		}
		return u[i].Arch < u[j].Arch
	})
}
