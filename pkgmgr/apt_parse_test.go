package pkgmgr

import (
	"reflect"
	"testing"
)

func TestClassifyOrigins(t *testing.T) {
	sec := aptOrigin{Origin: "Debian", Label: "Debian-Security", Archive: "stable-security", Codename: "bookworm-security"}
	main := aptOrigin{Origin: "Debian", Label: "Debian", Archive: "stable", Codename: "bookworm"}
	upd := aptOrigin{Origin: "Debian", Label: "Debian", Archive: "stable-updates", Codename: "bookworm-updates"}
	bpo := aptOrigin{Origin: "Debian Backports", Label: "Debian Backports", Archive: "stable-backports", Codename: "bookworm-backports"}
	ubuSec := aptOrigin{Origin: "Ubuntu", Label: "Ubuntu", Archive: "jammy-security", Codename: "jammy"}
	fleet := aptOrigin{Origin: "Fleet", Label: "Fleet", Archive: "fleet", Codename: "fleet"}
	tests := []struct {
		name    string
		origins []aptOrigin
		class   Class
		source  string
	}{
		{"security", []aptOrigin{sec}, Security, "Debian/stable-security"},
		{"security wins over main", []aptOrigin{main, sec}, Security, "Debian/stable-security"},
		{"point release", []aptOrigin{main}, Bugfix, "Debian/stable"},
		{"stable-updates", []aptOrigin{upd}, Bugfix, "Debian/stable-updates"},
		{"backports", []aptOrigin{bpo}, Feature, "Debian Backports/stable-backports"},
		{"ubuntu security pocket", []aptOrigin{ubuSec}, Security, "Ubuntu/jammy-security"},
		{"third party", []aptOrigin{fleet}, Feature, "Fleet/fleet"},
		{"no origin (local file)", nil, Feature, ""},
	}
	for _, tc := range tests {
		c, s := classifyOrigins(tc.origins)
		if c != tc.class || s != tc.source {
			t.Errorf("%s: got %s %q, want %s %q", tc.name, c, s, tc.class, tc.source)
		}
	}
}

func TestParseSimulated(t *testing.T) {
	out := `NOTE: This is only a simulation!
Reading package lists...
Inst libssl3 [3.0.11-1~deb12u2] (3.0.15-1~deb12u1 Debian:12.8/stable, Debian-Security:12/stable-security [amd64])
Inst demo-app [1.0.0] (1.0.2 Fleet:fleet/fleet [all])
Inst newdep (1.0 Debian:12.8/stable [amd64])
Conf libssl3 (3.0.15-1~deb12u1 Debian:12.8/stable [amd64])
`
	got := parseSimulated(out)
	want := []Update{
		{Name: "demo-app", Arch: "all", Installed: "1.0.0", Candidate: "1.0.2", Source: "Fleet/fleet", Class: Feature, Severity: SeverityUnknown, Advisories: []string{}},
		{Name: "libssl3", Arch: "amd64", Installed: "3.0.11-1~deb12u2", Candidate: "3.0.15-1~deb12u1", Source: "Debian/stable-security", Class: Security, Severity: SeverityUnknown, Advisories: []string{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseSimulated =\n%+v\nwant\n%+v", got, want)
	}
}

func TestParseMadison(t *testing.T) {
	out := "  demo-app |      1.0.2 | http://10.213.3.2:8080 fleet/main amd64 Packages\n" +
		"  demo-app |      1.0.1 | http://10.213.3.2:8080 fleet/main amd64 Packages\n" +
		"   libssl3 | 3.0.15-1~deb12u1 | http://10.213.3.2:8080 bookworm-security/main amd64 Packages\n"
	got := parseMadison(out)
	want := map[string][]string{"demo-app": {"1.0.2", "1.0.1"}, "libssl3": {"3.0.15-1~deb12u1"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseMadison = %v", got)
	}
}

func TestParseDF(t *testing.T) {
	out := "Filesystem     1024-blocks    Used Available Capacity Mounted on\n" +
		"tmpfs                 1024    1024         0     100% /var/cache/apt/archives\n" +
		"overlay           41152736 9000000  30000000      24% /\n"
	got := parseDF(out)
	if len(got) != 2 || got[0].availBytes != 0 || got[0].mount != "/var/cache/apt/archives" || got[1].availBytes != 30000000*1024 {
		t.Errorf("parseDF = %+v", got)
	}
}

func TestDpkgMessages(t *testing.T) {
	out := `Setting up demo-app (1.0.2) ...
dpkg: error processing package demo-app (--configure):
 installed demo-app package post-installation script subprocess returned error exit status 1
Errors were encountered while processing:
 demo-app
E: Sub-process /usr/bin/dpkg returned an error code (1)`
	want := "dpkg: error processing package demo-app (--configure): installed demo-app package post-installation script subprocess returned error exit status 1"
	if got := dpkgMessages(out, "demo-app"); got != want {
		t.Errorf("dpkgMessages = %q", got)
	}
	if got := dpkgMessages(out, "demo-lib"); got != "" {
		t.Errorf("other package: %q", got)
	}
}

func TestOSReleaseIDs(t *testing.T) {
	ids := osReleaseIDs("NAME=\"Rocky Linux\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n")
	if !ids["rocky"] || !ids["rhel"] || !ids["fedora"] || ids["debian"] {
		t.Errorf("ids = %v", ids)
	}
}
