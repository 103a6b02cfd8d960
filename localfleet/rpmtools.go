package localfleet

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
)

// rpmTools maps each program the rpm host kind runs on the machine to the
// Debian package that provides it. They are checked only when a fleet has
// dnf hosts, so Debian-only fleets do not need them.
var rpmTools = map[string]string{
	"rpmbuild":     "rpm",
	"createrepo_c": "createrepo-c",
	"modifyrepo_c": "createrepo-c",
	"cp":           "coreutils",
}

// RPMToolPackages lists the Debian packages a fleet with dnf hosts needs
// on the machine besides ToolPackages; CI installs both.
func RPMToolPackages() []string {
	seen := map[string]bool{}
	for _, p := range rpmTools {
		if p != "coreutils" {
			seen[p] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

func checkRPMTools() error {
	missing, pkgs := missingTools(rpmTools)
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	return fmt.Errorf("localfleet: dnf hosts need %s on this machine; install them with: apt-get install -y --no-install-recommends %s",
		strings.Join(missing, ", "), strings.Join(slices.Sorted(maps.Keys(pkgs)), " "))
}

// RequireRPM is Require for tests with dnf hosts: it also needs rpmbuild
// and createrepo_c on the machine. It skips with the apt-get line that
// installs them, or fails under CI=true.
func RequireRPM(t testing.TB) {
	t.Helper()
	Require(t)
	err := checkRPMTools()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("localfleet: cannot run under CI=true: %v", err)
	}
	t.Skipf("localfleet: skipped: %v", err)
}

// RequireZypper is Require for tests with zypper hosts: building their
// packages needs rpmbuild and createrepo_c on the machine (zypper itself
// is installed inside the hosts). It skips with the apt-get line that
// installs them, or fails under CI=true.
func RequireZypper(t testing.TB) {
	t.Helper()
	RequireRPM(t)
}
