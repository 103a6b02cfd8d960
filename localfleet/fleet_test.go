package localfleet

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/inventory"
	"golang.org/x/crypto/ssh/knownhosts"
)

func startTestFleet(t *testing.T, hosts int) *Fleet {
	t.Helper()
	start := time.Now()
	f := Start(t, Config{Name: "tf", Subnet: 1, Hosts: hosts})
	t.Logf("fleet of %d hosts up in %s", hosts, time.Since(start).Round(time.Millisecond))
	return f
}

func TestHostsAnswerSSHWithFleetKeyAndKnownHosts(t *testing.T) {
	f := startTestFleet(t, 3)
	if len(f.Hosts) != 3 {
		t.Fatalf("fleet has %d hosts, want 3", len(f.Hosts))
	}
	for i, h := range f.Hosts {
		if want := hostName("tf", i+1); h.Name != want || h.Addr != subnetAddr(1, 11+i) || h.Kind != "apt" {
			t.Errorf("host %d = %+v, want %s at %s, kind apt", i, h, want, subnetAddr(1, 11+i))
		}
		if got := strings.TrimSpace(mustSSH(t, f, h, "root", "hostname; id -u")); got != h.Name+"\n0" {
			t.Errorf("ssh root@%s: hostname and uid %q, want %q", h.Name, got, h.Name+"\n0")
		}
		if got := mustSSH(t, f, h, "root", "dpkg-query -W -f='${Version}' demo-app demo-lib"); got != "1.0.01.0" {
			t.Errorf("%s: demo-app and demo-lib versions %q, want 1.0.0 and 1.0", h.Name, got)
		}
	}
	h := f.Hosts[0]
	if got := strings.TrimSpace(mustSSH(t, f, h, DeployUser, "sudo -n id -u")); got != "0" {
		t.Errorf("sudo -n as %s: uid %q, want 0", DeployUser, got)
	}
	_, errOut, code, err := sshRun(f, h.Addr, DeployPasswordUser, "sudo -n true")
	if err != nil || code == 0 || !strings.Contains(errOut, "password is required") {
		t.Errorf("sudo -n as %s: exit %d, err %v, stderr %q; want a failure asking for a password", DeployPasswordUser, code, err, errOut)
	}
	// Each host has its own sshd and own key; the fleet's known_hosts has them all.
	data, err := os.ReadFile(f.KnownHostsPath)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "ssh-ed25519"); n != 3 {
		t.Errorf("known_hosts has %d keys, want 3:\n%s", n, data)
	}
}

func TestInventoriesDescribeTheFleet(t *testing.T) {
	f := startTestFleet(t, 3)
	inv, err := inventory.Load(f.InventoryPath)
	if err != nil {
		t.Fatalf("the fleet's inventory does not load: %v", err)
	}
	if len(inv.Hosts) != 3 {
		t.Fatalf("inventory has %d hosts, want 3", len(inv.Hosts))
	}
	for _, h := range inv.Hosts {
		fh, err := f.host(h.Name)
		if err != nil {
			t.Fatal(err)
		}
		if h.Address != fh.Addr || h.User != "root" || h.SSH.IdentityFile != f.KeyPath || h.SSH.KnownHostsFile != f.KnownHostsPath {
			t.Errorf("inventory host %+v does not match %+v with key %s", h, fh.Host, f.KeyPath)
		}
	}
	for group, want := range map[string]string{"staging": "tf-h1", "canary": "tf-h2", "wave1": "tf-h3"} {
		sel, err := inventory.ParseSelector([]string{"group=" + group})
		if err != nil {
			t.Fatal(err)
		}
		got := inv.Select(sel)
		if len(got) != 1 || got[0].Name != want {
			t.Errorf("group %s selects %v, want %s", group, got, want)
		}
	}
	deploy, err := inventory.Load(f.DeployInventoryPath)
	if err != nil {
		t.Fatalf("the fleet's deploy inventory does not load: %v", err)
	}
	if len(deploy.Hosts) != 3 || deploy.Hosts[0].User != DeployUser || !deploy.Hosts[0].Become {
		t.Errorf("deploy inventory hosts = %+v, want user %s with become", deploy.Hosts, DeployUser)
	}
	ini, err := inventory.Load(f.AnsibleInventoryPath)
	if err != nil {
		t.Fatalf("the fleet's Ansible inventory does not load: %v", err)
	}
	if len(ini.Hosts) != 3 || ini.Hosts[0].Address != f.Hosts[0].Addr {
		t.Errorf("Ansible inventory hosts = %+v, want the fleet's 3", ini.Hosts)
	}
}

