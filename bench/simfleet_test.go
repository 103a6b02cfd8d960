package bench

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/patchflow/patchflow/activities"
	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/inventory"
	"github.com/patchflow/patchflow/pkgmgr"
	"github.com/patchflow/patchflow/transport"
	"github.com/patchflow/patchflow/workflows"
)

func TestMain(m *testing.M) {
	MaybeRunSimWorker()
	os.Exit(m.Run())
}

func newTestFleet(t *testing.T, cfg SimConfig) *SimFleet {
	t.Helper()
	f, err := NewSimFleet(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// aptOn connects the real apt driver to one simulated host.
func aptOn(t *testing.T, d transport.Dialer, inv *inventory.Inventory, i int) pkgmgr.Manager {
	t.Helper()
	pool := transport.NewPool(d)
	t.Cleanup(func() { pool.Close() })
	c, err := pool.Get(context.Background(), inv.Hosts[i])
	if err != nil {
		t.Fatal(err)
	}
	m, err := pkgmgr.Detect(context.Background(), c, false)
	if err != nil || m.Kind() != "apt" {
		t.Fatalf("detect: %v %v", m, err)
	}
	return m
}

// TestSimFleetSpeaksApt drives a simulated host with the real apt driver:
// the scale benchmark is only meaningful if the driver sees what it would
// see on Debian: the real host's pending updates with their real origins
// (security and point-release updates), installs that change what the
// next listing shows, versions the repository lacks refused.
func TestSimFleetSpeaksApt(t *testing.T) {
	ctx := context.Background()
	f := newTestFleet(t, SimConfig{Hosts: 3})
	inv := f.Inventory()
	if len(inv.Hosts) != 3 || inv.Hosts[0].Name != "sim-h00001" {
		t.Fatalf("inventory hosts %v", inv.Hosts)
	}
	m := aptOn(t, f, inv, 1)
	if err := m.Health(ctx); err != nil {
		t.Fatalf("health: %v", err)
	}
	ups, err := m.Pending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := f.PendingCount("sim-h00002"); len(ups) != want || want < 50 {
		t.Fatalf("driver sees %d pending updates, the host has %d (want at least 50)", len(ups), want)
	}
	classes := map[pkgmgr.Class]int{}
	for _, u := range ups {
		classes[u.Class]++
	}
	if classes[pkgmgr.Security] == 0 || classes[pkgmgr.Bugfix] == 0 {
		t.Errorf("classes %v: want security (bookworm-security) and bugfix (point release) updates", classes)
	}
	u := ups[0]
	if err := m.Available(ctx, []pkgmgr.Pin{{Name: u.Name, Version: u.Installed}}); err != nil {
		t.Fatalf("available (rollback path of %s %s): %v", u.Name, u.Installed, err)
	}
	if err := m.Install(ctx, []pkgmgr.Pin{{Name: u.Name, Version: u.Candidate}}); err != nil {
		t.Fatalf("install: %v", err)
	}
	if got := f.Installed("sim-h00002", u.Name); got != u.Candidate {
		t.Errorf("sim-h00002 %s is %s after install, want %s", u.Name, got, u.Candidate)
	}
	after, err := m.Pending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(ups)-1 || slices.ContainsFunc(after, func(p pkgmgr.Update) bool { return p.Name == u.Name }) {
		t.Errorf("after installing %s the driver sees %d pending (was %d), want it gone", u.Name, len(after), len(ups))
	}
	err = m.Install(ctx, []pkgmgr.Pin{{Name: u.Name, Version: "9.9-9"}})
	if pkgmgr.KindOf(err) != pkgmgr.NotFound {
		t.Errorf("install of a version the repository lacks: %v, want NotFound", err)
	}
	if reboot, err := m.RebootRequired(ctx); err != nil || reboot {
		t.Errorf("reboot required %v %v, want false", reboot, err)
	}
}

// TestSimFleetAnswersEveryScanCommand runs the activities' scan, install
// and verify on a simulated host and checks no command reached the
// "command not found" answer: a new command in the activities must be
// taught to the sim, or the scale benchmark would measure failures. The
// scan after the install sees what the install changed.
func TestSimFleetAnswersEveryScanCommand(t *testing.T) {
	ctx := context.Background()
	f := newTestFleet(t, SimConfig{Hosts: 1, ScannedBefore: time.Now()})
	rec := &recordingDialer{d: f}
	inv := f.Inventory()
	host := inv.Hosts[0].Name
	a := activities.New(activities.Deps{Pool: transport.NewPool(rec),
		LoadInventory: func(string) (*inventory.Inventory, error) { return inv, nil }})
	scan := func() workflows.ScanBatchResult {
		t.Helper()
		res, err := a.ScanHosts(ctx, workflows.ScanBatchInput{Inventory: "sim", Hosts: []string{host}, Refresh: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Failed) > 0 || len(res.Hosts) != 1 {
			t.Fatalf("scan found %+v (failed %+v), want one host", res.Hosts, res.Failed)
		}
		return res
	}
	first := scan()
	pending := f.PendingCount(host)
	if len(first.Hosts[0].Updates) != pending {
		t.Fatalf("scan lists %d updates, the host has %d pending", len(first.Hosts[0].Updates), pending)
	}
	for _, u := range first.Updates {
		// The daily scans before left first-seen records: the updates
		// count from then, not from this scan.
		if u.Since.IsZero() || time.Since(u.Since) < 20*time.Hour {
			t.Fatalf("update %s %s pending since %v, want the earlier scans' record", u.Name, u.Candidate, u.Since)
		}
	}
	pins := make([]domain.Pin, 0, 10)
	for _, u := range first.Updates[:10] {
		pins = append(pins, domain.Pin{Name: u.Name, Version: u.Candidate})
	}
	in := workflows.HostInput{Inventory: "sim", Host: host, Pins: pins}
	snap, err := a.Prepare(ctx, in)
	if err != nil {
		t.Fatalf("prepare: %v", err)
	}
	if _, err := a.ApplyPins(ctx, in); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if v, err := a.Verify(ctx, in); err != nil || len(v.Problems) > 0 {
		t.Fatalf("verify: %v %v", v.Problems, err)
	}
	if second := scan(); len(second.Hosts[0].Updates) != pending-10 {
		t.Errorf("scan after installing 10 updates lists %d, want %d", len(second.Hosts[0].Updates), pending-10)
	}
	if _, err := a.Rollback(ctx, workflows.HostInput{Inventory: "sim", Host: host, Pins: snap.Pins}); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	if third := scan(); len(third.Hosts[0].Updates) != pending {
		t.Errorf("scan after the rollback lists %d, want %d again", len(third.Hosts[0].Updates), pending)
	}
	if len(rec.unknown) > 0 {
		t.Errorf("commands the simulated hosts do not know: %v", rec.unknown)
	}
}

// TestSimFleetBacklogIsRealistic checks the fleet looks like a real one:
// 50-140 pending updates per host, about 100 on average, most hosts
// sharing most of them, a few hosts unreachable, and the same fleet for
// the same seed.
func TestSimFleetBacklogIsRealistic(t *testing.T) {
	f := newTestFleet(t, SimConfig{Hosts: 1000, Unreachable: DefaultUnreachable})
	st := f.Stats()
	t.Logf("1000 hosts: %d unreachable, pending updates per reachable host %d-%d, mean %.1f", st.Unreachable, st.PendingMin, st.PendingMax, st.PendingMean)
	if st.Unreachable != 10 || len(f.Unreachable()) != 10 {
		t.Errorf("%d unreachable hosts, want 10 (1%% of 1000)", st.Unreachable)
	}
	if st.PendingMin < 50 || st.PendingMax > 140 || st.PendingMean < 90 || st.PendingMean > 110 {
		t.Errorf("pending updates per host %d-%d, mean %.1f; want 50-140, mean about 100", st.PendingMin, st.PendingMax, st.PendingMean)
	}
	// Count, per update, the hosts that have it pending.
	on := map[string]int{}
	for _, n := range f.Names() {
		h := f.hosts[n]
		for i, s := range h.state {
			if s == pkgOld {
				on[f.universe[i].Name]++
			}
		}
	}
	common := 0
	for _, n := range on {
		if n >= 500 {
			common++
		}
	}
	if len(on) > len(f.universe) || common < 50 {
		t.Errorf("%d distinct updates, %d of them on half the hosts or more; want most hosts to share most updates", len(on), common)
	}
	again := newTestFleet(t, SimConfig{Hosts: 1000, Unreachable: DefaultUnreachable})
	other := newTestFleet(t, SimConfig{Hosts: 1000, Unreachable: DefaultUnreachable, Seed: 2})
	same, differ := true, false
	for _, n := range f.Names() {
		same = same && slices.Equal(f.hosts[n].state, again.hosts[n].state)
		differ = differ || !slices.Equal(f.hosts[n].state, other.hosts[n].state)
	}
	if !same || !differ {
		t.Errorf("same seed gives the same fleet: %v; another seed another: %v", same, differ)
	}
	if !slices.Equal(f.Unreachable(), again.Unreachable()) {
		t.Errorf("unreachable hosts differ for one seed: %v and %v", f.Unreachable(), again.Unreachable())
	}
	uniform := newTestFleet(t, SimConfig{Hosts: 100, Uniform: true}).Stats()
	if uniform.PendingMin != 97 || uniform.PendingMax != 97 {
		t.Errorf("uniform fleet: %d-%d pending updates per host, want 97 on every host", uniform.PendingMin, uniform.PendingMax)
	}
}

// TestSimFleetFailedInstall shows a host set to fail its installs as the
// driver sees a bad patch: the postinst fails (ScriptFailed), dpkg
// reports the package half-configured, and the rollback to the snapshot
// repairs it.
func TestSimFleetFailedInstall(t *testing.T) {
	ctx := context.Background()
	f := newTestFleet(t, SimConfig{Hosts: 2, FailInstall: []string{"sim-h00002"}})
	m := aptOn(t, f, f.Inventory(), 1)
	ups, err := m.Pending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var pins, snapshot []pkgmgr.Pin
	for _, u := range ups[:5] {
		pins = append(pins, pkgmgr.Pin{Name: u.Name, Version: u.Candidate})
		snapshot = append(snapshot, pkgmgr.Pin{Name: u.Name, Version: u.Installed})
	}
	err = m.Install(ctx, pins)
	if pkgmgr.KindOf(err) != pkgmgr.ScriptFailed {
		t.Fatalf("install on a failing host: %v, want ScriptFailed", err)
	}
	if err := m.Health(ctx); pkgmgr.KindOf(err) != pkgmgr.Broken {
		t.Errorf("health after the failed postinst: %v, want Broken (half-configured)", err)
	}
	if err := m.Install(ctx, snapshot); err != nil {
		t.Fatalf("rollback to the snapshot: %v", err)
	}
	if err := m.Health(ctx); err != nil {
		t.Errorf("health after the rollback: %v", err)
	}
	if st := f.Stats(); st.Changed != 0 || st.HalfConfigured != 0 {
		t.Errorf("after the rollback %d hosts changed, %d half-configured; want none", st.Changed, st.HalfConfigured)
	}
	if _, err := NewSimFleet(SimConfig{Hosts: 2, FailInstall: []string{"sim-h00009"}}); err == nil {
		t.Error("a failing host that is not in the fleet was accepted")
	}
}

// TestSimFleetOverSocket serves a fleet to another process's view: the
// driver over the socket sees what it sees in process, installs through
// one client are seen through another, and an unreachable host refuses.
func TestSimFleetOverSocket(t *testing.T) {
	ctx := context.Background()
	f := newTestFleet(t, SimConfig{Hosts: 200, Unreachable: DefaultUnreachable})
	dir, err := os.MkdirTemp("", "simsock-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	srv, err := ServeSimFleet(f, filepath.Join(dir, "fleet.sock"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c1, err := DialSimFleet(srv.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	c2, err := DialSimFleet(srv.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	names, err := c1.Names(ctx)
	if err != nil || len(names) != 200 {
		t.Fatalf("names over the socket: %d, %v", len(names), err)
	}
	inv := simInventory(names)
	local, remote1, remote2 := aptOn(t, f, inv, 5), aptOn(t, c1, inv, 5), aptOn(t, c2, inv, 5)
	want, err := local.Pending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := remote1.Pending(ctx)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("pending over the socket differs from in process (%v)", err)
	}
	if err := remote1.Install(ctx, []pkgmgr.Pin{{Name: want[0].Name, Version: want[0].Candidate}}); err != nil {
		t.Fatal(err)
	}
	if after, err := remote2.Pending(ctx); err != nil || len(after) != len(want)-1 {
		t.Errorf("another client sees %d pending after one client's install, want %d (%v)", len(after), len(want)-1, err)
	}
	down := f.Unreachable()[0]
	var h inventory.Host
	for _, x := range inv.Hosts {
		if x.Name == down {
			h = x
		}
	}
	if _, err := c1.Dial(ctx, h); transport.KindOf(err) != transport.Unreachable {
		t.Errorf("dial of unreachable %s over the socket: %v, want Unreachable", down, err)
	}
	st, err := c2.Stats(ctx)
	if err != nil || st.Installs != 1 || st.Unreachable != 2 {
		t.Errorf("stats over the socket: %+v %v, want 1 install and 2 unreachable hosts", st, err)
	}
}

// recordingDialer notes every command a simulated host answered with 127.
type recordingDialer struct {
	d       transport.Dialer
	mu      sync.Mutex
	unknown []string
}

func (r *recordingDialer) Dial(ctx context.Context, h inventory.Host) (transport.Conn, error) {
	c, err := r.d.Dial(ctx, h)
	if err != nil {
		return nil, err
	}
	return &recordingConn{Conn: c, r: r}, nil
}

type recordingConn struct {
	transport.Conn
	r *recordingDialer
}

func (c *recordingConn) Run(ctx context.Context, cmd transport.Command) (transport.Result, error) {
	res, err := c.Conn.Run(ctx, cmd)
	if res.ExitCode == 127 {
		c.r.mu.Lock()
		c.r.unknown = append(c.r.unknown, cmd.String())
		c.r.mu.Unlock()
	}
	return res, err
}
