package localfleet

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestMirrorIsReadFromAptSources(t *testing.T) {
	tests := []struct {
		file, want string
		read       func(string) string
	}{
		{"testdata/debian.sources", "http://mirror.example.invalid/debian", mirrorFromDeb822},
		{"testdata/security-only.sources", "", mirrorFromDeb822},
		{"testdata/sources.list", "http://list.example.invalid/debian", mirrorFromList},
		{"testdata/missing.list", "", mirrorFromList},
	}
	for _, tt := range tests {
		if got := tt.read(tt.file); got != tt.want {
			t.Errorf("mirror from %s = %q, want %q", tt.file, got, tt.want)
		}
	}
}

func TestNewestSecurityVersionFromMadison(t *testing.T) {
	madison := `  libexpat1 | 2.5.0-1+deb12u5 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
  libexpat1 | 2.5.0-1+deb12u2 | http://deb.debian.org/debian bookworm/main amd64 Packages
  libexpat1 | 2.5.0-1+deb12u10 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
`
	if got := newestSecurityVersion(madison); got != "2.5.0-1+deb12u10" {
		t.Errorf("newest security version = %q, want 2.5.0-1+deb12u10 (Debian order, not string order)", got)
	}
	if got := newestSecurityVersion("  zlib1g | 1:1.2.13.dfsg-1 | http://deb.debian.org/debian bookworm/main amd64 Packages\n"); got != "" {
		t.Errorf("no security suite: got %q, want none", got)
	}
}

func TestPackageOpTimesParse(t *testing.T) {
	got, err := parseOpTimes("start 1000000000\nend 1500000000\nstart 2000000000\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].End.Sub(got[0].Start) != 500*time.Millisecond || !got[1].End.IsZero() {
		t.Errorf("intervals = %+v, want one of 500ms and one unfinished", got)
	}
	for _, bad := range []string{"end 1\n", "start x\n", "begin 1\n", "start 1 2\n", "start 1\nend 2\nend 3\n"} {
		if _, err := parseOpTimes(bad); err == nil || !strings.Contains(err.Error(), DpkgTimesFile) {
			t.Errorf("parse %q: error %v, want one naming %s", bad, err, DpkgTimesFile)
		}
	}
}

func TestConfigIsValidated(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Name: "Bad!", Subnet: 1, Hosts: 1}, "config name"},
		{Config{Name: "waytoolong", Subnet: 1, Hosts: 1}, "config name"},
		{Config{Name: "tf", Subnet: 0, Hosts: 1}, "subnet must be 1..254, got 0"},
		{Config{Name: "tf", Subnet: 1}, "no hosts requested"},
		{Config{Name: "tf", Subnet: 1, Hosts: 300}, "hosts+rpm_hosts+zypper_hosts must be 0..240"},
	} {
		_, err := Up(context.Background(), c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Up(%+v) = %v, want an error containing %q", c.cfg, err, c.want)
		}
	}
}

func TestInterfaceNamesFitLinux(t *testing.T) {
	for _, n := range []string{bridgeName("abcdef"), vethName("abcdef", 240), repoVeth("abcdef")} {
		if len(n) > 15 {
			t.Errorf("interface name %q has %d characters, Linux allows 15", n, len(n))
		}
	}
}

func TestFailedBaseBuildIsReported(t *testing.T) {
	Require(t)
	old := CacheDir
	CacheDir = t.TempDir()
	t.Cleanup(func() { CacheDir = old })
	t.Setenv("PATCHFLOW_DEBIAN_MIRROR", "http://127.0.0.1:9/debian") // nothing listens on the discard port
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err := ensureBase(ctx, t.Logf)
	if err == nil || !strings.Contains(err.Error(), "build base root file system") {
		t.Fatalf("ensureBase with an unreachable mirror: %v, want the mmdebstrap failure", err)
	}
}
