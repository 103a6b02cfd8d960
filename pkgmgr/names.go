package pkgmgr

import (
	"fmt"
	"regexp"
	"strings"

	debversion "github.com/knqyf263/go-deb-version"
	rpmversion "github.com/knqyf263/go-rpm-version"
)

// maxNameLen and maxVersionLen bound what we accept; real names and
// versions are far shorter.
const (
	maxNameLen    = 200
	maxVersionLen = 200
)

var (
	// Debian Policy 5.6.1: lower case letters, digits, + - . ; at least two
	// characters, starting with an alphanumeric. An optional :arch qualifier
	// as dpkg-query and apt accept it.
	debName = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+(:[a-z0-9][a-z0-9-]*)?$`)
	// Debian Policy 5.6.12: [epoch:]upstream_version[-debian_revision].
	debEpoch    = regexp.MustCompile(`^[0-9]+$`)
	debUpstream = regexp.MustCompile(`^[0-9][A-Za-z0-9.+~:-]*$`)
	debRevision = regexp.MustCompile(`^[A-Za-z0-9+.~]+$`)
	// rpm names: letters, digits and ._+- ; not starting with - or . (so no
	// option injection and no hidden-file-like names).
	rpmName = regexp.MustCompile(`^[A-Za-z0-9_+][A-Za-z0-9._+-]*$`)
	// rpm EVR: [epoch:]version[-release]; version and release without '-'.
	rpmEVR = regexp.MustCompile(`^(?:[0-9]+:)?[A-Za-z0-9._+~^]+(?:-[A-Za-z0-9._+~^]+)?$`)
)

// ValidName checks a package name against the package manager's grammar
// ("apt": Debian Policy; "dnf", "zypper": rpm). Names outside it never
// reach a host.
func ValidName(kind, name string) error {
	if len(name) > maxNameLen {
		return fmt.Errorf("package name %.40q... is longer than %d characters", name, maxNameLen)
	}
	var ok bool
	var rule string
	switch kind {
	case "apt":
		ok, rule = debName.MatchString(name), "lower-case letters, digits, '+', '-', '.', at least 2 characters, starting with a letter or digit"
	case "dnf", "zypper":
		ok, rule = rpmName.MatchString(name), "letters, digits, '.', '_', '+', '-', not starting with '-' or '.'"
	default:
		return fmt.Errorf("unknown package manager %q", kind)
	}
	if !ok {
		return fmt.Errorf("invalid %s package name %q: allowed are %s", kind, name, rule)
	}
	return nil
}

// ValidVersion checks a version string against the package manager's
// grammar. The empty version is not valid here (callers treat "" as
// "absent" before asking).
func ValidVersion(kind, v string) error {
	if len(v) > maxVersionLen {
		return fmt.Errorf("version %.40q... is longer than %d characters", v, maxVersionLen)
	}
	switch kind {
	case "apt":
		if validDebVersion(v) {
			return nil
		}
		return fmt.Errorf("invalid Debian version %q: want [epoch:]upstream[-revision], upstream starting with a digit and made of .+~-: letters and digits", v)
	case "dnf", "zypper":
		if rpmEVR.MatchString(v) {
			return nil
		}
		return fmt.Errorf("invalid rpm version %q: want [epoch:]version[-release] of letters, digits and ._+~^", v)
	default:
		return fmt.Errorf("unknown package manager %q", kind)
	}
}

func validDebVersion(v string) bool {
	rest := v
	hasEpoch := false
	if e, r, ok := strings.Cut(v, ":"); ok {
		if !debEpoch.MatchString(e) {
			return false
		}
		rest, hasEpoch = r, true
	}
	upstream := rest
	hasRevision := false
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		if !debRevision.MatchString(rest[i+1:]) {
			return false
		}
		upstream, hasRevision = rest[:i], true
	}
	if !debUpstream.MatchString(upstream) {
		return false
	}
	// Policy: a colon only with an epoch, a hyphen only with a revision.
	if !hasEpoch && strings.Contains(upstream, ":") {
		return false
	}
	if !hasRevision && strings.Contains(upstream, "-") {
		return false
	}
	return true
}

// ValidPin checks a pin's name, and its version unless it is "" (absent).
func ValidPin(kind string, p Pin) error {
	if err := ValidName(kind, p.Name); err != nil {
		return err
	}
	if p.Version == "" {
		return nil
	}
	return ValidVersion(kind, p.Version)
}

// Compare orders two versions the way the package manager does: -1 if
// a < b, 0 if equal, 1 if a > b (go-deb-version for "apt", go-rpm-version
// for "dnf" and "zypper"). Versions the library cannot parse compare as
// plain strings after every parseable one, so sorting never fails.
func Compare(kind, a, b string) int {
	switch kind {
	case "apt":
		va, errA := debversion.NewVersion(a)
		vb, errB := debversion.NewVersion(b)
		switch {
		case errA == nil && errB == nil:
			return sign(va.Compare(vb))
		case errA == nil:
			return -1
		case errB == nil:
			return 1
		}
	case "dnf", "zypper":
		va, vb := rpmversion.NewVersion(a), rpmversion.NewVersion(b)
		return sign(va.Compare(vb))
	}
	return strings.Compare(a, b)
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
