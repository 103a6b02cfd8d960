package inventory

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// summary renders what a user sees of a host in one line; testdata paths
// print as $TD and the home directory as ~ so expectations are portable.
func summary(t *testing.T, h Host) string {
	t.Helper()
	td, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	home, _ := os.UserHomeDir()
	path := func(p string) string {
		p = strings.Replace(p, td, "$TD", 1)
		if home != "" {
			p = strings.Replace(p, home, "~", 1)
		}
		return p
	}
	var labels []string
	for _, k := range slices.Sorted(maps.Keys(h.Labels)) {
		labels = append(labels, k+"="+h.Labels[k])
	}
	s := fmt.Sprintf("%s %s port=%d user=%s become=%v %s groups=%s labels=%s known_hosts=%s",
		h.Name, h.Address, h.Port, h.User, h.Become, h.Transport, strings.Join(h.Groups, ","), strings.Join(labels, ","), path(h.SSH.KnownHostsFile))
	if h.SSH.IdentityFile != "" {
		s += " key=" + path(h.SSH.IdentityFile)
	}
	if h.SSH.ProxyJump != "" {
		s += " jump=" + h.SSH.ProxyJump
	}
	if h.SSH.TrustOnFirstUse {
		s += " tofu"
	}
	if h.SSH.ConnectTimeout != 0 {
		s += " timeout=" + h.SSH.ConnectTimeout.String()
	}
	return s
}

