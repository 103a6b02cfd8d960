package localfleet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// zypperRecipeVersion changes whenever the zypper base build changes, so
// cached zypper bases built by an older fixture are not reused.
const zypperRecipeVersion = "1"

// zypperInclude are the Debian packages that make a copy of the Debian
// base a zypper host: zypper (with libzypp) and rpm.
const zypperInclude = "zypper,rpm"

// zypperBase is a built, immutable zypper host root file system and the
// fleet's zypper repository, shared by every fleet whose inputs match.
type zypperBase struct {
	dir    string // zypperbase-<hash>
	rootfs string // lowerdir for every zypper host
	repo   string // rpm-md repository with a SUSE-style updateinfo
	lock   *os.File
}

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
var zypperBaseFiles = []struct {
	path, data string
	mode       os.FileMode
}{
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

type zypperManifest struct {
	DebianBase string    `json:"debian_base"`
	Built      time.Time `json:"built"`
	BuildTime  string    `json:"build_time"`
}

func zypperBaseHash(debianBase string) string {
	h := sha256.New()
	fmt.Fprintf(h, "recipe=%s\ndebian=%s\ninclude=%s\narch=%s\nupdateinfo=%s\n",
		zypperRecipeVersion, filepath.Base(debianBase), zypperInclude, rpmArch, zypperUpdateinfoXML())
	specs := zypperSpecs()
	names := make([]string, 0, len(specs))
	for n := range specs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(h, "spec %s=%s\n", n, specs[n])
	}
	for _, f := range zypperBaseFiles {
		fmt.Fprintf(h, "file=%s %o\n%s\n", f.path, f.mode, f.data)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// ensureZypperBase returns the shared zypper base made from the Debian
// base deb, building it under an exclusive lock if needed. The result holds
// a shared lock until release.
func ensureZypperBase(ctx context.Context, deb *base, logf func(string, ...any)) (*zypperBase, error) {
	b := &zypperBase{dir: filepath.Join(CacheDir, "zypperbase-"+zypperBaseHash(deb.dir))}
	b.rootfs = filepath.Join(b.dir, "rootfs")
	b.repo = filepath.Join(b.dir, "repo")
	built := func() error {
		_, err := readJSON[zypperManifest](filepath.Join(b.dir, "manifest.json"))
		return err
	}
	lock, err := buildOnce(ctx, b.dir+".lock", built, func() error { return buildZypperBase(ctx, b, deb, logf) })
	if err != nil {
		return nil, err
	}
	b.lock = lock
	return b, nil
}

func (b *zypperBase) release() {
	if b != nil && b.lock != nil {
		b.lock.Close()
		b.lock = nil
	}
}

// buildZypperBase copies the Debian base, installs Debian's zypper and rpm
// into the copy, points rpm at /var/lib/rpm, installs the release package
// and the first version of every package, and builds the repository. It
// works in a temporary directory renamed into place at the end.
func buildZypperBase(ctx context.Context, b *zypperBase, deb *base, logf func(string, ...any)) error {
	start := time.Now()
	var m zypperManifest
	err := buildAtomically(b.dir, "zypper base", func(tmp string) (any, error) {
		logf("localfleet: building zypper base %s from %s (once; ~1 min)", b.dir, deb.dir)
		rpms := filepath.Join(tmp, "rpms")
		if err := buildZypperRPMs(ctx, rpms); err != nil {
			return nil, err
		}
		if err := buildZypperRepo(ctx, rpms, filepath.Join(tmp, "repo")); err != nil {
			return nil, err
		}
		rootfs := filepath.Join(tmp, "rootfs")
		if _, err := run(ctx, "cp", "-a", "--reflink=auto", deb.rootfs, rootfs); err != nil {
			return nil, fmt.Errorf("localfleet: copy the Debian base for the zypper base: %w", err)
		}
		if err := chrootAptInstall(ctx, rootfs, "zypper base", strings.Split(zypperInclude, ",")); err != nil {
			return nil, err
		}
		if err := customizeZypperBase(ctx, rootfs, rpms); err != nil {
			return nil, err
		}
		m = zypperManifest{DebianBase: deb.dir, Built: time.Now().UTC(), BuildTime: time.Since(start).Round(time.Millisecond).String()}
		return m, nil
	})
	if err != nil {
		return err
	}
	logf("localfleet: zypper base built in %s", m.BuildTime)
	pruneUnused(filepath.Join(CacheDir, "zypperbase-*"), b.dir, "localfleet: removed unused zypper base %s", logf)
	return nil
}

// chrootAptInstall installs Debian packages from the machine's Debian
// mirror inside rootfs, then removes the index and downloaded packages.
func chrootAptInstall(ctx context.Context, rootfs, what string, pkgs []string) error {
	mirror, err := debianMirror()
	if err != nil {
		return err
	}
	sources := filepath.Join(rootfs, "etc/apt/sources.list")
	if err := os.WriteFile(sources, []byte(fmt.Sprintf("deb %s %s main\n", mirror, suite)), 0o644); err != nil {
		return fmt.Errorf("localfleet: %s: %w", what, err)
	}
	env := runOpts{env: []string{"DEBIAN_FRONTEND=noninteractive", "HOME=/root", "LC_ALL=C"}}
	if _, err := runIn(ctx, env, "chroot", rootfs, "apt-get", "update", "-q"); err != nil {
		return fmt.Errorf("localfleet: %s: %w", what, err)
	}
	args := append([]string{rootfs, "apt-get", "install", "-y", "-q", "--no-install-recommends"}, pkgs...)
	if _, err := runIn(ctx, env, "chroot", args...); err != nil {
		return fmt.Errorf("localfleet: %s: install %s: %w", what, strings.Join(pkgs, " "), err)
	}
	if _, err := runIn(ctx, env, "chroot", rootfs, "apt-get", "clean"); err != nil {
		return fmt.Errorf("localfleet: %s: %w", what, err)
	}
	lists, _ := filepath.Glob(filepath.Join(rootfs, "var/lib/apt/lists/*"))
	for _, l := range lists {
		os.RemoveAll(l)
	}
	return nil
}

// customizeZypperBase writes the zypper base's files, creates the rpm
// database in /var/lib/rpm and installs the release package and the first
// version of every package into it.
func customizeZypperBase(ctx context.Context, rootfs, rpms string) error {
	// /etc/os-release is a symlink into /usr/lib on Debian: replace both.
	os.Remove(filepath.Join(rootfs, "etc/os-release"))
	for _, f := range zypperBaseFiles {
		if err := writeInRoot(rootfs, f.path, []byte(f.data), f.mode, 0, 0); err != nil {
			return fmt.Errorf("localfleet: zypper base: %w", err)
		}
		if f.path == "etc/os-release" {
			if err := writeInRoot(rootfs, "usr/lib/os-release", []byte(f.data), f.mode, 0, 0); err != nil {
				return fmt.Errorf("localfleet: zypper base: %w", err)
			}
		}
	}
	os.RemoveAll(filepath.Join(rootfs, "etc/zypp/repos.d"))
	if err := os.MkdirAll(filepath.Join(rootfs, "etc/zypp/repos.d"), 0o755); err != nil {
		return fmt.Errorf("localfleet: zypper base: %w", err)
	}
	env := runOpts{env: []string{"HOME=/root", "LC_ALL=C"}}
	if _, err := runIn(ctx, env, "chroot", rootfs, "rpm", "--initdb"); err != nil {
		return fmt.Errorf("localfleet: zypper base: %w", err)
	}
	tmp := filepath.Join(rootfs, "tmp", "patchflow-rpms")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return fmt.Errorf("localfleet: zypper base: %w", err)
	}
	defer os.RemoveAll(tmp)
	files := []string{"patchflow-release-" + rpmReleaseVer + "-1.noarch.rpm"}
	for _, p := range zypperBaseVersions() {
		files = append(files, p.file())
	}
	args := []string{rootfs, "rpm", "--install", "--quiet"}
	for _, f := range files {
		if err := copyFile(filepath.Join(rpms, f), filepath.Join(tmp, f)); err != nil {
			return fmt.Errorf("localfleet: zypper base: %w", err)
		}
		args = append(args, "/tmp/patchflow-rpms/"+f)
	}
	if _, err := runIn(ctx, env, "chroot", args...); err != nil {
		return fmt.Errorf("localfleet: zypper base: preinstall %d packages: %w", len(files), err)
	}
	return nil
}

// buildZypperRPMs builds the release package and every package of the
// zypper repository with rpmbuild into dir (flat).
func buildZypperRPMs(ctx context.Context, dir string) error {
	top, err := os.MkdirTemp("", "patchflow-zypper-rpmbuild-")
	if err != nil {
		return fmt.Errorf("localfleet: build zypper rpms: %w", err)
	}
	defer os.RemoveAll(top)
	specs := zypperSpecs()
	names := make([]string, 0, len(specs))
	for n := range specs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(top, name)
		if err := os.WriteFile(path, []byte(specs[name]), 0o644); err != nil {
			return fmt.Errorf("localfleet: build zypper rpms: %w", err)
		}
		// HOME: Debian's rpm reads ~/.rpmmacros; keep the caller's out.
		if _, err := runIn(ctx, runOpts{env: []string{"HOME=" + top, "SOURCE_DATE_EPOCH=1700000000"}},
			"rpmbuild", "--quiet", "--define", "_topdir "+top, "--target", rpmArch, "-bb", path); err != nil {
			return fmt.Errorf("localfleet: build rpm from %s: %w", name, err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("localfleet: build zypper rpms: %w", err)
	}
	want := len(zypperRepoPackages()) + 1 // and the release package
	built, _ := filepath.Glob(filepath.Join(top, "RPMS", "*", "*.rpm"))
	if len(built) != want {
		return fmt.Errorf("localfleet: build zypper rpms: rpmbuild made %d packages, want %d, in %s", len(built), want, top)
	}
	for _, b := range built {
		if err := copyFile(b, filepath.Join(dir, filepath.Base(b))); err != nil {
			return fmt.Errorf("localfleet: build zypper rpms: %w", err)
		}
	}
	return nil
}

// buildZypperRepo makes the rpm-md repository of the zypper hosts in repo:
// createrepo_c, then modifyrepo_c adds the SUSE-style updateinfo.xml.
func buildZypperRepo(ctx context.Context, rpms, repo string) error {
	if err := os.MkdirAll(repo, 0o755); err != nil {
		return fmt.Errorf("localfleet: zypper repository: %w", err)
	}
	for _, p := range zypperRepoPackages() {
		if err := copyFile(filepath.Join(rpms, p.file()), filepath.Join(repo, p.file())); err != nil {
			return fmt.Errorf("localfleet: zypper repository: %w", err)
		}
	}
	if _, err := run(ctx, "createrepo_c", "--quiet", repo); err != nil {
		return fmt.Errorf("localfleet: zypper repository: %w", err)
	}
	ui := filepath.Join(filepath.Dir(repo), "updateinfo.xml")
	if err := os.WriteFile(ui, []byte(zypperUpdateinfoXML()), 0o644); err != nil {
		return fmt.Errorf("localfleet: zypper repository: %w", err)
	}
	if _, err := run(ctx, "modifyrepo_c", "--mdtype=updateinfo", ui, filepath.Join(repo, "repodata")); err != nil {
		return fmt.Errorf("localfleet: zypper repository: add updateinfo: %w", err)
	}
	return nil
}
