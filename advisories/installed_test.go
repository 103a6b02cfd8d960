package advisories

import (
	"slices"
	"strings"
	"testing"

	"github.com/patchflow/patchflow/domain"
)

// trackerDB builds a DB from a tracker JSON dump given inline.
func trackerDB(t *testing.T, name, data string) *Builder {
	t.Helper()
	b := NewBuilder()
	st, err := ParseDebianTracker(strings.NewReader(data), ParseOptions{Source: name}, b.Add)
	if err != nil {
		t.Fatal(err)
	}
	b.AddSource(SourceInfo{Name: name, Kind: KindDebianTracker, AsOf: date("2026-11-01"), Records: st.Records})
	return b
}

// A host's installed packages: fixes available kept apart from
// vulnerabilities with no fix to install.
func TestInstalledKeepsFixableApartFromUnfixed(t *testing.T) {
	db := trackerDB(t, "tracker", `{
 "curl":{
  "CVE-2026-2001":{"releases":{"bookworm":{"status":"resolved","fixed_version":"7.88.1-10+deb12u9","urgency":"high"}}},
  "CVE-2026-2002":{"releases":{"bookworm":{"status":"open","urgency":"low","nodsa":"Minor issue","nodsa_reason":""}}},
  "CVE-2026-2003":{"releases":{"bookworm":{"status":"open","urgency":"medium","nodsa":"Minor issue","nodsa_reason":"postponed"}}},
  "CVE-2026-2004":{"releases":{"bookworm":{"status":"resolved","fixed_version":"0","urgency":"unimportant"}}},
  "CVE-2026-2005":{"releases":{"bookworm":{"status":"resolved","fixed_version":"7.88.1-10+deb12u5","urgency":"medium"}}},
  "CVE-2026-2006":{"releases":{"bookworm":{"status":"undetermined"}}}
 },
 "zlib":{"CVE-2026-2007":{"releases":{"bookworm":{"status":"open","urgency":"low","nodsa":"contrib/minizip not built","nodsa_reason":"ignored"}}}}
}`).Build()
	rep := db.AssessInstalled(bookworm, []InstalledPackage{
		{Name: "libcurl4", SourceName: "curl", Version: "7.88.1-10+deb12u8"},
		{Name: "curl", Version: "7.88.1-10+deb12u8"},
		{Name: "zlib1g", SourceName: "zlib", Version: "1:1.2.13.dfsg-1", SourceVersion: "1:1.2.13.dfsg-1"},
		{Name: "bash", Version: "5.2.15-2+b7", SourceVersion: "5.2.15-2"},
	}, "")
	if got := findingIDs(rep, "fix_available"); !slices.Equal(got, []string{"CVE-2026-2001", "CVE-2026-2001"}) {
		t.Errorf("fix available %v, want CVE-2026-2001 for curl and libcurl4", got)
	}
	if got := findingIDs(rep, "no_fix"); len(got) != 7 {
		t.Errorf("no fix %v, want 2002, 2003, 2006 twice and 2007", got)
	}
	if rep.FixAvailable != 2 || rep.NoFix != 7 || len(rep.Packages) != 3 {
		t.Errorf("counts %d/%d packages %d", rep.FixAvailable, rep.NoFix, len(rep.Packages))
	}
	for _, p := range rep.Packages {
		for _, f := range p.NoFix {
			want := map[string]State{"CVE-2026-2002": StatusNoDSA, "CVE-2026-2003": StatusPostponed, "CVE-2026-2006": StatusUndetermined, "CVE-2026-2007": StatusNoDSA}[f.ID]
			if f.Status != want {
				t.Errorf("%s %s: status %s, want %s", p.Package, f.ID, f.Status, want)
			}
		}
	}
	if f := rep.Packages[0].FixAvailable[0]; f.Severity != domain.SeverityHigh || f.SeveritySource != "distro:tracker" || f.FixedVersion != "7.88.1-10+deb12u9" {
		t.Errorf("finding %+v", f)
	}
}

