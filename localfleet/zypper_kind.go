package localfleet

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

func init() {
	newZypperKind = func() hostKind { return &zypperKind{} }
}

// ZypperRepoPath is where the fleet repository serves the zypper hosts'
// rpm-md repository, below RepoURL.
const ZypperRepoPath = "zypper/"

// zypperKind provides zypper hosts: a copy of the Debian base with
// Debian's zypper, libzypp and rpm inside, an rpm database of their own,
// a SUSE os-release and the fleet's zypper repository (demo and estate
// packages with SUSE-style patches) as their only repository.
type zypperKind struct {
	deb *base
	zb  *zypperBase
}

func (k *zypperKind) name() string     { return "zypper" }
func (k *zypperKind) lowerDir() string { return k.zb.rootfs }

func (k *zypperKind) release() {
	k.zb.release()
	k.deb.release()
}

// prepare builds (once) the Debian base and the zypper base made from it,
// and serves the zypper repository below f.RepoDir/zypper.
func (k *zypperKind) prepare(ctx context.Context, f *Fleet) error {
	if err := checkRPMTools(); err != nil {
		return err
	}
	deb, err := ensureBase(ctx, f.cfg.Logf)
	if err != nil {
		return err
	}
	k.deb = deb
	zb, err := ensureZypperBase(ctx, deb, f.cfg.Logf)
	if err != nil {
		return err
	}
	k.zb = zb
	return linkTree(zb.repo, filepath.Join(f.RepoDir, ZypperRepoPath))
}

// customize makes the fleet repository the host's only zypper repository.
// gpgcheck is off: the packages are unsigned, as the dnf hosts' are.
func (k *zypperKind) customize(f *Fleet, h *host) error {
	repo := fmt.Sprintf(`# the patchflow test fleet repository (nothing else is reachable)
[patchflow]
name=patchflow test fleet
baseurl=http://%s:%d/%s
type=rpm-md
enabled=1
autorefresh=1
gpgcheck=0
keeppackages=0
`, f.repoAddr, repoPort, ZypperRepoPath)
	if err := writeInRoot(h.root, "etc/zypp/repos.d/patchflow.repo", []byte(repo), 0o644, 0, 0); err != nil {
		return fmt.Errorf("localfleet: host %s: %w", h.Name, err)
	}
	return nil
}

// RequireZypper is Require for tests with zypper hosts: building their
// packages needs rpmbuild and createrepo_c on the machine (zypper itself
// is installed inside the hosts). It skips with the apt-get line that
// installs them, or fails under CI=true.
func RequireZypper(t testing.TB) {
	t.Helper()
	RequireRPM(t)
}
