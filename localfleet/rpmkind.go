package localfleet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

func init() {
	newRPMKind = func() hostKind { return &rpmKind{} }
}

// RPMRepoPath is where the fleet repository serves the rpm repository,
// below RepoURL.
const RPMRepoPath = "rpm/"

// rpmKind provides dnf hosts: a copy of the Debian base with Debian's dnf
// and rpm inside, an rpm database of their own and the fleet's rpm
// repository (demo packages with updateinfo) as their only repository.
type rpmKind struct {
	deb *base
	rpm *rpmBase
}

func (k *rpmKind) name() string     { return "dnf" }
func (k *rpmKind) lowerDir() string { return k.rpm.rootfs }

func (k *rpmKind) release() {
	k.rpm.release()
	k.deb.release()
}

// prepare builds (once) the Debian base and the rpm base made from it, and
// serves the rpm repository below f.RepoDir/rpm.
func (k *rpmKind) prepare(ctx context.Context, f *Fleet) error {
	if err := checkRPMTools(); err != nil {
		return err
	}
	deb, err := ensureBase(ctx, f.cfg.Logf)
	if err != nil {
		return err
	}
	k.deb = deb
	rb, err := ensureRPMBase(ctx, deb, f.cfg.Logf)
	if err != nil {
		return err
	}
	k.rpm = rb
	return linkTree(rb.repo, filepath.Join(f.RepoDir, RPMRepoPath))
}

// customize makes the fleet repository the host's only dnf repository.
func (k *rpmKind) customize(f *Fleet, h *host) error {
	repo := fmt.Sprintf(`# the patchflow test fleet repository (nothing else is reachable)
[patchflow]
name=patchflow test fleet
baseurl=http://%s:%d/%s
enabled=1
gpgcheck=0
skip_if_unavailable=False
`, f.repoAddr, repoPort, RPMRepoPath)
	if err := writeInRoot(h.root, "etc/yum.repos.d/patchflow.repo", []byte(repo), 0o644, 0, 0); err != nil {
		return fmt.Errorf("localfleet: host %s: %w", h.Name, err)
	}
	return nil
}

// linkTree hard-links (or copies) every regular file below src into dst.
func linkTree(src, dst string) error {
	return filepath.Walk(src, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		to := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		os.Remove(to)
		if err := os.Link(path, to); err == nil {
			return nil
		}
		if err := copyFile(path, to); err != nil {
			return fmt.Errorf("localfleet: put %s in the repository: %w", rel, err)
		}
		return nil
	})
}
