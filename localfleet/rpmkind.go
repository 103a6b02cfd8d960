package localfleet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

func init() {
	newRPMKind = func() hostKind { return &rpmKind{fl: &dnfFlavour} }
	newZypperKind = func() hostKind { return &rpmKind{fl: &zypperFlavour} }
}

// RPMRepoPath is where the fleet repository serves the dnf hosts' rpm
// repository, below RepoURL; ZypperRepoPath the zypper hosts'.
const (
	RPMRepoPath    = "rpm/"
	ZypperRepoPath = "zypper/"
)

// rpmKind provides the hosts of one rpm flavour (dnf or zypper): a copy of
// the Debian base with the flavour's package manager and rpm inside, an
// rpm database of their own and the fleet's repository for the flavour
// (demo packages with updateinfo) as their only repository.
type rpmKind struct {
	fl   *rpmFlavour
	deb  *base
	root *rpmRoot
}

func (k *rpmKind) name() string     { return k.fl.kind }
func (k *rpmKind) lowerDir() string { return k.root.rootfs }

func (k *rpmKind) release() {
	k.root.release()
	k.deb.release()
}

// prepare builds (once) the Debian base and the flavour's root made from
// it, and serves the flavour's repository below f.RepoDir.
func (k *rpmKind) prepare(ctx context.Context, f *Fleet) error {
	if err := checkRPMTools(); err != nil {
		return err
	}
	deb, err := ensureBase(ctx, f.cfg.Logf)
	if err != nil {
		return err
	}
	k.deb = deb
	root, err := k.fl.ensure(ctx, deb, f.cfg.Logf)
	if err != nil {
		return err
	}
	k.root = root
	return linkTree(root.repo, filepath.Join(f.RepoDir, k.fl.repoPath))
}

// customize makes the fleet repository the host's only repository.
func (k *rpmKind) customize(f *Fleet, h *host) error {
	repo := fmt.Sprintf(k.fl.repoConf, f.repoAddr, repoPort, k.fl.repoPath)
	if err := writeInRoot(h.root, filepath.Join(k.fl.reposDir, "patchflow.repo"), []byte(repo), 0o644, 0, 0); err != nil {
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
