package localfleet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	debversion "github.com/knqyf263/go-deb-version"
)

// securityCandidates are small packages of the base that Debian patches
// often; the fixture takes those whose bookworm-security version is newer
// than the base's (main's) version. Several, because right after a point
// release main may already carry every fix.
var securityCandidates = []string{
	"libexpat1", "liblzma5", "libpcre2-8-0", "zlib1g", "libsqlite3-0",
	"libtasn1-6", "libgnutls30", "tzdata", "libxml2", "libssl3",
}

const maxSecurityUpdates = 3

// fetchSecurityUpdates looks up, with the machine's apt, real security
// updates for packages of the base and downloads the installed and the fixed
// version of each into dir. Finding none is not an error: the demo packages
// remain.
func fetchSecurityUpdates(ctx context.Context, rootfs, dir string, logf func(string, ...any)) ([]SecurityUpdate, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("localfleet: create %s: %w", dir, err)
	}
	if lists, _ := filepath.Glob("/var/lib/apt/lists/*_Packages*"); len(lists) == 0 {
		if _, err := run(ctx, "apt-get", "update", "-qq"); err != nil {
			return nil, fmt.Errorf("localfleet: refresh the machine's apt lists to look up security updates: %w", err)
		}
	}
	var found []SecurityUpdate
	for _, pkg := range securityCandidates {
		if len(found) == maxSecurityUpdates {
			break
		}
		out, err := run(ctx, "chroot", rootfs, "dpkg-query", "-W", "-f=${Version}", pkg)
		installed := strings.TrimSpace(string(out))
		if err != nil || installed == "" {
			continue // not in the base
		}
		out, err = run(ctx, "apt-cache", "madison", pkg)
		if err != nil {
			logf("localfleet: apt-cache madison %s: %v", pkg, err)
			continue
		}
		fixed := newestSecurityVersion(string(out))
		if fixed == "" || !debNewer(fixed, installed) {
			continue
		}
		if _, err := runIn(ctx, runOpts{dir: dir}, "apt-get", "download", "-q",
			"-o", "APT::Sandbox::User=root", pkg+"="+installed, pkg+"="+fixed); err != nil {
			logf("localfleet: skip security update %s %s -> %s: %v", pkg, installed, fixed, err)
			continue
		}
		found = append(found, SecurityUpdate{Name: pkg, Installed: installed, Fixed: fixed})
		logf("localfleet: real security update %s %s -> %s", pkg, installed, fixed)
	}
	if len(found) == 0 {
		logf("localfleet: no real security update newer than the base found; the demo packages remain")
	}
	return found, nil
}

// newestSecurityVersion reads `apt-cache madison` output
// ("pkg | version | uri suite/component arch Packages") and returns the
// newest version from a -security suite.
func newestSecurityVersion(madison string) string {
	best := ""
	for _, line := range strings.Split(madison, "\n") {
		f := strings.Split(line, "|")
		if len(f) < 3 || !strings.Contains(f[2], "-security") {
			continue
		}
		v := strings.TrimSpace(f[1])
		if best == "" || debNewer(v, best) {
			best = v
		}
	}
	return best
}

// debNewer reports a > b in Debian version order; unparsable versions are
// never newer.
func debNewer(a, b string) bool {
	va, err := debversion.NewVersion(a)
	if err != nil {
		return false
	}
	vb, err := debversion.NewVersion(b)
	if err != nil {
		return false
	}
	return va.GreaterThan(vb)
}
