// Package localfleet starts real Debian "hosts" on one machine, for tests and
// for `patchflow demo`, without Docker.
//
// Each host is an overlayfs copy of a shared base root file system (built
// once with mmdebstrap and cached under /var/cache/patchflow/testfleet),
// running in its own network, pid, uts, ipc and mount namespaces with its own
// sshd and host key. Hosts sit on a per-fleet bridge in 10.213.<Subnet>.0/24;
// an `unreachable 10.213.0.0/16` route keeps test traffic on the machine. A
// signed apt repository, served from its own namespace at
// 10.213.<Subnet>.2:8080, carries demo packages (a good upgrade, a bad one
// whose postinst fails) and real Debian security updates looked up with
// apt-cache madison.
//
// A host "reboots" for real: /sbin/reboot inside it ends its PID 1, which
// ends every process in its pid namespace; the fixture notices and boots it
// again after a short delay with a fresh /run, the same host key and an
// incremented /var/lib/patchflow-boot-count.
//
// Everything needs root on Linux. Tests call Require or Start, which skip
// when that is not available, except under CI=true, where they fail.
//
// Typical use in a test:
//
//	f := localfleet.Start(t, localfleet.Config{Name: "tr", Subnet: 3, Hosts: 3})
//	inv, _ := inventory.Load(f.InventoryPath) // root; f.DeployInventoryPath: deploy + sudo
//	out, err := f.Exec(ctx, f.Hosts[0].Name, "dpkg-query", "-W", "demo-app")
//	release, _ := f.HoldDpkgLock(f.Hosts[1].Name) // and SetReachable, FillDisk, RotateHostKey, MarkBad
//	ops, _ := f.PackageOpTimes(f.Hosts[0].Name)   // nanosecond dpkg runs, to prove max_parallel
//
// Each test package takes its own Name and Subnet; a new Up with the same
// Name removes whatever a crashed run with that Name left behind.
//
// Host kinds plug in through the hostKind interface (kind.go): the Debian
// kind lives in debian.go; an rpm kind (dnf hosts) goes in rpm*.go and is
// selected by Config.RPMHosts; the zypper kind (zypper*.go) by
// Config.ZypperHosts.
package localfleet
