package bench

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/patchflow/patchflow/activities"
	"github.com/patchflow/patchflow/inventory"
	"github.com/patchflow/patchflow/workflows"

	"github.com/patchflow/patchflow/pkgmgr"
	"github.com/patchflow/patchflow/transport"
)

func TestMain(m *testing.M) {
	MaybeRunSimWorker()
	os.Exit(m.Run())
}

// TestSimFleetSpeaksApt drives a simulated host with the real apt driver:
// the scale benchmark is only meaningful if the driver sees what it would
// see on Debian (a pending security update, a pinned install verified).
func TestSimFleetSpeaksApt(t *testing.T) {
	ctx := context.Background()
	f := NewSimFleet(3)
	inv := f.Inventory()
	if len(inv.Hosts) != 3 || inv.Hosts[0].Name != "sim-h00001" {
		t.Fatalf("inventory hosts %v", inv.Hosts)
	}
	pool := transport.NewPool(f)
	defer pool.Close()
	c, err := pool.Get(ctx, inv.Hosts[1])
	if err != nil {
		t.Fatal(err)
	}
	m, err := pkgmgr.Detect(ctx, c, false)
	if err != nil || m.Kind() != "apt" {
		t.Fatalf("detect: %v %v", m, err)
	}
	if err := m.Health(ctx); err != nil {
		t.Fatalf("health: %v", err)
	}
	ups, err := m.Pending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 2 || ups[0].Name != "demo-app" || ups[0].Candidate != "1.0.1" || ups[0].Class != pkgmgr.Security {
		t.Fatalf("pending %+v, want demo-app 1.0.1 (security) and demo-lib", ups)
	}
	if err := m.Available(ctx, []pkgmgr.Pin{{Name: "demo-app", Version: "1.0.0"}}); err != nil {
		t.Fatalf("available: %v", err)
	}
	if err := m.Install(ctx, []pkgmgr.Pin{{Name: "demo-app", Version: "1.0.1"}}); err != nil {
		t.Fatalf("install: %v", err)
	}
	if got := f.Installed("sim-h00002", "demo-app"); got != "1.0.1" {
		t.Errorf("sim-h00002 demo-app %s after install, want 1.0.1", got)
	}
	if got := f.Installed("sim-h00001", "demo-app"); got != "1.0.0" {
		t.Errorf("sim-h00001 demo-app %s, want untouched 1.0.0", got)
	}
	err = m.Install(ctx, []pkgmgr.Pin{{Name: "demo-app", Version: "9.9"}})
	if pkgmgr.KindOf(err) != pkgmgr.NotFound {
		t.Errorf("install of a version the repository lacks: %v, want NotFound", err)
	}
	if reboot, err := m.RebootRequired(ctx); err != nil || reboot {
		t.Errorf("reboot required %v %v, want false", reboot, err)
	}
}

// TestSimFleetAnswersEveryScanCommand runs the activities' scan of a
// simulated host and checks no command reached the "command not found"
// answer: a new command in the activities must be taught to the sim, or
// the scale benchmark would measure failures.
func TestSimFleetAnswersEveryScanCommand(t *testing.T) {
	f := NewSimFleet(1)
	rec := &recordingDialer{d: f}
	inv := f.Inventory()
	a := activities.New(activities.Deps{Pool: transport.NewPool(rec),
		LoadInventory: func(string) (*inventory.Inventory, error) { return inv, nil }})
	in := workflows.ScanBatchInput{Inventory: "sim", Hosts: []string{inv.Hosts[0].Name}, Refresh: true}
	for range 2 { // the second scan reads what the first one wrote
		res, err := a.ScanHosts(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Failed) > 0 || len(res.Hosts) != 1 || len(res.Hosts[0].Updates) != 2 {
			t.Fatalf("scan found %+v (failed %+v), want demo-app and demo-lib", res.Hosts, res.Failed)
		}
	}
	if len(rec.unknown) > 0 {
		t.Errorf("commands the simulated hosts do not know: %v", rec.unknown)
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
