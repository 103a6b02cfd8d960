package localfleet

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
)

// The zypper hosts' repository is a SUSE-style rpm-md repository: packages
// with SUSE release numbers and an updateinfo.xml whose patches carry the
// categories (security, recommended, optional, feature), severities
// (critical, important, moderate, low) and flags (reboot_suggested,
// restart_suggested) zypper reads.

// zypperPkg is one version of a package in the zypper repository.
type zypperPkg struct {
	name, version, release, arch string
	post                         string // %post body, "" for none
	requires                     string // a Requires: line's value, "" for none
}

func (p zypperPkg) evr() string { return p.version + "-" + p.release }
func (p zypperPkg) file() string {
	return fmt.Sprintf("%s-%s-%s.%s.rpm", p.name, p.version, p.release, p.arch)
}

// zypperPatch is one <update> of the repository's updateinfo.xml.
type zypperPatch struct {
	id, category, severity, title string
	cves                          []string
	issued                        int64 // Unix seconds, as SUSE writes it
	reboot                        bool  // reboot_suggested: zypper calls the patch interactive
	restart                       bool  // restart_suggested: it updates the package stack (pkgmanager)
	pkgs                          []zypperPkg
}

// Patch names and the releases of the demo packages' versions.
const (
	zyRel1 = "150500.1.1"
	zyRel3 = "150500.3.1"
	zyRel5 = "150500.5.1"

	// ZypperSecurityPatch is the zypper repository's security patch for
	// demo-app 1.0.1 (severity important), fixing ZypperSecurityCVE.
	ZypperSecurityPatch = "PF-SLE-15-SP5-2026-1001"
	ZypperSecurityCVE   = "CVE-2026-0001"
	// ZypperRecommendedPatch brings demo-lib 1.1 (recommended, moderate).
	ZypperRecommendedPatch = "PF-SLE-15-SP5-2026-1002"
	// ZypperOptionalPatch brings demo-app 1.0.2, whose %post fails.
	ZypperOptionalPatch = "PF-SLE-15-SP5-2026-1003"
	// ZypperInteractivePatch brings demo-kernel 1.1: security, critical,
	// reboot suggested, so zypper flags it interactive.
	ZypperInteractivePatch = "PF-SLE-15-SP5-2026-1004"
	ZypperInteractiveCVE   = "CVE-2026-0004"
	// ZypperStackPatch brings demo-stack 1.1 and updates the package stack
	// (restart_suggested: zypper's pkgmanager flag).
	ZypperStackPatch = "PF-SLE-15-SP5-2026-1005"
	// ZypperFeaturePatch brings demo-tool 1.1 (feature, low).
	ZypperFeaturePatch = "PF-SLE-15-SP5-2026-1006"
)

// Scripts of the zypper demo packages: rpm runs %post with /bin/sh.
const (
	zyPostOK  = rpmPostOK
	zyPostBad = rpmPostBad
	zyPostLib = rpmPostLib
)

func demoPkg(name, version, release, post string) zypperPkg {
	return zypperPkg{name: name, version: version, release: release, arch: "noarch", post: post}
}

// zypperDemoPatches are the demo packages' patches: what the tests and the
// demo look for. Every package's lowest version is preinstalled.
var zypperDemoPatches = []zypperPatch{
	{ZypperSecurityPatch, "security", "important", "Security update for demo-app", []string{ZypperSecurityCVE}, 1768435200, false, false,
		[]zypperPkg{demoPkg("demo-app", "1.0.1", zyRel3, zyPostOK)}},
	{ZypperRecommendedPatch, "recommended", "moderate", "Recommended update for demo-lib", nil, 1768867200, false, false,
		[]zypperPkg{demoPkg("demo-lib", "1.1", zyRel3, zyPostLib)}},
	{ZypperOptionalPatch, "optional", "low", "Optional update for demo-app", nil, 1769904000, false, false,
		[]zypperPkg{demoPkg("demo-app", "1.0.2", zyRel5, zyPostBad)}},
	{ZypperInteractivePatch, "security", "critical", "Security update for demo-kernel", []string{ZypperInteractiveCVE}, 1769990400, true, false,
		[]zypperPkg{demoPkg("demo-kernel", "1.1", zyRel3, zyPostOK)}},
	{ZypperStackPatch, "recommended", "important", "Recommended update for the package stack", nil, 1770076800, false, true,
		[]zypperPkg{demoPkg("demo-stack", "1.1", zyRel3, zyPostOK)}},
	{ZypperFeaturePatch, "feature", "low", "Feature update for demo-tool", nil, 1770163200, false, false,
		[]zypperPkg{demoPkg("demo-tool", "1.1", zyRel3, zyPostOK)}},
}

