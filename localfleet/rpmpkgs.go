package localfleet

import (
	"context"
	"fmt"
	"strings"
)

// rpmPackage is one version of a demo package in the fleet's rpm
// repository. The demo packages mirror the apt ones (debs.go): demo-app
// 1.0.0 preinstalled, 1.0.1 a good security update, 1.0.2 a bad patch whose
// %post fails; demo-lib 1.0 preinstalled, 1.1 a bug fix that asks for a
// reboot (needs-restarting) and fails where the host was marked bad.
type rpmPackage struct {
	name, version, release string
	post                   string // %post body; its exit status is the script's
	advisory               *rpmAdvisory
}

// rpmAdvisory is the updateinfo entry naming one package version.
type rpmAdvisory struct {
	id, typ, severity, title string // typ: security, bugfix, enhancement
	cves                     []string
	issued                   string // "2006-01-02 15:04:05"
}

// Scripts. rpm runs %post with /bin/sh; $1 is the number of installed
// versions after the transaction.
const (
	rpmPostOK = `mkdir -p /var/lib/%{name}
echo %{version} > /var/lib/%{name}/version
`
	rpmPostBad = `echo "%{name} %{version}: %%post failed on purpose (a bad patch)" >&2
exit 1
`
	rpmPostLib = `if [ -e ` + DemoFailFile + ` ]; then
	echo "%{name} %{version}: %%post failed: ` + DemoFailFile + ` exists on this host" >&2
	exit 1
fi
mkdir -p /var/lib/%{name}
echo %{version} > /var/lib/%{name}/version
`
)

// RPMSecurityAdvisory is the security advisory the rpm repository carries
// for demo-app 1.0.1 (severity Important), with its CVE.
const (
	RPMSecurityAdvisory = "PFSA-2026:0001"
	RPMSecurityCVE      = "CVE-2026-0001"
)

var rpmPackages = []rpmPackage{
	{"demo-app", "1.0.0", "1", rpmPostOK, nil},
	{"demo-app", "1.0.1", "1", rpmPostOK, &rpmAdvisory{RPMSecurityAdvisory, "security", "Important",
		"Important: demo-app security update", []string{RPMSecurityCVE}, "2026-01-15 00:00:00"}},
	{"demo-app", "1.0.2", "1", rpmPostBad, &rpmAdvisory{"PFEA-2026:0003", "enhancement", "",
		"demo-app enhancement update", nil, "2026-02-01 00:00:00"}},
	{"demo-lib", "1.0", "1", rpmPostOK, nil},
	{"demo-lib", "1.1", "1", rpmPostLib, &rpmAdvisory{"PFBA-2026:0002", "bugfix", "",
		"demo-lib bug fix update", nil, "2026-01-20 00:00:00"}},
}

// rpmReleaseSpec is the bootstrap package every rpm host has installed: an
// empty rpm database provides no /bin/sh (which every %post requires) and
// no release version (dnf's $releasever), so this package stands in for the
// Debian system underneath.
const rpmReleaseSpec = `Name: patchflow-release
Version: ` + rpmReleaseVer + `
Release: 1
Summary: patchflow test fleet release (stands in for the system underneath)
License: MIT
BuildArch: noarch
Provides: system-release = ` + rpmReleaseVer + `
Provides: system-release(releasever) = ` + rpmReleaseVer + `
Provides: /bin/sh
Provides: /usr/bin/sh
Provides: /bin/bash
Provides: bash
Provides: coreutils
%description
The Debian system below the rpm database of a patchflow test fleet host.
%files
`

const rpmReleaseVer = "9"

func (p rpmPackage) file() string {
	return fmt.Sprintf("%s-%s-%s.noarch.rpm", p.name, p.version, p.release)
}

// spec renders the package's spec file.
func (p rpmPackage) spec() string {
	return fmt.Sprintf(`Name: %s
Version: %s
Release: %s
Summary: patchflow demo package %s
License: MIT
BuildArch: noarch
%%description
patchflow test fleet demo package, version %s.
%%install
mkdir -p %%{buildroot}/opt/%%{name}
echo %%{version} > %%{buildroot}/opt/%%{name}/VERSION
%%post
%s%%files
/opt/%%{name}/VERSION
`, p.name, p.version, p.release, p.version, p.version, p.post)
}

// buildRPMs builds the release package and every demo package with
// rpmbuild into dir (flat, *.noarch.rpm).
func buildRPMs(ctx context.Context, dir string) error {
	specs := map[string]string{"patchflow-release.spec": rpmReleaseSpec}
	for _, p := range rpmPackages {
		specs[p.name+"-"+p.version+".spec"] = p.spec()
	}
	return rpmbuildAll(ctx, "build rpms", specs, "", len(specs), dir)
}

// updateinfoXML is the repository's advisory list in the updateinfo.xml
// format RHEL repositories use.
func updateinfoXML() string {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<updates>\n")
	for _, p := range rpmPackages {
		a := p.advisory
		if a == nil {
			continue
		}
		fmt.Fprintf(&b, "  <update from=\"security@patchflow.invalid\" status=\"stable\" type=\"%s\" version=\"2.0\">\n", a.typ)
		fmt.Fprintf(&b, "    <id>%s</id>\n    <title>%s</title>\n", a.id, a.title)
		if a.severity != "" {
			fmt.Fprintf(&b, "    <severity>%s</severity>\n", a.severity)
		}
		fmt.Fprintf(&b, "    <release>patchflow-el %s</release>\n", rpmReleaseVer)
		fmt.Fprintf(&b, "    <issued date=\"%s\"/>\n    <updated date=\"%s\"/>\n", a.issued, a.issued)
		b.WriteString("    <references>\n")
		for _, c := range a.cves {
			fmt.Fprintf(&b, "      <reference href=\"https://patchflow.invalid/%s\" id=\"%s\" type=\"cve\" title=\"%s\"/>\n", c, c, c)
		}
		b.WriteString("    </references>\n")
		fmt.Fprintf(&b, "    <description>%s %s-%s.</description>\n", a.title, p.name, p.version)
		fmt.Fprintf(&b, "    <pkglist>\n      <collection short=\"patchflow-el-%s\">\n        <name>patchflow-el %s</name>\n", rpmReleaseVer, rpmReleaseVer)
		fmt.Fprintf(&b, "        <package name=\"%s\" version=\"%s\" release=\"%s\" epoch=\"0\" arch=\"noarch\" src=\"%s-%s-%s.src.rpm\">\n",
			p.name, p.version, p.release, p.name, p.version, p.release)
		fmt.Fprintf(&b, "          <filename>%s</filename>\n        </package>\n      </collection>\n    </pkglist>\n  </update>\n", p.file())
	}
	b.WriteString("</updates>\n")
	return b.String()
}

// buildRPMRepo makes a dnf repository in repo from the demo packages in
// rpms, with updateinfoXML.
func buildRPMRepo(ctx context.Context, rpms, repo string) error {
	files := make([]string, 0, len(rpmPackages))
	for _, p := range rpmPackages {
		files = append(files, p.file())
	}
	return buildUpdateinfoRepo(ctx, "rpm repository", rpms, repo, files, updateinfoXML())
}
