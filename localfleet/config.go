package localfleet

import (
	"fmt"
	"path/filepath"
	"regexp"
	"time"
)

// Users the base root file system carries besides root. Both accept the
// fleet key; only DeployUser may use sudo without a password.
const (
	DeployUser         = "deploy"    // passwordless sudo
	DeployPasswordUser = "deploy-pw" // sudo asks for a password (DeployPassword)
	DeployPassword     = "patchflow-demo"
)

// Files inside every apt host that tests and tools read.
const (
	DpkgTimesFile   = "/var/log/patchflow-dpkg-times"     // "start <ns>" / "end <ns>" per apt dpkg run
	BootCountFile   = "/var/lib/patchflow-boot-count"     // incremented on every boot
	BootIDFile      = "/run/patchflow-boot-id"            // random per boot (the kernel's boot_id is global)
	DemoFailFile    = "/etc/patchflow-demo-fail"          // demo-lib 1.1's postinst fails where it exists
	rebootMarker    = "/var/lib/patchflow-reboot-pending" // written by /sbin/reboot inside a host
	repoPort        = 8080
	defaultRootDir  = "/var/tmp/patchflow-fleet"
	rebootDelay     = time.Second
	defaultUpTimout = 2 * time.Minute
)

// Config describes one fleet. Fleets of different test packages run at the
// same time, so each takes its own Name and Subnet.
type Config struct {
	Name        string // short prefix, [a-z][a-z0-9]{0,5}, unique per test package, e.g. "tf"
	Subnet      int    // third octet: hosts in 10.213.<Subnet>.0/24, 1..254, one per test package
	Hosts       int    // Debian hosts
	RPMHosts    int    // dnf hosts (need an rpm host kind, see kind.go)
	ZypperHosts int    // zypper hosts (need the zypper host kind, see kind.go)
	Dir         string // work dir, default /var/tmp/patchflow-fleet/<Name>
	Logf        func(format string, args ...any)
	// UpTimeout bounds Up (base build excluded); default 2m.
	UpTimeout time.Duration
}

// Host is one host of a fleet as clients see it.
type Host struct {
	Name string // <Name>-h<i>, also its hostname and inventory name
	Addr string // 10.213.<Subnet>.<10+i>
	Kind string // "apt", "dnf" or "zypper"
}

// SecurityUpdate is a real Debian security update the fleet's repository
// carries: Installed is in the base, Fixed comes from bookworm-security.
type SecurityUpdate struct {
	Name, Installed, Fixed string
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9]{0,5}$`)

func (c *Config) validate() error {
	if !nameRE.MatchString(c.Name) {
		return fmt.Errorf("localfleet: config name %q must match %s (it prefixes interface names of at most 15 characters)", c.Name, nameRE)
	}
	if c.Subnet < 1 || c.Subnet > 254 {
		return fmt.Errorf("localfleet: fleet %q: subnet must be 1..254, got %d", c.Name, c.Subnet)
	}
	if c.Hosts < 0 || c.RPMHosts < 0 || c.ZypperHosts < 0 || c.Hosts+c.RPMHosts+c.ZypperHosts > 240 {
		return fmt.Errorf("localfleet: fleet %q: hosts+rpm_hosts+zypper_hosts must be 0..240, got %d+%d+%d", c.Name, c.Hosts, c.RPMHosts, c.ZypperHosts)
	}
	if c.Hosts+c.RPMHosts+c.ZypperHosts == 0 {
		return fmt.Errorf("localfleet: fleet %q: no hosts requested (set Hosts, RPMHosts or ZypperHosts)", c.Name)
	}
	return nil
}

func (c *Config) defaults() {
	if c.Dir == "" {
		c.Dir = filepath.Join(defaultRootDir, c.Name)
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	if c.UpTimeout <= 0 {
		c.UpTimeout = defaultUpTimout
	}
}

// Names of the fleet's network objects in the machine's namespace. Linux
// interface names hold at most 15 characters; Name has at most 6.
func bridgeName(name string) string    { return "pf-" + name + "-br" }
func repoNS(name string) string        { return "pf-" + name + "-repo" }
func hostNS(name string, i int) string { return fmt.Sprintf("pf-%s-h%d", name, i) }
func vethName(name string, i int) string {
	return fmt.Sprintf("pfv-%s-%d", name, i) // i <= 240: at most 14 characters
}
func repoVeth(name string) string        { return "pfv-" + name + "-r" }
func hostName(name string, i int) string { return fmt.Sprintf("%s-h%d", name, i) }
func subnetAddr(subnet, last int) string {
	return fmt.Sprintf("10.213.%d.%d", subnet, last)
}