// zypperDemoBase are the preinstalled versions of the demo packages.
// demo-plugin needs demo-lib: removing demo-lib would take it along, and
// removing demo-lib behind rpm's back leaves a dependency zypper verify
// reports.
var zypperDemoBase = []zypperPkg{
	demoPkg("demo-app", "1.0.0", zyRel1, zyPostOK),
	demoPkg("demo-lib", "1.0", zyRel1, zyPostOK),
	demoPkg("demo-kernel", "1.0", zyRel1, zyPostOK),
	demoPkg("demo-stack", "1.0", zyRel1, zyPostOK),
	demoPkg("demo-tool", "1.0", zyRel1, zyPostOK),
	{name: "demo-plugin", version: "1.0", release: zyRel1, arch: "noarch", post: zyPostOK, requires: "demo-lib"},
}

// ZypperEstatePackages is how many packages besides the demo ones a zypper
// host has with updates pending, so a scan sees an estate-sized list
// (with the demo packages, ~65 pending updates per host).
const ZypperEstatePackages = 60

// estateName names estate package i (1-based).
func estateName(i int) string { return fmt.Sprintf("estate-%02d", i) }

// estateArch: odd packages are built for the machine's architecture, even
// ones are noarch, as a real host has both.
func estateArch(i int) string {
	if i%2 == 1 {
		return rpmArch
	}
	return "noarch"
}

// rpmArch is rpm's name for the machine's architecture.
var rpmArch = map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i686", "ppc64le": "ppc64le", "s390x": "s390x"}[runtime.GOARCH]

func estatePkg(i int, version, release string) zypperPkg {
	return zypperPkg{name: estateName(i), version: version, release: release, arch: estateArch(i)}
}

// zypperEstatePatches: 2.1 of every estate package, three packages to a
// patch, categories and severities in turn; then 2.2 of every fourth
// package in security patches of their own (a package with two pending
// versions, the older one from another category).
func zypperEstatePatches() []zypperPatch {
	cats := []string{"security", "recommended", "security", "optional", "feature", "recommended", "security", "yast"}
	sevs := []string{"critical", "important", "moderate", "low", "unspecified"}
	var out []zypperPatch
	n := 0
	for i := 1; i <= ZypperEstatePackages; i += 3 {
		cat := cats[n%len(cats)]
		sev := sevs[n%len(sevs)]
		p := zypperPatch{id: fmt.Sprintf("PF-SLE-15-SP5-2026-%d", 2001+n), category: cat, severity: sev,
			title: fmt.Sprintf("%s update for estate packages %d-%d", strings.ToUpper(cat[:1])+cat[1:], i, i+2), issued: 1767225600 + int64(n)*86400}
		if cat == "security" {
			p.cves = []string{fmt.Sprintf("CVE-2025-%d", 41000+n*7), fmt.Sprintf("CVE-2025-%d", 41001+n*7)}
		}
		for j := i; j < i+3 && j <= ZypperEstatePackages; j++ {
			p.pkgs = append(p.pkgs, estatePkg(j, "2.1", zyRel3))
		}
		out = append(out, p)
		n++
	}
	for i := 4; i <= ZypperEstatePackages; i += 4 {
		out = append(out, zypperPatch{id: fmt.Sprintf("PF-SLE-15-SP5-2026-%d", 3000+i), category: "security", severity: "important",
			title: "Security update for " + estateName(i), cves: []string{fmt.Sprintf("CVE-2026-%d", 52000+i)}, issued: 1769904000 + int64(i)*3600,
			pkgs: []zypperPkg{estatePkg(i, "2.2", zyRel5)}})
	}
	return out
}

// zypperPatches is every patch of the zypper repository.
func zypperPatches() []zypperPatch {
	return append(append([]zypperPatch(nil), zypperDemoPatches...), zypperEstatePatches()...)
}

// zypperBaseVersions are the packages preinstalled on every zypper host.
func zypperBaseVersions() []zypperPkg {
	out := append([]zypperPkg(nil), zypperDemoBase...)
	for i := 1; i <= ZypperEstatePackages; i++ {
		out = append(out, estatePkg(i, "2.0", zyRel1))
	}
	return out
}

// zypperRepoPackages is every package file of the repository: the
// preinstalled versions (so rollbacks can fetch them) and the patches'.
func zypperRepoPackages() []zypperPkg {
	out := zypperBaseVersions()
	for _, p := range zypperPatches() {
		out = append(out, p.pkgs...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].file() < out[j].file() })
	return out
}

