package inventory

import (
	"strings"
	"testing"
)

func TestSelect(t *testing.T) {
	inv, err := Load("testdata/ansible.good.ini")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string // host names, comma-separated
	}{
		{nil, "bastion.example.com,db-a.example.com,db-b.example.com,db-c.example.com,edge1,web-canary.example.com,web01.example.com,web02.example.com,web03.example.com"},
		{[]string{"group=web"}, "web-canary.example.com,web01.example.com,web02.example.com,web03.example.com"},
		// prod has web and db as children: their hosts are prod's.
		{[]string{"group=prod"}, "db-a.example.com,db-b.example.com,db-c.example.com,web-canary.example.com,web01.example.com,web02.example.com,web03.example.com"},
		{[]string{"group=all"}, "bastion.example.com,db-a.example.com,db-b.example.com,db-c.example.com,edge1,web-canary.example.com,web01.example.com,web02.example.com,web03.example.com"},
		{[]string{"group=ungrouped"}, "bastion.example.com"},
		{[]string{"env=prod"}, "web-canary.example.com,web01.example.com,web02.example.com,web03.example.com"},
		{[]string{"env=prod-db"}, "db-a.example.com,db-b.example.com,db-c.example.com"},
		// comma-separated terms and repeated flags are one AND
		{[]string{"group=prod,canary=true"}, "web-canary.example.com"},
		{[]string{"group=prod", "canary=true"}, "web-canary.example.com"},
		{[]string{"group=web,group=db"}, ""},
		{[]string{"host=edge1"}, "edge1"},
		{[]string{" host = edge1 , "}, "edge1"},
		{[]string{"label:datacenter=fra1", "group=dmz"}, "edge1"},
		{[]string{"env=staging"}, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			sel, err := ParseSelector(tt.args)
			if err != nil {
				t.Fatalf("ParseSelector: %v", err)
			}
			hosts, err := inv.SelectStrict(sel)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if got := strings.Join(Names(hosts), ","); got != tt.want {
				t.Errorf("selected %s\nwant     %s", got, tt.want)
			}
			if got := strings.Join(Names(inv.Select(sel)), ","); got != tt.want {
				t.Errorf("Select gives %s, Resolve %s", got, tt.want)
			}
		})
	}
}

func TestParseSelectorErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"web"}, `select "web": want key=value, such as group=web or env=prod`},
		{[]string{"group=web,prod"}, `select "prod": want key=value, such as group=web or env=prod`},
		{[]string{"=web"}, `select "=web": the key before '=' is empty; want group=NAME, host=NAME or LABEL=VALUE`},
		{[]string{"group="}, `select "group=": the value after '=' is empty`},
		{[]string{"group=we b"}, `select "group=we b": group name "we b" contains ' '; use only letters, digits, '.', '_' and '-'`},
		{[]string{"host=-x"}, `select "host=-x": host name "-x" must not start with '-'`},
		{[]string{"e nv=prod"}, `select "e nv=prod": label key "e nv" contains ' '; use letters, digits, '.', '_', '-' and '/'`},
	}
	for _, tt := range tests {
		_, err := ParseSelector(tt.args)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseSelector(%q) error = %v\nwant %s", tt.args, err, tt.want)
		}
	}
}

func TestResolveUnknown(t *testing.T) {
	inv, err := Parse("hosts.ini", []byte("[web]\nweb1 env=prod\n[db]\ndb1\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		arg, want string
	}{
		{"group=wbe", `select group=wbe: no group "wbe" in hosts.ini, did you mean "web"? (groups: all, db, ungrouped, web)`},
		{"group=cache", `select group=cache: no group "cache" in hosts.ini (groups: all, db, ungrouped, web)`},
		{"host=web2", `select host=web2: no host "web2" in hosts.ini, did you mean "web1"?`},
		{"evn=prod", `select evn=prod: no host has a label "evn", did you mean "env"? (labels: env)`},
	}
	for _, tt := range tests {
		sel, err := ParseSelector([]string{tt.arg})
		if err != nil {
			t.Fatal(err)
		}
		_, err = inv.SelectStrict(sel)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Resolve(%s) error = %v\nwant %s", tt.arg, err, tt.want)
		}
		if hosts := inv.Select(sel); len(hosts) != 0 {
			t.Errorf("Select(%s) = %v, want none", tt.arg, Names(hosts))
		}
	}
}

func TestSelectorString(t *testing.T) {
	sel, err := ParseSelector([]string{"group=web, env=prod", "label:host=x"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sel.String(), "group=web,env=prod,label:host=x"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	again, err := ParseSelector([]string{sel.String()})
	if err != nil || again.String() != sel.String() {
		t.Errorf("round trip = %v, %v", again, err)
	}
}

func TestByteOrderMarkAndCRLF(t *testing.T) {
	inv, err := Parse("hosts", []byte("\xef\xbb\xbf[web]\r\nweb1 env=prod\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if h := inv.Hosts[0]; h.Name != "web1" || h.Labels["env"] != "prod" || !h.InGroup("web") {
		t.Errorf("host = %+v", h)
	}
}
