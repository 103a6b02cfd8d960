package localfleet

import (
	"context"
	"errors"
)

// hostKind is the seam between the shared host machinery (namespaces,
// overlay, sshd, reboot, faults) and what differs per operating system
// family: the base root file system, the packages in the fleet repository
// and the per-host files. aptKind (debian.go) is the Debian kind; rpmKind
// (rpmkind.go) provides the dnf and the zypper hosts, one rpmFlavour each
// (rpmbase.go, zypper_base.go), and registers itself in newRPMKind and
// newZypperKind.
type hostKind interface {
	// name is the package manager the hosts use: "apt", "dnf" or "zypper".
	name() string
	// prepare runs once per fleet before any host boots: it provides the
	// base root file system and adds this kind's packages to f.RepoDir.
	prepare(ctx context.Context, f *Fleet) error
	// lowerDir is the read-only base every host of this kind overlays.
	lowerDir() string
	// customize writes one host's own files into its mounted root, after
	// the shared ones (hostname, host key, authorized keys) are in place.
	customize(f *Fleet, h *host) error
	// release lets go of what prepare holds (the base's shared lock).
	release()
}

// newRPMKind is set by rpmkind.go (in an init function) to provide dnf hosts;
// while it is nil, Config.RPMHosts must be 0. newZypperKind is the same
// for zypper hosts and Config.ZypperHosts.
var newRPMKind, newZypperKind func() hostKind

// kindHosts is a kind and how many hosts of it a fleet has.
type kindHosts struct {
	kind  hostKind
	hosts int
}

// kindsFor returns the kinds a fleet needs, in host order: Debian hosts,
// then dnf hosts, then zypper hosts.
func kindsFor(cfg Config) ([]kindHosts, error) {
	var out []kindHosts
	if cfg.Hosts > 0 {
		out = append(out, kindHosts{&aptKind{}, cfg.Hosts})
	}
	if cfg.RPMHosts > 0 {
		if newRPMKind == nil {
			return nil, errors.New("localfleet: Config.RPMHosts > 0 but this build has no rpm host kind (localfleet/rpm*.go)")
		}
		out = append(out, kindHosts{newRPMKind(), cfg.RPMHosts})
	}
	if cfg.ZypperHosts > 0 {
		if newZypperKind == nil {
			return nil, errors.New("localfleet: Config.ZypperHosts > 0 but this build has no zypper host kind (localfleet/zypper*.go)")
		}
		out = append(out, kindHosts{newZypperKind(), cfg.ZypperHosts})
	}
	return out, nil
}