// zypperSpecs renders the spec files that build every package: one spec
// per demo package version, and one per estate version with a subpackage
// for each estate package (so 60 packages cost one rpmbuild run). The
// release package (rpmReleaseSpec) comes with them.
func zypperSpecs() map[string]string {
	specs := map[string]string{"patchflow-release.spec": rpmReleaseSpec}
	estate := map[string][]zypperPkg{} // version-release -> packages
	for _, p := range zypperRepoPackages() {
		if strings.HasPrefix(p.name, "estate-") {
			estate[p.evr()] = append(estate[p.evr()], p)
			continue
		}
		specs[p.name+"-"+p.evr()+".spec"] = p.spec()
	}
	for evr, ps := range estate {
		specs["estate-"+evr+".spec"] = estateSpec(ps)
	}
	return specs
}

// spec renders a demo package's spec file (noarch, one file, a %post).
func (p zypperPkg) spec() string {
	s := rpmPackage{name: p.name, version: p.version, release: p.release, post: p.post}.spec()
	if p.requires != "" {
		s = strings.Replace(s, "BuildArch: noarch\n", "BuildArch: noarch\nRequires: "+p.requires+"\n", 1)
	}
	return s
}

// estateSpec builds estate packages of one version as subpackages of a
// spec whose main package has no files (and so is not built).
func estateSpec(ps []zypperPkg) string {
	var b strings.Builder
	fmt.Fprintf(&b, `%%global debug_package %%{nil}
Name: estate
Version: %s
Release: %s
Summary: patchflow test fleet estate packages
License: MIT
%%description
Packages that give a patchflow test fleet zypper host an estate's worth of pending updates.
`, ps[0].version, ps[0].release)
	for _, p := range ps {
		fmt.Fprintf(&b, "%%package -n %s\nSummary: patchflow estate package %s\n", p.name, p.name)
		if p.arch == "noarch" {
			b.WriteString("BuildArch: noarch\n")
		}
		fmt.Fprintf(&b, "%%description -n %s\nEstate package %s, version %%{version}.\n%%files -n %s\n/opt/%s/VERSION\n", p.name, p.name, p.name, p.name)
	}
	b.WriteString("%install\n")
	for _, p := range ps {
		fmt.Fprintf(&b, "mkdir -p %%{buildroot}/opt/%s\necho %%{version} > %%{buildroot}/opt/%s/VERSION\n", p.name, p.name)
	}
	return b.String()
}

// zypperUpdateinfoXML is the repository's updateinfo.xml in the form SUSE
// writes it: Unix issue dates, flags per package.
func zypperUpdateinfoXML() string {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<updates>\n")
	for _, p := range zypperPatches() {
		fmt.Fprintf(&b, "  <update from=\"maint-coord@patchflow.invalid\" status=\"stable\" type=\"%s\" version=\"1\">\n", p.category)
		fmt.Fprintf(&b, "    <id>%s</id>\n    <title>%s</title>\n    <severity>%s</severity>\n", p.id, p.title, p.severity)
		fmt.Fprintf(&b, "    <release>patchflow SLE 15 SP5 (test fleet)</release>\n    <issued date=\"%d\"/>\n    <references>\n", p.issued)
		for _, c := range p.cves {
			fmt.Fprintf(&b, "      <reference href=\"https://patchflow.invalid/%s\" id=\"%s\" title=\"%s\" type=\"cve\"/>\n", c, c, c)
		}
		fmt.Fprintf(&b, "      <reference href=\"https://bugzilla.patchflow.invalid/%s\" id=\"%s\" title=\"%s\" type=\"bugzilla\"/>\n", p.id, p.id, p.title)
		fmt.Fprintf(&b, "    </references>\n    <description>%s.</description>\n    <pkglist>\n      <collection>\n", p.title)
		for _, k := range p.pkgs {
			fmt.Fprintf(&b, "        <package name=\"%s\" epoch=\"0\" version=\"%s\" release=\"%s\" arch=\"%s\" src=\"%s-%s.src.rpm\">\n          <filename>%s</filename>\n",
				k.name, k.version, k.release, k.arch, k.name, k.evr(), k.file())
			if p.reboot {
				b.WriteString("          <reboot_suggested>True</reboot_suggested>\n")
			}
			if p.restart {
				b.WriteString("          <restart_suggested>True</restart_suggested>\n")
			}
			b.WriteString("        </package>\n")
		}
		b.WriteString("      </collection>\n    </pkglist>\n  </update>\n")
	}
	b.WriteString("</updates>\n")
	return b.String()
}
