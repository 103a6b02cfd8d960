package localfleet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// testNet is the whole test network; its unreachable route keeps every test
// address on this machine even when a fleet's bridge is down.
const testNet = "10.213.0.0/16"

// netStateDir holds the machine-wide network lock and the note that the
// fixture added the unreachable route (on tmpfs: both end with a reboot,
// as the route does). The path keeps the package's former name
// (testfleet): every build on the machine must take the same lock.
var netStateDir = "/run/patchflow-testfleet"

func netLock(ctx context.Context) (*os.File, error) {
	if err := os.MkdirAll(netStateDir, 0o755); err != nil {
		return nil, fmt.Errorf("localfleet: create %s: %w", netStateDir, err)
	}
	return lockFile(ctx, filepath.Join(netStateDir, "net.lock"), syscall.LOCK_EX)
}

// setupBridge creates the fleet's bridge with the gateway address and makes
// sure the unreachable route exists.
func setupBridge(ctx context.Context, name string, subnet int) error {
	lock, err := netLock(ctx)
	if err != nil {
		return err
	}
	defer lock.Close()
	out, err := run(ctx, "ip", "route", "show", "exact", testNet)
	if err != nil {
		return fmt.Errorf("localfleet: read routes: %w", err)
	}
	if !strings.Contains(string(out), "unreachable") {
		if _, err := run(ctx, "ip", "route", "add", "unreachable", testNet); err != nil {
			return fmt.Errorf("localfleet: keep test traffic on this machine: %w", err)
		}
		if err := os.WriteFile(filepath.Join(netStateDir, "route-added"), nil, 0o644); err != nil {
			return fmt.Errorf("localfleet: note the added route: %w", err)
		}
	}
	br := bridgeName(name)
	steps := [][]string{
		{"link", "add", br, "type", "bridge"},
		{"addr", "add", subnetAddr(subnet, 1) + "/24", "dev", br},
		{"link", "set", br, "up"},
	}
	for _, s := range steps {
		if _, err := run(ctx, "ip", s...); err != nil {
			return fmt.Errorf("localfleet: fleet %q: create bridge: %w", name, err)
		}
	}
	return nil
}

// attach creates a network namespace with eth0 on the fleet's bridge.
func attach(ctx context.Context, ns, veth, bridge, addr string) error {
	steps := [][]string{
		{"netns", "add", ns},
		{"link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns},
		{"link", "set", veth, "master", bridge, "up"},
		{"-n", ns, "addr", "add", addr + "/24", "dev", "eth0"},
		{"-n", ns, "link", "set", "eth0", "up"},
		{"-n", ns, "link", "set", "lo", "up"},
	}
	for _, s := range steps {
		if _, err := run(ctx, "ip", s...); err != nil {
			return fmt.Errorf("localfleet: network for %s: %w", ns, err)
		}
	}
	return nil
}

// fleetNamespaces lists the network namespaces of fleet name, also those of
// a crashed earlier run.
func fleetNamespaces(ctx context.Context, name string) ([]string, error) {
	out, err := run(ctx, "ip", "netns", "list")
	if err != nil {
		return nil, fmt.Errorf("localfleet: list network namespaces: %w", err)
	}
	var nss []string
	prefix := "pf-" + name + "-"
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && strings.HasPrefix(f[0], prefix) {
			nss = append(nss, f[0])
		}
	}
	return nss, nil
}

// nsPIDs lists the processes in a network namespace.
func nsPIDs(ctx context.Context, ns string) []int {
	out, err := run(ctx, "ip", "netns", "pids", ns)
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		var pid int
		if _, err := fmt.Sscan(f, &pid); err == nil && pid > 1 {
			pids = append(pids, pid)
		}
	}
	return pids
}

// killNamespaces ends every process in the given network namespaces (all
// started by this fixture: nothing else joins them) and waits until they
// are gone.
func killNamespaces(ctx context.Context, nss []string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		var left []int
		for _, ns := range nss {
			left = append(left, nsPIDs(ctx, ns)...)
		}
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("localfleet: processes %v still running in %v after SIGKILL", left, nss)
		}
		for _, pid := range left {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(50 * time.Millisecond) // poll until the kernel has reaped them
	}
}

// teardownNetwork deletes the namespaces and the bridge of fleet name, and
// the unreachable route if the fixture added it and no fleet bridge is left.
func teardownNetwork(ctx context.Context, name string, nss []string) error {
	var errs []error
	// Delete the veths explicitly: a namespace outlives its name while an
	// orphaned TCP socket in it (the repository's, say) still retransmits,
	// and its veth would keep the name the next Up needs.
	if ifs, err := net.Interfaces(); err == nil {
		for _, i := range ifs {
			if strings.HasPrefix(i.Name, "pfv-"+name+"-") {
				if _, err := run(ctx, "ip", "link", "del", i.Name); err != nil {
					errs = append(errs, fmt.Errorf("localfleet: delete veth: %w", err))
				}
			}
		}
	}
	for _, ns := range nss {
		if _, err := run(ctx, "ip", "netns", "del", ns); err != nil {
			errs = append(errs, fmt.Errorf("localfleet: delete namespace: %w", err))
		}
	}
	br := bridgeName(name)
	if _, err := net.InterfaceByName(br); err == nil {
		if _, err := run(ctx, "ip", "link", "del", br); err != nil {
			errs = append(errs, fmt.Errorf("localfleet: delete bridge: %w", err))
		}
	}
	lock, err := netLock(ctx)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	defer lock.Close()
	marker := filepath.Join(netStateDir, "route-added")
	if _, err := os.Stat(marker); err == nil && !otherFleetBridges() {
		if _, err := run(ctx, "ip", "route", "del", "unreachable", testNet); err != nil {
			errs = append(errs, fmt.Errorf("localfleet: remove the test route: %w", err))
		} else {
			os.Remove(marker)
		}
	}
	return errors.Join(errs...)
}

// otherFleetBridges reports whether any fleet's bridge still exists.
func otherFleetBridges() bool {
	ifs, err := net.Interfaces()
	if err != nil {
		return true // cannot tell: keep the route
	}
	for _, i := range ifs {
		if strings.HasPrefix(i.Name, "pf-") && strings.HasSuffix(i.Name, "-br") {
			return true
		}
	}
	return false
}

// waitSSH polls until an sshd answers with its banner at addr:22.
func waitSSH(ctx context.Context, addr string) error {
	var last error
	for {
		d := net.Dialer{Timeout: time.Second}
		c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(addr, "22"))
		if err == nil {
			c.SetDeadline(time.Now().Add(2 * time.Second))
			buf := make([]byte, 4)
			_, err = c.Read(buf)
			c.Close()
			if err == nil && string(buf) == "SSH-" {
				return nil
			}
			if err == nil {
				err = fmt.Errorf("unexpected banner %q", buf)
			}
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("localfleet: sshd at %s did not answer: %v (%w)", addr, last, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// waitTCP polls until something accepts connections at hostport.
func waitTCP(ctx context.Context, hostport string) error {
	var last error
	for {
		d := net.Dialer{Timeout: time.Second}
		c, err := d.DialContext(ctx, "tcp", hostport)
		if err == nil {
			c.Close()
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("localfleet: nothing answers at %s: %v (%w)", hostport, last, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
