package pkgmgr_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/inventory"
	"github.com/patchflow/patchflow/localfleet"
	"github.com/patchflow/patchflow/pkgmgr"
	"github.com/patchflow/patchflow/transport"
)

// dnfHost starts the rpm test fleet (one dnf host) and returns it with a
// function that connects to the dnf host over ssh, as root with the fleet's
// key and known_hosts (or as localfleet.DeployUser, through sudo).
func dnfHost(t *testing.T) (*localfleet.Fleet, string, func(user string) transport.Conn) {
	t.Helper()
	localfleet.RequireRPM(t)
	f := localfleet.Start(t, localfleet.Config{Name: "rp", Subnet: 5, RPMHosts: 1, Logf: t.Logf})
	var fh localfleet.Host
	for _, h := range f.Hosts {
		if h.Kind == "dnf" {
			fh = h
		}
	}
	if fh.Name == "" {
		t.Fatalf("fleet has no dnf host: %+v", f.Hosts)
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

// timed runs op and logs how long it took, for the report's figures.
func timed(t *testing.T, what string, op func() error) error {
	t.Helper()
	start := time.Now()
	err := op()
	t.Logf("%s: %s", what, time.Since(start).Round(time.Millisecond))
	return err
}

func findUpdate(ups []pkgmgr.Update, name, candidate string) (pkgmgr.Update, bool) {
	for _, u := range ups {
		if u.Name == name && u.Candidate == candidate {
			return u, true
		}
	}
	return pkgmgr.Update{}, false
}

func TestDNFOnFleet(t *testing.T) {
	f, host, dial := dnfHost(t)
	ctx := context.Background()
	c := dial("root")

	var m pkgmgr.Manager
	if err := timed(t, "Detect", func() (err error) { m, err = pkgmgr.Detect(ctx, c, false); return }); err != nil {
		t.Fatal(err)
	}
	if m.Kind() != "dnf" {
		t.Fatalf("Detect on %s chose %q, want dnf (os-release says rhel-like, apt-get is also present)", host, m.Kind())
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
			t.Fatalf("Health on a freshly booted dnf host: %v", err)
		}
	})

	t.Run("refresh and scan", func(t *testing.T) {
		if err := timed(t, "Refresh (dnf makecache --refresh)", func() error { return m.Refresh(ctx) }); err != nil {
			t.Fatal(err)
		}
		var ups []pkgmgr.Update
		if err := timed(t, "Pending", func() (err error) { ups, err = m.Pending(ctx); return }); err != nil {
			t.Fatal(err)
		}
		t.Logf("pending: %+v", ups)
		sec, ok := findUpdate(ups, "demo-app", "1.0.1-1")
		if !ok {
			t.Fatalf("Pending lacks demo-app 1.0.1-1: %+v", ups)
		}
		if sec.Class != pkgmgr.Security || sec.Severity != pkgmgr.High || sec.Installed != "1.0.0-1" || sec.Source != "patchflow" {
			t.Errorf("demo-app 1.0.1-1 = %+v, want security, high (updateinfo Important), installed 1.0.0-1, source patchflow", sec)
		}
		if strings.Join(sec.Advisories, ",") != localfleet.RPMSecurityCVE+","+localfleet.RPMSecurityAdvisory {
			t.Errorf("demo-app 1.0.1-1 advisories = %v, want [%s %s]", sec.Advisories, localfleet.RPMSecurityCVE, localfleet.RPMSecurityAdvisory)
		}
		if u, ok := findUpdate(ups, "demo-app", "1.0.2-1"); !ok || u.Class != pkgmgr.Feature {
			t.Errorf("demo-app 1.0.2-1 = %+v (found %v), want an enhancement (feature)", u, ok)
		}
		if u, ok := findUpdate(ups, "demo-lib", "1.1-1"); !ok || u.Class != pkgmgr.Bugfix || u.Severity != pkgmgr.SeverityUnknown {
			t.Errorf("demo-lib 1.1-1 = %+v (found %v), want bugfix, unknown severity", u, ok)
		}
	})

	t.Run("a version that does not exist", func(t *testing.T) {
		err := m.Available(ctx, []pkgmgr.Pin{{Name: "demo-app", Version: "9.9.9-1"}})
		if pkgmgr.KindOf(err) != pkgmgr.NotFound || !strings.Contains(err.Error(), "1.0.2-1, 1.0.1-1, 1.0.0-1") {
			t.Errorf("Available(demo-app 9.9.9-1) = %v, want not-found listing what the repository offers", err)
		}
		err = m.Install(ctx, []pkgmgr.Pin{{Name: "demo-lib", Version: "1.1-1"}, {Name: "demo-app", Version: "9.9.9-1"}})
		if pkgmgr.KindOf(err) != pkgmgr.NotFound || !strings.Contains(err.Error(), host) {
			t.Errorf("Install(demo-app 9.9.9-1) = %v, want not-found naming %s", err, host)
		}
		if got := installed("demo-lib"); got != "1.0-1" {
			t.Errorf("after the failed install demo-lib is %q, want 1.0-1 untouched (one transaction)", got)
		}
		err = m.Install(ctx, []pkgmgr.Pin{{Name: "demo-app;reboot", Version: "1"}})
		if pkgmgr.KindOf(err) != pkgmgr.InvalidInput {
			t.Errorf("Install of a name with shell metacharacters = %v, want invalid-input", err)
		}
	})

	t.Run("install pinned, verified", func(t *testing.T) {
		pins := []pkgmgr.Pin{{Name: "demo-app", Version: "1.0.1-1"}, {Name: "demo-lib", Version: "1.1-1"}}
		if err := timed(t, "Available", func() error { return m.Available(ctx, pins) }); err != nil {
			t.Fatal(err)
		}
		if err := timed(t, "Download", func() error { return m.Download(ctx, pins) }); err != nil {
			t.Fatal(err)
		}
		if err := timed(t, "Install (upgrade 2 packages)", func() error { return m.Install(ctx, pins) }); err != nil {
			t.Fatal(err)
		}
		if got := installed("demo-app"); got != "1.0.1-1" {
			t.Errorf("demo-app = %q after Install, want 1.0.1-1", got)
		}
		out, err := f.Exec(ctx, host, "cat", "/var/lib/demo-app/version")
		if err != nil || strings.TrimSpace(string(out)) != "1.0.1" {
			t.Errorf("demo-app's %%post did not run: %q %v", out, err)
		}
	})

	t.Run("reboot-required after a core package update", func(t *testing.T) {
		var need bool
		if err := timed(t, "RebootRequired", func() (err error) { need, err = m.RebootRequired(ctx); return }); err != nil {
			t.Fatal(err)
		}
		if !need {
			t.Errorf("RebootRequired = false after demo-lib (listed in needs-restarting.d) was updated")
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

	t.Run("held lock", func(t *testing.T) {
		release, err := f.HoldRPMLock(host)
		if err != nil {
			t.Fatal(err)
		}
		err = m.Health(ctx)
		if pkgmgr.KindOf(err) != pkgmgr.Locked || !strings.Contains(err.Error(), "host "+host) || !strings.Contains(err.Error(), "rpmdb_lock.pid") {
			t.Errorf("Health with the lock held: %v, want locked naming the lock", err)
		}
		err = m.Install(ctx, []pkgmgr.Pin{{Name: "demo-app", Version: "1.0.2-1"}})
		if pkgmgr.KindOf(err) != pkgmgr.Locked {
			t.Errorf("Install with the lock held: %v, want locked", err)
		} else {
			t.Logf("locked: %v", err)
		}
		if got := installed("demo-app"); got != "1.0.1-1" {
			t.Errorf("demo-app = %q after the locked install, want 1.0.1-1 untouched", got)
		}
		if err := release(); err != nil {
			t.Fatal(err)
		}
		if err := m.Health(ctx); err != nil {
			t.Errorf("Health after release: %v", err)
		}
	})

	t.Run("failing %post detected though dnf exits 0", func(t *testing.T) {
		pins := []pkgmgr.Pin{{Name: "demo-app", Version: "1.0.2-1"}}
		err := timed(t, "Install (bad %post)", func() error { return m.Install(ctx, pins) })
		if pkgmgr.KindOf(err) != pkgmgr.ScriptFailed {
			t.Fatalf("Install(demo-app 1.0.2-1) = %v, want script-failed", err)
		}
		for _, want := range []string{host, "Error in POSTIN scriptlet in rpm package demo-app", "dnf exited 0", "demo-app is 1.0.2-1"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	})

	t.Run("downgrade back", func(t *testing.T) {
		pins := []pkgmgr.Pin{{Name: "demo-app", Version: "1.0.0-1"}, {Name: "demo-lib", Version: "1.0-1"}}
		if err := timed(t, "Install (downgrade 2 packages)", func() error { return m.Install(ctx, pins) }); err != nil {
			t.Fatal(err)
		}
		got, err := m.Installed(ctx, []string{"demo-app", "demo-lib", "not-installed-here"})
		if err != nil {
			t.Fatal(err)
		}
		if got["demo-app"] != "1.0.0-1" || got["demo-lib"] != "1.0-1" || got["not-installed-here"] != "" {
			t.Errorf("after the downgrade Installed = %v, want demo-app 1.0.0-1, demo-lib 1.0-1, not-installed-here \"\"", got)
		}
		if err := m.Health(ctx); err != nil {
			t.Errorf("Health after the downgrade: %v", err)
		}
	})

	t.Run("full disk", func(t *testing.T) {
		undo, err := f.FillDNFCache(host)
		if err != nil {
			t.Fatal(err)
		}
		defer undo()
		err = m.Health(ctx)
		if pkgmgr.KindOf(err) != pkgmgr.DiskFull || !strings.Contains(err.Error(), "/var/cache/dnf") {
			t.Errorf("Health with a full dnf cache: %v, want disk-full naming /var/cache/dnf", err)
		}
		err = m.Download(ctx, []pkgmgr.Pin{{Name: "demo-app", Version: "1.0.1-1"}})
		if pkgmgr.KindOf(err) != pkgmgr.DiskFull || !strings.Contains(err.Error(), "host "+host) {
			t.Errorf("Download with a full dnf cache: %v, want disk-full", err)
		} else {
			t.Logf("full disk: %v", err)
		}
	})

	t.Run("as a deploy user through sudo", func(t *testing.T) {
		dm, err := pkgmgr.Detect(ctx, dial(localfleet.DeployUser), true)
		if err != nil {
			t.Fatal(err)
		}
		pins := []pkgmgr.Pin{{Name: "demo-app", Version: "1.0.1-1"}}
		if err := dm.Install(ctx, pins); err != nil {
			t.Fatalf("Install as %s with sudo: %v", localfleet.DeployUser, err)
		}
		if got := installed("demo-app"); got != "1.0.1-1" {
			t.Errorf("demo-app = %q after Install through sudo, want 1.0.1-1", got)
		}
		if err := dm.Health(ctx); err != nil {
			t.Errorf("Health as %s: %v", localfleet.DeployUser, err)
		}
		ups, err := dm.Pending(ctx)
		if err != nil {
			t.Fatalf("Pending as %s: %v", localfleet.DeployUser, err)
		}
		if _, ok := findUpdate(ups, "demo-app", "1.0.2-1"); !ok {
			t.Errorf("Pending as %s lacks demo-app 1.0.2-1: %+v", localfleet.DeployUser, ups)
		}
	})

	t.Run("an absent pin removes, a versioned one brings back", func(t *testing.T) {
		if err := m.Install(ctx, []pkgmgr.Pin{{Name: "demo-lib"}}); err != nil {
			t.Fatal(err)
		}
		if got := installed("demo-lib"); got != "" {
			t.Errorf("demo-lib = %q after an absent pin, want not installed", got)
		}
		if err := m.Install(ctx, []pkgmgr.Pin{{Name: "demo-lib", Version: "1.0-1"}}); err != nil {
			t.Fatal(err)
		}
		if got := installed("demo-lib"); got != "1.0-1" {
			t.Errorf("demo-lib = %q after reinstalling, want 1.0-1", got)
		}
	})

	t.Run("refresh with an unreachable repository", func(t *testing.T) {
		const broken = "/etc/yum.repos.d/unreachable.repo"
		// Port 9 of the fleet's repository address: nothing listens there.
		repo := "[unreachable]\nname=unreachable\nbaseurl=" + strings.Replace(f.RepoURL, ":8080/", ":9/", 1) + "\ngpgcheck=0\n"
		if _, err := f.Exec(ctx, host, "sh", "-c", `printf "$1" > "$2"`, "sh", repo, broken); err != nil {
			t.Fatal(err)
		}
		defer f.Exec(ctx, host, "rm", "-f", broken)
		err := m.Refresh(ctx)
		if pkgmgr.KindOf(err) != pkgmgr.FetchFailed || !strings.Contains(err.Error(), "unreachable") {
			t.Errorf("Refresh with an unreachable repository = %v, want fetch-failed naming it", err)
		} else {
			t.Logf("unreachable repository: %v", err)
		}
	})

	t.Run("failing %post of a marked host", func(t *testing.T) {
		if err := f.MarkBad(host); err != nil {
			t.Fatal(err)
		}
		err := m.Install(ctx, []pkgmgr.Pin{{Name: "demo-lib", Version: "1.1-1"}})
		if pkgmgr.KindOf(err) != pkgmgr.ScriptFailed || !strings.Contains(err.Error(), "demo-lib") {
			t.Errorf("Install(demo-lib 1.1-1) on a marked host = %v, want script-failed naming demo-lib", err)
		}
	})
}
