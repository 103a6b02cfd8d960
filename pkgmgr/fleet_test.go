package pkgmgr_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchflow/patchflow/inventory"
	"github.com/patchflow/patchflow/localfleet"
	"github.com/patchflow/patchflow/pkgmgr"
	"github.com/patchflow/patchflow/transport"
)

// countingConn counts the commands that reach the host.
type countingConn struct {
	transport.Conn
	runs atomic.Int64
}

func (c *countingConn) Run(ctx context.Context, cmd transport.Command) (transport.Result, error) {
	c.runs.Add(1)
	return c.Conn.Run(ctx, cmd)
}

type pmFleet struct {
	f    *localfleet.Fleet
	pool *transport.Pool
}

func startFleet(t *testing.T) *pmFleet {
	t.Helper()
	f := localfleet.Start(t, localfleet.Config{Name: "pm", Subnet: 3, Hosts: 4})
	pool := transport.NewPool(transport.NewSSHDialer(transport.WithSSHConfigFile(""), transport.WithAgentSocket("")))
	t.Cleanup(func() { pool.Close() })
	return &pmFleet{f: f, pool: pool}
}

func (p *pmFleet) host(i int, user string) inventory.Host {
	fh := p.f.Hosts[i]
	return inventory.Host{Name: fh.Name, Address: fh.Addr, Port: 22, User: user, Become: user != "root", Transport: "ssh",
		SSH: inventory.SSHOptions{IdentityFile: p.f.KeyPath, KnownHostsFile: p.f.KnownHostsPath, ConnectTimeout: 5 * time.Second}}
}

