package policies

import "testing"

func TestValidPackageName(t *testing.T) {
	for _, tc := range []struct {
		kind, name string
		ok         bool
	}{
		{"apt", "libssl3", true}, {"apt", "g++", true}, {"apt", "python3.11-minimal", true},
		{"apt", "NetworkManager", false}, {"apt", "x", false}, {"apt", "lib_foo", false},
		{"dnf", "NetworkManager", true}, {"dnf", "perl-Data_Dumper", true}, {"dnf", "x", true},
		{"dnf", "-rf", false}, {"dnf", ".hidden", false}, {"dnf", "a b", false},
		{"", "NetworkManager", true}, {"", "libssl3", true}, {"", "bad/name", false}, {"", "", false},
	} {
		if err := ValidPackageName(tc.kind, tc.name); (err == nil) != tc.ok {
			t.Errorf("ValidPackageName(%q, %q) = %v, want ok=%v", tc.kind, tc.name, err, tc.ok)
		}
	}
}

func TestValidVersionAndRefs(t *testing.T) {
	for _, tc := range []struct {
		kind, v string
		ok      bool
	}{
		{"apt", "1:3.0.13-1~deb12u1", true}, {"apt", "2.36-9+deb12u4", true}, {"apt", "abc", false},
		{"dnf", "5.14.0-70.el9", true}, {"dnf", "2:1.2^git", true}, {"dnf", "1.0 beta", false},
		{"", "", false}, {"", ":1", false},
	} {
		if err := ValidVersion(tc.kind, tc.v); (err == nil) != tc.ok {
			t.Errorf("ValidVersion(%q, %q) = %v, want ok=%v", tc.kind, tc.v, err, tc.ok)
		}
	}
	ref, err := ParsePackageRef("openssl=1:3.0.13-1~deb12u1")
	if err != nil || ref != (PackageRef{Name: "openssl", Version: "1:3.0.13-1~deb12u1"}) {
		t.Errorf("ParsePackageRef = %+v, %v", ref, err)
	}
	if ref, err := ParsePackageRef("tzdata"); err != nil || ref.Version != "" {
		t.Errorf("ParsePackageRef(tzdata) = %+v, %v", ref, err)
	}
}

func TestValidPackageGlob(t *testing.T) {
	for pat, ok := range map[string]bool{
		"*": true, "openssl*": true, "lib?ssl[0-9]": true, "[!a]*": true, "[Ll]ibre*": true, "kernel-*": true,
		"": false, "lib[ssl": false, "a/b": false, `a\b`: false, "my pkg": false, "pkg;rm": false, "näme": false,
	} {
		if err := ValidPackageGlob(pat); (err == nil) != ok {
			t.Errorf("ValidPackageGlob(%q) = %v, want ok=%v", pat, err, ok)
		}
	}
}

func TestValidSelectorTerm(t *testing.T) {
	for term, ok := range map[string]bool{
		"group=web": true, "group=web,env=prod": true, "label:group=blue": true, "k8s.io/zone=a": true,
		"": false, "web": false, "group=": false, "=web": false, "group=web,": false, "a=b c": false,
	} {
		if err := ValidSelectorTerm(term); (err == nil) != ok {
			t.Errorf("ValidSelectorTerm(%q) = %v, want ok=%v", term, err, ok)
		}
	}
}
