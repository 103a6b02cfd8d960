package localfleet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// rpmFlavour is what sets one rpm-family host kind apart: dnf (rpmbase.go)
// or zypper (zypper_base.go). Both are a copy of the Debian base with
// Debian's rpm and package manager inside, an rpm database of their own in
// /var/lib/rpm, their family's os-release and the fleet's repository for
// them as their only one; this file builds that root and rpmkind.go serves
// it, the same way for both.
type rpmFlavour struct {
	// kind is the package manager, the hosts' Kind: "dnf" or "zypper".
	kind string
	// base names the built root in messages ("rpm base"); cache is its
	// directory's prefix in CacheDir ("rpmbase").
	base, cache string
	// recipe changes whenever this flavour's build changes, so cached
	// roots built by an older fixture are not reused.
	recipe string
	// include are the Debian packages that make the copy such a host.
	include []string
	// files are written into the root over the Debian base's
	// (customize.go); etc/os-release also replaces usr/lib/os-release.
	files []rootFile
	// reposDir is the package manager's repository directory, emptied in
	// the root so that the host's patchflow.repo is its only repository.
	reposDir string
	// repoPath is where the fleet repository serves this kind's
	// repository, below RepoURL; repoConf is the host's patchflow.repo,
	// with the server's address, port and repoPath to fill in.
	repoPath, repoConf string
	// buildTime is how long a build takes, for the log.
	buildTime string
	// inputs writes what else the root is made of (spec files,
	// updateinfo) into the hash that names it.
	inputs func(io.Writer)
	// buildRPMs builds every package into a flat directory, buildRepo the
	// repository from them, and preinstall names the package files the
	// root starts with (the release package and the first versions).
	buildRPMs  func(ctx context.Context, dir string) error
	buildRepo  func(ctx context.Context, rpms, repo string) error
	preinstall func() []string
}

// rootFile is one file a flavour writes into its root.
type rootFile struct {
	path, data string
	mode       os.FileMode
}

// rpmRoot is a built, immutable rpm-family host root file system and the
// fleet's repository for it, shared by every fleet whose inputs match.
type rpmRoot struct {
	dir    string // <cache>-<hash>
	rootfs string // lowerdir for every host of the kind
	repo   string // rpm-md repository with updateinfo
	lock   *os.File
}

type rpmManifest struct {
	DebianBase string    `json:"debian_base"`
	Built      time.Time `json:"built"`
	BuildTime  string    `json:"build_time"`
}