func TestAptInstallsFromTheFleetRepository(t *testing.T) {
	f := startTestFleet(t, 2)
	h := f.Hosts[0].Name
	before := time.Now()
	execString(t, f, h, "apt-get", "update", "-q")
	execString(t, f, h, "apt-get", "install", "-y", "-q", "demo-app=1.0.1")
	if got := execString(t, f, h, "dpkg-query", "-W", "-f=${Version} ${Status}", "demo-app"); got != "1.0.1 install ok installed" {
		t.Errorf("after installing demo-app=1.0.1: %q", got)
	}
	ops, err := f.PackageOpTimes(h)
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 1 || ops[0].Start.Before(before) || !ops[0].End.After(ops[0].Start) {
		t.Errorf("dpkg runs recorded on %s: %+v, want one run after %s", h, ops, before)
	}
	if ops, _ := f.PackageOpTimes(f.Hosts[1].Name); len(ops) != 0 {
		t.Errorf("dpkg runs recorded on the untouched host: %+v", ops)
	}

	// The bad patch: postinst fails, apt exits non-zero, the package is half-configured.
	msg := execFails(t, f, h, "apt-get", "install", "-y", "-q", "demo-app=1.0.2")
	if !strings.Contains(msg, "postinst failed on purpose") {
		t.Errorf("demo-app 1.0.2: error %q does not show the failing postinst", msg)
	}
	if got := execString(t, f, h, "dpkg-query", "-W", "-f=${Version} ${Status}", "demo-app"); got != "1.0.2 install ok half-configured" {
		t.Errorf("after the bad patch: %q, want 1.0.2 half-configured", got)
	}
	ops, err = f.PackageOpTimes(h)
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 2 || ops[1].End.IsZero() {
		t.Errorf("dpkg runs after the bad patch: %+v, want a second, finished run (Post-Invoke runs on failure too)", ops)
	}
	// Downgrading back to the good version works from the same repository.
	execString(t, f, h, "apt-get", "install", "-y", "-q", "--allow-downgrades", "demo-app=1.0.1")
	if got := execString(t, f, h, "dpkg-query", "-W", "-f=${Version} ${Status}", "demo-app"); got != "1.0.1 install ok installed" {
		t.Errorf("after the downgrade: %q", got)
	}
}

func TestSecuritySuiteCarriesRealDebianUpdates(t *testing.T) {
	f := startTestFleet(t, 1)
	h := f.Hosts[0].Name
	execString(t, f, h, "apt-get", "update", "-q")
	policy := execString(t, f, h, "apt-cache", "policy")
	if !strings.Contains(policy, "o=Debian,a=bookworm-security,n=bookworm-security,l=Debian-Security") {
		t.Errorf("apt-cache policy does not show the Debian-Security suite:\n%s", policy)
	}
	if len(f.SecurityUpdates) == 0 {
		t.Skip("no real security update newer than the base exists on the mirror today; the demo packages remain")
	}
	upgradable := execString(t, f, h, "apt", "list", "--upgradable")
	for _, s := range f.SecurityDetails {
		if got := execString(t, f, h, "dpkg-query", "-W", "-f=${Version}", s.Name); got != s.Installed {
			t.Errorf("%s installed %q, want the base's %s", s.Name, got, s.Installed)
		}
		if want := s.Name + "/bookworm-security " + s.Fixed; !strings.Contains(upgradable, want) {
			t.Errorf("apt list --upgradable lacks %q:\n%s", want, upgradable)
		}
	}
	// Every fixed version installs from the fleet repository alone (its
	// dependencies are met), and every old one comes back for a rollback.
	fixed := []string{"apt-get", "install", "-y", "-q"}
	old := []string{"apt-get", "install", "-y", "-q", "--allow-downgrades"}
	for _, s := range f.SecurityDetails {
		fixed = append(fixed, s.Name+"="+s.Fixed)
		old = append(old, s.Name+"="+s.Installed)
	}
	execString(t, f, h, fixed...)
	for _, s := range f.SecurityDetails {
		if got := execString(t, f, h, "dpkg-query", "-W", "-f=${Version}", s.Name); got != s.Fixed {
			t.Errorf("%s after the upgrade: %q, want %s", s.Name, got, s.Fixed)
		}
	}
	execString(t, f, h, old...)
	for _, s := range f.SecurityDetails {
		if got := execString(t, f, h, "dpkg-query", "-W", "-f=${Version}", s.Name); got != s.Installed {
			t.Errorf("%s after the downgrade: %q, want %s", s.Name, got, s.Installed)
		}
	}
	if audit := execString(t, f, h, "dpkg", "--audit"); audit != "" {
		t.Errorf("dpkg --audit after upgrade and rollback: %s", audit)
	}
}