// manager connects to host i as user and detects its package manager.
func (p *pmFleet) manager(t *testing.T, i int, user string) (pkgmgr.Manager, *countingConn) {
	t.Helper()
	h := p.host(i, user)
	c, err := p.pool.Get(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	cc := &countingConn{Conn: c}
	m, err := pkgmgr.Detect(context.Background(), cc, h.Become)
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind() != "apt" {
		t.Fatalf("Detect on %s = %s, want apt", h.Name, m.Kind())
	}
	return m, cc
}

func installed(t *testing.T, m pkgmgr.Manager, name string) string {
	t.Helper()
	v, err := m.Installed(context.Background(), []string{name})
	if err != nil {
		t.Fatal(err)
	}
	return v[name]
}

func TestFleetApt(t *testing.T) {
	p := startFleet(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	defer wg.Wait()

	// Host 0: the patch life cycle, driven as the sudo user deploy.
	t.Run("scan install fail repair", func(t *testing.T) {
		m, _ := p.manager(t, 0, localfleet.DeployUser)
		host := p.f.Hosts[0].Name
		if err := m.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		vers, err := m.Installed(ctx, []string{"demo-app", "demo-lib", "no-such-package"})
		if err != nil || vers["demo-app"] != "1.0.0" || vers["demo-lib"] != "1.0" || vers["no-such-package"] != "" {
			t.Fatalf("Installed = %v, %v", vers, err)
		}
		ups, err := m.Pending(ctx)
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]pkgmgr.Update{}
		for _, u := range ups {
			byName[u.Name] = u
		}
		if u := byName["demo-app"]; u.Installed != "1.0.0" || u.Candidate != "1.0.2" || u.Class != pkgmgr.Feature || u.Source != "Fleet/fleet" || u.Severity != pkgmgr.SeverityUnknown {
			t.Errorf("demo-app update = %+v", u)
		}
		for _, s := range p.f.SecurityDetails {
			u, ok := byName[s.Name]
			if !ok || u.Class != pkgmgr.Security || u.Installed != s.Installed || u.Candidate != s.Fixed || u.Source != "Debian/bookworm-security" {
				t.Errorf("security update %+v listed as %+v (present %v)", s, u, ok)
			}
		}
		t.Logf("pending on %s: %d updates, security: %v", host, len(ups), p.f.SecurityUpdates)

		if err := m.Available(ctx, []pkgmgr.Pin{{Name: "demo-app", Version: "1.0.1"}, {Name: "demo-app", Version: "1.0.0"}, {Name: "demo-lib", Version: ""}}); err != nil {
			t.Errorf("Available: %v", err)
		}
		var notes []string
		var mu sync.Mutex
		pctx := pkgmgr.WithProgress(ctx, func(n string) { mu.Lock(); notes = append(notes, n); mu.Unlock() })
		if err := m.Download(pctx, []pkgmgr.Pin{{Name: "demo-app", Version: "1.0.1"}}); err != nil {
			t.Fatal(err)
		}
		if err := m.Install(pctx, []pkgmgr.Pin{{Name: "demo-app", Version: "1.0.1"}}); err != nil {
			t.Fatal(err)
		}
		if v := installed(t, m, "demo-app"); v != "1.0.1" {
			t.Errorf("after install: demo-app %q, want 1.0.1", v)
		}
		mu.Lock()
		if len(notes) == 0 || !strings.Contains(strings.Join(notes, "\n"), "installing demo-app=1.0.1") {
			t.Errorf("progress notes = %q", notes)
		}
		mu.Unlock()

		err = m.Install(ctx, []pkgmgr.Pin{{Name: "demo-app", Version: "1.0.2"}})
		if pkgmgr.KindOf(err) != pkgmgr.ScriptFailed {
			t.Fatalf("bad patch: %v, want ScriptFailed", err)
		}
		t.Logf("bad patch: %v", err)
		for _, want := range []string{"host " + host, "demo-app", "half-configured", "post-installation script"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("ScriptFailed error %q lacks %q", err, want)
			}
		}
		if err := m.Health(ctx); pkgmgr.KindOf(err) != pkgmgr.Broken || !strings.Contains(err.Error(), "demo-app") {
			t.Errorf("Health after the failed postinst: %v, want Broken naming demo-app", err)
		} else {
			t.Logf("health: %v", err)
		}

		if err := m.Install(ctx, []pkgmgr.Pin{{Name: "demo-app", Version: "1.0.0"}}); err != nil {
			t.Fatalf("downgrade from the broken state: %v", err)
		}
		if v := installed(t, m, "demo-app"); v != "1.0.0" {
			t.Errorf("after downgrade: %q", v)
		}
		if err := m.Health(ctx); err != nil {
			t.Errorf("Health after the repair: %v", err)
		}

		// A rollback pin with Version "" removes; then the old version returns.
		if err := m.Install(ctx, []pkgmgr.Pin{{Name: "demo-lib", Version: ""}}); err != nil {
			t.Fatal(err)
		}
		if v := installed(t, m, "demo-lib"); v != "" {
			t.Errorf("demo-lib after removal pin: %q", v)
		}
		if err := m.Install(ctx, []pkgmgr.Pin{{Name: "demo-lib", Version: "1.0"}}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("version that does not exist", func(t *testing.T) {
		m, _ := p.manager(t, 1, "root")
		host := p.f.Hosts[1].Name
		if err := m.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		want := "host " + host + ": demo-app=9.9 not available from any configured repository (apt-cache madison demo-app shows: 1.0.2, 1.0.1, 1.0.0)"
		err := m.Available(ctx, []pkgmgr.Pin{{Name: "demo-app", Version: "9.9"}})
		if pkgmgr.KindOf(err) != pkgmgr.NotFound || err.Error() != want {
			t.Errorf("Available: %v\nwant NotFound: %s", err, want)
		}
		err = m.Install(ctx, []pkgmgr.Pin{{Name: "demo-app", Version: "1.0.1"}, {Name: "demo-app", Version: "9.9"}})
		if pkgmgr.KindOf(err) != pkgmgr.NotFound || !strings.Contains(err.Error(), "demo-app=9.9 not available") {
			t.Errorf("Install: %v, want NotFound", err)
		}
		if v := installed(t, m, "demo-app"); v != "1.0.0" {
			t.Errorf("a failed install changed demo-app to %q", v)
		}
		err = m.Available(ctx, []pkgmgr.Pin{{Name: "no-such-package", Version: "1.0"}})
		if pkgmgr.KindOf(err) != pkgmgr.NotFound || !strings.Contains(err.Error(), "shows: nothing") {
			t.Errorf("unknown package: %v", err)
		}
	})

	t.Run("names with shell metacharacters never reach the host", func(t *testing.T) {
		m, cc := p.manager(t, 1, "root")
		before := cc.runs.Load()
		for _, pin := range []pkgmgr.Pin{{Name: "demo-app;reboot", Version: "1.0.1"}, {Name: "demo-app", Version: "1.0$(reboot)"}, {Name: "-o=APT::x", Version: "1"}} {
			for op, fn := range map[string]func() error{
				"Install":   func() error { return m.Install(ctx, []pkgmgr.Pin{pin}) },
				"Download":  func() error { return m.Download(ctx, []pkgmgr.Pin{pin}) },
				"Available": func() error { return m.Available(ctx, []pkgmgr.Pin{pin}) },
				"Installed": func() error { _, err := m.Installed(ctx, []string{pin.Name + pin.Version}); return err },
			} {
				err := fn()
				if pkgmgr.KindOf(err) != pkgmgr.InvalidInput || !strings.Contains(err.Error(), "nothing was sent to the host") {
					t.Errorf("%s(%v) = %v, want InvalidInput", op, pin, err)
				}
			}
		}
		if n := cc.runs.Load() - before; n != 0 {
			t.Errorf("%d commands reached the host", n)
		}
	})

	t.Run("reboot required", func(t *testing.T) {
		m, _ := p.manager(t, 1, "root")
		if r, err := m.RebootRequired(ctx); err != nil || r {
			t.Fatalf("fresh host: %v %v", r, err)
		}
		if _, err := p.f.Exec(ctx, p.f.Hosts[1].Name, "touch", "/var/run/reboot-required"); err != nil {
			t.Fatal(err)
		}
		if r, err := m.RebootRequired(ctx); err != nil || !r {
			t.Errorf("after touch: %v %v", r, err)
		}
	})

	t.Run("held lock", func(t *testing.T) {
		m, _ := p.manager(t, 2, "root")
		host := p.f.Hosts[2].Name
		release, err := p.f.HoldDpkgLock(host)
		if err != nil {
			t.Fatal(err)
		}
		err = m.Health(ctx)
		if pkgmgr.KindOf(err) != pkgmgr.Locked || !strings.Contains(err.Error(), "host "+host) || !strings.Contains(err.Error(), "/var/lib/dpkg/lock") {
			t.Errorf("Health with the lock held: %v, want Locked", err)
		}
		if err := m.Install(ctx, []pkgmgr.Pin{{Name: "demo-app", Version: "1.0.1"}}); pkgmgr.KindOf(err) != pkgmgr.Locked {
			t.Errorf("Install with the lock held: %v, want Locked", err)
		} else {
			t.Logf("locked: %v", err)
		}
		if err := release(); err != nil {
			t.Fatal(err)
		}
		if err := m.Health(ctx); err != nil {
			t.Errorf("Health after release: %v", err)
		}
	})

	t.Run("full disk", func(t *testing.T) {
		m, _ := p.manager(t, 3, "root")
		host := p.f.Hosts[3].Name
		if err := m.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		undo, err := p.f.FillDisk(host)
		if err != nil {
			t.Fatal(err)
		}
		defer undo()
		err = m.Health(ctx)
		if pkgmgr.KindOf(err) != pkgmgr.DiskFull || !strings.Contains(err.Error(), "/var/cache/apt/archives") {
			t.Errorf("Health on a full disk: %v, want DiskFull", err)
		}
		err = m.Download(ctx, []pkgmgr.Pin{{Name: "demo-app", Version: "1.0.1"}})
		if pkgmgr.KindOf(err) != pkgmgr.DiskFull || !strings.Contains(err.Error(), "host "+host) {
			t.Errorf("Download on a full disk: %v, want DiskFull", err)
		} else {
			t.Logf("full disk: %v", err)
		}
	})

	t.Run("sudo password is a transport error", func(t *testing.T) {
		m, _ := p.manager(t, 3, localfleet.DeployPasswordUser)
		if err := m.Refresh(ctx); transport.KindOf(err) != transport.SudoPassword {
			t.Errorf("Refresh as deploy-pw: %v, want SudoPassword", err)
		}
	})
}

// BenchmarkFleetApt measures, over SSH on an open connection, one pinned
// apt install (alternating demo-app 1.0.1 and 1.0.0, each verified) and one
// Pending scan through python3-apt.
func BenchmarkFleetApt(b *testing.B) {
	f := localfleet.Start(b, localfleet.Config{Name: "pm", Subnet: 3, Hosts: 1})
	fh := f.Hosts[0]
	h := inventory.Host{Name: fh.Name, Address: fh.Addr, Port: 22, User: "root", Transport: "ssh",
		SSH: inventory.SSHOptions{IdentityFile: f.KeyPath, KnownHostsFile: f.KnownHostsPath}}
	c, err := transport.NewSSHDialer(transport.WithSSHConfigFile(""), transport.WithAgentSocket("")).Dial(context.Background(), h)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	m := pkgmgr.NewApt(c, false)
	ctx := context.Background()
	if err := m.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	b.Run("install", func(b *testing.B) {
		versions := []string{"1.0.1", "1.0.0"}
		i := 0
		for b.Loop() {
			if err := m.Install(ctx, []pkgmgr.Pin{{Name: "demo-app", Version: versions[i%2]}}); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("pending", func(b *testing.B) {
		for b.Loop() {
			if _, err := m.Pending(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkFleetAptParallel runs the task docs/benchmarks.md compares with
// Ansible: on every host of a 50-host fleet, 10 at a time, apt-get update
// then a pinned install (alternating demo-app 1.0.1 / 1.0.0), verified.
// Run with -benchtime=1x; one op is the whole fleet.
func BenchmarkFleetAptParallel(b *testing.B) {
	const hosts, forks = 50, 10
	f := localfleet.Start(b, localfleet.Config{Name: "pm", Subnet: 3, Hosts: hosts})
	pool := transport.NewPool(transport.NewSSHDialer(transport.WithSSHConfigFile(""), transport.WithAgentSocket("")))
	defer pool.Close()
	versions := []string{"1.0.1", "1.0.0"}
	round := 0
	for b.Loop() {
		version := versions[round%2]
		round++
		sem := make(chan struct{}, forks)
		errs := make(chan error, hosts)
		var wg sync.WaitGroup
		for _, fh := range f.Hosts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				h := inventory.Host{Name: fh.Name, Address: fh.Addr, Port: 22, User: "root", Transport: "ssh",
					SSH: inventory.SSHOptions{IdentityFile: f.KeyPath, KnownHostsFile: f.KnownHostsPath}}
				c, err := pool.Get(context.Background(), h)
				if err != nil {
					errs <- err
					return
				}
				m := pkgmgr.NewApt(c, false)
				if err := m.Refresh(context.Background()); err != nil {
					errs <- err
					return
				}
				errs <- m.Install(context.Background(), []pkgmgr.Pin{{Name: "demo-app", Version: version}})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
