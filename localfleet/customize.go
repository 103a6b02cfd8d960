package localfleet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// Files every apt host shares through the base. Per-fleet files (keys,
// sources.list, host keys) are written into each host's overlay instead.
var baseFiles = []struct {
	path, data string
	mode       os.FileMode
}{
	{"etc/ssh/sshd_config.d/patchflow.conf", `# patchflow test fleet
HostKey /etc/ssh/ssh_host_ed25519_key
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UseDNS no
`, 0o644},
	{"etc/sudoers.d/patchflow", DeployUser + " ALL=(ALL:ALL) NOPASSWD: ALL\n" +
		DeployPasswordUser + " ALL=(ALL:ALL) ALL\n", 0o440},
	// Nanosecond records of every dpkg run apt starts, so tests can prove
	// max_parallel from the hosts' own clocks (dpkg.log has 1 s resolution).
	{"etc/apt/apt.conf.d/99patchflow-times", `DPkg::Pre-Invoke { "echo start $(date +%s%N) >> ` + DpkgTimesFile + `"; };
DPkg::Post-Invoke { "echo end $(date +%s%N) >> ` + DpkgTimesFile + `"; };
`, 0o644},
	{"usr/sbin/reboot", rebootScript, 0o755},
	{"usr/sbin/shutdown", rebootScript, 0o755},
	{"usr/sbin/poweroff", rebootScript, 0o755},
	{"usr/sbin/halt", rebootScript, 0o755},
	{"etc/apt/sources.list", "# written per host by the patchflow test fleet\n", 0o644},
	{DpkgTimesFile[1:], "", 0o644},
	{BootCountFile[1:], "0\n", 0o644},
}

// rebootScript ends the host's PID 1 (its sshd, which exits on SIGTERM), and
// with it every process in the host's pid namespace, like a real reboot.
// The fixture sees the host's namespace end and boots it again when the
// marker says "reboot". It returns first, as systemctl reboot does, so the
// caller's ssh command ends cleanly before the connection drops.
const rebootScript = `#!/bin/sh
# patchflow test fleet: reboot, shutdown -r, poweroff, halt
what=halt
case "$(basename "$0")" in
reboot) what=reboot ;;
shutdown)
	for a in "$@"; do
		case "$a" in
		-c) echo "shutdown: nothing scheduled" >&2; exit 0 ;;
		-r|--reboot) what=reboot ;;
		esac
	done ;;
esac
echo "$what $(basename "$0") $*" > ` + rebootMarker + `
setsid sh -c 'sleep 0.2; kill -TERM 1' </dev/null >/dev/null 2>&1 &
exit 0
`

// customizeBase turns the mmdebstrap output into the fleet's base.
func customizeBase(ctx context.Context, rootfs, debs string) error {
	for _, f := range baseFiles {
		path := filepath.Join(rootfs, f.path)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("localfleet: customise base: %w", err)
		}
		if err := os.WriteFile(path, []byte(f.data), f.mode); err != nil {
			return fmt.Errorf("localfleet: customise base: %w", err)
		}
		if err := os.Chmod(path, f.mode); err != nil {
			return fmt.Errorf("localfleet: customise base: %w", err)
		}
	}
	// Without merged /usr, /sbin is a real directory and needs its own copy.
	if fi, err := os.Lstat(filepath.Join(rootfs, "sbin")); err == nil && fi.IsDir() {
		for _, n := range []string{"reboot", "shutdown", "poweroff", "halt"} {
			os.Remove(filepath.Join(rootfs, "sbin", n))
			if err := os.Symlink("/usr/sbin/"+n, filepath.Join(rootfs, "sbin", n)); err != nil {
				return fmt.Errorf("localfleet: customise base: %w", err)
			}
		}
	}
	os.RemoveAll(filepath.Join(rootfs, "etc/apt/sources.list.d"))
	os.MkdirAll(filepath.Join(rootfs, "etc/apt/sources.list.d"), 0o755)

	chroot := func(args ...string) error {
		if _, err := run(ctx, "chroot", append([]string{rootfs}, args...)...); err != nil {
			return fmt.Errorf("localfleet: customise base: %w", err)
		}
		return nil
	}
	for _, u := range []string{DeployUser, DeployPasswordUser} {
		if err := chroot("useradd", "--create-home", "--shell", "/bin/bash", u); err != nil {
			return err
		}
	}
	if _, err := runIn(ctx, runOpts{stdin: []byte(DeployPasswordUser + ":" + DeployPassword + "\n")},
		"chroot", rootfs, "chpasswd"); err != nil {
		return fmt.Errorf("localfleet: customise base: %w", err)
	}
	// Preinstall the first version of each demo package, so upgrades are pending.
	tmp := filepath.Join(rootfs, "tmp", "patchflow-debs")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return fmt.Errorf("localfleet: customise base: %w", err)
	}
	args := []string{"dpkg", "--install"}
	seen := map[string]bool{}
	for _, p := range demoPackages {
		if seen[p.name] {
			continue
		}
		seen[p.name] = true
		data, err := os.ReadFile(filepath.Join(debs, debFile(p.name, p.version)))
		if err != nil {
			return fmt.Errorf("localfleet: customise base: %w", err)
		}
		if err := os.WriteFile(filepath.Join(tmp, debFile(p.name, p.version)), data, 0o644); err != nil {
			return fmt.Errorf("localfleet: customise base: %w", err)
		}
		args = append(args, "/tmp/patchflow-debs/"+debFile(p.name, p.version))
	}
	if err := chroot(args...); err != nil {
		return err
	}
	return os.RemoveAll(tmp)
}
