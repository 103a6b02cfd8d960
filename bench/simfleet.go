package bench

// This file is for scale runs only. It simulates Debian hosts in memory so
// the real workflows, activities, transport.Pool and apt driver can be
// pushed through a 10,000-host cycle on one machine. The worker never uses
// it: `patchflow worker` dials real hosts over SSH.

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/patchflow/patchflow/inventory"
	"github.com/patchflow/patchflow/transport"
)

// SimGroup is the inventory group holding every simulated host.
const SimGroup = "fleet"

// SimRepo lists the versions the simulated repository offers per package,
// oldest first. Every simulated host starts with the oldest version of each
// installed, so the newest is a pending security update.
var SimRepo = map[string][]string{
	"demo-app": {"1.0.0", "1.0.1"},
	"demo-lib": {"1.0", "1.1"},
}

// SimFleet is a set of simulated apt hosts answering, from memory, the
// commands patchflow's apt driver sends (for scale runs only). It is a
// transport.Dialer; each host keeps its own installed package versions.
type SimFleet struct {
	// Latency is added to every command, as a fixed stand-in for the
	// network and package manager time of a real host (0 = none).
	Latency time.Duration

	mu       sync.Mutex
	hosts    map[string]*simHost
	commands int64
}

type simHost struct {
	mu        sync.Mutex
	installed map[string]string
	files     map[string][]byte // files the activities keep on hosts
	installs  int
}

// NewSimFleet returns n simulated hosts named sim-h00001.. (zero-padded so
// name order is numeric order).
func NewSimFleet(n int) *SimFleet {
	f := &SimFleet{hosts: make(map[string]*simHost, n)}
	for _, name := range SimHostNames(n) {
		h := &simHost{installed: map[string]string{}, files: map[string][]byte{}}
		for pkg, vs := range SimRepo {
			h.installed[pkg] = vs[0]
		}
		f.hosts[name] = h
	}
	return f
}

// SimHostNames returns the names NewSimFleet(n) gives its hosts.
func SimHostNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("sim-h%05d", i+1)
	}
	return out
}

// Inventory returns the simulated hosts as an inventory (source "sim:<n>"),
// every host in group SimGroup.
func (f *SimFleet) Inventory() *inventory.Inventory {
	f.mu.Lock()
	names := make([]string, 0, len(f.hosts))
	for n := range f.hosts {
		names = append(names, n)
	}
	f.mu.Unlock()
	sort.Strings(names)
	inv := &inventory.Inventory{Source: fmt.Sprintf("sim:%d", len(names)), Format: inventory.FormatPatchflow,
		GroupNames: []string{inventory.GroupAll, SimGroup, inventory.GroupUngrouped}}
	for _, n := range names {
		inv.Hosts = append(inv.Hosts, inventory.Host{Name: n, Address: n, Port: 22, User: "root",
			Transport: "ssh", Groups: []string{SimGroup}, Labels: map[string]string{}})
	}
	return inv
}

// Installed returns a simulated host's installed version of pkg.
func (f *SimFleet) Installed(host, pkg string) string {
	f.mu.Lock()
	h := f.hosts[host]
	f.mu.Unlock()
	if h == nil {
		return ""
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.installed[pkg]
}

// Commands returns how many commands the simulated hosts have answered.
func (f *SimFleet) Commands() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.commands
}

// Dial implements transport.Dialer.
func (f *SimFleet) Dial(_ context.Context, h inventory.Host) (transport.Conn, error) {
	f.mu.Lock()
	sh := f.hosts[h.Name]
	f.mu.Unlock()
	if sh == nil {
		return nil, &transport.Error{Host: h.Name, Op: "connect", Kind: transport.Unreachable,
			Err: fmt.Errorf("no simulated host %q", h.Name)}
	}
	return &simConn{f: f, name: h.Name, h: sh}, nil
}

type simConn struct {
	f    *SimFleet
	name string
	h    *simHost
}

func (c *simConn) Host() string { return c.name }
func (c *simConn) Close() error { return nil }

// Run answers one command the way a Debian host with the simulated
// repository would, for the commands the apt driver sends.
func (c *simConn) Run(ctx context.Context, cmd transport.Command) (transport.Result, error) {
	if len(cmd.Args) == 0 {
		return transport.Result{}, &transport.Error{Host: c.name, Op: "run", Kind: transport.Invalid, Err: fmt.Errorf("empty command")}
	}
	c.f.mu.Lock()
	c.f.commands++
	c.f.mu.Unlock()
	if c.f.Latency > 0 {
		select {
		case <-ctx.Done():
			return transport.Result{}, &transport.Error{Host: c.name, Op: "run " + cmd.Args[0], Kind: transport.Timeout, Err: ctx.Err()}
		case <-time.After(c.f.Latency):
		}
	}
	c.h.mu.Lock()
	defer c.h.mu.Unlock()
	a := cmd.Args
	switch {
	case a[0] == "cat" && len(a) == 2 && a[1] == "/etc/os-release":
		return ok("ID=debian\nVERSION_ID=\"12\"\n"), nil
	case a[0] == "apt-get" && has(a, "update"):
		return ok("Reading package lists...\n"), nil
	case a[0] == "apt-get" && has(a, "install"):
		return c.h.aptInstall(a), nil
	case a[0] == "dpkg-query":
		return c.h.dpkgQuery(a), nil
	case a[0] == "apt-cache" && len(a) > 1 && a[1] == "madison":
		return madison(a[2:]), nil
	case a[0] == "python3" && len(a) == 2 && a[1] == "-":
		return c.h.pending(), nil
	case a[0] == "python3" && len(a) > 1 && a[1] == "-c":
		return ok(""), nil // the dpkg lock probe: no lock held
	case a[0] == "dpkg" && has(a, "--audit"):
		return ok(""), nil
	case a[0] == "test":
		return transport.Result{ExitCode: 1}, nil // no /var/run/reboot-required
	case a[0] == "sh" && len(a) >= 4 && a[1] == "-c":
		return c.h.shell(a[2], a[4:], cmd.Stdin), nil
	case a[0] == "df":
		var b strings.Builder
		b.WriteString("Filesystem 1024-blocks Used Available Capacity Mounted on\n")
		for _, p := range a[1:] {
			if !strings.HasPrefix(p, "-") {
				fmt.Fprintf(&b, "simfs 104857600 1048576 103809024 1%% %s\n", p)
			}
		}
		return ok(b.String()), nil
	}
	return transport.Result{ExitCode: 127, Stderr: []byte("sim: " + a[0] + ": command not found\n")}, nil
}

