package hostscan

import (
	"context"
	"testing"

	"github.com/patchflow/patchflow/inventory"
	"github.com/patchflow/patchflow/pkgmgr"
	"github.com/patchflow/patchflow/transport"
)

// target connects to a fleet host the way a worker does: inventory,
// pooled SSH with verified host keys, the detected package manager.
func target(t *testing.T, inventoryPath, host string) Target {
	t.Helper()
	inv, err := inventory.Load(inventoryPath)
	if err != nil {
		t.Fatal(err)
	}
	h, ok := inv.Lookup(host)
	if !ok {
		t.Fatalf("host %s not in %s", host, inventoryPath)
	}
	pool := transport.NewPool(transport.NewSSHDialer(transport.WithSSHConfigFile(""), transport.WithAgentSocket("")))
	t.Cleanup(func() { pool.Close() })
	conn, err := pool.Get(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := pkgmgr.Detect(context.Background(), conn, h.Become)
	if err != nil {
		t.Fatal(err)
	}
	return Target{Name: host, Conn: conn, Mgr: mgr, Sudo: h.Become}
}
