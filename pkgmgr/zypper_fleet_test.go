package pkgmgr_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchflow/patchflow/inventory"
	"github.com/patchflow/patchflow/localfleet"
	"github.com/patchflow/patchflow/pkgmgr"
	"github.com/patchflow/patchflow/transport"
)

// Versions in the zypper hosts' repository (localfleet/zypper_pkgs.go).
const (
	zyApp0, zyApp1, zyApp2 = "1.0.0-150500.1.1", "1.0.1-150500.3.1", "1.0.2-150500.5.1"
	zyLib0, zyLib1         = "1.0-150500.1.1", "1.1-150500.3.1"
	zyV0, zyV1             = "1.0-150500.1.1", "1.1-150500.3.1" // demo-kernel, demo-stack, demo-tool
)

// zypperHost starts a fleet with one zypper host and returns it with a
// function that connects to it over ssh, as root with the fleet's key and
// known_hosts (or as localfleet.DeployUser, through sudo). zypper waits
// 3 s for a held zypp lock in these tests.
func zypperHost(t testing.TB) (*localfleet.Fleet, string, func(user string) transport.Conn) {
	t.Helper()
	localfleet.RequireZypper(t)
	old := pkgmgr.ZypperLockWait
	pkgmgr.ZypperLockWait = 3 * time.Second
	t.Cleanup(func() { pkgmgr.ZypperLockWait = old })
	f := localfleet.Start(t, localfleet.Config{Name: "zy", Subnet: 60, ZypperHosts: 1, Logf: t.Logf})
	fh := f.Hosts[0]
	if fh.Kind != "zypper" {
		t.Fatalf("fleet host %+v, want a zypper host", fh)
	}
	d := transport.NewSSHDialer(transport.WithSSHConfigFile(""), transport.WithAgentSocket(""))
	return f, fh.Name, func(user string) transport.Conn {
		t.Helper()
		ih := inventory.Host{Name: fh.Name, Address: fh.Addr, Port: 22, User: user, Become: user != "root", Transport: "ssh",
			SSH: inventory.SSHOptions{IdentityFile: f.KeyPath, KnownHostsFile: f.KnownHostsPath, ConnectTimeout: 5 * time.Second}}
		c, err := d.Dial(context.Background(), ih)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
}

func findZypperUpdate(t *testing.T, ups []pkgmgr.Update, name, candidate string) pkgmgr.Update {
	t.Helper()
	u, ok := findUpdate(ups, name, candidate)
	if !ok {
		t.Errorf("Pending lacks %s %s", name, candidate)
	}
	return u
}

func TestZypperOnFleet(t *testing.T) {
	f, host, dial := zypperHost(t)
	ctx := context.Background()
	c := dial("root")

	var m pkgmgr.Manager
	if err := timed(t, "Detect", func() (err error) { m, err = pkgmgr.Detect(ctx, c, false); return }); err != nil {
		t.Fatal(err)
	}
	if m.Kind() != "zypper" {
		t.Fatalf("Detect on %s chose %q, want zypper (os-release says SUSE, apt-get is also present)", host, m.Kind())
	}
	installed := func(name string) string {
		t.Helper()
		got, err := m.Installed(ctx, []string{name})
		if err != nil {
			t.Fatal(err)
		}
		return got[name]
	}

	t.Run("health on a clean host", func(t *testing.T) {
		if err := timed(t, "Health", func() error { return m.Health(ctx) }); err != nil {
			t.Fatalf("Health on a freshly booted zypper host: %v", err)
		}
	})

	t.Run("refresh and scan", func(t *testing.T) {
		if err := timed(t, "Refresh (zypper refresh)", func() error { return m.Refresh(ctx) }); err != nil {
			t.Fatal(err)
		}
		capture(t, c, "refresh", "refresh")
		capture(t, c, "list-updates", "list-updates")
		capture(t, c, "list-patches", "list-patches")
		capture(t, c, "patch-check", "patch-check")
		capture(t, c, "repos", "repos")
		capture(t, c, "search", "search", "--details", "--match-exact", "--type", "package", "--", "demo-app", "no-such-package")
		capture(t, c, "verify-clean", "--no-refresh", "verify", "--dry-run", "--no-recommends")
		captureRaw(t, f, host)
		var ups []pkgmgr.Update
		if err := timed(t, "Pending", func() (err error) { ups, err = m.Pending(ctx); return }); err != nil {
			t.Fatal(err)
		}
		t.Logf("pending on %s: %d updates", host, len(ups))
		if len(ups) < localfleet.ZypperEstatePackages {
			t.Errorf("Pending lists %d updates, want the estate's %d and the demo packages'", len(ups), localfleet.ZypperEstatePackages)
		}
		sec := findZypperUpdate(t, ups, "demo-app", zyApp1)
		if sec.Class != pkgmgr.Security || sec.Severity != pkgmgr.High || sec.Installed != zyApp0 || sec.Source != "patchflow" ||
			strings.Join(sec.Advisories, ",") != localfleet.ZypperSecurityCVE+","+localfleet.ZypperSecurityPatch {
			t.Errorf("demo-app %s = %+v, want security, high (SUSE important), installed %s, source patchflow, advisories [%s %s]",
				zyApp1, sec, zyApp0, localfleet.ZypperSecurityCVE, localfleet.ZypperSecurityPatch)
		}
		for _, want := range []struct {
			name, version string
			class         pkgmgr.Class
			why           string
		}{
			{"demo-app", zyApp2, pkgmgr.Bugfix, "an optional patch"},
			{"demo-lib", zyLib1, pkgmgr.Bugfix, "a recommended patch (severity moderate, not a security rating)"},
			{"demo-stack", zyV1, pkgmgr.Bugfix, "a recommended package stack patch, blocked list included"},
			{"demo-tool", zyV1, pkgmgr.Feature, "a feature patch"},
		} {
			if u := findZypperUpdate(t, ups, want.name, want.version); u.Class != want.class || u.Severity != pkgmgr.SeverityUnknown {
				t.Errorf("%s %s = %+v, want %s with unknown severity: %s", want.name, want.version, u, want.class, want.why)
			}
		}
		if u := findZypperUpdate(t, ups, "demo-kernel", zyV1); u.Interactive != localfleet.ZypperInteractivePatch {
			t.Errorf("Pending offers %+v from an interactive patch (reboot suggested) unmarked; zypper patch skips those unless asked, want it marked %s", u, localfleet.ZypperInteractivePatch)
		}
		// Estate packages: a critical security patch, and two pending
		// versions of a package from patches of different categories.
		if u := findZypperUpdate(t, ups, "estate-01", "2.1-150500.3.1"); u.Class != pkgmgr.Security || u.Severity != pkgmgr.Critical || u.Arch != "x86_64" {
			t.Errorf("estate-01 2.1 = %+v, want security, critical, x86_64", u)
		}
		if u := findZypperUpdate(t, ups, "estate-04", "2.1-150500.3.1"); u.Class != pkgmgr.Bugfix {
			t.Errorf("estate-04 2.1 = %+v, want the recommended patch's bugfix", u)
		}
		if u := findZypperUpdate(t, ups, "estate-04", "2.2-150500.5.1"); u.Class != pkgmgr.Security || u.Severity != pkgmgr.High {
			t.Errorf("estate-04 2.2 = %+v, want security, high", u)
		}

		for _, listed := range []string{localfleet.ZypperInteractivePatch, "demo-kernel"} {
			ups, err := pkgmgr.NewZypper(c, false).WithInteractive(listed).Pending(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if u := findZypperUpdate(t, ups, "demo-kernel", zyV1); u.Class != pkgmgr.Security || u.Severity != pkgmgr.Critical || u.Interactive != "" {
				t.Errorf("with %s included, demo-kernel %s = %+v, want security, critical, unmarked", listed, zyV1, u)
			}
		}
	})

	t.Run("a version that does not exist", func(t *testing.T) {
		err := m.Available(ctx, []pkgmgr.Pin{{Name: "demo-app", Version: "9.9.9-1"}})
		if pkgmgr.KindOf(err) != pkgmgr.NotFound || !strings.Contains(err.Error(), zyApp2+", "+zyApp1+", "+zyApp0) {
			t.Errorf("Available(demo-app 9.9.9-1) = %v, want not-found listing what the repository offers", err)
		}
		capture(t, c, "install-not-found", "install", "--oldpackage", "--name", "--", "demo-lib="+zyLib1, "demo-app=9.9.9-1")
		err = m.Install(ctx, []pkgmgr.Pin{{Name: "demo-lib", Version: zyLib1}, {Name: "demo-app", Version: "9.9.9-1"}})
		if pkgmgr.KindOf(err) != pkgmgr.NotFound || !strings.Contains(err.Error(), host) {
			t.Errorf("Install(demo-app 9.9.9-1) = %v, want not-found naming %s", err, host)
		} else {
			t.Logf("not found: %v", err)
		}
		if got := installed("demo-lib"); got != zyLib0 {
			t.Errorf("after the failed install demo-lib is %q, want %s untouched (one transaction)", got, zyLib0)
		}
		err = m.Install(ctx, []pkgmgr.Pin{{Name: "demo-app;reboot", Version: "1"}})
		if pkgmgr.KindOf(err) != pkgmgr.InvalidInput {
			t.Errorf("Install of a name with shell metacharacters = %v, want invalid-input", err)
		}
	})

	t.Run("install pinned, verified", func(t *testing.T) {
		pins := []pkgmgr.Pin{{Name: "demo-app", Version: zyApp1}, {Name: "demo-lib", Version: zyLib1}}
		if err := timed(t, "Available", func() error { return m.Available(ctx, pins) }); err != nil {
			t.Fatal(err)
		}
		if err := timed(t, "Download", func() error { return m.Download(ctx, pins) }); err != nil {
			t.Fatal(err)
		}
		if err := timed(t, "Install (upgrade 2 packages)", func() error { return m.Install(ctx, pins) }); err != nil {
			t.Fatal(err)
		}
		if got := installed("demo-app"); got != zyApp1 {
			t.Errorf("demo-app = %q after Install, want %s", got, zyApp1)
		}
		out, err := f.Exec(ctx, host, "cat", "/var/lib/demo-app/version")
		if err != nil || strings.TrimSpace(string(out)) != "1.0.1" {
			t.Errorf("demo-app's %%post did not run: %q %v", out, err)
		}
	})

	t.Run("reboot-required after a core package update", func(t *testing.T) {
		capture(t, c, "needs-rebooting", "needs-rebooting")
		var need bool
		if err := timed(t, "RebootRequired", func() (err error) { need, err = m.RebootRequired(ctx); return }); err != nil {
			t.Fatal(err)
		}
		if !need {
			t.Errorf("RebootRequired = false after demo-lib (listed in /etc/zypp/needreboot.d) was updated")
		}
	})

	t.Run("a reboot clears reboot-required", func(t *testing.T) {
		boots, err := f.BootCount(host)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := c.Run(ctx, transport.Command{Args: []string{"reboot"}}); err != nil || res.ExitCode != 0 {
			t.Fatalf("reboot on %s: exit %d, %v", host, res.ExitCode, err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for n := boots; n <= boots; n, _ = f.BootCount(host) {
			if time.Now().After(deadline) {
				t.Fatalf("%s did not boot again within 30s (boot count %d)", host, n)
			}
			time.Sleep(50 * time.Millisecond) // polling the boot count, with a deadline
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := f.WaitUp(wctx, host); err != nil {
			t.Fatal(err)
		}
		c = dial("root")
		if m, err = pkgmgr.Detect(ctx, c, false); err != nil {
			t.Fatal(err)
		}
		need, err := m.RebootRequired(ctx)
		if err != nil || need {
			t.Errorf("RebootRequired after the reboot = %v, %v; want false", need, err)
		}
	})

	t.Run("the package stack goes first", func(t *testing.T) {
		before, err := f.PackageOpTimes(host)
		if err != nil {
			t.Fatal(err)
		}
		var notes []string
		var mu sync.Mutex
		pctx := pkgmgr.WithProgress(ctx, func(n string) { mu.Lock(); notes = append(notes, n); mu.Unlock() })
		pins := []pkgmgr.Pin{{Name: "demo-tool", Version: zyV1}, {Name: "demo-stack", Version: zyV1}}
		if err := timed(t, "Install (stack, then the rest)", func() error { return m.Install(pctx, pins) }); err != nil {
			t.Fatal(err)
		}
		if got, got2 := installed("demo-stack"), installed("demo-tool"); got != zyV1 || got2 != zyV1 {
			t.Errorf("demo-stack %q, demo-tool %q after Install, want both %s", got, got2, zyV1)
		}
		mu.Lock()
		joined := strings.Join(notes, "\n")
		mu.Unlock()
		if !strings.Contains(joined, "package stack updated (zypper exited 103); installing the rest in a new zypper run") {
			t.Errorf("progress notes %q do not show zypper's exit 103 after the stack patch", joined)
		}
		after, err := f.PackageOpTimes(host)
		if err != nil {
			t.Fatal(err)
		}
		if len(after)-len(before) != 2 {
			t.Errorf("%d rpm transactions, want 2: the package stack, then the rest", len(after)-len(before))
		}
		times, err := f.Exec(ctx, host, "rpm", "-q", "--qf", "%{NAME} %{INSTALLTID}\n", "demo-stack", "demo-tool")
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("install transactions: %s", strings.TrimSpace(string(times)))
		lines := strings.Fields(string(times))
		if len(lines) != 4 || lines[1] > lines[3] {
			t.Errorf("rpm transactions %q: demo-stack must be installed before demo-tool", times)
		}
	})

	t.Run("failing %post caught (exit 107)", func(t *testing.T) {
		pins := []pkgmgr.Pin{{Name: "demo-app", Version: zyApp2}}
		err := timed(t, "Install (bad %post)", func() error { return m.Install(ctx, pins) })
		if pkgmgr.KindOf(err) != pkgmgr.ScriptFailed {
			t.Fatalf("Install(demo-app %s) = %v, want script-failed", zyApp2, err)
		}
		for _, want := range []string{host, "%post(demo-app-" + zyApp2 + ".noarch) scriptlet failed, exit status 1", "zypper exited 107", "demo-app is " + zyApp2} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
		capture(t, c, "install-downgrade", "install", "--oldpackage", "--name", "--", "demo-app="+zyApp0)
		capture(t, c, "install-post-fails", "install", "--oldpackage", "--name", "--", "demo-app="+zyApp2)
	})

	t.Run("downgrade back", func(t *testing.T) {
		pins := []pkgmgr.Pin{{Name: "demo-app", Version: zyApp0}, {Name: "demo-lib", Version: zyLib0},
			{Name: "demo-stack", Version: zyV0}, {Name: "demo-tool", Version: zyV0}}
		if err := timed(t, "Install (downgrade 4 packages)", func() error { return m.Install(ctx, pins) }); err != nil {
			t.Fatal(err)
		}
		got, err := m.Installed(ctx, []string{"demo-app", "demo-lib", "demo-stack", "demo-tool", "not-installed-here"})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"demo-app": zyApp0, "demo-lib": zyLib0, "demo-stack": zyV0, "demo-tool": zyV0, "not-installed-here": ""}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("after the downgrade Installed = %v, want %v", got, want)
		}
		if err := m.Health(ctx); err != nil {
			t.Errorf("Health after the downgrade: %v", err)
		}
		// What the driver's package stack step runs, and zypper's 103.
		capture(t, c, "install-stack-patch", "install", "--oldpackage", "--name", "--", "demo-stack="+zyV1, "patch:"+localfleet.ZypperStackPatch)
		capture(t, c, "install-downgrade-stack", "install", "--oldpackage", "--name", "--", "demo-stack="+zyV0)
	})

	t.Run("an absent pin removes, a versioned one brings back", func(t *testing.T) {
		if err := m.Install(ctx, []pkgmgr.Pin{{Name: "demo-tool"}}); err != nil {
			t.Fatal(err)
		}
		if got := installed("demo-tool"); got != "" {
			t.Errorf("demo-tool = %q after an absent pin, want not installed", got)
		}
		if err := m.Install(ctx, []pkgmgr.Pin{{Name: "demo-tool", Version: zyV0}}); err != nil {
			t.Fatal(err)
		}
		if got := installed("demo-tool"); got != zyV0 {
			t.Errorf("demo-tool = %q after reinstalling, want %s", got, zyV0)
		}
		// demo-plugin needs demo-lib: removing demo-lib would take it along.
		capture(t, c, "remove-dry-run", "remove", "--dry-run", "--name", "--", "demo-lib")
		err := m.Install(ctx, []pkgmgr.Pin{{Name: "demo-lib"}})
		if err == nil || !strings.Contains(err.Error(), "removing demo-lib would also change demo-plugin") {
			t.Errorf("Install(demo-lib absent) = %v, want a refusal naming demo-plugin", err)
		}
		if got := installed("demo-lib"); got != zyLib0 {
			t.Errorf("demo-lib = %q after the refused removal, want %s", got, zyLib0)
		}
	})

	t.Run("a broken dependency", func(t *testing.T) {
		if _, err := f.Exec(ctx, host, "rpm", "-e", "--nodeps", "demo-lib"); err != nil {
			t.Fatal(err)
		}
		capture(t, c, "verify-broken", "--no-refresh", "verify", "--dry-run", "--no-recommends")
		err := m.Health(ctx)
		if pkgmgr.KindOf(err) != pkgmgr.Broken || !strings.Contains(err.Error(), "demo-plugin") {
			t.Errorf("Health with demo-plugin's demo-lib gone = %v, want broken naming demo-plugin", err)
		} else {
			t.Logf("broken: %v", err)
		}
		if err := m.Install(ctx, []pkgmgr.Pin{{Name: "demo-lib", Version: zyLib0}}); err != nil {
			t.Fatal(err)
		}
		if err := m.Health(ctx); err != nil {
			t.Errorf("Health after demo-lib came back: %v", err)
		}
	})

	t.Run("as a deploy user through sudo", func(t *testing.T) {
		dm, err := pkgmgr.Detect(ctx, dial(localfleet.DeployUser), true)
		if err != nil {
			t.Fatal(err)
		}
		pins := []pkgmgr.Pin{{Name: "demo-app", Version: zyApp1}}
		if err := dm.Install(ctx, pins); err != nil {
			t.Fatalf("Install as %s with sudo: %v", localfleet.DeployUser, err)
		}
		if got := installed("demo-app"); got != zyApp1 {
			t.Errorf("demo-app = %q after Install through sudo, want %s", got, zyApp1)
		}
		if err := dm.Health(ctx); err != nil {
			t.Errorf("Health as %s: %v", localfleet.DeployUser, err)
		}
		if _, err := dm.RebootRequired(ctx); err != nil {
			t.Errorf("RebootRequired as %s: %v", localfleet.DeployUser, err)
		}
		ups, err := dm.Pending(ctx)
		if err != nil {
			t.Fatalf("Pending as %s: %v", localfleet.DeployUser, err)
		}
		if _, ok := findUpdate(ups, "demo-app", zyApp2); !ok {
			t.Errorf("Pending as %s lacks demo-app %s: %+v", localfleet.DeployUser, zyApp2, ups)
		}
	})

	t.Run("a package lock", func(t *testing.T) {
		if _, err := f.Exec(ctx, host, "zypper", "--non-interactive", "addlock", "demo-tool"); err != nil {
			t.Fatal(err)
		}
		defer f.Exec(ctx, host, "zypper", "--non-interactive", "removelock", "demo-tool")
		capture(t, c, "install-package-locked", "install", "--oldpackage", "--name", "--", "demo-tool="+zyV1)
		err := m.Install(ctx, []pkgmgr.Pin{{Name: "demo-tool", Version: zyV1}})
		if err == nil || !strings.Contains(err.Error(), "a package lock holds demo-tool (zypper locks): remove it with zypper removelock demo-tool") {
			t.Errorf("Install of a locked package = %v, want an error naming the lock", err)
		} else {
			t.Logf("package lock: %v", err)
		}
		if got := installed("demo-tool"); got != zyV0 {
			t.Errorf("demo-tool = %q after the refused install, want %s", got, zyV0)
		}
	})

	t.Run("failing %post of a marked host", func(t *testing.T) {
		if err := f.MarkBad(host); err != nil {
			t.Fatal(err)
		}
		defer f.Exec(ctx, host, "rm", "-f", localfleet.DemoFailFile)
		err := m.Install(ctx, []pkgmgr.Pin{{Name: "demo-lib", Version: zyLib1}})
		if pkgmgr.KindOf(err) != pkgmgr.ScriptFailed || !strings.Contains(err.Error(), "demo-lib is "+zyLib1) {
			t.Errorf("Install(demo-lib %s) on a marked host = %v, want script-failed, demo-lib installed", zyLib1, err)
		}
	})
}
