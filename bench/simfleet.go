package bench

// This file is for scale runs only. It simulates Debian hosts in memory so
// the real workflows, activities, transport.Pool and apt driver can be
// pushed through cycles of 10,000 hosts and more on one machine. The
// worker never uses it: `patchflow worker` dials real hosts over SSH.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patchflow/patchflow/inventory"
	"github.com/patchflow/patchflow/transport"
)

// SimGroup is the inventory group holding every simulated host.
const SimGroup = "fleet"

// DefaultUnreachable is the share of simulated hosts a scale run cannot
// reach: real fleets always have a few hosts down.
const DefaultUnreachable = 0.01

// SimConfig describes a simulated fleet. Everything about a host follows
// from Seed and its position, so two processes (or two runs) building the
// same config get the same fleet.
type SimConfig struct {
	Hosts int
	// Seed makes the fleet; 0 is 1.
	Seed uint64
	// Unreachable is the share of hosts that refuse connections (rounded
	// to whole hosts).
	Unreachable float64
	// FailInstall names hosts whose upgrade fails in its first package's
	// postinst (the package is left half-configured, apt exits 100), as a
	// bad patch does; downgrades (rollbacks) work.
	FailInstall []string
	// Latency is added to every command, as a fixed stand-in for the
	// network and package manager time of a real host (0 = none).
	Latency time.Duration
	// Uniform gives every host the same backlog (one role of 97 updates,
	// no host-to-host variation), as a fleet cloned from one image and
	// never touched by hand would have. Real fleets vary; this setting
	// exists to measure throughput when a realistic run cannot finish.
	Uniform bool
	// ScannedBefore, when set, gives every host the first-seen records
	// patchflow's daily scans before that time would have left: each
	// update first seen at the scan after its (simulated) release, the
	// hosts of one scan a few milliseconds apart.
	ScannedBefore time.Time
}

// pkgState is a package's state on a simulated host.
type pkgState uint8

const (
	pkgAbsent  pkgState = iota // not installed
	pkgOld                     // installed at the backlog's old version: an update is pending
	pkgCurrent                 // installed at the candidate version
	pkgHalf                    // the candidate unpacked, its postinst failed (dpkg status iF)
)

// SimFleet is a set of simulated Debian 12 hosts answering, from memory,
// the commands patchflow's activities and apt driver send (for scale runs
// only). Each host has a realistic backlog: 50-140 of the 140 updates a
// real bookworm host had pending (testdata), most hosts sharing most of
// them. It is a transport.Dialer.
type SimFleet struct {
	cfg      SimConfig
	universe []simPackage
	index    map[string]int
	names    []string
	hosts    map[string]*simHost
	commands atomic.Int64
}

type simHost struct {
	mu          sync.Mutex
	pos         int
	unreachable bool
	failInstall bool
	state       []pkgState
	initial     []pkgState
	files       map[string][]byte // files the activities wrote
	installs    int               // apt-get install runs that changed the host
}

// NewSimFleet builds the fleet cfg describes; hosts are named
// sim-h00001.. (zero-padded so name order is numeric order).
func NewSimFleet(cfg SimConfig) (*SimFleet, error) {
	if cfg.Hosts <= 0 {
		return nil, fmt.Errorf("simulated fleet: %d hosts, want at least 1", cfg.Hosts)
	}
	if cfg.Unreachable < 0 || cfg.Unreachable > 1 {
		return nil, fmt.Errorf("simulated fleet: unreachable share %g, want 0..1", cfg.Unreachable)
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	universe, err := loadBacklog()
	if err != nil {
		return nil, err
	}
	f := &SimFleet{cfg: cfg, universe: universe, index: map[string]int{},
		names: SimHostNames(cfg.Hosts), hosts: make(map[string]*simHost, cfg.Hosts)}
	for i, p := range universe {
		f.index[p.Name] = i
	}
	roles := buildRoles(universe, cfg.Seed)
	down := map[int]bool{}
	if k := int(cfg.Unreachable*float64(cfg.Hosts) + 0.5); k > 0 {
		for _, i := range rand.New(rand.NewPCG(cfg.Seed, 7)).Perm(cfg.Hosts)[:k] {
			down[i] = true
		}
	}
	fail := map[string]bool{}
	for _, h := range cfg.FailInstall {
		fail[h] = true
	}
	for i, name := range f.names {
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(i)+1<<32))
		h := &simHost{pos: i, unreachable: down[i], failInstall: fail[name], state: make([]pkgState, len(universe))}
		role := uniformRole
		if !cfg.Uniform {
			role = pickRole(roles, rng)
		}
		for _, p := range roles[role].packages {
			h.state[p] = pkgOld
			if !cfg.Uniform && rng.Float64() < hostAlreadyHas {
				h.state[p] = pkgCurrent
			}
		}
		h.initial = append([]pkgState(nil), h.state...)
		f.hosts[name] = h
	}
	for h := range fail {
		if f.hosts[h] == nil {
			return nil, fmt.Errorf("simulated fleet: FailInstall names %s, which is not among its %d hosts", h, cfg.Hosts)
		}
	}
	return f, nil
}

// SimHostNames returns the names NewSimFleet gives n hosts.
func SimHostNames(n int) []string {
	width := max(5, len(strconv.Itoa(n)))
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("sim-h%0*d", width, i+1)
	}
	return out
}

// Config returns the fleet's configuration.
func (f *SimFleet) Config() SimConfig { return f.cfg }

// Names returns the host names in order.
func (f *SimFleet) Names() []string { return f.names }

