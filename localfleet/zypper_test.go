package localfleet

import (
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestZypperRepoCarriesPackagesAndPatches(t *testing.T) {
	requireRPMBuild(t)
	dir := t.TempDir()
	rpms, repo := filepath.Join(dir, "rpms"), filepath.Join(dir, "repo")
	start := time.Now()
	if err := buildZypperRPMs(t.Context(), rpms); err != nil {
		t.Fatal(err)
	}
	if err := buildZypperRepo(t.Context(), rpms, repo); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d packages and the repository built in %s", len(zypperRepoPackages()), time.Since(start).Round(time.Millisecond))
	for _, p := range zypperRepoPackages() {
		out, err := exec.Command("rpm", "-qp", "--qf", "%{NAME} %{VERSION}-%{RELEASE} %{ARCH}\n", filepath.Join(repo, p.file())).Output()
		if err != nil {
			t.Fatalf("rpm -qp %s: %v", p.file(), err)
		}
		if want := p.name + " " + p.evr() + " " + p.arch + "\n"; string(out) != want {
			t.Errorf("rpm -qp %s = %q, want %q", p.file(), out, want)
		}
	}
	post, err := exec.Command("rpm", "-qp", "--scripts", filepath.Join(repo, "demo-app-1.0.2-"+zyRel5+".noarch.rpm")).Output()
	if err != nil || !strings.Contains(string(post), "exit 1") {
		t.Errorf("demo-app 1.0.2 %%post does not fail on purpose (%v):\n%s", err, post)
	}
	repomd, err := os.ReadFile(filepath.Join(repo, "repodata", "repomd.xml"))
	if err != nil || !strings.Contains(string(repomd), `<data type="updateinfo">`) {
		t.Fatalf("repomd.xml lacks updateinfo (%v):\n%s", err, repomd)
	}
	// The updateinfo is well-formed and carries each kind of patch the
	// driver must tell apart.
	var ui struct {
		Updates []struct {
			Type     string `xml:"type,attr"`
			ID       string `xml:"id"`
			Severity string `xml:"severity"`
			Pkgs     []struct {
				Reboot  string `xml:"reboot_suggested"`
				Restart string `xml:"restart_suggested"`
			} `xml:"pkglist>collection>package"`
		} `xml:"update"`
	}
	if err := xml.Unmarshal([]byte(zypperUpdateinfoXML()), &ui); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, u := range ui.Updates {
		seen[u.Type] = true
		seen[u.Type+"/"+u.Severity] = true
		for _, p := range u.Pkgs {
			seen["reboot:"+p.Reboot] = true
			seen["restart:"+p.Restart] = true
		}
	}
	for _, want := range []string{"security/critical", "security/important", "security/moderate", "security/low", "recommended", "optional", "feature", "reboot:True", "restart:True"} {
		if !seen[want] {
			t.Errorf("updateinfo lacks a %s patch", want)
		}
	}
	if n := len(ui.Updates); n < 30 {
		t.Errorf("updateinfo has %d patches, want an estate's worth (30 or more)", n)
	}
}

func TestZypperHostRunsRealZypper(t *testing.T) {
	RequireZypper(t)
	f, h := startBesideApt(t, Config{Name: "zyt", Subnet: 61, Hosts: 1, ZypperHosts: 1}, "zypper")
	ctx := t.Context()
	q := func(args ...string) string {
		t.Helper()
		out, err := f.Exec(ctx, h, args...)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	if osr := q("cat", "/etc/os-release"); !strings.Contains(osr, `ID_LIKE="sles suse"`) {
		t.Errorf("os-release of %s does not look like SUSE:\n%s", h, osr)
	}
	if got := q("rpm", "-q", "--qf", "%{VERSION}-%{RELEASE}", "demo-app"); got != "1.0.0-"+zyRel1 {
		t.Errorf("preinstalled demo-app = %q, want 1.0.0-%s", got, zyRel1)
	}
	t0 := time.Now()
	q("zypper", "--non-interactive", "refresh")
	t.Logf("zypper refresh over http: %s", time.Since(t0).Round(time.Millisecond))
	lp := q("zypper", "--non-interactive", "--xmlout", "list-patches")
	for _, want := range []string{ZypperSecurityPatch, `severity="important"`, ZypperStackPatch, `pkgmanager="true"`, ZypperInteractivePatch, `interactive="true"`, "<blocked-update-list>"} {
		if !strings.Contains(lp, want) {
			t.Errorf("zypper list-patches on %s lacks %s:\n%s", h, want, lp)
		}
	}
	t0 = time.Now()
	q("zypper", "--non-interactive", "install", "demo-tool=1.1-"+zyRel3)
	t.Logf("zypper install of one package: %s", time.Since(t0).Round(time.Millisecond))
	ops, err := f.PackageOpTimes(h)
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 1 || !ops[0].Start.After(t0) || !ops[0].End.After(ops[0].Start) {
		t.Errorf("PackageOpTimes(%s) = %+v, want the one rpm transaction of the install (libzypp commit plugin), started after %s", h, ops, t0)
	}
	if _, err := f.Exec(ctx, f.Hosts[0].Name, "apt-get", "update", "-q"); err != nil {
		t.Errorf("the apt host of a mixed fleet cannot read its repository: %v", err)
	}
}

func TestZypperFaultsRefuseOtherKinds(t *testing.T) {
	f := &Fleet{Name: "zyx", hosts: map[string]*host{"zyx-h1": {Host: Host{Name: "zyx-h1", Kind: "apt"}}}}
	if _, err := f.HoldZyppLock("zyx-h1"); err == nil || !strings.Contains(err.Error(), "it is an apt host") {
		t.Errorf("HoldZyppLock on an apt host = %v, want a refusal naming the kind", err)
	}
	if _, err := f.FillZypperDownloads("zyx-h1"); err == nil || !strings.Contains(err.Error(), "it is an apt host") {
		t.Errorf("FillZypperDownloads on an apt host = %v, want a refusal naming the kind", err)
	}
}
