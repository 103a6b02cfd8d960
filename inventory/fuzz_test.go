package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/patchflow/patchflow/internal/yamldiag"
)

// addSeeds adds every testdata file matching glob to the corpus.
func addSeeds(f *testing.F, glob string) {
	files, err := filepath.Glob(filepath.Join("testdata", glob))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// checkParsed asserts what every caller relies on, for any input: an
// error is an Errors list, and a parsed inventory has valid, unique,
// sorted hosts.
func checkParsed(t *testing.T, inv *Inventory, err error) {
	if err != nil {
		var errs yamldiag.Errors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Fatalf("error is %T, want non-empty yamldiag.Errors: %v", err, err)
		}
		if len(errs) > yamldiag.MaxErrors+1 {
			t.Fatalf("%d errors reported, want at most %d", len(errs), yamldiag.MaxErrors+1)
		}
		for _, e := range errs {
			if strings.ContainsFunc(e.Error(), func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Fatalf("error carries a raw control character: %q", e.Error())
			}
		}
		return
	}
	if len(inv.Hosts) == 0 {
		t.Fatal("parsed an inventory with no hosts")
	}
	if !sort.StringsAreSorted(inv.GroupNames) || !inv.HasGroup(GroupAll) {
		t.Fatalf("groups %v not sorted or missing all", inv.GroupNames)
	}
	for i, h := range inv.Hosts {
		if i > 0 && CompareNames(inv.Hosts[i-1].Name, h.Name) >= 0 {
			t.Fatalf("hosts not sorted and unique at %q", h.Name)
		}
		if err := ValidHostName(h.Name); err != nil {
			t.Fatalf("accepted bad host name: %v", err)
		}
		if _, err := normalizeAddress(h.Address); err != nil {
			t.Fatalf("host %q: accepted bad address: %v", h.Name, err)
		}
		if h.Port < 1 || h.Port > 65535 {
			t.Fatalf("host %q: port %d", h.Name, h.Port)
		}
		if err := validUser(h.User); err != nil {
			t.Fatalf("host %q: accepted bad user: %v", h.Name, err)
		}
		if h.Transport != TransportSSH && h.Transport != TransportLocal {
			t.Fatalf("host %q: transport %q", h.Name, h.Transport)
		}
		if h.SSH.ProxyJump != "" {
			if err := validProxyJump(h.SSH.ProxyJump); err != nil {
				t.Fatalf("host %q: accepted bad proxy jump: %v", h.Name, err)
			}
		}
		if !sort.StringsAreSorted(h.Groups) || len(h.Groups) == 0 {
			t.Fatalf("host %q: groups %v", h.Name, h.Groups)
		}
		for _, g := range h.Groups {
			if g == GroupAll || !inv.HasGroup(g) {
				t.Fatalf("host %q: group %q", h.Name, g)
			}
		}
		for k := range h.Labels {
			if err := validLabelKey(k); err != nil {
				t.Fatalf("host %q: %v", h.Name, err)
			}
		}
	}
}

func FuzzParseINI(f *testing.F) {
	addSeeds(f, "*.ini")
	for _, s := range []string{
		"h1\n", "[g]\nh[1:3] a=b\n[g:vars]\nx=1\n", "[a:children]\nb\n[b]\nh\n",
		"h ansible_ssh_common_args='-J u@j:22'\n", "h:22 ansible_host=[::1]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := parse("fuzz.ini", "/inv", data, FormatAnsibleINI)
		checkParsed(t, inv, err)
	})
}

func FuzzParseYAML(f *testing.F) {
	addSeeds(f, "*.yaml")
	for _, s := range []string{
		"all:\n  hosts:\n    h1:\n", "apiVersion: patchflow/v1\nkind: Inventory\nhosts: {h: }\n",
		"a: &x {hosts: {h: }}\nb: *x\n", "all: {vars: {<<: {a: 1}}, hosts: {h: {}}}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := parse("fuzz.yaml", "/inv", data, FormatAnsibleYAML)
		checkParsed(t, inv, err)
	})
}