func (h *simHost) aptInstall(a []string) transport.Result {
	download := has(a, "--download-only")
	want := map[string]string{}
	for _, arg := range a[2:] {
		if strings.HasPrefix(arg, "-") || !strings.Contains(arg, "=") {
			if name, found := strings.CutSuffix(arg, "-"); found && !strings.HasPrefix(arg, "-") {
				want[name] = ""
			}
			continue
		}
		if strings.HasPrefix(arg, "Dpkg::") {
			continue
		}
		name, ver, _ := strings.Cut(arg, "=")
		if !offered(name, ver) {
			return transport.Result{ExitCode: 100, Stderr: []byte(fmt.Sprintf("E: Version '%s' for '%s' was not found\n", ver, name))}
		}
		want[name] = ver
	}
	if download {
		return ok("Download complete and in download only mode\n")
	}
	for name, ver := range want {
		if ver == "" {
			delete(h.installed, name)
		} else {
			h.installed[name] = ver
		}
	}
	h.installs++
	return ok(fmt.Sprintf("%d packages changed\n", len(want)))
}

// shell answers the two small scripts the activities run to keep a file
// on the host (the first-seen records): read one file (exit 3 when it does
// not exist) and replace one file with stdin.
func (h *simHost) shell(script string, args []string, stdin []byte) transport.Result {
	switch {
	case strings.Contains(script, "exec cat") && len(args) == 1:
		data, found := h.files[args[0]]
		if !found {
			return transport.Result{ExitCode: 3}
		}
		return transport.Result{Stdout: data}
	case strings.Contains(script, "mv -f") && len(args) == 2:
		h.files[args[1]] = append([]byte(nil), stdin...)
		return ok("")
	}
	return transport.Result{ExitCode: 127, Stderr: []byte("sim: unsupported script: " + script + "\n")}
}

func (h *simHost) dpkgQuery(a []string) transport.Result {
	var out, errOut strings.Builder
	exit := 0
	// Args: dpkg-query -W -f FORMAT names...
	for _, name := range a[4:] {
		if v, found := h.installed[name]; found {
			fmt.Fprintf(&out, "%s\tamd64\t%s\tii\n", name, v)
		} else {
			fmt.Fprintf(&errOut, "dpkg-query: no packages found matching %s\n", name)
			exit = 1
		}
	}
	return transport.Result{Stdout: []byte(out.String()), Stderr: []byte(errOut.String()), ExitCode: exit}
}

// pending answers the python3-apt script with the apt driver's JSON
// format: every installed package with a newer version, from the
// security suite.
func (h *simHost) pending() transport.Result {
	type origin struct {
		Origin, Label, Archive, Codename, Site, Component string
	}
	type up struct {
		Name      string   `json:"name"`
		Arch      string   `json:"arch"`
		Installed string   `json:"installed"`
		Candidate string   `json:"candidate"`
		Origins   []origin `json:"origins"`
	}
	ups := []up{}
	for _, name := range sortedKeys(h.installed) {
		vs := SimRepo[name]
		if len(vs) == 0 || vs[len(vs)-1] == h.installed[name] {
			continue
		}
		ups = append(ups, up{Name: name, Arch: "amd64", Installed: h.installed[name], Candidate: vs[len(vs)-1],
			Origins: []origin{{Origin: "Debian", Label: "Debian-Security", Archive: "stable-security",
				Codename: "bookworm-security", Site: "sim", Component: "main"}}})
	}
	js, _ := json.Marshal(ups)
	// encoding/json writes the field names capitalised for origin; the
	// driver's decoder matches case-insensitively.
	return ok("PATCHFLOW-JSON " + string(js) + "\n")
}

func madison(names []string) transport.Result {
	var b strings.Builder
	for _, n := range names {
		vs := SimRepo[n]
		for i := len(vs) - 1; i >= 0; i-- {
			fmt.Fprintf(&b, "%10s | %s | http://sim bookworm-security/main amd64 Packages\n", n, vs[i])
		}
	}
	return ok(b.String())
}

func offered(name, ver string) bool {
	for _, v := range SimRepo[name] {
		if v == ver {
			return true
		}
	}
	return false
}

func ok(stdout string) transport.Result { return transport.Result{Stdout: []byte(stdout)} }

func has(args []string, s string) bool {
	for _, a := range args {
		if a == s {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