func TestRebootTakesTheHostAwayAndBringsItBack(t *testing.T) {
	f := startTestFleet(t, 2)
	h := f.Hosts[0]
	execString(t, f, h.Name, "touch", "/run/reboot-required")
	bootID := execString(t, f, h.Name, "cat", "/proc/sys/kernel/random/boot_id")
	if file := execString(t, f, h.Name, "cat", BootIDFile); file != bootID {
		t.Errorf("boot_id %q differs from %s %q", bootID, BootIDFile, file)
	}
	if other := execString(t, f, f.Hosts[1].Name, "cat", "/proc/sys/kernel/random/boot_id"); other == bootID {
		t.Errorf("two hosts share boot_id %s", bootID)
	}
	if n, err := f.BootCount(h.Name); err != nil || n != 1 {
		t.Fatalf("boot count before reboot = %d, %v; want 1", n, err)
	}
	// A long-running command on the host dies with the reboot.
	execString(t, f, h.Name, "sh", "-c", "setsid sleep 1000 </dev/null >/dev/null 2>&1 &")
	mustSSH(t, f, h, "root", "reboot")
	waitFor(t, 10*time.Second, h.Name+" to go away", func() bool { return !reachable(h.Addr) })
	waitFor(t, 30*time.Second, h.Name+" to come back", func() bool {
		st, _ := f.State(h.Name)
		return st == "up" && reachable(h.Addr)
	})
	// Same host key: known_hosts still verifies it.
	if got := strings.TrimSpace(mustSSH(t, f, h, "root", "hostname")); got != h.Name {
		t.Errorf("hostname after reboot %q", got)
	}
	if n, err := f.BootCount(h.Name); err != nil || n != 2 {
		t.Errorf("boot count after reboot = %d, %v; want 2", n, err)
	}
	if got := execString(t, f, h.Name, "cat", "/proc/sys/kernel/random/boot_id"); got == bootID {
		t.Errorf("boot id unchanged after reboot: %s", got)
	}
	if out := execString(t, f, h.Name, "sh", "-c", "ls /run; pgrep -x sleep || true"); strings.Contains(out, "reboot-required") || strings.Contains(out, "\n1") {
		t.Errorf("/run or processes survived the reboot: %s", out)
	}
	if n, _ := f.BootCount(f.Hosts[1].Name); n != 1 {
		t.Errorf("the other host rebooted too: boot count %d", n)
	}

	// shutdown -r through sudo, as a non-root inventory would do it.
	mustSSH(t, f, h, DeployUser, "sudo -n shutdown -r now")
	waitFor(t, 10*time.Second, h.Name+" to go away again", func() bool { return !reachable(h.Addr) })
	if err := f.WaitUp(t.Context(), h.Name); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, h.Name+" to be up", func() bool { st, _ := f.State(h.Name); return st == "up" })
	if n, _ := f.BootCount(h.Name); n != 3 {
		t.Errorf("boot count after shutdown -r = %d, want 3", n)
	}

	// poweroff halts: the host stays down.
	h2 := f.Hosts[1]
	mustSSH(t, f, h2, "root", "poweroff")
	waitFor(t, 10*time.Second, h2.Name+" to halt", func() bool { st, _ := f.State(h2.Name); return st == "halted" })
	if reachable(h2.Addr) {
		t.Errorf("%s answers after poweroff", h2.Name)
	}
	if _, err := f.Exec(t.Context(), h2.Name, "true"); err == nil || !strings.Contains(err.Error(), "is halted") {
		t.Errorf("Exec on a halted host: %v, want an error saying it is halted", err)
	}
}

