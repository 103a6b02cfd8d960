package localfleet

import (
	"maps"
	"reflect"
	"slices"
	"testing"
)

func TestToolPackagesAreSortedAndComplete(t *testing.T) {
	got := ToolPackages()
	if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Errorf("ToolPackages() = %v, want sorted and distinct", got)
	}
	for _, want := range []string{"python3", "debian-archive-keyring", "mmdebstrap", "iproute2", "util-linux"} {
		if !slices.Contains(got, want) {
			t.Errorf("ToolPackages() = %v, missing %s", got, want)
		}
	}
	if got, want := RPMToolPackages(), []string{"createrepo-c", "rpm"}; !reflect.DeepEqual(got, want) {
		t.Errorf("RPMToolPackages() = %v, want %v (coreutils is in every Debian install)", got, want)
	}
}

func TestMissingToolsNamesProgramsAndPackages(t *testing.T) {
	missing, pkgs := missingTools(map[string]string{
		"sh":                         "dash",
		"patchflow-no-such-tool-a":   "pkg-a",
		"patchflow-no-such-tool-a2":  "pkg-a",
		"patchflow-no-such-tool-bee": "pkg-b",
	})
	slices.Sort(missing)
	if want := []string{"patchflow-no-such-tool-a", "patchflow-no-such-tool-a2", "patchflow-no-such-tool-bee"}; !reflect.DeepEqual(missing, want) {
		t.Errorf("missing = %v, want %v", missing, want)
	}
	if got, want := slices.Sorted(maps.Keys(pkgs)), []string{"pkg-a", "pkg-b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("packages = %v, want %v", got, want)
	}
}