func TestLoadGood(t *testing.T) {
	tests := []struct {
		file   string
		format string
		groups string
		hosts  []string
	}{
		{
			file:   "patchflow.good.yaml",
			format: FormatPatchflow,
			groups: "all,backup,canary,db,frontends,ungrouped,web",
			hosts: []string{
				"db1 db1.internal.example.com port=22 user=root become=false ssh groups=backup,db labels=tier=data known_hosts=$TD/known_hosts key=$TD/keys/id_ed25519 jump=jump@bastion.example.com:22 tofu timeout=10s",
				"local local port=22 user=deploy become=true local groups=ungrouped labels= known_hosts=$TD/known_hosts key=$TD/keys/id_ed25519 timeout=10s",
				"web1 10.213.1.11 port=22 user=deploy become=true ssh groups=frontends,web labels=env=prod,role=frontend,tier=web known_hosts=$TD/known_hosts key=$TD/keys/id_ed25519 timeout=10s",
				"web2 10.213.1.12 port=2222 user=deploy become=true ssh groups=canary,frontends,web labels=env=staging,tier=web known_hosts=$TD/known_hosts key=$TD/keys/id_ed25519 timeout=10s",
			},
		},
		{
			file:   "ansible.good.ini",
			format: FormatAnsibleINI,
			groups: "all,db,dmz,prod,ungrouped,web",
			hosts: []string{
				"bastion.example.com 192.0.2.10 port=22 user=jump become=false ssh groups=ungrouped labels=datacenter=fra1 known_hosts= timeout=15s",
				"db-a.example.com db-a.example.com port=22 user=deploy become=false ssh groups=db,prod labels=datacenter=fra1,env=prod-db,owner=SRE team known_hosts= timeout=15s",
				"db-b.example.com db-b.example.com port=22 user=deploy become=false ssh groups=db,prod labels=datacenter=fra1,env=prod-db,owner=SRE team known_hosts= timeout=15s",
				"db-c.example.com 10.0.0.7 port=22 user=deploy become=true ssh groups=db,prod labels=datacenter=fra1,env=prod-db,owner=SRE team known_hosts= key=$TD/keys/db_ed25519 timeout=15s",
				"edge1 2001:db8::10 port=22 user=root become=false ssh groups=dmz labels=datacenter=fra1 known_hosts=$TD/dmz_known_hosts jump=jump@bastion.example.com:22 timeout=15s",
				"web-canary.example.com web-canary.example.com port=2222 user=deploy become=false ssh groups=prod,web labels=canary=true,datacenter=fra1,env=prod,owner=SRE team known_hosts= timeout=15s",
				"web01.example.com web01.example.com port=22 user=deploy become=false ssh groups=prod,web labels=datacenter=fra1,env=prod,owner=SRE team known_hosts= timeout=15s",
				"web02.example.com web02.example.com port=22 user=deploy become=false ssh groups=prod,web labels=datacenter=fra1,env=prod,owner=SRE team known_hosts= timeout=15s",
				"web03.example.com web03.example.com port=22 user=deploy become=false ssh groups=prod,web labels=datacenter=fra1,env=prod,owner=SRE team known_hosts= timeout=15s",
			},
		},
		{
			file:   "ansible.good.yaml",
			format: FormatAnsibleYAML,
			groups: "all,db,local,prod,ungrouped,web",
			hosts: []string{
				`bastion.example.com 192.0.2.10 port=22 user=root become=false ssh groups=ungrouped labels=datacenter=fra1 known_hosts=`,
				`control control port=22 user=root become=false local groups=local labels=datacenter=fra1 known_hosts=`,
				`db-a.example.com db-a.example.com port=22 user=deploy become=true ssh groups=db,prod labels=datacenter=fra1,env=prod-db known_hosts=`,
				`db-b.example.com db-b.example.com port=22 user=deploy become=true ssh groups=db,prod labels=datacenter=fra1,env=prod-db known_hosts=`,
				`web-canary.example.com web-canary.example.com port=2222 user=deploy become=false ssh groups=prod,web labels=canary=true,datacenter=fra1,env=prod known_hosts=`,
				`web01.example.com web01.example.com port=22 user=deploy become=false ssh groups=prod,web labels=datacenter=fra1,env=prod known_hosts=`,
				`web02.example.com web02.example.com port=22 user=deploy become=false ssh groups=prod,web labels=datacenter=fra1,env=prod known_hosts=`,
				`web03.example.com web03.example.com port=22 user=deploy become=false ssh groups=prod,web labels=datacenter=fra1,env=prod known_hosts=`,
			},
		},
		{
			// the shape localfleet writes (localfleet/inventory.go)
			file:   "fleet.good.yaml",
			format: FormatPatchflow,
			groups: "all,apt,canary,dnf,fleet,staging,ungrouped,wave1",
			hosts: []string{
				"tf1 10.213.7.11 port=22 user=root become=false ssh groups=apt,fleet,staging labels=env=staging,index=1,kind=apt known_hosts=/var/tmp/patchflow-fleet/tf/known_hosts key=/var/tmp/patchflow-fleet/tf/id_ed25519 timeout=5s",
				"tf2 10.213.7.12 port=22 user=root become=false ssh groups=apt,canary,fleet labels=env=prod,index=2,kind=apt known_hosts=/var/tmp/patchflow-fleet/tf/known_hosts key=/var/tmp/patchflow-fleet/tf/id_ed25519 timeout=5s",
				"tf3 10.213.7.13 port=22 user=root become=false ssh groups=dnf,fleet,wave1 labels=env=prod,index=3,kind=dnf known_hosts=/var/tmp/patchflow-fleet/tf/known_hosts key=/var/tmp/patchflow-fleet/tf/id_ed25519 timeout=5s",
			},
		},
		{
			file:   "fleet.good.ini",
			format: FormatAnsibleINI,
			groups: "all,apt,canary,dnf,fleet,staging,ungrouped,wave1",
			hosts: []string{
				"tf1 10.213.7.11 port=22 user=root become=false ssh groups=apt,fleet,staging labels=ansible_python_interpreter=/usr/bin/python3,env=staging,index=1,kind=apt known_hosts=/var/tmp/patchflow-fleet/tf/known_hosts key=/var/tmp/patchflow-fleet/tf/id_ed25519",
				"tf2 10.213.7.12 port=22 user=root become=false ssh groups=apt,canary,fleet labels=ansible_python_interpreter=/usr/bin/python3,env=prod,index=2,kind=apt known_hosts=/var/tmp/patchflow-fleet/tf/known_hosts key=/var/tmp/patchflow-fleet/tf/id_ed25519",
				"tf3 10.213.7.13 port=22 user=root become=false ssh groups=dnf,fleet,wave1 labels=ansible_python_interpreter=/usr/bin/python3,env=prod,index=3,kind=dnf known_hosts=/var/tmp/patchflow-fleet/tf/known_hosts key=/var/tmp/patchflow-fleet/tf/id_ed25519",
			},
		},
		{
			file:   "minimal.good.ini",
			format: FormatAnsibleINI,
			groups: "all,ungrouped",
			hosts: []string{
				"h1 h1 port=22 user=root become=false ssh groups=ungrouped labels= known_hosts=",
				"h2 h2 port=22 user=root become=false ssh groups=ungrouped labels= known_hosts=",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			inv, err := Load(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if inv.Format != tt.format {
				t.Errorf("format = %q, want %q", inv.Format, tt.format)
			}
			if got := strings.Join(inv.GroupNames, ","); got != tt.groups {
				t.Errorf("groups = %s, want %s", got, tt.groups)
			}
			var got []string
			for _, h := range inv.Hosts {
				got = append(got, summary(t, h))
			}
			if strings.Join(got, "\n") != strings.Join(tt.hosts, "\n") {
				t.Errorf("hosts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.hosts, "\n"))
			}
			if !sort.SliceIsSorted(inv.Hosts, func(i, j int) bool { return CompareNames(inv.Hosts[i].Name, inv.Hosts[j].Name) < 0 }) {
				t.Error("hosts are not sorted by name")
			}
		})
	}
}

// TestSecretsNeverBecomeLabels guards `inventory list`, which prints labels.
func TestSecretsNeverBecomeLabels(t *testing.T) {
	for _, file := range []string{"ansible.good.ini", "ansible.good.yaml"} {
		inv, err := Load(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range inv.Hosts {
			for k, v := range h.Labels {
				if strings.Contains(k, "pass") || strings.Contains(k, "secret") || strings.Contains(k, "vault") ||
					strings.Contains(v, "hunter2") || strings.Contains(v, "ANSIBLE_VAULT") {
					t.Errorf("%s: host %s shows secret label %s=%s", file, h.Name, k, v)
				}
			}
		}
	}
}

func TestLookupAndHasGroup(t *testing.T) {
	inv, err := Load("testdata/ansible.good.ini")
	if err != nil {
		t.Fatal(err)
	}
	h, ok := inv.Lookup("db-c.example.com")
	if !ok || h.Address != "10.0.0.7" {
		t.Errorf("Lookup(db-c.example.com) = %+v, %v", h, ok)
	}
	if _, ok := inv.Lookup("db-z.example.com"); ok {
		t.Error("Lookup of a missing host succeeded")
	}
	for _, g := range []string{"all", "ungrouped", "prod", "web", "dmz"} {
		if !inv.HasGroup(g) {
			t.Errorf("HasGroup(%q) = false", g)
		}
	}
	if inv.HasGroup("wbe") {
		t.Error("HasGroup(wbe) = true")
	}
}
