package transport

import (
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
	file := filepath.Join(t.TempDir(), "ssh", "known_hosts")
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
