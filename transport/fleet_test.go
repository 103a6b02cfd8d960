package transport_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/inventory"
	"github.com/patchflow/patchflow/localfleet"
	"github.com/patchflow/patchflow/transport"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// fleetHosts starts the transport test fleet and returns it with one
// inventory host per fleet host, connecting as root with the fleet key and
// the fleet's known_hosts (built here, so these tests depend only on the
// fleet's contract, not on the inventory parser).
func fleetHosts(t testing.TB, n int) (*localfleet.Fleet, []inventory.Host) {
	t.Helper()
	f := localfleet.Start(t, localfleet.Config{Name: "tr", Subnet: 2, Hosts: n})
	var hosts []inventory.Host
	for _, fh := range f.Hosts {
		hosts = append(hosts, inventory.Host{Name: fh.Name, Address: fh.Addr, Port: 22, User: "root", Transport: "ssh",
			SSH: inventory.SSHOptions{IdentityFile: f.KeyPath, KnownHostsFile: f.KnownHostsPath, ConnectTimeout: 5 * time.Second}})
	}
	return f, hosts
}

// newDialer ignores the machine's ~/.ssh/config and agent so the tests see
// only what the inventory says.
func newDialer() *transport.SSHDialer {
	return transport.NewSSHDialer(transport.WithSSHConfigFile(""), transport.WithAgentSocket(""))
}

func run(t *testing.T, c transport.Conn, cmd transport.Command) transport.Result {
	t.Helper()
	res, err := c.Run(context.Background(), cmd)
	if err := transport.Check(res, err, c.Host(), cmd); err != nil {
		t.Fatal(err)
	}
	return res
}