// Sources that disagree: the first in the sources file decides, and the
// finding says which; a release's own line beats an inherited one.
func TestPrecedenceOfDisagreeingSources(t *testing.T) {
	b := trackerDB(t, "debian-tracker", `{"xz-utils":{"CVE-2026-34743":{"releases":{"bookworm":{"status":"resolved","fixed_version":"5.4.1-1+deb12u1","urgency":"low"}}}}}`)
	st, err := ParseVulnListDebian("testdata/vuln-list-debian", ParseOptions{Source: "vuln-list"}, b.Add)
	if err != nil {
		t.Fatal(err)
	}
	b.AddSource(SourceInfo{Name: "vuln-list", Kind: KindVulnListDebian, AsOf: st.AsOf})
	db := b.Build()
	pkg := []InstalledPackage{{Name: "liblzma5", SourceName: "xz-utils", Version: "5.4.1-1+deb12u2"}}
	if rep := db.AssessInstalled(bookworm, pkg, ""); len(rep.Packages) != 0 {
		t.Errorf("tracker first: %+v, want no finding (debian-tracker says fixed in deb12u1)", rep.Packages)
	}
	a := db.AssessUpdate(bookworm, UpdateInput{Name: "liblzma5", SourceName: "xz-utils", Installed: "5.4.1-1", Candidate: "5.4.1-1+deb12u1"})
	if len(a.Fixes) != 1 || a.Fixes[0].DecidedBy != "debian-tracker" || a.Fixes[0].Severity != domain.SeverityLow {
		t.Errorf("fixes %+v, want CVE-2026-34743 decided by debian-tracker, rated low", a.Fixes)
	}

	// Reverse the order: vuln-list's wrong version now decides.
	b2 := NewBuilder()
	ParseVulnListDebian("testdata/vuln-list-debian", ParseOptions{Source: "vuln-list"}, b2.Add)
	b2.AddSource(SourceInfo{Name: "vuln-list"})
	ParseDebianTracker(strings.NewReader(`{"xz-utils":{"CVE-2026-34743":{"releases":{"bookworm":{"status":"resolved","fixed_version":"5.4.1-1+deb12u1"}}}}}`), ParseOptions{Source: "debian-tracker"}, b2.Add)
	b2.AddSource(SourceInfo{Name: "debian-tracker"})
	rep := b2.Build().AssessInstalled(bookworm, pkg, "")
	if got := findingIDs(rep, "fix_available"); !slices.Equal(got, []string{"CVE-2026-34743"}) || rep.Packages[0].FixAvailable[0].DecidedBy != "vuln-list" {
		t.Errorf("vuln-list first: %+v", rep.Packages)
	}
}

// Only the running kernel is exposed; a newer installed kernel that is
// not running makes its fixes "reboot pending", not fixed.
func TestKernelRebootPending(t *testing.T) {
	db := trackerDB(t, "tracker", `{"linux":{
 "CVE-2026-3001":{"releases":{"bookworm":{"status":"resolved","fixed_version":"6.1.115-1","urgency":"high"}}},
 "CVE-2026-3002":{"releases":{"bookworm":{"status":"resolved","fixed_version":"6.1.120-1","urgency":"medium"}}},
 "CVE-2026-3003":{"releases":{"bookworm":{"status":"open","urgency":"low"}}}
}}`).Build()
	pkgs := []InstalledPackage{
		{Name: "linux-image-6.1.0-26-amd64", SourceName: "linux", Version: "6.1.112-1"},
		{Name: "linux-image-6.1.0-27-amd64", SourceName: "linux", Version: "6.1.115-1"},
		{Name: "linux-image-amd64", SourceName: "linux-signed-amd64", Version: "6.1.115-1"},
	}
	rep := db.AssessInstalled(bookworm, pkgs, "6.1.0-26-amd64")
	k := rep.Kernel
	if !k.Found || k.RunningPackage != "linux-image-6.1.0-26-amd64" || k.NewestPackage != "linux-image-6.1.0-27-amd64" || !k.RebootPending {
		t.Fatalf("kernel %+v", k)
	}
	if len(rep.Packages) != 1 || rep.Packages[0].Package != "linux-image-6.1.0-26-amd64" {
		t.Fatalf("packages %+v, want only the running kernel", rep.Packages)
	}
	if got := findingIDs(rep, "reboot_pending"); !slices.Equal(got, []string{"CVE-2026-3001"}) {
		t.Errorf("reboot pending %v, want CVE-2026-3001 (fixed in the installed 6.1.115-1)", got)
	}
	if got := findingIDs(rep, "fix_available"); !slices.Equal(got, []string{"CVE-2026-3002"}) {
		t.Errorf("fix available %v, want CVE-2026-3002 (fixed only in 6.1.120-1)", got)
	}
	if got := findingIDs(rep, "no_fix"); !slices.Equal(got, []string{"CVE-2026-3003"}) {
		t.Errorf("no fix %v", got)
	}
	// Booted into the newest kernel: nothing pending, the old one is ignored.
	rep = db.AssessInstalled(bookworm, pkgs, "6.1.0-27-amd64")
	if rep.Kernel.RebootPending || rep.RebootPending != 0 || !slices.Equal(findingIDs(rep, "fix_available"), []string{"CVE-2026-3002"}) {
		t.Errorf("running the newest: %+v %+v", rep.Kernel, rep.Packages)
	}
}

