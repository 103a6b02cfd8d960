package advisories

import (
	"bytes"
	"testing"
)

func TestParseDpkgQuery(t *testing.T) {
	out := "ii \tliblzma5\t5.4.1-1+deb12u2\tamd64\txz-utils\t5.4.1-1+deb12u2\n" +
		"rc \told-pkg\t1.0-1\tamd64\told-pkg\t1.0-1\n" +
		"ii \tbash\t5.2.15-2+b7\tamd64\tbash\t5.2.15-2\n" +
		"ii \tbroken line\n" +
		"ii \tzlib1g\t1:1.2.13.dfsg-1\tamd64\tzlib\t1:1.2.13.dfsg-1\n"
	pkgs, skips := ParseDpkgQuery([]byte(out))
	if len(pkgs) != 3 || skips.Count != 1 {
		t.Fatalf("%+v %+v", pkgs, skips)
	}
	if p := pkgs[0]; p.SourceName != "xz-utils" || p.SourceVersion != "" {
		t.Errorf("liblzma5: %+v", p)
	}
	if p := pkgs[1]; p.SourceName != "" || p.SourceVersion != "5.2.15-2" {
		t.Errorf("bash binNMU: %+v", p)
	}
}

func TestParseRPMQuery(t *testing.T) {
	out := "openssl-libs\t1\t3.5.1-4.el9_7\tx86_64\topenssl-3.5.1-4.el9_7.src.rpm\n" +
		"bash\t(none)\t5.1.8-9.el9\tx86_64\tbash-5.1.8-9.el9.src.rpm\n" +
		"gpg-pubkey\t(none)\t3228467c-613798eb\t(none)\t(none)\n"
	pkgs, skips := ParseRPMQuery([]byte(out))
	if len(pkgs) != 3 || skips.Count != 0 {
		t.Fatalf("%+v %+v", pkgs, skips)
	}
	if p := pkgs[0]; p.Version != "1:3.5.1-4.el9_7" || p.SourceName != "openssl" {
		t.Errorf("openssl-libs: %+v", p)
	}
	if p := pkgs[1]; p.Version != "5.1.8-9.el9" || p.SourceName != "" {
		t.Errorf("bash: %+v", p)
	}
}

func TestHostCommandsRejectBadNames(t *testing.T) {
	if _, err := DebChangelogArgs("/var/cache/apt/archives/x.deb", "../../etc"); err == nil {
		t.Error("a path as package name was accepted")
	}
	args, err := DebChangelogArgs("/var/cache/apt/archives/libexpat1_2.5.0-1+deb12u5_amd64.deb", "libexpat1")
	if err != nil || args[len(args)-1] != "libexpat1" || args[len(args)-2] != "/var/cache/apt/archives/libexpat1_2.5.0-1+deb12u5_amd64.deb" {
		t.Errorf("%v %v", args, err)
	}
	if p, err := InstalledChangelogPath("liblzma5"); err != nil || p != "/usr/share/doc/liblzma5/changelog.Debian.gz" {
		t.Errorf("%s %v", p, err)
	}
}

func FuzzPackageQuery(f *testing.F) {
	f.Add([]byte("ii \tliblzma5\t5.4.1-1+deb12u2\tamd64\txz-utils\t5.4.1-1+deb12u2\n"))
	f.Add([]byte("openssl-libs\t1\t3.5.1-4.el9_7\tx86_64\topenssl-3.5.1-4.el9_7.src.rpm\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, parse := range []func([]byte) ([]InstalledPackage, Skips){ParseDpkgQuery, ParseRPMQuery} {
			pkgs, _ := parse(data)
			for _, p := range pkgs {
				if !validPackage(p.Name) || bytes.ContainsAny([]byte(p.Name), "\t\n") {
					t.Fatalf("bad package %+v", p)
				}
			}
		}
	})
}
