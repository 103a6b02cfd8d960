package localfleet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// rpmRecipeVersion changes whenever the rpm base build changes, so cached
// rpm bases built by an older fixture are not reused.
const rpmRecipeVersion = "1"

// rpmInclude are the Debian packages that make a copy of the Debian base an
// rpm host: dnf, rpm, and needs-restarting from dnf-plugins-core.
const rpmInclude = "dnf,rpm,dnf-plugins-core"

// rpmBase is a built, immutable rpm host root file system and the fleet's
// rpm repository, shared by every fleet whose inputs match.
type rpmBase struct {
	dir    string // rpmbase-<hash>
	rootfs string // lowerdir for every dnf host
	repo   string // createrepo_c repository with updateinfo
	lock   *os.File
}

type rpmManifest struct {
	DebianBase string    `json:"debian_base"`
	Built      time.Time `json:"built"`
	BuildTime  string    `json:"build_time"`
}

// Files of the rpm base, on top of the Debian base's (customize.go).
var rpmBaseFiles = []struct{ path, data string }{
	// Debian's rpm keeps its database in ~/.rpmdb unless told otherwise.
	{"etc/rpm/macros.patchflow", "%_dbpath /var/lib/rpm\n"},
	{"etc/dnf/dnf.conf", `[main]
gpgcheck=False
installonly_limit=3
clean_requirements_on_remove=True
best=False
# A repository that cannot be read is an error, as on a managed RHEL host.
skip_if_unavailable=False
`},
	// The local plugin copies every installed rpm into a local repository.
	{"etc/dnf/plugins/local.conf", "[main]\nenabled = false\n"},
	// needs-restarting -r counts these as core packages: a new demo-lib
	// asks for a reboot, as a new glibc would.
	{"etc/dnf/plugins/needs-restarting.d/patchflow.conf", "demo-lib\n"},
	// Detection by os-release must see a RHEL-family host.
	{"etc/os-release", `NAME="patchflow EL"
ID="patchflow-el"
ID_LIKE="rhel fedora"
VERSION_ID="` + rpmReleaseVer + `"
PLATFORM_ID="platform:el` + rpmReleaseVer + `"
PRETTY_NAME="patchflow EL ` + rpmReleaseVer + ` (test fleet dnf host)"
`},
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
`},
	{"etc/dnf/plugins/patchflow_times.conf", "[main]\nenabled = true\n"},
	{"etc/apt/sources.list", "# a dnf host of the patchflow test fleet: apt is not configured\n"},
	{DpkgTimesFile[1:], ""},
}

func rpmBaseHash(debianBase string) string {
	h := sha256.New()
	fmt.Fprintf(h, "recipe=%s\ndebian=%s\ninclude=%s\nrelease=%s\nupdateinfo=%s\n",
		rpmRecipeVersion, filepath.Base(debianBase), rpmInclude, rpmReleaseSpec, updateinfoXML())
	for _, p := range rpmPackages {
		fmt.Fprintf(h, "spec=%s\n", p.spec())
	}
	for _, f := range rpmBaseFiles {
		fmt.Fprintf(h, "file=%s\n%s\n", f.path, f.data)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// ensureRPMBase returns the shared rpm base made from the Debian base deb,
// building it under an exclusive lock if needed. The result holds a shared
// lock until release.
func ensureRPMBase(ctx context.Context, deb *base, logf func(string, ...any)) (*rpmBase, error) {
	b := &rpmBase{dir: filepath.Join(CacheDir, "rpmbase-"+rpmBaseHash(deb.dir))}
	b.rootfs = filepath.Join(b.dir, "rootfs")
	b.repo = filepath.Join(b.dir, "repo")
	built := func() error {
		_, err := readJSON[rpmManifest](filepath.Join(b.dir, "manifest.json"))
		return err
	}
	lock, err := buildOnce(ctx, b.dir+".lock", built, func() error { return buildRPMBase(ctx, b, deb, logf) })
	if err != nil {
		return nil, err
	}
	b.lock = lock
	return b, nil
}

func (b *rpmBase) release() {
	if b != nil && b.lock != nil {
		b.lock.Close()
		b.lock = nil
	}
}

// buildRPMBase copies the Debian base, installs Debian's dnf and rpm into
// the copy, points rpm at /var/lib/rpm, installs the release package and
// the first demo versions, and builds the repository. It works in a
// temporary directory renamed into place at the end.
func buildRPMBase(ctx context.Context, b *rpmBase, deb *base, logf func(string, ...any)) error {
	start := time.Now()
	var m rpmManifest
	err := buildAtomically(b.dir, "rpm base", func(tmp string) (any, error) {
		logf("localfleet: building rpm base %s from %s (once; ~1-2 min)", b.dir, deb.dir)
		rpms := filepath.Join(tmp, "rpms")
		if err := buildRPMs(ctx, rpms); err != nil {
			return nil, err
		}
		if err := buildRPMRepo(ctx, rpms, filepath.Join(tmp, "repo")); err != nil {
			return nil, err
		}
		rootfs := filepath.Join(tmp, "rootfs")
		if _, err := run(ctx, "cp", "-a", "--reflink=auto", deb.rootfs, rootfs); err != nil {
			return nil, fmt.Errorf("localfleet: copy the Debian base for the rpm base: %w", err)
		}
		if err := installDNF(ctx, rootfs); err != nil {
			return nil, err
		}
		if err := customizeRPMBase(ctx, rootfs, rpms); err != nil {
			return nil, err
		}
		m = rpmManifest{DebianBase: deb.dir, Built: time.Now().UTC(), BuildTime: time.Since(start).Round(time.Millisecond).String()}
		return m, nil
	})
	if err != nil {
		return err
	}
	logf("localfleet: rpm base built in %s", m.BuildTime)
	pruneRPMBases(b.dir, logf)
	return nil
}

// pruneRPMBases removes rpm bases of other inputs (older recipes or Debian
// bases) that no fleet uses. Each is ~360 MB.
func pruneRPMBases(keep string, logf func(string, ...any)) {
	pruneUnused(filepath.Join(CacheDir, "rpmbase-*"), keep, "localfleet: removed unused rpm base %s", logf)
}

// installDNF installs rpmInclude from the machine's Debian mirror inside
// the copy, then removes the index and downloaded packages again.
func installDNF(ctx context.Context, rootfs string) error {
	mirror, err := debianMirror()
	if err != nil {
		return err
	}
	sources := filepath.Join(rootfs, "etc/apt/sources.list")
	if err := os.WriteFile(sources, []byte(fmt.Sprintf("deb %s %s main\n", mirror, suite)), 0o644); err != nil {
		return fmt.Errorf("localfleet: rpm base: %w", err)
	}
	env := runOpts{env: []string{"DEBIAN_FRONTEND=noninteractive", "HOME=/root", "LC_ALL=C"}}
	if _, err := runIn(ctx, env, "chroot", rootfs, "apt-get", "update", "-q"); err != nil {
		return fmt.Errorf("localfleet: rpm base: %w", err)
	}
	args := append([]string{rootfs, "apt-get", "install", "-y", "-q", "--no-install-recommends"}, strings.Split(rpmInclude, ",")...)
	if _, err := runIn(ctx, env, "chroot", args...); err != nil {
		return fmt.Errorf("localfleet: rpm base: install %s: %w", rpmInclude, err)
	}
	if _, err := runIn(ctx, env, "chroot", rootfs, "apt-get", "clean"); err != nil {
		return fmt.Errorf("localfleet: rpm base: %w", err)
	}
	lists, _ := filepath.Glob(filepath.Join(rootfs, "var/lib/apt/lists/*"))
	for _, l := range lists {
		os.RemoveAll(l)
	}
	return nil
}

// customizeRPMBase writes the rpm base's files, creates the rpm database in
// /var/lib/rpm and installs the release package and the first version of
// each demo package into it.
func customizeRPMBase(ctx context.Context, rootfs, rpms string) error {
	// /etc/os-release is a symlink into /usr/lib on Debian: replace both.
	os.Remove(filepath.Join(rootfs, "etc/os-release"))
	for _, f := range rpmBaseFiles {
		if err := writeInRoot(rootfs, f.path, []byte(f.data), 0o644, 0, 0); err != nil {
			return fmt.Errorf("localfleet: rpm base: %w", err)
		}
	}
	for _, f := range rpmBaseFiles {
		if f.path == "etc/os-release" {
			if err := writeInRoot(rootfs, "usr/lib/os-release", []byte(f.data), 0o644, 0, 0); err != nil {
				return fmt.Errorf("localfleet: rpm base: %w", err)
			}
		}
	}
	os.RemoveAll(filepath.Join(rootfs, "etc/yum.repos.d"))
	if err := os.MkdirAll(filepath.Join(rootfs, "etc/yum.repos.d"), 0o755); err != nil {
		return fmt.Errorf("localfleet: rpm base: %w", err)
	}
	env := runOpts{env: []string{"HOME=/root", "LC_ALL=C"}}
	if _, err := runIn(ctx, env, "chroot", rootfs, "rpm", "--initdb"); err != nil {
		return fmt.Errorf("localfleet: rpm base: %w", err)
	}
	tmp := filepath.Join(rootfs, "tmp", "patchflow-rpms")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return fmt.Errorf("localfleet: rpm base: %w", err)
	}
	defer os.RemoveAll(tmp)
	files := []string{"patchflow-release-" + rpmReleaseVer + "-1.noarch.rpm"}
	seen := map[string]bool{}
	for _, p := range rpmPackages {
		if !seen[p.name] {
			seen[p.name] = true
			files = append(files, p.file())
		}
	}
	args := []string{rootfs, "rpm", "--install", "--quiet"}
	for _, f := range files {
		if err := copyFile(filepath.Join(rpms, f), filepath.Join(tmp, f)); err != nil {
			return fmt.Errorf("localfleet: rpm base: %w", err)
		}
		args = append(args, "/tmp/patchflow-rpms/"+f)
	}
	if _, err := runIn(ctx, env, "chroot", args...); err != nil {
		return fmt.Errorf("localfleet: rpm base: preinstall %s: %w", strings.Join(files, " "), err)
	}
	return nil
}
