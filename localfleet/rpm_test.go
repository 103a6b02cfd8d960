package localfleet

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// requireRPMBuild skips (or fails under CI=true) without rpmbuild and
// createrepo_c; building packages does not need root.
func requireRPMBuild(t *testing.T) {
	t.Helper()
	if err := checkRPMTools(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

func TestRPMRepoCarriesPackagesAndAdvisories(t *testing.T) {
	requireRPMBuild(t)
	dir := t.TempDir()
	rpms, repo := filepath.Join(dir, "rpms"), filepath.Join(dir, "repo")
	if err := buildRPMs(t.Context(), rpms); err != nil {
		t.Fatal(err)
	}
	if err := buildRPMRepo(t.Context(), rpms, repo); err != nil {
		t.Fatal(err)
	}
	// Each demo package says what it is, and the bad one's %post fails.
	for _, p := range rpmPackages {
		out, err := exec.Command("rpm", "-qp", "--qf", "%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH}\n",
			filepath.Join(repo, p.file())).Output()
		if err != nil {
			t.Fatalf("rpm -qp %s: %v", p.file(), err)
		}
		if want := p.name + " 0:" + p.version + "-" + p.release + " noarch\n"; string(out) != want {
			t.Errorf("rpm -qp %s = %q, want %q", p.file(), out, want)
		}
	}
	post, err := exec.Command("rpm", "-qp", "--scripts", filepath.Join(repo, "demo-app-1.0.2-1.noarch.rpm")).Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(post), "exit 1") || !strings.Contains(string(post), "demo-app 1.0.2: %post failed on purpose") {
		t.Errorf("demo-app 1.0.2 %%post does not fail on purpose:\n%s", post)
	}
	release, err := exec.Command("rpm", "-qp", "--provides", filepath.Join(rpms, "patchflow-release-9-1.noarch.rpm")).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"/bin/sh", "system-release(releasever) = 9"} {
		if !strings.Contains(string(release), want) {
			t.Errorf("patchflow-release does not provide %q:\n%s", want, release)
		}
	}
	repomd, err := os.ReadFile(filepath.Join(repo, "repodata", "repomd.xml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<data type="primary">`, `<data type="updateinfo">`} {
		if !strings.Contains(string(repomd), want) {
			t.Errorf("repomd.xml lacks %s", want)
		}
	}
}

// startBesideApt starts cfg, a fleet of one apt host and one host of kind
// (the rpm-family repository shares the fleet's repository server with
// the apt one), and returns it with that host's name, which the fleet's
// inventory lists in the group named for its kind.
func startBesideApt(t *testing.T, cfg Config, kind string) (*Fleet, string) {
	t.Helper()
	start := time.Now()
	f := Start(t, cfg)
	t.Logf("fleet with one apt and one %s host up in %s", kind, time.Since(start).Round(time.Millisecond))
	if len(f.Hosts) != 2 || f.Hosts[0].Kind != "apt" || f.Hosts[1].Kind != kind {
		t.Fatalf("hosts = %+v, want one apt host and one %s host", f.Hosts, kind)
	}
	h := f.Hosts[1].Name
	inv, err := os.ReadFile(f.InventoryPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(inv), "  "+kind+":\n    hosts: ["+h+"]") {
		t.Errorf("inventory %s lacks the %s host %s in group %s:\n%s", f.InventoryPath, kind, h, kind, inv)
	}
	return f, h
}

func TestDNFHostSeesSecurityAdvisoryAndUpgradesMinimal(t *testing.T) {
	RequireRPM(t)
	f, h := startBesideApt(t, Config{Name: "tfr", Subnet: 55, Hosts: 1, RPMHosts: 1}, "dnf")
	ctx := t.Context()
	osr, err := f.Exec(ctx, h, "cat", "/etc/os-release")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(osr), `ID_LIKE="rhel fedora"`) {
		t.Errorf("os-release of %s does not look RHEL-like:\n%s", h, osr)
	}
	q := func(args ...string) string {
		t.Helper()
		out, err := f.Exec(ctx, h, args...)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	if _, err := f.Exec(ctx, f.Hosts[0].Name, "apt-get", "update", "-q"); err != nil {
		t.Errorf("the apt host of a mixed fleet cannot read its repository: %v", err)
	}
	if got := q("rpm", "-q", "--qf", "%{EPOCHNUM}:%{VERSION}-%{RELEASE}", "demo-app"); got != "0:1.0.0-1" {
		t.Errorf("preinstalled demo-app = %q, want 0:1.0.0-1", got)
	}
	t0 := time.Now()
	q("dnf", "-q", "makecache")
	t.Logf("dnf makecache over http: %s", time.Since(t0).Round(time.Millisecond))
	sec := q("dnf", "-q", "updateinfo", "list", "--security")
	if !strings.Contains(sec, RPMSecurityAdvisory) || !strings.Contains(sec, "Important/Sec.") || !strings.Contains(sec, "demo-app-1.0.1-1.noarch") {
		t.Errorf("dnf updateinfo list --security on %s:\n%s\nwant %s Important/Sec. demo-app-1.0.1-1.noarch", h, sec, RPMSecurityAdvisory)
	}
	t0 = time.Now()
	q("dnf", "-y", "-q", "upgrade-minimal", "--security")
	t.Logf("dnf upgrade-minimal --security: %s", time.Since(t0).Round(time.Millisecond))
	if got := q("rpm", "-q", "--qf", "%{VERSION}-%{RELEASE}", "demo-app"); got != "1.0.1-1" {
		t.Errorf("after upgrade-minimal --security demo-app = %q, want 1.0.1-1 (the security fix, not the newest)", got)
	}
	if got := q("rpm", "-q", "--qf", "%{VERSION}-%{RELEASE}", "demo-lib"); got != "1.0-1" {
		t.Errorf("after upgrade-minimal --security demo-lib = %q, want 1.0-1 (a bug fix only)", got)
	}
	ops, err := f.PackageOpTimes(h)
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 1 || !ops[0].Start.After(t0) || !ops[0].End.After(ops[0].Start) {
		t.Errorf("PackageOpTimes(%s) = %+v, want the one rpm transaction of upgrade-minimal, started after %s", h, ops, t0)
	}
}

func TestPruneRPMBasesKeepsThoseInUse(t *testing.T) {
	old := CacheDir
	CacheDir = t.TempDir()
	t.Cleanup(func() { CacheDir = old })
	for _, n := range []string{"rpmbase-new", "rpmbase-unused", "rpmbase-inuse"} {
		if err := os.MkdirAll(filepath.Join(CacheDir, n, "rootfs"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	lock, err := lockFile(t.Context(), filepath.Join(CacheDir, "rpmbase-inuse.lock"), syscall.LOCK_SH)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	dnfFlavour.prune(filepath.Join(CacheDir, "rpmbase-new"), t.Logf)
	for n, want := range map[string]bool{"rpmbase-new": true, "rpmbase-unused": false, "rpmbase-inuse": true} {
		_, err := os.Stat(filepath.Join(CacheDir, n))
		if got := err == nil; got != want {
			t.Errorf("after pruning, %s exists = %v, want %v", n, got, want)
		}
	}
}

func TestRPMBaseBuildFailureIsReturned(t *testing.T) {
	requireRPMBuild(t)
	old := CacheDir
	CacheDir = t.TempDir()
	t.Cleanup(func() { CacheDir = old })
	deb := &base{dir: filepath.Join(CacheDir, "base-missing"), rootfs: filepath.Join(CacheDir, "base-missing", "rootfs")}
	_, err := dnfFlavour.ensure(t.Context(), deb, t.Logf)
	if err == nil || !strings.Contains(err.Error(), "copy the Debian base for the rpm base") {
		t.Fatalf("dnfFlavour.ensure from a missing Debian base = %v, want the copy error", err)
	}
	if _, err := os.Stat(filepath.Join(CacheDir, "rpmbase-"+dnfFlavour.hash(deb.dir), "manifest.json")); err == nil {
		t.Error("a failed build left a manifest behind, so it would look complete")
	}
}