func TestFaults(t *testing.T) {
	f := startTestFleet(t, 3)
	h1, h2, h3 := f.Hosts[0], f.Hosts[1], f.Hosts[2]
	for _, h := range f.Hosts {
		execString(t, f, h.Name, "apt-get", "update", "-q")
	}

	t.Run("unreachable", func(t *testing.T) {
		if err := f.SetReachable(h1.Name, false); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := dialSSH(f, h1.Addr, "root"); err == nil || time.Since(start) < 2*time.Second {
			t.Errorf("ssh to an unreachable host: err %v after %s, want a timeout", err, time.Since(start))
		}
		if err := f.SetReachable(h1.Name, true); err != nil {
			t.Fatal(err)
		}
		mustSSH(t, f, h1, "root", "true")
	})

	t.Run("dpkg lock", func(t *testing.T) {
		release, err := f.HoldDpkgLock(h2.Name)
		if err != nil {
			t.Fatal(err)
		}
		msg := execFails(t, f, h2.Name, "apt-get", "install", "-y", "-q", "demo-app=1.0.1")
		if !strings.Contains(msg, "Could not get lock /var/lib/dpkg/lock-frontend") {
			t.Errorf("apt under a held lock: %s", msg)
		}
		if err := release(); err != nil {
			t.Fatal(err)
		}
		execString(t, f, h2.Name, "apt-get", "install", "-y", "-q", "demo-app=1.0.1")
	})

	t.Run("full disk", func(t *testing.T) {
		undo, err := f.FillDisk(h3.Name)
		if err != nil {
			t.Fatal(err)
		}
		msg := execFails(t, f, h3.Name, "apt-get", "install", "-y", "-q", "-o", "Acquire::Retries=0", "demo-app=1.0.1")
		// apt skips its free-space check on tmpfs; the download itself fails.
		if !strings.Contains(msg, "No space left on device") {
			t.Errorf("apt on a full disk: %s", msg)
		}
		if err := undo(); err != nil {
			t.Fatal(err)
		}
		execString(t, f, h3.Name, "apt-get", "install", "-y", "-q", "demo-app=1.0.1")
	})

	t.Run("changed host key", func(t *testing.T) {
		if err := f.RotateHostKey(h1.Name); err != nil {
			t.Fatal(err)
		}
		_, err := dialSSH(f, h1.Addr, "root")
		var ke *knownhosts.KeyError
		if !errors.As(err, &ke) || len(ke.Want) == 0 {
			t.Errorf("ssh after the host key changed: %v, want a knownhosts.KeyError naming the known key", err)
		}
		mustSSH(t, f, h2, "root", "true") // other hosts are untouched
		if err := f.AcceptHostKey(h1.Name); err != nil {
			t.Fatal(err)
		}
		mustSSH(t, f, h1, "root", "true")
	})

	t.Run("bad host", func(t *testing.T) {
		if err := f.MarkBad(h2.Name); err != nil {
			t.Fatal(err)
		}
		msg := execFails(t, f, h2.Name, "apt-get", "install", "-y", "-q", "demo-lib=1.1")
		if !strings.Contains(msg, DemoFailFile+" exists on this host") {
			t.Errorf("demo-lib 1.1 on the bad host: %s", msg)
		}
		execString(t, f, h3.Name, "apt-get", "install", "-y", "-q", "demo-lib=1.1")
		if got := execString(t, f, h3.Name, "cat", "/run/reboot-required.pkgs"); got != "demo-lib\n" {
			t.Errorf("demo-lib 1.1 on a good host: reboot-required.pkgs %q", got)
		}
	})
}

func TestDownLeavesNothingBehind(t *testing.T) {
	Require(t)
	f := startTestFleet(t, 2)
	var pids []int
	for _, h := range f.order {
		p, err := h.pid()
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, p, h.cmd.Process.Pid)
	}
	pids = append(pids, f.repoPID)
	if err := f.Down(); err != nil {
		t.Fatal(err)
	}
	for _, p := range pids {
		if running(p) {
			t.Errorf("process %d still running after Down", p)
		}
	}
	if nss, _ := fleetNamespaces(t.Context(), "tf"); len(nss) > 0 {
		t.Errorf("namespaces left after Down: %v", nss)
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mounts), f.Dir+"/") {
		t.Errorf("mounts left below %s after Down", f.Dir)
	}
	if _, err := os.Stat(filepath.Join(f.Dir, "hosts")); !os.IsNotExist(err) {
		t.Errorf("host dirs left after Down: %v", err)
	}
	if _, err := os.Stat("/sys/class/net/" + bridgeName("tf")); err == nil {
		t.Errorf("bridge %s left after Down", bridgeName("tf"))
	}
}

func TestUpRemovesLeftoversOfACrashedRun(t *testing.T) {
	Require(t)
	// A run that "crashed": its fleet was never taken down.
	crashed, err := Up(t.Context(), Config{Name: "tf", Subnet: 1, Hosts: 2, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	old, _ := crashed.order[0].pid()
	crashed.nameLock.Close() // what the crash of its process would do
	crashed.subnetLock.Close()
	f := startTestFleet(t, 2)
	if running(old) {
		t.Errorf("the crashed run's host process %d survived the new Up", old)
	}
	mustSSH(t, f, f.Hosts[1], "root", "true")
	// The crashed fleet's own goroutines have seen their hosts end.
	crashed.wg.Wait()
	crashed.kinds[0].release()
}