// hash names the root built from the Debian base debianBase: it changes
// with anything the build is made of.
func (fl *rpmFlavour) hash(debianBase string) string {
	h := sha256.New()
	fmt.Fprintf(h, "recipe=%s\ndebian=%s\ninclude=%s\n", fl.recipe, filepath.Base(debianBase), strings.Join(fl.include, ","))
	fl.inputs(h)
	for _, f := range fl.files {
		fmt.Fprintf(h, "file=%s %o\n%s\n", f.path, f.mode, f.data)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// ensure returns the shared root made from the Debian base deb, building
// it under an exclusive lock if needed. The result holds a shared lock
// until release.
func (fl *rpmFlavour) ensure(ctx context.Context, deb *base, logf func(string, ...any)) (*rpmRoot, error) {
	r := &rpmRoot{dir: filepath.Join(CacheDir, fl.cache+"-"+fl.hash(deb.dir))}
	r.rootfs = filepath.Join(r.dir, "rootfs")
	r.repo = filepath.Join(r.dir, "repo")
	built := func() error {
		_, err := readJSON[rpmManifest](filepath.Join(r.dir, "manifest.json"))
		return err
	}
	lock, err := buildOnce(ctx, r.dir+".lock", built, func() error { return fl.build(ctx, r, deb, logf) })
	if err != nil {
		return nil, err
	}
	r.lock = lock
	return r, nil
}

func (r *rpmRoot) release() {
	if r != nil && r.lock != nil {
		r.lock.Close()
		r.lock = nil
	}
}

// build builds the packages and the repository, copies the Debian base,
// installs the flavour's Debian packages into the copy, and customizes
// it. It works in a temporary directory renamed into place at the end.
func (fl *rpmFlavour) build(ctx context.Context, r *rpmRoot, deb *base, logf func(string, ...any)) error {
	start := time.Now()
	var m rpmManifest
	err := buildAtomically(r.dir, fl.base, func(tmp string) (any, error) {
		logf("localfleet: building %s %s from %s (once; %s)", fl.base, r.dir, deb.dir, fl.buildTime)
		rpms := filepath.Join(tmp, "rpms")
		if err := fl.buildRPMs(ctx, rpms); err != nil {
			return nil, err
		}
		if err := fl.buildRepo(ctx, rpms, filepath.Join(tmp, "repo")); err != nil {
			return nil, err
		}
		rootfs := filepath.Join(tmp, "rootfs")
		if _, err := run(ctx, "cp", "-a", "--reflink=auto", deb.rootfs, rootfs); err != nil {
			return nil, fmt.Errorf("localfleet: copy the Debian base for the %s: %w", fl.base, err)
		}
		if err := chrootAptInstall(ctx, rootfs, fl.base, fl.include); err != nil {
			return nil, err
		}
		if err := fl.customize(ctx, rootfs, rpms); err != nil {
			return nil, err
		}
		m = rpmManifest{DebianBase: deb.dir, Built: time.Now().UTC(), BuildTime: time.Since(start).Round(time.Millisecond).String()}
		return m, nil
	})
	if err != nil {
		return err
	}
	logf("localfleet: %s built in %s", fl.base, m.BuildTime)
	fl.prune(r.dir, logf)
	return nil
}

// prune removes this flavour's roots of other inputs (older recipes or
// Debian bases) that no fleet uses. Each is some hundred MB.
func (fl *rpmFlavour) prune(keep string, logf func(string, ...any)) {
	pruneUnused(filepath.Join(CacheDir, fl.cache+"-*"), keep, "localfleet: removed unused "+fl.base+" %s", logf)
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

// customize writes the flavour's files, empties its repository
// directory, creates the rpm database in /var/lib/rpm and installs the
// preinstalled packages into it.
func (fl *rpmFlavour) customize(ctx context.Context, rootfs, rpms string) error {
	fail := func(err error) error { return fmt.Errorf("localfleet: %s: %w", fl.base, err) }
	// /etc/os-release is a symlink into /usr/lib on Debian: replace both.
	os.Remove(filepath.Join(rootfs, "etc/os-release"))
	for _, f := range fl.files {
		if err := writeInRoot(rootfs, f.path, []byte(f.data), f.mode, 0, 0); err != nil {
			return fail(err)
		}
		if f.path == "etc/os-release" {
			if err := writeInRoot(rootfs, "usr/lib/os-release", []byte(f.data), f.mode, 0, 0); err != nil {
				return fail(err)
			}
		}
	}
	os.RemoveAll(filepath.Join(rootfs, fl.reposDir))
	if err := os.MkdirAll(filepath.Join(rootfs, fl.reposDir), 0o755); err != nil {
		return fail(err)
	}
	env := runOpts{env: []string{"HOME=/root", "LC_ALL=C"}}
	if _, err := runIn(ctx, env, "chroot", rootfs, "rpm", "--initdb"); err != nil {
		return fail(err)
	}
	tmp := filepath.Join(rootfs, "tmp", "patchflow-rpms")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return fail(err)
	}
	defer os.RemoveAll(tmp)
	files := fl.preinstall()
	args := []string{rootfs, "rpm", "--install", "--quiet"}
	for _, f := range files {
		if err := copyFile(filepath.Join(rpms, f), filepath.Join(tmp, f)); err != nil {
			return fail(err)
		}
		args = append(args, "/tmp/patchflow-rpms/"+f)
	}
	if _, err := runIn(ctx, env, "chroot", args...); err != nil {
		return fail(fmt.Errorf("preinstall %d packages: %w", len(files), err))
	}
	return nil
}
