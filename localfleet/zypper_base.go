package localfleet

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
)

// ZypperTimesPlugin is the libzypp commit plugin that writes a "start" and
// an "end" line with nanosecond timestamps to DpkgTimesFile around every
// rpm transaction, so PackageOpTimes works for zypper hosts too. libzypp
// runs every program in /usr/lib/zypp/plugins/commit and speaks its
// STOMP-like protocol with it on stdin and stdout.
const zypperTimesPlugin = `#!/bin/bash
# patchflow test fleet: record libzypp commits (PackageOpTimes)
while IFS= read -r -d '' frame; do
	case "${frame%%$'\n'*}" in
	COMMITBEGIN) echo "start $(date +%s%N)" >> ` + DpkgTimesFile + ` ;;
	COMMITEND) echo "end $(date +%s%N)" >> ` + DpkgTimesFile + ` ;;
	esac
	printf 'ACK\n\n\0'
done
`

// Files of the zypper base, on top of the Debian base's (customize.go).
var zypperBaseFiles = []rootFile{
	// Debian's rpm keeps its database in ~/.rpmdb unless told otherwise;
	// libzypp reads the same macros.
	{"etc/rpm/macros.patchflow", "%_dbpath /var/lib/rpm\n", 0o644},
	// Detection by os-release must see a SUSE host.
	{"etc/os-release", `NAME="patchflow SLES"
ID="patchflow-sles"
ID_LIKE="sles suse"
VERSION_ID="15.5"
PRETTY_NAME="patchflow SLES 15 SP5 (test fleet zypper host)"
`, 0o644},
	// libzypp sets its reboot-needed flag (/run/reboot-needed, which
	// zypper needs-rebooting reads) when one of these is installed, as
	// SUSE's /etc/zypp/needreboot does for the kernel and glibc.
	{"etc/zypp/needreboot.d/patchflow", "demo-lib\ndemo-kernel\n", 0o644},
	{"usr/lib/zypp/plugins/commit/patchflow-times", zypperTimesPlugin, 0o755},
	{"etc/apt/sources.list", "# a zypper host of the patchflow test fleet: apt is not configured\n", 0o644},
	{DpkgTimesFile[1:], "", 0o644},
}

// zypperFlavour makes the zypper hosts: Debian's zypper (with libzypp)
// and rpm in a copy of the Debian base, a SUSE os-release, and the fleet's
// zypper repository of demo and estate packages with SUSE-style patches.
var zypperFlavour = rpmFlavour{
	kind: "zypper", base: "zypper base", cache: "zypperbase", recipe: "1",
	include:  []string{"zypper", "rpm"},
	files:    zypperBaseFiles,
	reposDir: "etc/zypp/repos.d",
	repoPath: ZypperRepoPath,
	// gpgcheck is off: the packages are unsigned, as the dnf hosts' are.
	repoConf: `# the patchflow test fleet repository (nothing else is reachable)
[patchflow]
name=patchflow test fleet
baseurl=http://%s:%d/%s
type=rpm-md
enabled=1
autorefresh=1
gpgcheck=0
keeppackages=0
`,
	buildTime: "~1 min",
	inputs: func(w io.Writer) {
		fmt.Fprintf(w, "arch=%s\nupdateinfo=%s\n", rpmArch, zypperUpdateinfoXML())
		specs := zypperSpecs()
		for _, n := range slices.Sorted(maps.Keys(specs)) {
			fmt.Fprintf(w, "spec %s=%s\n", n, specs[n])
		}
	},
	buildRPMs: buildZypperRPMs,
	buildRepo: buildZypperRepo,
	// The release package and the first version of every package.
	preinstall: func() []string {
		files := []string{"patchflow-release-" + rpmReleaseVer + "-1.noarch.rpm"}
		for _, p := range zypperBaseVersions() {
			files = append(files, p.file())
		}
		return files
	},
}

// buildZypperRPMs builds the release package and every package of the
// zypper repository with rpmbuild into dir (flat).
func buildZypperRPMs(ctx context.Context, dir string) error {
	want := len(zypperRepoPackages()) + 1 // and the release package
	return rpmbuildAll(ctx, "build zypper rpms", zypperSpecs(), rpmArch, want, dir)
}

// buildZypperRepo makes the rpm-md repository of the zypper hosts in repo,
// with the SUSE-style zypperUpdateinfoXML.
func buildZypperRepo(ctx context.Context, rpms, repo string) error {
	var files []string
	for _, p := range zypperRepoPackages() {
		files = append(files, p.file())
	}
	return buildUpdateinfoRepo(ctx, "zypper repository", rpms, repo, files, zypperUpdateinfoXML())
}
