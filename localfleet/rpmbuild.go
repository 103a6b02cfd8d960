package localfleet

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
)

// rpmbuildAll builds every spec file of specs (name -> content) with
// rpmbuild into dir (flat). target is rpmbuild's --target ("" for the
// spec's own), want the number of packages the specs make; what names the
// build in errors ("build zypper rpms").
func rpmbuildAll(ctx context.Context, what string, specs map[string]string, target string, want int, dir string) error {
	top, err := os.MkdirTemp("", "patchflow-rpmbuild-")
	if err != nil {
		return fmt.Errorf("localfleet: %s: %w", what, err)
	}
	defer os.RemoveAll(top)
	for _, name := range slices.Sorted(maps.Keys(specs)) {
		path := filepath.Join(top, name)
		if err := os.WriteFile(path, []byte(specs[name]), 0o644); err != nil {
			return fmt.Errorf("localfleet: %s: %w", what, err)
		}
		args := []string{"--quiet", "--define", "_topdir " + top}
		if target != "" {
			args = append(args, "--target", target)
		}
		// HOME: Debian's rpm reads ~/.rpmmacros; keep the caller's out.
		if _, err := runIn(ctx, runOpts{env: []string{"HOME=" + top, "SOURCE_DATE_EPOCH=1700000000"}},
			"rpmbuild", append(args, "-bb", path)...); err != nil {
			return fmt.Errorf("localfleet: build rpm from %s: %w", name, err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("localfleet: %s: %w", what, err)
	}
	built, _ := filepath.Glob(filepath.Join(top, "RPMS", "*", "*.rpm"))
	if len(built) != want {
		return fmt.Errorf("localfleet: %s: rpmbuild made %d packages, want %d, in %s", what, len(built), want, top)
	}
	for _, b := range built {
		if err := copyFile(b, filepath.Join(dir, filepath.Base(b))); err != nil {
			return fmt.Errorf("localfleet: %s: %w", what, err)
		}
	}
	return nil
}

// buildUpdateinfoRepo makes an rpm-md repository in repo from the package
// files in rpms: createrepo_c, then modifyrepo_c adds updateinfo (written
// beside repo). Re-running createrepo_c later needs --update
// --keep-all-metadata, or it drops the updateinfo. what names the
// repository in errors ("rpm repository").
func buildUpdateinfoRepo(ctx context.Context, what, rpms, repo string, files []string, updateinfo string) error {
	if err := os.MkdirAll(repo, 0o755); err != nil {
		return fmt.Errorf("localfleet: %s: %w", what, err)
	}
	for _, f := range files {
		if err := copyFile(filepath.Join(rpms, f), filepath.Join(repo, f)); err != nil {
			return fmt.Errorf("localfleet: %s: %w", what, err)
		}
	}
	if _, err := run(ctx, "createrepo_c", "--quiet", repo); err != nil {
		return fmt.Errorf("localfleet: %s: %w", what, err)
	}
	ui := filepath.Join(filepath.Dir(repo), "updateinfo.xml")
	if err := os.WriteFile(ui, []byte(updateinfo), 0o644); err != nil {
		return fmt.Errorf("localfleet: %s: %w", what, err)
	}
	if _, err := run(ctx, "modifyrepo_c", "--mdtype=updateinfo", ui, filepath.Join(repo, "repodata")); err != nil {
		return fmt.Errorf("localfleet: %s: add updateinfo: %w", what, err)
	}
	return nil
}
