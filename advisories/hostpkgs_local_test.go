package advisories

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed; CI needs it (apt-get install dpkg)", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
}

// The changelog command reads a real .deb built here with dpkg-deb around
// the real xz-utils changelog, through bash, dpkg-deb and tar.
func TestDebChangelogArgsOnARealDeb(t *testing.T) {
	needTools(t, "dpkg-deb", "tar", "bash")
	root := t.TempDir()
	pkgDir := filepath.Join(root, "pkg")
	doc := filepath.Join(pkgDir, "usr/share/doc/liblzma5")
	os.MkdirAll(doc, 0o755)
	os.MkdirAll(filepath.Join(pkgDir, "DEBIAN"), 0o755)
	os.WriteFile(filepath.Join(doc, "changelog.Debian.gz"), readFile(t, "testdata/debian-changelog/liblzma5_5.4.1-1+deb12u2.changelog.Debian.gz"), 0o644)
	os.WriteFile(filepath.Join(pkgDir, "DEBIAN/control"), []byte("Package: liblzma5\nVersion: 5.4.1-1+deb12u2\nArchitecture: amd64\nMaintainer: test <t@example.org>\nDescription: test\n"), 0o644)
	deb := filepath.Join(root, "liblzma5_5.4.1-1+deb12u2_amd64.deb")
	if out, err := exec.Command("dpkg-deb", "--root-owner-group", "--build", pkgDir, deb).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb --build: %v\n%s", err, out)
	}
	args, err := DebChangelogArgs(deb, "liblzma5")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(args[0], args[1:]...).Output()
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	cl, err := ParseChangelog(bytes.NewReader(out))
	if err != nil || cl.Entries[0].Version != "5.4.1-1+deb12u2" || !slices.Equal(cl.Entries[0].Advisories, []string{"GHSA-5qpq-xqfv-j9pg"}) {
		t.Fatalf("%v %+v", err, cl)
	}
	// A package without that changelog fails instead of printing nothing.
	args, _ = DebChangelogArgs(deb, "libexpat1")
	if err := exec.Command(args[0], args[1:]...).Run(); err == nil {
		t.Error("missing changelog: exit 0")
	}
}

// DpkgQueryArgs on this machine's own dpkg database.
func TestDpkgQueryOnThisMachine(t *testing.T) {
	needTools(t, "dpkg-query")
	out, err := exec.Command(DpkgQueryArgs[0], DpkgQueryArgs[1:]...).Output()
	if err != nil {
		t.Fatal(err)
	}
	pkgs, skips := ParseDpkgQuery(out)
	if len(pkgs) < 50 || skips.Count != 0 {
		t.Fatalf("%d packages, skips %+v", len(pkgs), skips)
	}
	i := slices.IndexFunc(pkgs, func(p InstalledPackage) bool { return p.Name == "dpkg" })
	if i < 0 || pkgs[i].SourceName != "" || pkgs[i].Version == "" {
		t.Errorf("dpkg: %+v", pkgs[i])
	}
	for _, p := range pkgs {
		if _, err := ParseVersion(Deb, p.Version); err != nil {
			t.Errorf("%s %s: %v", p.Name, p.Version, err)
		}
	}
}
