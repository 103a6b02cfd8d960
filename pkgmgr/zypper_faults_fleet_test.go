package pkgmgr_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/pkgmgr"
	"github.com/patchflow/patchflow/transport"
)

// TestZypperFaultsOnFleet: each fault on a real zypper host is its own
// error kind, and none changes what is installed.
func TestZypperFaultsOnFleet(t *testing.T) {
	f, host, dial := zypperHost(t)
	ctx := context.Background()
	c := dial("root")
	m, err := pkgmgr.Detect(ctx, c, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	installed := func(name string) string {
		t.Helper()
		got, err := m.Installed(ctx, []string{name})
		if err != nil {
			t.Fatal(err)
		}
		return got[name]
	}

	t.Run("zypp lock held: locked after waiting", func(t *testing.T) {
		release, err := f.HoldZyppLock(host)
		if err != nil {
			t.Fatal(err)
		}
		err = m.Health(ctx)
		if pkgmgr.KindOf(err) != pkgmgr.Locked || !strings.Contains(err.Error(), "host "+host) || !strings.Contains(err.Error(), "/run/zypp.pid") ||
			!strings.Contains(err.Error(), "zypper") {
			t.Errorf("Health with the zypp lock held: %v, want locked naming /run/zypp.pid and its holder", err)
		}
		capture(t, c, "install-locked", "install", "--oldpackage", "--name", "--", "demo-app=1.0.1-150500.3.1")
		start := time.Now()
		err = m.Install(ctx, []pkgmgr.Pin{{Name: "demo-app", Version: zyApp1}})
		waited := time.Since(start)
		if pkgmgr.KindOf(err) != pkgmgr.Locked || !strings.Contains(err.Error(), "the zypp lock is held by pid") ||
			!strings.Contains(err.Error(), "(zypper)") || !strings.Contains(err.Error(), "waited 3s") {
			t.Errorf("Install with the zypp lock held: %v, want locked naming the holder and the wait", err)
		} else {
			t.Logf("locked after %s: %v", waited.Round(time.Millisecond), err)
		}
		if waited < pkgmgr.ZypperLockWait {
			t.Errorf("Install gave up after %s, before ZYPP_LOCK_TIMEOUT (%s)", waited, pkgmgr.ZypperLockWait)
		}
		if got := installed("demo-app"); got != zyApp0 {
			t.Errorf("demo-app = %q after the locked install, want %s untouched", got, zyApp0)
		}
		if err := release(); err != nil {
			t.Fatal(err)
		}
		if err := m.Health(ctx); err != nil {
			t.Errorf("Health after release: %v", err)
		}
	})

	t.Run("full disk", func(t *testing.T) {
		undo, err := f.FillZypperDownloads(host)
		if err != nil {
			t.Fatal(err)
		}
		defer undo()
		err = m.Health(ctx)
		if pkgmgr.KindOf(err) != pkgmgr.DiskFull || !strings.Contains(err.Error(), "/var/tmp") {
			t.Errorf("Health with /var/tmp full: %v, want disk-full naming /var/tmp", err)
		}
		capture(t, c, "download-disk-full", "install", "--oldpackage", "--name", "--download-only", "--", "demo-app="+zyApp1)
		err = m.Download(ctx, []pkgmgr.Pin{{Name: "demo-app", Version: zyApp1}})
		if pkgmgr.KindOf(err) != pkgmgr.DiskFull || !strings.Contains(err.Error(), "host "+host) || !strings.Contains(err.Error(), "/var/tmp") {
			t.Errorf("Download with /var/tmp full: %v, want disk-full", err)
		} else {
			t.Logf("full disk: %v", err)
		}
		err = m.Install(ctx, []pkgmgr.Pin{{Name: "demo-app", Version: zyApp1}})
		if pkgmgr.KindOf(err) != pkgmgr.DiskFull {
			t.Errorf("Install with /var/tmp full: %v, want disk-full", err)
		}
		if got := installed("demo-app"); got != zyApp0 {
			t.Errorf("demo-app = %q after the failed install, want %s untouched", got, zyApp0)
		}
	})

	t.Run("an unreachable repository", func(t *testing.T) {
		const broken = "/etc/zypp/repos.d/unreachable.repo"
		// Port 9 of the fleet's repository address: nothing listens there.
		repo := "[unreachable]\nname=unreachable mirror\nbaseurl=" + strings.Replace(f.RepoURL, ":8080/", ":9/", 1) + "\nenabled=1\nautorefresh=1\ngpgcheck=0\n"
		if _, err := f.Exec(ctx, host, "sh", "-c", `printf "$1" > "$2"`, "sh", repo, broken); err != nil {
			t.Fatal(err)
		}
		defer f.Exec(ctx, host, "rm", "-f", broken)
		capture(t, c, "refresh-unreachable", "refresh")
		capture(t, c, "list-updates-skipped", "list-updates")
		err := m.Refresh(ctx)
		if pkgmgr.KindOf(err) != pkgmgr.FetchFailed || !strings.Contains(err.Error(), `skipped repositories "unreachable mirror"`) {
			t.Errorf("Refresh with an unreachable repository = %v, want fetch-failed naming it", err)
		} else {
			t.Logf("unreachable repository: %v", err)
		}
		// Other commands exit 106 for a skipped repository: a scan would
		// miss its packages, so it fails.
		_, err = m.Pending(ctx)
		if pkgmgr.KindOf(err) != pkgmgr.FetchFailed || !strings.Contains(err.Error(), "exited 106") || !strings.Contains(err.Error(), "unreachable mirror") {
			t.Errorf("Pending with an unreachable repository = %v, want fetch-failed (exit 106) naming it", err)
		}
		// An install from the reachable repository still works: zypper
		// exits 106, the verified versions are the pinned ones.
		if err := m.Install(ctx, []pkgmgr.Pin{{Name: "demo-app", Version: zyApp1}}); err != nil {
			t.Errorf("Install with another repository unreachable: %v", err)
		}
		if got := installed("demo-app"); got != zyApp1 {
			t.Errorf("demo-app = %q, want %s", got, zyApp1)
		}
	})

	t.Run("an unreachable host", func(t *testing.T) {
		if err := f.SetReachable(host, false); err != nil {
			t.Fatal(err)
		}
		defer f.SetReachable(host, true)
		short, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_, err := m.Installed(short, []string{"demo-app"})
		if transport.KindOf(err) == "" {
			t.Errorf("Installed on an unreachable host = %v, want a transport error", err)
		} else {
			t.Logf("unreachable host: %v", err)
		}
	})
}
