package inventory

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// assertNoChunk fails when msg holds any 12-character piece of secret.
func assertNoChunk(t *testing.T, msg, secret string) {
	t.Helper()
	for i := 0; i+12 <= len(secret); i++ {
		if strings.Contains(msg, secret[i:i+12]) {
			t.Fatalf("error quotes secret material %q:\n%s", secret[i:i+12], msg)
		}
	}
}

// A private key given as the inventory (`inventory list -i ~/.ssh/id_ed25519`)
// is named as a key; not one byte of it is printed.
func TestLoadPrivateKeyQuotesNothing(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	data := pem.EncodeToMemory(block)
	path := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(path)
	if err == nil {
		t.Fatal("a private key loaded as an inventory")
	}
	msg := err.Error()
	if !strings.Contains(msg, "this is a private key, not an inventory") {
		t.Fatalf("error does not say what the file is: %s", msg)
	}
	body := strings.Join(strings.Split(string(data), "\n")[1:3], "")
	assertNoChunk(t, msg, body)
	assertNoChunk(t, msg, "-----BEGIN OPENSSH PRIVATE KEY-----")
}

// A credentials document (what a metadata endpoint returns) parses as YAML
// but is no inventory: the errors name its keys' kinds, never the values.
func TestParseCredentialsQuotesNoValue(t *testing.T) {
	secret := "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	doc := `{"Code":"Success","AccessKeyId":"AKIAIOSFODNN7EXAMPLE","SecretAccessKey":"` + secret + `","Token":"IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD"}`
	_, err := Parse("", []byte(doc))
	if err == nil {
		t.Fatal("credentials parsed as an inventory")
	}
	msg := err.Error()
	assertNoChunk(t, msg, secret)
	assertNoChunk(t, msg, "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD")
	assertNoChunk(t, msg, "AKIAIOSFODNN7EXAMPLE")
	if !strings.Contains(msg, `group "SecretAccessKey": want a mapping of keys to values, got a string`) {
		t.Fatalf("error does not say what is wrong: %s", msg)
	}
}

// Input quoted in an error is a short excerpt with control characters
// escaped, whatever line of the file it comes from.
func TestErrorsQuoteShortEscapedExcerpts(t *testing.T) {
	long := strings.Repeat("k", 30) + "SECRETSECRETSECRETSECRET" + strings.Repeat("z", 200)
	data := "[web]\nweb1 " + long + "\nweb\x1bc\n[" + long + "\n[db:vars]\nbad line " + long + "\n"
	_, err := Parse("hosts.ini", []byte(data))
	if err == nil {
		t.Fatal("bad inventory parsed")
	}
	msg := err.Error()
	if strings.Contains(msg, "\x1b") || strings.Contains(msg, "SECRETSECRET") || strings.Contains(msg, strings.Repeat("z", 20)) {
		t.Fatalf("error quotes too much or a raw control character:\n%s", msg)
	}
	for _, want := range []string{
		`hosts.ini:2:6: host "web1": want key=value after the host name, got "` + strings.Repeat("k", 30) + `SECRETSECR"... (254 bytes)`,
		`hosts.ini:3:1: host name "web\x1bc" contains '\x1b'`,
		`hosts.ini:4:1: invalid section header "[` + strings.Repeat("k", 30) + `SECRETSEC"... (255 bytes)`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %s\nin:\n%s", want, msg)
		}
	}
}

// Every way an inventory names a known_hosts file refuses a device, so an
// inventory cannot turn host key checking into trust-every-time.
func TestKnownHostsFileMustNotBeADevice(t *testing.T) {
	for name, doc := range map[string]string{
		"hosts.ini":  "web1 ansible_ssh_common_args='-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=accept-new'\n",
		"hosts2.ini": "web1 patchflow_known_hosts_file=/dev/../dev/null patchflow_trust_on_first_use=true\n",
		"inv.yaml":   "apiVersion: patchflow/v1\nkind: Inventory\ndefaults:\n  ssh: {known_hosts_file: /dev/null, trust_on_first_use: true}\nhosts:\n  web1: {}\n",
		"inv2.yaml":  "all:\n  hosts:\n    web1:\n      ansible_ssh_extra_args: -o UserKnownHostsFile=/proc/self/fd/1\n",
	} {
		_, err := Parse(name, []byte(doc))
		if err == nil || !strings.Contains(err.Error(), "is a device or kernel file, not a known_hosts file") {
			t.Errorf("%s: %v, want the device refused", name, err)
		}
	}
}
