package policies

import (
	"path"
	"regexp"
	"strings"

	"github.com/patchflow/patchflow/internal/safetext"
)

// Package-name grammars. Debian policy 5.6.1: lower case letters, digits,
// '+', '-', '.', at least two characters, starting alphanumeric. RPM (Fedora
// naming guidelines): ASCII letters, digits, '-', '.', '_', '+', not starting
// with '-' or '.'.
var (
	debName = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)
	rpmName = regexp.MustCompile(`^[A-Za-z0-9_+][A-Za-z0-9_.+-]*$`)
	// A version valid for dpkg ([epoch:]upstream[-revision], upstream
	// starting with a digit) or rpm ([epoch:]version-release).
	debVersion = regexp.MustCompile(`^([0-9]+:)?[0-9][A-Za-z0-9.+~:-]*$`)
	rpmVersion = regexp.MustCompile(`^([0-9]+:)?[A-Za-z0-9][A-Za-z0-9._+~^-]*$`)
)

// ValidPackageName checks name against the grammar of kind ("apt" or
// "dnf"); kind "" accepts a name valid for either, which is what a policy
// alone can check (its hosts may use both).
func ValidPackageName(kind, name string) error {
	deb, rpm := debName.MatchString(name), rpmName.MatchString(name) && len(name) <= 255
	switch kind {
	case "apt":
		if !deb {
			return safetext.Errorf("%q is not a Debian package name (lower-case letters, digits, + - ., at least 2 characters, starting alphanumeric)", name)
		}
	case "dnf", "rpm":
		if !rpm {
			return safetext.Errorf("%q is not an RPM package name (letters, digits, - . _ +, not starting with - or .)", name)
		}
	default:
		if !deb && !rpm {
			return safetext.Errorf("%q is not a Debian or RPM package name (letters, digits, - . _ +, starting alphanumeric)", name)
		}
	}
	return nil
}

// ValidVersion checks a package version against the dpkg or rpm grammar
// (kind "" accepts either).
func ValidVersion(kind, v string) error {
	deb, rpm := debVersion.MatchString(v), rpmVersion.MatchString(v)
	if (kind == "apt" && deb) || ((kind == "dnf" || kind == "rpm") && rpm) || (kind == "" && (deb || rpm)) {
		return nil
	}
	return safetext.Errorf("%q is not a package version ([epoch:]version[-release], letters, digits, . + ~ - _)", v)
}

// ValidPackageGlob checks a package-name glob: package-name characters plus
// the wildcards * and ? and bracket classes such as [0-9].
func ValidPackageGlob(pattern string) error {
	if pattern == "" {
		return safetext.Errorf("empty package glob")
	}
	if _, err := path.Match(pattern, ""); err != nil || strings.ContainsAny(pattern, `/\`) {
		return safetext.Errorf("%q is not a valid glob (unbalanced [ ], or / or \\)", pattern)
	}
	// Outside brackets only package-name characters and wildcards may occur.
	in := false
	for _, r := range pattern {
		switch {
		case in:
			in = r != ']'
		case r == '[':
			in = true
		case r == '*' || r == '?':
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("+-._", r):
		default:
			return safetext.Errorf("%q contains %q, which no package name has", pattern, r)
		}
	}
	return nil
}

// ValidPatchName checks an entry of patches.interactive: a zypper patch
// name (SUSE-SLE-Module-Basesystem-15-SP5-2024-1234) or an RPM package
// name, exact: a glob is refused, since a pattern would consent to
// interactive patches nobody has read.
func ValidPatchName(name string) error {
	if strings.ContainsAny(name, "*?[]") {
		return safetext.Errorf("%q is a glob; list exact patch names (SUSE-SLE-...-2024-1234) or package names", name)
	}
	if !rpmName.MatchString(name) || len(name) > 255 {
		return safetext.Errorf("%q is not a zypper patch or RPM package name (letters, digits, - . _ +, not starting with - or .)", name)
	}
	return nil
}

// PackageRef is an entry of an approve or reject list: a package, optionally
// at one version.
type PackageRef struct {
	Name    string `json:"name"`
	Version string `json:"version"` // "" means any version
}

// ParsePackageRef reads "name" or "name=version".
func ParsePackageRef(s string) (PackageRef, error) {
	name, version, hasVersion := strings.Cut(s, "=")
	if err := ValidPackageName("", name); err != nil {
		return PackageRef{}, err
	}
	if hasVersion {
		if err := ValidVersion("", version); err != nil {
			return PackageRef{}, err
		}
	}
	return PackageRef{Name: name, Version: version}, nil
}

// selectorTerm is the grammar of one key=value pair of a --select term.
var selectorPair = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_./:-]*=[^\s,=]+$`)

// ValidSelectorTerm checks the syntax of a selector term such as
// "group=web,env=prod" (comma-separated key=value pairs). Whether the groups
// and labels exist is for the layer that loads the inventory.
func ValidSelectorTerm(term string) error {
	if strings.TrimSpace(term) == "" {
		return safetext.Errorf("empty selector term; use key=value, e.g. group=web")
	}
	for _, pair := range strings.Split(term, ",") {
		if !selectorPair.MatchString(pair) {
			return safetext.Errorf("%q is not key=value (e.g. group=web or env=prod)", pair)
		}
	}
	return nil
}
