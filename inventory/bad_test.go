package inventory

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchflow/patchflow/internal/yamldiag"
)

func TestLoadBad(t *testing.T) {
	tests := []struct {
		file string
		want []string // every error, in order, as printed
	}{
		{"unknown_key.bad.yaml", []string{
			`4:3: defaults: unknown key "usr", did you mean "user"? (known keys: become, port, ssh, transport, user)`,
			`7:5: host "web1": unknown key "adress", did you mean "address"? (known keys: address, become, groups, labels, port, ssh, transport, user)`,
			`8:11: host "web1": port must be a number from 1 to 65535, got "70000"`,
			`9:16: host "web1": transport must be "ssh" or "local", got "winrm"`,
			`10:19: host "web1": label "env" must be a string, got a list`,
			`13:7: host "web2": unknown key "identity", did you mean "identity_file"? (known keys: connect_timeout, identity_file, known_hosts_file, proxy_jump, trust_on_first_use)`,
			`14:24: host "web2": ssh.connect_timeout must be a duration from 1ms to 1h like 10s, got "forever"`,
			`15:19: host "web2": ssh.proxy_jump: proxy jump "bad host!": address "bad host!" contains ' '; want a DNS name or an IP address`,
			`18:19: group "web": host "wbe2" is not defined under hosts, did you mean "web2"?`,
			`19:16: group "canary" is named as a child of group "web" but never defined`,
			`20:3: group "ungrouped": "ungrouped" is reserved for hosts in no group; choose another name`,
		}},
		{"version.bad.yaml", []string{
			`1:1: inventory: kind is missing; want "Inventory"`,
			`1:13: inventory: apiVersion must be "patchflow/v1", got "patchflow/v2"`,
			`4:3: hosts: key "web1" is written twice (first at line 3)`,
		}},
		{"names.bad.ini", []string{
			`2:1: host name "-rf" must not start with '-'`,
			`3:1: host name "web$(reboot)" contains '$'; use only letters, digits, '.', '_' and '-'`,
			`4:6: host "web1": ansible_host: address "10.0.0.1;reboot" contains ';'; want a DNS name or an IP address`,
			`5:6: host "web2": ansible_port: port must be a number from 1 to 65535, got "70000"`,
			`6:1: host "web3": ansible_port: port must be a number from 1 to 65535, got "0"`,
			`7:6: host "web4": ansible_user: user "-oProxyCommand=x" must not start with '-'`,
			`8:6: host "web5": want key=value after the host name, got "notavar"`,
		}},
		{"conflict.bad.ini", []string{
			`5:6: host "web1": ansible_host is set twice with different values: "10.0.0.1" at line 2 and "10.0.0.2"`,
		}},
		{"sameaddress.bad.ini", []string{
			`3:1: host "web3": reaches 10.0.0.9 port 22 like host "web2"; one machine must have one name, because patchflow locks hosts by name`,
		}},
		{"groups.bad.ini", []string{
			`2:1: group "wbe" is named as a child of group "web" but never defined, did you mean "web"?`,
			`3:1: group "web": child groups form a loop: canary -> web -> canary`,
			`11:1: group "db" is given a [db:vars] section but never defined`,
			`14:1: group "web": unknown section type "hostz"; want [web], [web:children] or [web:vars]`,
			`17:1: invalid section header "[web"; want [group], [group:children] or [group:vars]`,
		}},
		{"range.bad.ini", []string{
			`2:1: group "web": host pattern "web[000001:999999].example.com" expands to more than 100000 hosts`,
			`3:1: group "web": host pattern "node[1:1000][1:1000]" expands to more than 100000 hosts`,
			`4:1: group "web": host pattern "db[9:1]": range [9:1]: begin must not be after end`,
			`5:1: group "web": host pattern "db[a:bb]": range [a:bb]: an alphabetic range takes single letters, like [a:f]`,
			`6:1: group "web": host pattern "db[1:5:0]": range [1:5:0]: step must be a positive number, got "0"`,
			`7:1: group "web": host pattern "db[1:5" has '[' without ']'`,
		}},
		{"empty.bad.ini", []string{
			`inventory has no hosts`,
		}},
		{"ansible_keys.bad.yaml", []string{
			`4:7: group "web": unknown key "host", did you mean "hosts"? (a group has only hosts, vars and children; put child groups under children)`,
			`8:11: host "web2": ansible_host: templates are not evaluated by patchflow; write the value itself, got "{{ inventory_hostname }}.example.com"`,
			`9:11: host "web2": ansible_ssh_common_args: ProxyCommand "nc -X 5 -x proxy:1080 %h %p" is not supported; use -o ProxyJump=user@host:port`,
			`10:11: host "web2": ansible_connection: connection "winrm" is not supported; patchflow speaks ssh and local`,
			`11:15: host "web3": want a mapping of keys to values, got a list`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			inv, err := Load(path)
			if err == nil {
				t.Fatalf("Load succeeded with %d hosts, want errors", len(inv.Hosts))
			}
			var errs yamldiag.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want yamldiag.Errors: %v", err, err)
			}
			var want []string
			for _, w := range tt.want {
				if w[0] >= '0' && w[0] <= '9' {
					want = append(want, path+":"+w)
				} else {
					want = append(want, path+": "+w)
				}
			}
			if got := err.Error(); got != strings.Join(want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
			}
		})
	}
}

