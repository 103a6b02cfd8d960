package domain

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestSelectStagingAndProduction(t *testing.T) {
	inventory := []string{"db1", "stg1", "stg2", "web1", "web2", "web3"}
	staged := func(h string) bool { return strings.HasPrefix(h, "stg") || h == "web2" }
	for _, tc := range []struct {
		count int
		want  []string
	}{
		{0, []string{"stg1", "stg2", "web2"}},
		{2, []string{"stg1", "stg2"}},
		{10, []string{"stg1", "stg2", "web2"}},
	} {
		if got := SelectStaging(inventory, staged, tc.count); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SelectStaging(count %d) = %v, want %v (inventory order, capped)", tc.count, got, tc.want)
		}
	}
	// Staging need not be among the targets; production keeps target order.
	got := Production([]string{"web3", "web1", "web2"}, []string{"stg1", "web2"})
	if !reflect.DeepEqual(got, []string{"web3", "web1"}) {
		t.Errorf("Production = %v, want [web3 web1]", got)
	}
}

// TestInventorySourceRelative: relative paths are taken from the policy
// file's directory (the working directory without one) and cleaned.
func TestInventorySourceRelative(t *testing.T) {
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	for _, tc := range []struct {
		policy, inventory, want string
		isURL                   bool
	}{
		{"policies/web.yaml", "hosts.yaml", abs("policies/hosts.yaml"), false},
		{"policies/web.yaml", "../inv/hosts.ini", abs("inv/hosts.ini"), false},
		{"", "hosts.yaml", abs("hosts.yaml"), false},
		{"policies/web.yaml", "/etc/patchflow/../hosts.yaml", "/etc/hosts.yaml", false},
		{"policies/web.yaml", "https://cmdb.example.com/inv.yaml", "https://cmdb.example.com/inv.yaml", true},
	} {
		got, isURL, err := InventorySource(tc.policy, tc.inventory)
		if err != nil || got != tc.want || isURL != tc.isURL {
			t.Errorf("InventorySource(%q, %q) = %q, %v, %v; want %q, %v", tc.policy, tc.inventory, got, isURL, err, tc.want, tc.isURL)
		}
	}
	if _, _, err := InventorySource("p.yaml", "https://"); err == nil {
		t.Error("a URL without a host was accepted")
	}
}
