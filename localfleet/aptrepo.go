package localfleet

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Suites of the fleet's apt repository. The security suite carries the
// labels Debian's own has, so classification (as unattended-upgrades does
// it: origin Debian, label Debian-Security, codename *-security) sees its
// packages as security updates.
const (
	securitySuite = "bookworm-security"
	fleetSuite    = "fleet"
	aptKeyring    = "/etc/apt/keyrings/patchflow-fleet.gpg"
)

type aptSuite struct {
	name, origin, label, pool string
}

var aptSuites = []aptSuite{
	{securitySuite, "Debian", "Debian-Security", "pool/security"},
	{fleetSuite, "Fleet", "Fleet", "pool/fleet"},
}

// buildAptRepo lays out, indexes and signs the fleet's apt repository in
// f.RepoDir from the packages the base carries.
func buildAptRepo(ctx context.Context, f *Fleet, b *base) error {
	// gpg starts an agent for the fleet's GNUPGHOME; end it when done.
	defer runIn(context.Background(), runOpts{env: []string{"GNUPGHOME=" + f.gnupgHome}}, "gpgconf", "--kill", "all")
	if err := ensureRepoKey(ctx, f); err != nil {
		return err
	}
	if err := linkDebs(b.debs, filepath.Join(f.RepoDir, "pool/fleet")); err != nil {
		return err
	}
	if err := linkDebs(b.secDebs, filepath.Join(f.RepoDir, "pool/security")); err != nil {
		return err
	}
	for _, s := range aptSuites {
		if err := writeSuite(ctx, f, s, b.arch); err != nil {
			return err
		}
	}
	return nil
}

// ensureRepoKey creates the fleet dir's signing key once (GNUPGHOME private
// to the fleet dir) and exports its public half for the hosts.
func ensureRepoKey(ctx context.Context, f *Fleet) error {
	if err := os.MkdirAll(f.gnupgHome, 0o700); err != nil {
		return fmt.Errorf("localfleet: create %s: %w", f.gnupgHome, err)
	}
	env := runOpts{env: []string{"GNUPGHOME=" + f.gnupgHome}}
	out, _ := runIn(ctx, env, "gpg", "--batch", "--list-secret-keys", "--with-colons")
	if !strings.Contains(string(out), "sec:") {
		if _, err := runIn(ctx, env, "gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
			"--quick-gen-key", "patchflow test fleet <fleet@patchflow.invalid>", "ed25519", "sign", "never"); err != nil {
			return fmt.Errorf("localfleet: create the repository signing key: %w", err)
		}
	}
	key, err := runIn(ctx, env, "gpg", "--batch", "--export")
	if err != nil || len(key) == 0 {
		return fmt.Errorf("localfleet: export the repository key: %v", err)
	}
	return writeFileAtomic(f.repoKeyPath, key, 0o644)
}

// linkDebs hard-links (or copies) every .deb of src into dst.
func linkDebs(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("localfleet: create %s: %w", dst, err)
	}
	debs, _ := filepath.Glob(filepath.Join(src, "*.deb"))
	for _, d := range debs {
		to := filepath.Join(dst, filepath.Base(d))
		os.Remove(to)
		if err := os.Link(d, to); err == nil {
			continue
		}
		if err := copyFile(d, to); err != nil {
			return fmt.Errorf("localfleet: put %s in the repository: %w", filepath.Base(d), err)
		}
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// writeSuite indexes one suite with apt-ftparchive and signs its Release
// as InRelease.
func writeSuite(ctx context.Context, f *Fleet, s aptSuite, arch string) error {
	dist := filepath.Join("dists", s.name)
	bin := filepath.Join(dist, "main", "binary-"+arch)
	if err := os.MkdirAll(filepath.Join(f.RepoDir, bin), 0o755); err != nil {
		return fmt.Errorf("localfleet: create suite %s: %w", s.name, err)
	}
	in := runOpts{dir: f.RepoDir}
	packages, err := runIn(ctx, in, "apt-ftparchive", "packages", s.pool)
	if err != nil {
		return fmt.Errorf("localfleet: index suite %s: %w", s.name, err)
	}
	if err := os.WriteFile(filepath.Join(f.RepoDir, bin, "Packages"), packages, 0o644); err != nil {
		return fmt.Errorf("localfleet: index suite %s: %w", s.name, err)
	}
	const o = "APT::FTPArchive::Release::"
	release, err := runIn(ctx, in, "apt-ftparchive",
		"-o", o+"Origin="+s.origin, "-o", o+"Label="+s.label,
		"-o", o+"Suite="+s.name, "-o", o+"Codename="+s.name,
		"-o", o+"Architectures="+arch, "-o", o+"Components=main",
		"-o", o+"Description=patchflow test fleet "+s.name,
		"release", dist)
	if err != nil {
		return fmt.Errorf("localfleet: index suite %s: %w", s.name, err)
	}
	relPath := filepath.Join(f.RepoDir, dist, "Release")
	if err := os.WriteFile(relPath, release, 0o644); err != nil {
		return fmt.Errorf("localfleet: index suite %s: %w", s.name, err)
	}
	if _, err := runIn(ctx, runOpts{env: []string{"GNUPGHOME=" + f.gnupgHome}}, "gpg", "--batch", "--yes",
		"--clearsign", "-o", filepath.Join(f.RepoDir, dist, "InRelease"), relPath); err != nil {
		return fmt.Errorf("localfleet: sign suite %s: %w", s.name, err)
	}
	return nil
}
