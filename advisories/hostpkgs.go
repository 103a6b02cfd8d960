package advisories

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// Commands the scan activity runs on a host to feed matching. They take
// no shell-interpreted input: package names travel as positional
// arguments after validation.

// DpkgQueryArgs lists every installed package with its source package and
// source version, one tab-separated line each (ParseDpkgQuery reads it).
var DpkgQueryArgs = []string{"dpkg-query", "-W", "-f", `${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\n`}

// RPMQueryArgs lists every installed rpm with its epoch and SOURCERPM
// (ParseRPMQuery reads it).
var RPMQueryArgs = []string{"rpm", "-qa", "--queryformat", `%{NAME}\t%{EPOCH}\t%{VERSION}-%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\n`}

// InstalledChangelogPath is where Debian keeps an installed package's
// changelog (the running version's own, for the installed-package rule).
func InstalledChangelogPath(pkg string) (string, error) {
	if !validPackage(pkg) {
		return "", fmt.Errorf("package name %s is not a Debian package name", quote(pkg))
	}
	return "/usr/share/doc/" + pkg + "/changelog.Debian.gz", nil
}

// DebChangelogArgs extracts the changelog.Debian.gz of binary package pkg
// from a downloaded .deb (apt's cache or `apt-get download`) to stdout
// without installing it: `dpkg-deb --fsys-tarfile DEB | tar -xO
// ./usr/share/doc/PKG/changelog.Debian.gz`. The path and name are
// positional arguments of sh, never part of the script.
func DebChangelogArgs(debPath, pkg string) ([]string, error) {
	if !validPackage(pkg) {
		return nil, fmt.Errorf("package name %s is not a Debian package name", quote(pkg))
	}
	if !strings.HasSuffix(debPath, ".deb") || strings.ContainsAny(debPath, "\x00\n") {
		return nil, fmt.Errorf("%s is not a .deb path", quote(debPath))
	}
	script := `set -o pipefail 2>/dev/null; dpkg-deb --fsys-tarfile "$1" | tar -xO "./usr/share/doc/$2/changelog.Debian.gz"`
	return []string{"bash", "-c", script, "sh", debPath, pkg}, nil
}

// DebCandidateChangelogArgs prints the changelog.Debian.gz of binary
// package pkg at version (a pending update's candidate) without installing
// it: from apt's cache when the .deb is there (a pre-download put it
// there), else, when download is set, downloaded with `apt-get download`
// into a temporary directory that is removed afterwards (without it the
// script fails with exit 3: a scan that may not fetch reads the cache
// only). Package and version are positional arguments of bash, never part
// of the script.
func DebCandidateChangelogArgs(pkg, version string, download bool) ([]string, error) {
	if !validPackage(pkg) {
		return nil, fmt.Errorf("package name %s is not a Debian package name", quote(pkg))
	}
	if _, err := ParseVersion(Deb, version); err != nil {
		return nil, fmt.Errorf("package %s: %w", pkg, err)
	}
	script := `set -o pipefail
member="./usr/share/doc/$1/changelog.Debian.gz"
for deb in /var/cache/apt/archives/"$1"_"${2/:/%3a}"_*.deb; do
  if [ -f "$deb" ]; then dpkg-deb --fsys-tarfile "$deb" | tar -xO "$member"; exit; fi
done
[ "$3" = download ] || { echo "not in the apt cache (the scan downloads nothing)" >&2; exit 3; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf -- "$dir"' EXIT
cd "$dir" && apt-get download -q=2 "$1=$2" >/dev/null || exit 1
dpkg-deb --fsys-tarfile ./*.deb | tar -xO "$member"`
	mode := "cache-only"
	if download {
		mode = "download"
	}
	return []string{"bash", "-c", script, "bash", pkg, version, mode}, nil
}

// ParseDpkgQuery reads DpkgQueryArgs output: installed packages ("ii"
// state) with source name and version; other states (config files only,
// half-installed) and malformed lines are counted skips.
func ParseDpkgQuery(out []byte) ([]InstalledPackage, Skips) {
	var pkgs []InstalledPackage
	skips := eachTabLine(out, 6, func(no int, f []string, skips *Skips) {
		if strings.TrimSpace(f[0]) != "ii" {
			return // not installed: removed with config files kept, or broken
		}
		p := InstalledPackage{Name: f[1], Version: f[2], Arch: f[3], SourceName: f[4], SourceVersion: f[5]}
		if !validPackage(p.Name) || (p.SourceName != "" && !validPackage(p.SourceName)) {
			skips.add(lineNo(no), "invalid package name %s", quote(p.Name))
			return
		}
		if p.SourceName == p.Name {
			p.SourceName = ""
		}
		if p.SourceVersion == p.Version {
			p.SourceVersion = ""
		}
		pkgs = append(pkgs, p)
	})
	return pkgs, skips
}

// ParseRPMQuery reads RPMQueryArgs output. The epoch "(none)" is left
// out; the source name is SOURCERPM without "-VERSION-RELEASE.src.rpm".
func ParseRPMQuery(out []byte) ([]InstalledPackage, Skips) {
	var pkgs []InstalledPackage
	skips := eachTabLine(out, 5, func(no int, f []string, skips *Skips) {
		if !validPackage(f[0]) {
			skips.add(lineNo(no), "invalid package name %s", quote(f[0]))
			return
		}
		v := f[2]
		if f[1] != "(none)" && f[1] != "" && f[1] != "0" {
			v = f[1] + ":" + v
		}
		p := InstalledPackage{Name: f[0], Version: v, Arch: f[3], SourceName: sourceRPMName(f[4])}
		if p.SourceName == p.Name {
			p.SourceName = ""
		}
		pkgs = append(pkgs, p)
	})
	return pkgs, skips
}

// eachTabLine calls line for every line of out with exactly n
// tab-separated fields, numbered from 1; other non-blank
// lines, and a line past maxLine, are counted skips.
func eachTabLine(out []byte, n int, line func(no int, f []string, skips *Skips)) Skips {
	var skips Skips
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 4096), maxLine)
	no := 0
	for sc.Scan() {
		no++
		f := strings.Split(sc.Text(), "\t")
		if len(f) != n {
			if strings.TrimSpace(sc.Text()) != "" {
				skips.add(fmt.Sprintf("line %d", no), "want %d tab-separated fields, got %d", n, len(f))
			}
			continue
		}
		line(no, f, &skips)
	}
	if err := sc.Err(); err != nil {
		skips.add(fmt.Sprintf("line %d", no+1), "%v", err)
	}
	return skips
}

func lineNo(no int) string { return fmt.Sprintf("line %d", no) }

// sourceRPMName turns "openssl-3.0.7-27.el9.src.rpm" into "openssl".
func sourceRPMName(srpm string) string {
	s, ok := strings.CutSuffix(srpm, ".src.rpm")
	if !ok {
		s, ok = strings.CutSuffix(srpm, ".nosrc.rpm")
	}
	if !ok {
		return ""
	}
	for range 2 {
		i := strings.LastIndex(s, "-")
		if i <= 0 {
			return ""
		}
		s = s[:i]
	}
	if !validPackage(s) {
		return ""
	}
	return s
}
