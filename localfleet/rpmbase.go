package localfleet

import (
	"fmt"
	"io"
)

// Files of the rpm base, on top of the Debian base's (customize.go).
var rpmBaseFiles = []rootFile{
	// Debian's rpm keeps its database in ~/.rpmdb unless told otherwise.
	{"etc/rpm/macros.patchflow", "%_dbpath /var/lib/rpm\n", 0o644},
	{"etc/dnf/dnf.conf", `[main]
gpgcheck=False
installonly_limit=3
clean_requirements_on_remove=True
best=False
# A repository that cannot be read is an error, as on a managed RHEL host.
skip_if_unavailable=False
`, 0o644},
	// The local plugin copies every installed rpm into a local repository.
	{"etc/dnf/plugins/local.conf", "[main]\nenabled = false\n", 0o644},
	// needs-restarting -r counts these as core packages: a new demo-lib
	// asks for a reboot, as a new glibc would.
	{"etc/dnf/plugins/needs-restarting.d/patchflow.conf", "demo-lib\n", 0o644},
	// Detection by os-release must see a RHEL-family host.
	{"etc/os-release", `NAME="patchflow EL"
ID="patchflow-el"
ID_LIKE="rhel fedora"
VERSION_ID="` + rpmReleaseVer + `"
PLATFORM_ID="platform:el` + rpmReleaseVer + `"
PRETTY_NAME="patchflow EL ` + rpmReleaseVer + ` (test fleet dnf host)"
`, 0o644},
	// Nanosecond records of every rpm transaction dnf runs, in the file
	// apt hosts use, so PackageOpTimes works for dnf hosts too.
	{"usr/lib/python3/dist-packages/dnf-plugins/patchflow_times.py", `# patchflow test fleet: record rpm transactions (PackageOpTimes)
import time
import dnf

class PatchflowTimes(dnf.Plugin):
    name = "patchflow_times"

    def _record(self, what):
        with open("` + DpkgTimesFile + `", "a") as f:
            f.write("%s %d\n" % (what, time.time_ns()))

    def pre_transaction(self):
        self._record("start")

    def transaction(self):
        self._record("end")
`, 0o644},
	{"etc/dnf/plugins/patchflow_times.conf", "[main]\nenabled = true\n", 0o644},
	{"etc/apt/sources.list", "# a dnf host of the patchflow test fleet: apt is not configured\n", 0o644},
	{DpkgTimesFile[1:], "", 0o644},
}

// dnfFlavour makes the dnf hosts: Debian's dnf, rpm and needs-restarting
// (dnf-plugins-core) in a copy of the Debian base, a RHEL-family
// os-release, and the fleet's rpm repository of demo packages with
// updateinfo.
var dnfFlavour = rpmFlavour{
	kind: "dnf", base: "rpm base", cache: "rpmbase", recipe: "1",
	include:  []string{"dnf", "rpm", "dnf-plugins-core"},
	files:    rpmBaseFiles,
	reposDir: "etc/yum.repos.d",
	repoPath: RPMRepoPath,
	repoConf: `# the patchflow test fleet repository (nothing else is reachable)
[patchflow]
name=patchflow test fleet
baseurl=http://%s:%d/%s
enabled=1
gpgcheck=0
skip_if_unavailable=False
`,
	buildTime: "~1-2 min",
	inputs: func(w io.Writer) {
		fmt.Fprintf(w, "release=%s\nupdateinfo=%s\n", rpmReleaseSpec, updateinfoXML())
		for _, p := range rpmPackages {
			fmt.Fprintf(w, "spec=%s\n", p.spec())
		}
	},
	buildRPMs: buildRPMs,
	buildRepo: buildRPMRepo,
	// The release package and the first version of each demo package.
	preinstall: func() []string {
		files := []string{"patchflow-release-" + rpmReleaseVer + "-1.noarch.rpm"}
		seen := map[string]bool{}
		for _, p := range rpmPackages {
			if !seen[p.name] {
				seen[p.name] = true
				files = append(files, p.file())
			}
		}
		return files
	},
}