func TestKernelsRPM(t *testing.T) {
	pkgs := []InstalledPackage{
		{Name: "kernel-core", Arch: "x86_64", Version: "5.14.0-427.13.1.el9_4"},
		{Name: "kernel-core", Arch: "x86_64", Version: "5.14.0-503.11.1.el9_5"},
	}
	k := Kernels(RPM, "5.14.0-427.13.1.el9_4.x86_64", pkgs)
	if !k.Found || k.RunningVersion != "5.14.0-427.13.1.el9_4" || k.NewestVersion != "5.14.0-503.11.1.el9_5" || !k.RebootPending {
		t.Errorf("el9: %+v", k)
	}
	k = Kernels(RPM, "5.14.21-150500.55.39-default", []InstalledPackage{{Name: "kernel-default", Version: "5.14.21-150500.55.39.1"}})
	if !k.Found || k.RebootPending {
		t.Errorf("suse: %+v", k)
	}
	if k := Kernels(RPM, "9.9.9", pkgs); k.Found {
		t.Errorf("unknown running kernel found: %+v", k)
	}
}

func TestRiskFormula(t *testing.T) {
	half := 0.5
	for _, c := range []struct {
		sev  Severity
		kev  bool
		epss *float64
		want int
	}{
		{domain.SeverityCritical, true, &half, 85}, {domain.SeverityLow, false, nil, 10}, {domain.SeverityUnknown, false, nil, 20},
		{domain.SeverityHigh, true, nil, 60}, {domain.SeverityCritical, true, func() *float64 { f := 1.0; return &f }(), 100},
	} {
		if got := Risk(c.sev, c.kev, c.epss); got != c.want {
			t.Errorf("Risk(%s, %v, %v) = %d, want %d", c.sev, c.kev, c.epss, got, c.want)
		}
	}
}

func TestReleaseFromOSRelease(t *testing.T) {
	for text, want := range map[string]string{
		"ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n": "debian:bookworm",
		"ID=debian\nVERSION_ID=\"12\"\n":                            "debian:bookworm",
		"ID=almalinux\nVERSION_ID=\"9.4\"\n":                        "almalinux:9",
		"ID=\"sles\"\nVERSION_ID=\"15.5\"\n":                        "suse:15.5",
		"ID=\"patchflow-el\"\nVERSION_ID=\"9\"\n":                   "patchflow-el:9",
	} {
		r, err := ReleaseFromOSRelease(text)
		if err != nil || r.String() != want {
			t.Errorf("%q: %v %v, want %s", text, r, err, want)
		}
	}
	for text, want := range map[string]string{
		"NAME=x\n":                                            "os-release has no ID",
		"ID=\"deb\x1b[2Jian\"\nVERSION_ID=12\n":               `os-release ID "deb\x1b[2Jian" is not lowercase letters`,
		"ID=ubuntu\nVERSION_ID=\"22.04 LTS\"\n":               `os-release VERSION_ID "22.04 LTS" is not letters`,
		"ID=debian\nVERSION_CODENAME=\"book worm\"\n":         `os-release: Debian VERSION_CODENAME "book worm" is not a release codename`,
		"ID=almalinux\nVERSION_ID=" + strings.Repeat("9", 65): "os-release VERSION_ID",
	} {
		if _, err := ReleaseFromOSRelease(text); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", text, err, want)
		}
	}
}

// The memo answers a repeated (package, version) with the same findings,
// and a caller changing its result does not change the next one.
func TestInstalledMemoIsTransparent(t *testing.T) {
	db := testDB(t)
	pkgs := []InstalledPackage{{Name: "libpcre2-8-0", SourceName: "pcre2", Version: "10.42-1"}}
	first := db.AssessInstalled(bookworm, pkgs, "")
	if first.FixAvailable != 1 || first.NoFix != 1 {
		t.Fatalf("pcre2 10.42-1: %+v", first.Packages)
	}
	first.Packages[0].FixAvailable[0].ID = "changed by the caller"
	db.noMemo = true
	fresh := db.AssessInstalled(bookworm, pkgs, "")
	db.noMemo = false
	again := db.AssessInstalled(bookworm, pkgs, "")
	if again.Packages[0].FixAvailable[0].ID != "CVE-2026-86145" || fresh.Packages[0].FixAvailable[0].ID != "CVE-2026-86145" {
		t.Errorf("memo %+v fresh %+v", again.Packages[0].FixAvailable, fresh.Packages[0].FixAvailable)
	}
}
