package pkgmgr

import (
	"strings"
	"testing"
)

func TestValidName(t *testing.T) {
	good := map[string][]string{
		"apt": {"demo-app", "libssl3", "g++", "libstdc++6", "python3.11", "ca-certificates", "libc6:amd64", "x2"},
		"dnf": {"demo-app", "python3.11", "NetworkManager", "perl-Data-Dumper", "libstdc++", "kernel_devel"},
	}
	bad := map[string][]string{
		"apt": {"", "a", "Demo", "-rf", ".hidden", "demo app", "demo;reboot", "demo$(id)", "demo`id`", "demo|x", "demo\n", "demo'x", "demo=1.0", "a/b", "demo:", "demo:AMD64", strings.Repeat("a", 201)},
		"dnf": {"", "-y", ".x", "demo app", "demo;reboot", "x$(id)", "x'y", "a/b", "x=1"},
	}
	for kind, names := range good {
		for _, n := range names {
			if err := ValidName(kind, n); err != nil {
				t.Errorf("ValidName(%s, %q) = %v, want nil", kind, n, err)
			}
		}
	}
	for kind, names := range bad {
		for _, n := range names {
			err := ValidName(kind, n)
			if err == nil {
				t.Errorf("ValidName(%s, %q) = nil, want an error", kind, n)
			} else if !strings.Contains(err.Error(), "package name") {
				t.Errorf("ValidName(%s, %q) error does not say what is wrong: %v", kind, n, err)
			}
		}
	}
	if err := ValidName("pacman", "x"); err == nil {
		t.Error("unknown kind accepted")
	}
	// zypper hosts use rpm's grammar.
	if ValidName("zypper", "libzypp1722") != nil || ValidName("zypper", "-libzypp") == nil || ValidVersion("zypper", "1:17.25.7-150500.2.4") != nil {
		t.Error("zypper does not follow rpm's name and version grammar")
	}
}

func TestValidVersion(t *testing.T) {
	good := map[string][]string{
		"apt": {"1.0.0", "1:2.3-4", "3.0.11-1~deb12u2", "2.36-9+deb12u7", "1.0+dfsg-1", "0.9~rc1", "1:1.2:3-1", "1.2-3-4", "7"},
		"dnf": {"1.0.0", "1.0.0-1", "2:1.0-1.el9", "1.0~rc1-1", "1.2.3-4.fc40", "1.0^git1-1"},
	}
	bad := map[string][]string{
		"apt": {"", "a1.0", "1.0;reboot", "1.0 ", "$(id)", "a:1.0", "1.0-", "x:1.0", "1.0-a b", "-1.0", "1.0/2", "1.0-'x"},
		"dnf": {"", "1.0-1-1", "1.0;x", "$(id)", "1.0 1", "a:1"},
	}
	for kind, vs := range good {
		for _, v := range vs {
			if err := ValidVersion(kind, v); err != nil {
				t.Errorf("ValidVersion(%s, %q) = %v, want nil", kind, v, err)
			}
		}
	}
	for kind, vs := range bad {
		for _, v := range vs {
			if err := ValidVersion(kind, v); err == nil {
				t.Errorf("ValidVersion(%s, %q) = nil, want an error", kind, v)
			}
		}
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		kind, a, b string
		want       int
	}{
		{"apt", "1.0.0", "1.0.1", -1},
		{"apt", "1.0.2", "1.0.1", 1},
		{"apt", "1.0~rc1", "1.0", -1},
		{"apt", "1:0.1", "2.0", 1},
		{"apt", "3.0.11-1~deb12u2", "3.0.15-1~deb12u1", -1},
		{"apt", "1.0-1", "1.0-1", 0},
		{"dnf", "1.0-1", "1.0-2", -1},
		{"dnf", "1:1.0-1", "2.0-1", 1},
		{"dnf", "1.0~rc1-1", "1.0-1", -1},
		{"apt", "garbage!", "1.0", 1}, // unparseable sorts after
	}
	for _, tc := range tests {
		if got := Compare(tc.kind, tc.a, tc.b); got != tc.want {
			t.Errorf("Compare(%s, %q, %q) = %d, want %d", tc.kind, tc.a, tc.b, got, tc.want)
		}
	}
}

func FuzzValidNameCompare(f *testing.F) {
	for _, s := range []string{"demo-app", "1:2.3-4", "1.0~rc1", "", "-", ":", "1.0^a-1", "\x00"} {
		f.Add(s, "1.0")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, kind := range []string{"apt", "dnf"} {
			if ValidName(kind, a) == nil {
				if strings.ContainsAny(a, " \t\n'\"$`;|&<>(){}\\*?=/") || strings.HasPrefix(a, "-") {
					t.Fatalf("ValidName(%s) accepted %q", kind, a)
				}
			}
			if ValidVersion(kind, a) == nil && strings.ContainsAny(a, " \t\n'\"$`;|&<>(){}\\*?=/") {
				t.Fatalf("ValidVersion(%s) accepted %q", kind, a)
			}
			ab, ba := Compare(kind, a, b), Compare(kind, b, a)
			if ab != -ba && ValidVersion(kind, a) == nil && ValidVersion(kind, b) == nil {
				t.Fatalf("Compare(%s) not antisymmetric: %q vs %q gives %d and %d", kind, a, b, ab, ba)
			}
		}
	})
}
