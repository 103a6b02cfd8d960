package inventory

import (
	"sort"
	"strings"
	"testing"
)

// Ansible vars that name or hold secrets never become labels, nor do
// nested values; plain descriptive vars do.
func TestAnsibleVarsThatBecomeLabels(t *testing.T) {
	const pem = "-----BEGIN RSA PRIVATE KEY-----\\nMIIEpAIBAAKCAQEA7\\n-----END RSA PRIVATE KEY-----"
	ini := `[web]
web1 env=prod datacenter=fra1 owner="SRE team" canary=true region=eu-west-1 instance_id=i-0abcd1234efgh567 rack=r12
web1 passphrase=correct-horse api_key=AK1 access_key=AK2 pwd=hunter2 credentials=c1 private_key=pk1 ssh_key=k
web1 dbPassword=x MyApiToken=y ansible_become_pass=z ansible_ssh_pass=w vault_db=v sessionCookie=s
web1 motd='` + pem + `' note='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm0cfdQ9v0m1 root@x'
web1 deploy_hook=aGVsbG8gd29ybGQgdGhpcyBpcyBhIHNlY3JldA== build=0123456789abcdef0123456789abcdef
web1 blob='$ANSIBLE_VAULT;1.1;AES256' tmpl='{{ lookup("env", "X") }}' multi='a;b|c' long=` + strings.Repeat("x", 129) + `
`
	yml := `all:
  vars:
    db: {password: X, host: db1}
    ntp: [a, b]
    cert: !vault |
      $ANSIBLE_VAULT;1.1;AES256
      6231
    tier: web
  hosts:
    web1:
      key_material: "` + pem + `"
      monkey_business: ok
`
	for name, tc := range map[string]struct{ doc, want string }{
		"hosts.ini": {ini, "canary=true datacenter=fra1 env=prod instance_id=i-0abcd1234efgh567 owner=SRE team rack=r12 region=eu-west-1"},
		"inv.yaml":  {yml, "monkey_business=ok tier=web"},
	} {
		inv, err := Parse(name, []byte(tc.doc))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		h, _ := inv.Lookup("web1")
		var got []string
		for k, v := range h.Labels {
			got = append(got, k+"="+v)
		}
		sort.Strings(got)
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s: labels\n%s\nwant\n%s", name, strings.Join(got, " "), tc.want)
		}
	}
}

func TestSecretName(t *testing.T) {
	for _, n := range []string{"password", "db_password", "passphrase", "api_key", "apiKey", "access_key", "aws_secret_access_key", "pwd", "credentials",
		"private_key", "ssh_key", "ansible_become_pass", "mysql_root_pass", "githubToken", "vault_x", "auth_header", "otp", "sessionid_cookie", "DBPASSWORD"} {
		if !secretName(n) {
			t.Errorf("secretName(%q) = false", n)
		}
	}
	for _, n := range []string{"env", "datacenter", "owner", "monkey", "keyboard_layout", "passenger", "tier", "region", "compass", "private_ip"} {
		if secretName(n) {
			t.Errorf("secretName(%q) = true", n)
		}
	}
}

// A secret written twice with different values is dropped, not quoted in
// a conflict error.
func TestDroppedVarsAreNeverQuoted(t *testing.T) {
	_, err := Parse("hosts.ini", []byte("[a]\nweb1 db_password=Hunter2Secret\n[b]\nweb1 db_password=OtherSecret9\n"))
	if err != nil {
		t.Fatalf("a dropped secret defined twice is an error: %v", err)
	}
}

// patchflow's own labels are written on purpose; key material in one is an
// error, not a silent drop.
func TestNativeLabelWithKeyMaterial(t *testing.T) {
	doc := "apiVersion: patchflow/v1\nkind: Inventory\nhosts:\n  web1:\n    labels:\n      env: prod\n      token: ghp_16C7e42F292c6912E7710c838347Ae178B4a\n"
	_, err := Parse("inv.yaml", []byte(doc))
	if err == nil || !strings.Contains(err.Error(), `inv.yaml:7:7: host "web1": label token looks like a token (a long run of base64 or hex)`) || strings.Contains(err.Error(), "ghp_16C7e42F") {
		t.Errorf("error = %v", err)
	}
}
