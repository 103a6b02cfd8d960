package transport

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/patchflow/patchflow/inventory"
	"golang.org/x/crypto/ssh"
)

func newEd25519(t *testing.T) ssh.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestKnownHostAlgorithmsPreferWhatIsKnown(t *testing.T) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ssh.NewPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "known_hosts")
	line := "10.213.9.1 " + string(ssh.MarshalAuthorizedKey(ec))
	if err := os.WriteFile(file, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := knownHostAlgorithms(file, "10.213.9.1:22"); !reflect.DeepEqual(got, []string{ssh.KeyAlgoECDSA256}) {
		t.Errorf("algorithms = %v, want only the known ecdsa key's", got)
	}
	if got := knownHostAlgorithms(file, "10.213.9.2:22"); got != nil {
		t.Errorf("unknown host: %v, want no preference", got)
	}
	if got := knownHostAlgorithms(filepath.Join(t.TempDir(), "missing"), "10.213.9.1:22"); got != nil {
		t.Errorf("missing file: %v", got)
	}
}

func TestAppendKnownHostConcurrent(t *testing.T) {
	file := filepath.Join(t.TempDir(), "known_hosts")
	keys := make([]ssh.PublicKey, 10)
	for i := range keys {
		keys[i] = newEd25519(t)
	}
	var wg sync.WaitGroup
	for i := range 20 { // every host twice
		wg.Add(1)
		go func() {
			defer wg.Done()
			host := fmt.Sprintf("10.213.9.%d:22", i%10)
			if err := appendKnownHost(file, host, keys[i%10]); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 10 {
		t.Fatalf("%d lines, want one per host:\n%s", len(lines), data)
	}
	// A different key for a known host is never added.
	if err := appendKnownHost(file, "10.213.9.3:22", newEd25519(t)); err == nil || !strings.Contains(err.Error(), "different key") {
		t.Errorf("second key for a host: %v", err)
	}
}

func TestHostKeyCheckerMessages(t *testing.T) {
	file := filepath.Join(t.TempDir(), "known_hosts")
	key := newEd25519(t)
	k := &hostKeyChecker{host: "web1", file: file}
	err := k.callback()("10.213.9.1:2222", probeAddr, key)
	if KindOf(err) != HostKeyUnknown || !strings.Contains(err.Error(), "ssh-keyscan -p 2222 10.213.9.1 >> "+file) {
		t.Errorf("unknown: %v", err)
	}
	if err := appendKnownHost(file, "10.213.9.1:2222", key); err != nil {
		t.Fatal(err)
	}
	if err := k.callback()("10.213.9.1:2222", probeAddr, key); err != nil {
		t.Errorf("known key refused: %v", err)
	}
	err = k.callback()("10.213.9.1:2222", probeAddr, newEd25519(t))
	if KindOf(err) != HostKeyChanged || !strings.Contains(err.Error(), "ssh-keygen -R [10.213.9.1]:2222 -f "+file) ||
		!strings.Contains(err.Error(), file+":1") {
		t.Errorf("changed: %v", err)
	}
}

// An inventory could turn host key checking into trust-every-time
// (known_hosts_file: /dev/null with trust_on_first_use, or Ansible's
// UserKnownHostsFile=/dev/null with StrictHostKeyChecking=accept-new):
// every path that is not a regular file of the user patchflow runs as is
// refused before a connection is made, and TOFU creates no directory.
func TestKnownHostsPathMustBeOwnedRegularFile(t *testing.T) {
	dir := t.TempDir()
	own := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(own, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "devnull_link")
	if err := os.Symlink("/dev/null", link); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(dir, "world_writable")
	if err := os.WriteFile(open, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o666); err != nil {
		t.Fatal(err)
	}
	refused := map[string]string{
		"/dev/null": "is not a regular file (a device)",
		link:        "is not a regular file (a device)",
		dir:         "is not a regular file (a directory)",
		open:        "is writable by every user",
	}
	if os.Geteuid() == 0 {
		other := filepath.Join(dir, "other_users")
		if err := os.WriteFile(other, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(other, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		refused[other] = "belongs to uid 65534, not to uid 0"
	}
	for path, want := range refused {
		for _, tofu := range []bool{false, true} {
			if err := checkKnownHostsPath(path, tofu); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s (tofu %v): %v, want %q", path, tofu, err, want)
			}
		}
		if err := appendKnownHost(path, "10.213.9.1:22", newEd25519(t)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("TOFU append to %s: %v, want %q", path, err, want)
		}
	}
	// The dialer refuses before it connects (127.0.0.1:1 would otherwise
	// answer "connection refused").
	h := inventory.Host{Name: "web1", Address: "127.0.0.1", Port: 1, User: "root", Transport: inventory.TransportSSH,
		SSH: inventory.SSHOptions{KnownHostsFile: "/dev/null", TrustOnFirstUse: true}}
	_, err := NewSSHDialer(WithSSHConfigFile(""), WithAgentSocket("")).Dial(context.Background(), h)
	if KindOf(err) != Invalid || !strings.Contains(err.Error(), "known_hosts file /dev/null is not a regular file") {
		t.Errorf("dial with /dev/null: %v, want an Invalid refusal", err)
	}

	for _, ok := range []string{own, filepath.Join(dir, "new_known_hosts")} {
		if err := checkKnownHostsPath(ok, true); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	// Strict checking reads a missing file as "no host known"; TOFU never
	// creates its directory.
	missingDir := filepath.Join(dir, "sub", "known_hosts")
	if err := checkKnownHostsPath(missingDir, false); err != nil {
		t.Errorf("missing file, strict: %v", err)
	}
	if err := appendKnownHost(missingDir, "10.213.9.1:22", newEd25519(t)); err == nil || !strings.Contains(err.Error(), "create the directory (mode 0700) first") {
		t.Errorf("TOFU into a missing directory: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(missingDir)); err == nil {
		t.Error("TOFU created a directory")
	}
	if os.Geteuid() == 0 {
		foreign := filepath.Join(dir, "foreign")
		if err := os.Mkdir(foreign, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(foreign, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if err := checkKnownHostsPath(filepath.Join(foreign, "known_hosts"), true); err == nil || !strings.Contains(err.Error(), "which belongs to uid 65534") {
			t.Errorf("TOFU into another user's directory: %v", err)
		}
	}
	if err := checkKnownHostsPath("/tmp/patchflow-tofu-test-known_hosts", true); err == nil || !strings.Contains(err.Error(), "which every user may write to") {
		t.Errorf("TOFU into /tmp: %v", err)
	}
}
