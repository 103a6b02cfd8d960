package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const listInventory = `apiVersion: patchflow/v1
kind: Inventory
defaults:
  user: deploy
  become: true
hosts:
  web1:
    address: 10.213.9.11
    labels: {env: prod}
  web2:
    address: 10.213.9.12
    port: 2222
    labels: {env: staging}
  db1:
    user: root
    labels: {env: prod}
  self:
    transport: local
groups:
  web:
    hosts: [web1, web2]
  db:
    hosts: [db1]
  backend:
    children: [db]
`

func writeInventory(t *testing.T, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestInventoryListTable(t *testing.T) {
	inv := writeInventory(t, "inventory.yaml", listInventory)
	code, out, errOut := run(t, "inventory", "list", "-i", inv)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	want := `NAME  ADDRESS            USER          GROUPS      LABELS
db1   db1                root          backend,db  env=prod
self  local              deploy (sudo) ungrouped   -
web1  10.213.9.11        deploy (sudo) web         env=prod
web2  10.213.9.12:2222   deploy (sudo) web         env=staging
`
	if norm(out) != norm(want) {
		t.Errorf("table:\n%s\nwant:\n%s", out, want)
	}
}

// norm collapses column padding so the test checks content, not widths.
func norm(s string) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	return strings.Join(lines, "\n")
}

func TestInventoryListSelect(t *testing.T) {
	inv := writeInventory(t, "inventory.yaml", listInventory)
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--select", "env=prod"}, []string{"db1", "web1"}},
		{[]string{"--select", "group=backend"}, []string{"db1"}}, // child group db
		{[]string{"--select", "group=web,env=prod"}, []string{"web1"}},
		{[]string{"--select", "group=web", "--select", "env=prod"}, []string{"web1"}},
		{[]string{"--select", "host=self"}, []string{"self"}},
		{[]string{"--select", "group=web,env=nowhere"}, []string{}},
	}
	for _, tt := range tests {
		args := append([]string{"inventory", "list", "-i", inv, "--json"}, tt.args...)
		code, out, errOut := run(t, args...)
		if code != ExitOK {
			t.Errorf("%v: exit %d, stderr:\n%s", tt.args, code, errOut)
			continue
		}
		var res struct {
			Hosts []struct {
				Name string `json:"name"`
			} `json:"hosts"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("%v: %v\n%s", tt.args, err, out)
		}
		got := []string{}
		for _, h := range res.Hosts {
			got = append(got, h.Name)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%v: selected %v, want %v", tt.args, got, tt.want)
		}
	}
}

func TestInventoryListJSONFields(t *testing.T) {
	inv := writeInventory(t, "hosts", "[web]\nweb1 ansible_host=10.0.0.1 ansible_port=2222 ansible_user=ops ansible_become=true env=prod\n")
	code, out, errOut := run(t, "inventory", "list", "-i", inv, "--json", "--select", "env=prod")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res["source"] != inv || res["format"] != "ansible-ini" || res["selector"] != "env=prod" {
		t.Errorf("header fields: %v", res)
	}
	hosts := res["hosts"].([]any)
	h := hosts[0].(map[string]any)
	for k, want := range map[string]any{"name": "web1", "address": "10.0.0.1", "port": 2222.0, "user": "ops", "become": true, "transport": "ssh"} {
		if h[k] != want {
			t.Errorf("hosts[0].%s = %v, want %v", k, h[k], want)
		}
	}
	if g := h["groups"].([]any); len(g) != 1 || g[0] != "web" {
		t.Errorf("groups = %v", g)
	}
	if l := h["labels"].(map[string]any); l["env"] != "prod" || len(l) != 1 {
		t.Errorf("labels = %v", l)
	}
	ssh := h["ssh"].(map[string]any)
	if _, ok := ssh["known_hosts_file"]; !ok || ssh["trust_on_first_use"] != false {
		t.Errorf("ssh = %v", ssh)
	}
}

func TestInventoryListErrors(t *testing.T) {
	good := writeInventory(t, "inventory.yaml", listInventory)
	bad := writeInventory(t, "bad.yaml", "apiVersion: patchflow/v1\nkind: Inventory\nhosts:\n  web1:\n    adress: 10.0.0.1\n    port: 0\n")
	tests := []struct {
		args []string
		code int
		want string // stderr, exactly
	}{
		{[]string{"inventory", "list"}, ExitUsage, "error: inventory list: -i/--inventory FILE is required\nrun 'patchflow inventory list --help' for usage\n"},
		{[]string{"inventory", "list", "-i", good, "--select", "web"}, ExitUsage, "error: select \"web\": want key=value, such as group=web or env=prod\nrun 'patchflow inventory list --help' for usage\n"},
		{[]string{"inventory", "list", "-i", good, "--select", "group=wbe"}, ExitFailure, "error: select group=wbe: no group \"wbe\" in " + good + ", did you mean \"web\"? (groups: all, backend, db, ungrouped, web)\n"},
		{[]string{"inventory", "list", "-i", bad}, ExitFailure, "error: " + bad + ":5:5: host \"web1\": unknown key \"adress\", did you mean \"address\"? (known keys: address, become, groups, labels, port, ssh, transport, user)\n" +
			"error: " + bad + ":6:11: host \"web1\": port must be a number from 1 to 65535, got \"0\"\n"},
		{[]string{"inventory", "list", "-i", filepath.Join(t.TempDir(), "missing.ini")}, ExitFailure, "no such file or directory"},
	}
	for _, tt := range tests {
		code, out, errOut := run(t, tt.args...)
		if code != tt.code || (errOut != tt.want && !(tt.want == "no such file or directory" && strings.Contains(errOut, tt.want))) {
			t.Errorf("patchflow %s: exit %d, stderr:\n%s\nwant exit %d, stderr:\n%s", strings.Join(tt.args, " "), code, errOut, tt.code, tt.want)
		}
		if out != "" {
			t.Errorf("patchflow %s: stdout %q, want nothing", strings.Join(tt.args, " "), out)
		}
	}
}

func TestInventoryListNoMatchIsNotAnError(t *testing.T) {
	inv := writeInventory(t, "inventory.yaml", listInventory)
	code, out, errOut := run(t, "inventory", "list", "-i", inv, "--select", "group=web,env=nowhere")
	if code != ExitOK || out != "" || errOut != "no hosts in "+inv+" match --select group=web,env=nowhere\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestInventoryListParsesThroughRunF(t *testing.T) {
	var got *InventoryListOptions
	f := &Factory{}
	cmd := NewCmdInventoryList(f, func(o *InventoryListOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"-i", "x.ini", "--select", "group=web,env=prod", "--select", "a=b", "--json"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.InventoryPath != "x.ini" || !got.JSON || !reflect.DeepEqual(got.Select, []string{"group=web,env=prod", "a=b"}) {
		t.Errorf("options = %+v", got)
	}
}