func TestFleet(t *testing.T) {
	f, hosts := fleetHosts(t, 3)
	ctx := context.Background()
	h1, h2, h3 := hosts[0], hosts[1], hosts[2]

	t.Run("connect and run with quoting", func(t *testing.T) {
		c, err := newDialer().Dial(ctx, h1)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		res := run(t, c, transport.Command{Args: []string{"hostname"}})
		if got := strings.TrimSpace(string(res.Stdout)); got != h1.Name {
			t.Errorf("hostname = %q, want %q", got, h1.Name)
		}
		args := []string{"printf", "%s|", "$(id)", "it's", "a b", "`uname`", "x;reboot", "*"}
		res = run(t, c, transport.Command{Args: args, Env: map[string]string{"LC_ALL": "C"}})
		if got := string(res.Stdout); got != "$(id)|it's|a b|`uname`|x;reboot|*|" {
			t.Errorf("remote argv = %q", got)
		}
		res, err = c.Run(ctx, transport.Command{Args: []string{"sh", "-c", "cat; echo oops >&2; exit 7"}, Stdin: []byte("in")})
		if err != nil || res.ExitCode != 7 || string(res.Stdout) != "in" || string(res.Stderr) != "oops\n" {
			t.Errorf("exit %d stdout %q stderr %q err %v", res.ExitCode, res.Stdout, res.Stderr, err)
		}
	})

	t.Run("pool reuses one connection", func(t *testing.T) {
		d := newDialer()
		p := transport.NewPool(d)
		defer p.Close()
		for i := 0; i < 20; i++ {
			c, err := p.Get(ctx, h1)
			if err != nil {
				t.Fatal(err)
			}
			run(t, c, transport.Command{Args: []string{"true"}})
		}
		if d.Dials() != 1 {
			t.Errorf("20 commands took %d dials, want 1", d.Dials())
		}
	})

	t.Run("ssh-agent keys", func(t *testing.T) {
		sock := startAgent(t, f.KeyPath)
		h := h1
		h.SSH.IdentityFile = "" // only the agent holds the key
		d := transport.NewSSHDialer(transport.WithSSHConfigFile(""), transport.WithAgentSocket(sock), transport.WithIdentityFiles())
		c, err := d.Dial(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		d = transport.NewSSHDialer(transport.WithSSHConfigFile(""), transport.WithAgentSocket(""), transport.WithIdentityFiles())
		if _, err := d.Dial(ctx, h); transport.KindOf(err) != transport.AuthRefused || !strings.Contains(err.Error(), "no usable private key") {
			t.Errorf("without agent or key: %v, want AuthRefused", err)
		}
	})

	t.Run("output limit", func(t *testing.T) {
		c, err := newDialer().Dial(ctx, h1)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		res := run(t, c, transport.Command{Args: []string{"head", "-c", "5000000", "/dev/zero"}})
		if len(res.Stdout) != transport.DefaultOutputLimit || !res.Truncated {
			t.Errorf("stdout %d bytes truncated=%v, want %d and true", len(res.Stdout), res.Truncated, transport.DefaultOutputLimit)
		}
	})

	t.Run("pool redials when the connection died", func(t *testing.T) {
		d := newDialer()
		p := transport.NewPool(d)
		defer p.Close()
		c, err := p.Get(ctx, h3)
		if err != nil {
			t.Fatal(err)
		}
		run(t, c, transport.Command{Args: []string{"true"}})
		// End every ssh session process on the host, as a reboot or an
		// idle-connection reaper would.
		if _, err := f.Exec(ctx, h3.Name, "sh", "-c", `for p in /proc/[0-9]*; do grep -q 'root@nott[y]' "$p/cmdline" 2>/dev/null && kill "${p#/proc/}"; done; true`); err != nil {
			t.Fatal(err)
		}
		res := run(t, c, transport.Command{Args: []string{"echo", "again"}})
		if string(res.Stdout) != "again\n" || d.Dials() != 2 {
			t.Errorf("after the connection died: %q with %d dials, want \"again\" with 2", res.Stdout, d.Dials())
		}
	})

	t.Run("unknown host key refused", func(t *testing.T) {
		h := h1
		h.SSH.KnownHostsFile = filepath.Join(t.TempDir(), "known_hosts")
		_, err := newDialer().Dial(ctx, h)
		if transport.KindOf(err) != transport.HostKeyUnknown {
			t.Fatalf("err = %v, want HostKeyUnknown", err)
		}
		for _, want := range []string{"host " + h.Name, h.SSH.KnownHostsFile, "ssh-keyscan -p 22 " + h.Address, "SHA256:", "trust_on_first_use"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
		if _, statErr := os.Stat(h.SSH.KnownHostsFile); statErr == nil {
			t.Error("a refused key must not be written anywhere")
		}
	})

	t.Run("trust on first use when opted in", func(t *testing.T) {
		h := h2
		h.SSH.KnownHostsFile = filepath.Join(t.TempDir(), "known_hosts")
		h.SSH.TrustOnFirstUse = true
		c, err := newDialer().Dial(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		data, err := os.ReadFile(h.SSH.KnownHostsFile)
		if err != nil || !strings.HasPrefix(string(data), h.Address+" ssh-ed25519 ") {
			t.Fatalf("known_hosts after TOFU = %q, %v", data, err)
		}
		h.SSH.TrustOnFirstUse = false // now known: no opt-in needed
		c, err = newDialer().Dial(ctx, h)
		if err != nil {
			t.Fatalf("second connection with the recorded key: %v", err)
		}
		c.Close()
	})

	t.Run("command timeout ends the remote process", func(t *testing.T) {
		c, err := newDialer().Dial(ctx, h2)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		_, err = c.Run(ctx, transport.Command{Args: []string{"sleep", "37"}, Timeout: 500 * time.Millisecond})
		if transport.KindOf(err) != transport.Timeout || !strings.Contains(err.Error(), "host "+h2.Name) || !strings.Contains(err.Error(), "sleep 37") {
			t.Fatalf("err = %v, want a Timeout naming host and command", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("timeout returned after %s", d)
		}
		waitNoProcess(t, f, h2.Name, "sleep\x0037")
		run(t, c, transport.Command{Args: []string{"true"}}) // the connection survives
	})

	t.Run("timeout under sudo ends the root process", func(t *testing.T) {
		h := h1
		h.User, h.Become = localfleet.DeployUser, true
		c, err := newDialer().Dial(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, err = c.Run(ctx, transport.Command{Args: []string{"sleep", "38"}, Sudo: true, Timeout: 500 * time.Millisecond})
		if transport.KindOf(err) != transport.Timeout {
			t.Fatalf("err = %v, want Timeout", err)
		}
		waitNoProcess(t, f, h.Name, "sleep\x0038")
	})

	t.Run("sudo without password", func(t *testing.T) {
		h := h1
		h.User, h.Become = localfleet.DeployUser, true
		c, err := newDialer().Dial(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if got := strings.TrimSpace(string(run(t, c, transport.Command{Args: []string{"id", "-un"}}).Stdout)); got != "deploy" {
			t.Errorf("without Sudo: %q", got)
		}
		res := run(t, c, transport.Command{Args: []string{"id", "-u"}, Sudo: true, Env: map[string]string{"X": "1"}})
		if got := strings.TrimSpace(string(res.Stdout)); got != "0" {
			t.Errorf("with Sudo: uid %q, want 0", got)
		}
	})

	t.Run("sudo password prompt", func(t *testing.T) {
		h := h1
		h.User, h.Become = localfleet.DeployPasswordUser, true
		c, err := newDialer().Dial(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, err = c.Run(ctx, transport.Command{Args: []string{"id", "-u"}, Sudo: true})
		want := "host " + h.Name + ": sudo requires a password for user deploy-pw; configure NOPASSWD for patchflow's commands or connect as root"
		if transport.KindOf(err) != transport.SudoPassword || err.Error() != want {
			t.Errorf("err = %v, want SudoPassword %q", err, want)
		}
	})

	t.Run("unknown user refused", func(t *testing.T) {
		h := h1
		h.User = "nosuchuser"
		_, err := newDialer().Dial(ctx, h)
		if transport.KindOf(err) != transport.AuthRefused || !strings.Contains(err.Error(), h.SSH.IdentityFile) {
			t.Errorf("err = %v, want AuthRefused naming the key tried", err)
		}
	})

	t.Run("jump host", func(t *testing.T) {
		h := h3
		h.SSH.ProxyJump = "root@" + h1.Address + ":22"
		c, err := newDialer().Dial(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// sshd logs the client address: through the jump it is h1's.
		res := run(t, c, transport.Command{Args: []string{"sh", "-c", `echo "$SSH_CLIENT"`}})
		if !strings.HasPrefix(string(res.Stdout), h1.Address+" ") {
			t.Errorf("SSH_CLIENT = %q, want a connection from %s", res.Stdout, h1.Address)
		}
	})

	t.Run("unreachable within the connect timeout", func(t *testing.T) {
		if err := f.SetReachable(h2.Name, false); err != nil {
			t.Fatal(err)
		}
		defer f.SetReachable(h2.Name, true)
		h := h2
		h.SSH.ConnectTimeout = 2 * time.Second
		start := time.Now()
		_, err := newDialer().Dial(ctx, h)
		if transport.KindOf(err) != transport.Unreachable || !strings.Contains(err.Error(), "host "+h.Name) {
			t.Errorf("err = %v, want Unreachable naming the host", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("took %s with a 2s connect timeout", d)
		}
	})

	t.Run("changed host key refused", func(t *testing.T) {
		if err := f.RotateHostKey(h3.Name); err != nil {
			t.Fatal(err)
		}
		_, err := newDialer().Dial(ctx, h3)
		if transport.KindOf(err) != transport.HostKeyChanged {
			t.Fatalf("err = %v, want HostKeyChanged", err)
		}
		for _, want := range []string{"host " + h3.Name, "HOST KEY CHANGED", h3.SSH.KnownHostsFile, "ssh-keygen -R " + h3.Address} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
		// Opting in to TOFU must not override a changed key.
		h := h3
		h.SSH.TrustOnFirstUse = true
		if _, err := newDialer().Dial(ctx, h); transport.KindOf(err) != transport.HostKeyChanged {
			t.Errorf("with TOFU: %v, want HostKeyChanged still", err)
		}
	})
}

// startAgent serves an in-process ssh-agent holding the key at keyPath on a
// socket in a temporary directory.
func startAgent(t *testing.T, keyPath string) string {
	t.Helper()
	data, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ssh.ParseRawPrivateKey(data)
	if err != nil {
		t.Fatal(err)
	}
	kr := agent.NewKeyring()
	if err := kr.Add(agent.AddedKey{PrivateKey: key}); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _ = agent.ServeAgent(kr, c) }()
		}
	}()
	return sock
}

// waitNoProcess polls the host until no process has cmdline containing
// needle (NUL-separated argv).
func waitNoProcess(t *testing.T, f *localfleet.Fleet, host, needle string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, err := f.Exec(context.Background(), host, "sh", "-c", `for p in /proc/[0-9]*; do cat "$p/cmdline" 2>/dev/null; echo; done`)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), needle) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("a process with %q still runs on %s after the timeout", needle, host)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// BenchmarkFleetConnect measures TCP connect + SSH handshake + public key
// authentication to a fleet host (one connection per iteration).
func BenchmarkFleetConnect(b *testing.B) {
	_, hosts := fleetHosts(b, 1)
	d := newDialer()
	for b.Loop() {
		c, err := d.Dial(context.Background(), hosts[0])
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}

// BenchmarkFleetRun measures one command (`true`) on an open connection.
func BenchmarkFleetRun(b *testing.B) {
	_, hosts := fleetHosts(b, 1)
	c, err := newDialer().Dial(context.Background(), hosts[0])
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	cmd := transport.Command{Args: []string{"true"}}
	for b.Loop() {
		if res, err := c.Run(context.Background(), cmd); err != nil || res.ExitCode != 0 {
			b.Fatal(res, err)
		}
	}
}
