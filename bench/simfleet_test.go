package bench

import (
	"context"
	"os"
	"testing"

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
