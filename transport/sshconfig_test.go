package transport

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/patchflow/patchflow/inventory"
)

const testSSHConfig = `
Host web1
  HostName 10.213.9.5
  Port 2222
  User deploy
  IdentityFile /keys/web
  ProxyJump bastion

Host bastion
  HostName 10.213.9.1
  User jump
  IdentityFile /keys/jump

Host *
  IdentityFile /keys/default
`

func writeSSHConfig(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(p, []byte(testSSHConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestResolveHostFromSSHConfig(t *testing.T) {
	cfg, err := loadSSHConfig(writeSSHConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	// Inventory defaults (port 22, root, no key): ssh config fills in.
	e, jump, err := resolveHost(cfg, inventory.Host{Name: "web1", Address: "web1", Port: 22, User: "root"})
	if err != nil {
		t.Fatal(err)
	}
	want := endpoint{name: "web1", addr: "10.213.9.5", port: 2222, user: "deploy", identityFiles: []string{"/keys/web", "/keys/default"}}
	if !reflect.DeepEqual(e, want) || jump != "bastion" {
		t.Errorf("resolve = %+v jump %q, want %+v jump bastion", e, jump, want)
	}
	// Inventory values win.
	e, jump, err = resolveHost(cfg, inventory.Host{Name: "web1", Address: "web1", Port: 2200, User: "ops",
		SSH: inventory.SSHOptions{IdentityFile: "/inv/key", ProxyJump: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	if e.port != 2200 || e.user != "ops" || !reflect.DeepEqual(e.identityFiles, []string{"/inv/key"}) || jump != "" {
		t.Errorf("inventory should win: %+v jump %q", e, jump)
	}
	// Jump hosts resolve through the config too.
	hops, err := parseJumps(cfg, "bastion,admin@10.213.9.2:2022", "deploy")
	if err != nil {
		t.Fatal(err)
	}
	if len(hops) != 2 || hops[0].addr != "10.213.9.1" || hops[0].user != "jump" || hops[0].port != 22 ||
		hops[1].addr != "10.213.9.2" || hops[1].user != "admin" || hops[1].port != 2022 {
		t.Errorf("hops = %+v", hops)
	}
}

func TestParseJumpsRejects(t *testing.T) {
	for _, spec := range []string{"a,,b", "user@", "host:99999", "host:abc", "ho st"} {
		if _, err := parseJumps(nil, spec, "root"); err == nil || !strings.Contains(err.Error(), "proxy jump") {
			t.Errorf("parseJumps(%q) = %v, want a proxy jump error", spec, err)
		}
	}
}

func TestMissingSSHConfigIsEmpty(t *testing.T) {
	cfg, err := loadSSHConfig(filepath.Join(t.TempDir(), "nope"))
	if err != nil || cfg != nil {
		t.Fatalf("missing config: %v %v", cfg, err)
	}
	e, _, err := resolveHost(cfg, inventory.Host{Name: "h", Address: "10.213.9.9"})
	if err != nil || e.port != 22 || e.user != "root" || e.addr != "10.213.9.9" {
		t.Errorf("defaults: %+v %v", e, err)
	}
}

// An ssh config the parser refuses is reported with at most an excerpt of
// the offending token (the file may be anything the worker's user can read).
func TestSSHConfigErrorQuotesExcerpt(t *testing.T) {
	token := "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
	p := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(p, []byte("Host a\n Match "+token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := loadSSHConfig(p)
	if err == nil {
		t.Fatal("bad ssh config accepted")
	}
	if strings.Contains(strings.ToLower(err.Error()), strings.ToLower(token[:50])) || !strings.Contains(err.Error(), "(70 bytes)") {
		t.Fatalf("error quotes more than an excerpt: %v", err)
	}
}