// Inventory returns the simulated hosts as an inventory (source
// "sim:<n>"), every host in group SimGroup.
func (f *SimFleet) Inventory() *inventory.Inventory { return simInventory(f.names) }

func simInventory(names []string) *inventory.Inventory {
	inv := &inventory.Inventory{Source: fmt.Sprintf("sim:%d", len(names)), Format: inventory.FormatPatchflow,
		GroupNames: []string{inventory.GroupAll, SimGroup, inventory.GroupUngrouped}}
	inv.Hosts = make([]inventory.Host, len(names))
	for i, n := range names {
		inv.Hosts[i] = inventory.Host{Name: n, Address: n, Port: 22, User: "root",
			Transport: "ssh", Groups: []string{SimGroup}, Labels: map[string]string{}}
	}
	return inv
}

// Unreachable lists the hosts that refuse connections, in name order.
func (f *SimFleet) Unreachable() []string {
	var out []string
	for _, n := range f.names {
		if f.hosts[n].unreachable {
			out = append(out, n)
		}
	}
	return out
}

// Installed returns a simulated host's installed version of pkg ("" when
// absent).
func (f *SimFleet) Installed(host, pkg string) string {
	h, i := f.hosts[host], f.index[pkg]
	if h == nil {
		return ""
	}
	if _, ok := f.index[pkg]; !ok {
		return ""
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return f.version(i, h.state[i])
}

// PendingCount returns how many updates a host has pending now.
func (f *SimFleet) PendingCount(host string) int {
	h := f.hosts[host]
	if h == nil {
		return 0
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, s := range h.state {
		if s == pkgOld {
			n++
		}
	}
	return n
}

func (f *SimFleet) version(i int, s pkgState) string {
	switch s {
	case pkgOld:
		return f.universe[i].Old
	case pkgCurrent, pkgHalf:
		return f.universe[i].Candidate
	}
	return ""
}

// SimStats summarises the fleet's state: what a run changed.
type SimStats struct {
	Hosts, Unreachable int
	// PendingHosts are reachable hosts with an update still pending, and
	// Pending the updates they have; PendingMin/Mean/Max describe the
	// backlog per reachable host.
	PendingHosts, Pending  int
	PendingMin, PendingMax int
	PendingMean            float64
	// Changed are hosts not in their initial state; HalfConfigured hosts
	// have a package left by a failed postinst.
	Changed, HalfConfigured int
	// Installs counts apt-get install runs that changed a host;
	// MaxInstalls is the most on one host.
	Installs, MaxInstalls int
	Commands              int64
}

// Stats returns the fleet's state now.
func (f *SimFleet) Stats() SimStats {
	st := SimStats{Hosts: len(f.names), Commands: f.commands.Load(), PendingMin: -1}
	reachable := 0
	for _, n := range f.names {
		h := f.hosts[n]
		h.mu.Lock()
		pending, half, changed := 0, false, false
		for i, s := range h.state {
			pending += b2i(s == pkgOld)
			half = half || s == pkgHalf
			changed = changed || s != h.initial[i]
		}
		st.Installs += h.installs
		st.MaxInstalls = max(st.MaxInstalls, h.installs)
		unreachable := h.unreachable
		h.mu.Unlock()
		st.Changed += b2i(changed)
		st.HalfConfigured += b2i(half)
		if unreachable {
			st.Unreachable++
			continue
		}
		reachable++
		st.Pending += pending
		st.PendingHosts += b2i(pending > 0)
		if st.PendingMin < 0 || pending < st.PendingMin {
			st.PendingMin = pending
		}
		st.PendingMax = max(st.PendingMax, pending)
	}
	if reachable > 0 {
		st.PendingMean = float64(st.Pending) / float64(reachable)
	}
	st.PendingMin = max(st.PendingMin, 0)
	return st
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Dial implements transport.Dialer: an unreachable host refuses, as a
// powered-off host behind a router does.
func (f *SimFleet) Dial(_ context.Context, h inventory.Host) (transport.Conn, error) {
	sh := f.hosts[h.Name]
	if sh == nil {
		return nil, &transport.Error{Host: h.Name, Op: "connect", Kind: transport.Unreachable,
			Msg: fmt.Sprintf("host %s: connect: no simulated host of that name", h.Name)}
	}
	if sh.unreachable {
		return nil, &transport.Error{Host: h.Name, Op: "connect", Kind: transport.Unreachable,
			Msg: fmt.Sprintf("host %s: connect to %s:22: dial tcp: connect: no route to host", h.Name, h.Address)}
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

// Run answers one command the way the Debian host would.
func (c *simConn) Run(ctx context.Context, cmd transport.Command) (transport.Result, error) {
	return c.f.run(ctx, c.name, c.h, cmd)
}

// run answers cmd on host h after the configured latency.
func (f *SimFleet) run(ctx context.Context, name string, h *simHost, cmd transport.Command) (transport.Result, error) {
	if len(cmd.Args) == 0 {
		return transport.Result{}, &transport.Error{Host: name, Op: "run", Kind: transport.Invalid, Msg: "empty command"}
	}
	f.commands.Add(1)
	if f.cfg.Latency > 0 {
		t := time.NewTimer(f.cfg.Latency)
		select {
		case <-ctx.Done():
			t.Stop()
			return transport.Result{}, &transport.Error{Host: name, Op: "run " + cmd.Args[0], Kind: transport.Timeout, Err: ctx.Err()}
		case <-t.C:
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return f.answer(h, cmd), nil
}