// TestParseBadGenerated covers inputs too large or too odd for testdata.
func TestParseBadGenerated(t *testing.T) {
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h"} {
		bomb += fmt.Sprintf("%s: &%s [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n", n, n, prev, prev, prev, prev, prev, prev, prev, prev, prev, prev)
		prev = n
	}
	bomb = "all:\n  vars:\n    x: &root\n" + indent(bomb, "      ") + "  hosts:\n    h1:\n"
	// Group structure (not vars) built from aliases: only the walker's own
	// node budget stops it.
	gbomb := "l0: &l0 {hosts: {h1: }}\n"
	prev = "l0"
	for i := 1; i <= 8; i++ {
		n := fmt.Sprintf("l%d", i)
		gbomb += fmt.Sprintf("%s: &%s {children: {", n, n)
		for j := 0; j < 10; j++ {
			gbomb += fmt.Sprintf("g%d_%d: *%s, ", i, j, prev)
		}
		gbomb += "}}\n"
		prev = n
	}
	// A var that is a list never becomes a label, so the bomb is never
	// expanded: the inventory reads at once, without the var.
	if inv, err := Parse("inv.yaml", []byte(bomb)); err != nil || len(inv.Hosts) != 1 || len(inv.Hosts[0].Labels) != 0 {
		t.Errorf("alias bomb in a var: %v", err)
	}
	manyLines := strings.Repeat("[g]\nweb[00000:99999]\n", 20)
	tests := []struct {
		name, source, data, want string
	}{
		{"huge file", "big.ini", strings.Repeat("#", MaxFileSize+1), "big.ini: file is larger than 16 MiB; split the inventory"},
		{"empty yaml", "inv.yaml", "# nothing\n", "inv.yaml:1:1: inventory: file is empty; expected hosts and groups (patchflow YAML, or an Ansible INI or YAML inventory)"},
		{"two documents", "inv.yaml", "all:\n  hosts: {h1: }\n---\nall: {}\n", "inv.yaml:3:1: inventory: file holds more than one YAML document; put one inventory per file"},
		{"broken yaml", "inv.yaml", "all:\n  hosts: [\n", "inv.yaml:2:1: yaml: did not find expected node content"},
		{"not a mapping", "inv.yaml", "- h1\n- h2\n", "inv.yaml:1:1: inventory: want a mapping of keys to values, got a list"},
		{"alias bomb in groups", "inv.yaml", gbomb, "inv.yaml:1:17: inventory: file expands to more than 2000000 YAML values through anchors and aliases; refusing to read it"},
		{"repeated large ranges", "inv.ini", manyLines, "inv.ini:22:1: group \"g\": host patterns in this file expand to more than 1000000 names; split the inventory"},
		{"native in ini clothing", "inv", "apiVersion: patchflow/v1\nkind: Inventory\n", "inv: inventory has no hosts"},
		{"wrong apiVersion", "inv", "apiVersion: v1\nkind: ConfigMap\nhosts: {h1: }\n", "inv:1:13: inventory: apiVersion must be \"patchflow/v1\", got \"v1\"\ninv:2:7: inventory: kind must be \"Inventory\", got \"ConfigMap\""},
		{"ansible hosts as a list", "inv.yaml", "all:\n  children:\n    web:\n      hosts: [a, b]\n", `inv.yaml:4:14: group "web": hosts must be a mapping of host names, each on its own line ending in ':' (web1:), got a list`},
		{"ansible-inventory --list JSON", "inv.json", `{"_meta": {"hostvars": {}}, "all": {"children": ["ungrouped"]}}`, "inv.json:1:2: this looks like `ansible-inventory --list` JSON; export YAML instead: ansible-inventory -i SRC -y --list"},
		{"vars in a patchflow group", "inv.yaml", "apiVersion: patchflow/v1\nkind: Inventory\nhosts:\n  a:\ngroups:\n  g:\n    vars: {x: y}\n    hosts: [a]\n", `inv.yaml:7:5: group "g": unknown key "vars", did you mean "labels"? (known keys: children, hosts, labels)`},
		{"become yes in patchflow format", "inv.yaml", "apiVersion: patchflow/v1\nkind: Inventory\nhosts:\n  a: {become: yes}\n", `inv.yaml:4:15: host "a": become must be true or false, got "yes"`},
		{"invalid group name", "inv", "[web servers]\nh1\n", "inv:1:1: invalid section header \"[web servers]\"; want [group], [group:children] or [group:vars]"},
		{"unterminated quote", "inv", "h1 x='a b\n", "inv:1:1: group \"ungrouped\": unterminated ' in \"h1 x='a b\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := Parse(tt.source, []byte(tt.data))
			if err == nil {
				t.Fatalf("Parse succeeded with %d hosts", len(inv.Hosts))
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", err, tt.want)
			}
		})
	}
}

func indent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "")
}

// TestTooManyHosts checks the host limit on an inventory of distinct ranges.
func TestTooManyHosts(t *testing.T) {
	data := "[a]\na[00000:59999]\n[b]\nb[00000:59999]\n"
	_, err := Parse("inv.ini", []byte(data))
	want := `inv.ini:4:1: host "b40000": inventory holds more than 100000 hosts; split it`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("error = %v, want prefix %q", err, want)
	}
	if n := strings.Count(err.Error(), "\n") + 1; n > yamldiag.MaxErrors+1 {
		t.Errorf("%d error lines, want at most %d", n, yamldiag.MaxErrors+1)
	}
}
