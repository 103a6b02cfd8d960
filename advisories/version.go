package advisories

import (
	"errors"
	"fmt"
	"strings"

	debversion "github.com/knqyf263/go-deb-version"
	rpmversion "github.com/knqyf263/go-rpm-version"
)

// Family is a packaging family, which decides the version order.
type Family string

// Families.
const (
	Deb Family = "deb" // dpkg version order (go-deb-version)
	RPM Family = "rpm" // rpm version order (go-rpm-version)
)

// maxVersionLen bounds a version string; longer ones are rejected.
const maxVersionLen = 256

// Version is a parsed package version of one family. Only the sign of
// Compare is used, as the version libraries document no magnitude.
type Version struct {
	family Family
	raw    string
	deb    debversion.Version
	rpm    rpmversion.Version
}

// ParseVersion parses s in f's version syntax. A version the family's
// library rejects is an error, never a guess: callers count it as a skip.
// go-rpm-version accepts any string, so rpm versions are checked here for
// what rpm itself allows: an optional numeric epoch, a non-empty version,
// an optional release, and only alphanumerics and ._+~^ otherwise (and _).
func ParseVersion(f Family, s string) (Version, error) {
	if s == "" {
		return Version{}, errors.New("empty version")
	}
	if len(s) > maxVersionLen {
		return Version{}, fmt.Errorf("version longer than %d bytes", maxVersionLen)
	}
	switch f {
	case Deb:
		v, err := debversion.NewVersion(s)
		if err != nil {
			return Version{}, fmt.Errorf("debian version %s: %v", quote(s), err)
		}
		if strings.TrimSpace(s) != s {
			return Version{}, fmt.Errorf("debian version %s: surrounding space", quote(s))
		}
		return Version{family: f, raw: s, deb: v}, nil
	case RPM:
		if err := checkRPMVersion(s); err != nil {
			return Version{}, fmt.Errorf("rpm version %s: %v", quote(s), err)
		}
		return Version{family: f, raw: s, rpm: rpmversion.NewVersion(s)}, nil
	}
	return Version{}, fmt.Errorf("unknown package family %s", quote(string(f)))
}

func checkRPMVersion(s string) error {
	evr := s
	if e, rest, ok := strings.Cut(s, ":"); ok {
		if e == "" {
			return errors.New("empty epoch")
		}
		for _, c := range e {
			if c < '0' || c > '9' {
				return errors.New("epoch is not a number")
			}
		}
		if len(e) > 9 {
			return errors.New("epoch out of range")
		}
		evr = rest
	}
	ver, rel, hasRel := strings.Cut(evr, "-")
	if ver == "" {
		return errors.New("empty version")
	}
	if hasRel && (rel == "" || strings.Contains(rel, "-")) {
		return errors.New("malformed release")
	}
	for _, c := range evr {
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case strings.ContainsRune("._+~^-_", c):
		default:
			return fmt.Errorf("invalid character %q", c)
		}
	}
	return nil
}

// String returns the version as it was parsed.
func (v Version) String() string { return v.raw }

// Compare returns -1, 0 or +1 as v is older than, equal to or newer than w
// in their family's order. Versions of different families compare by
// their strings, which callers never rely on.
func (v Version) Compare(w Version) int {
	if v.family != w.family {
		return strings.Compare(v.raw, w.raw)
	}
	var n int
	switch v.family {
	case Deb:
		n = v.deb.Compare(w.deb)
	case RPM:
		n = v.rpm.Compare(w.rpm)
	default:
		n = strings.Compare(v.raw, w.raw)
	}
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// CompareVersions compares two version strings of family f; an error names
// the version the library rejected.
func CompareVersions(f Family, a, b string) (int, error) {
	va, err := ParseVersion(f, a)
	if err != nil {
		return 0, err
	}
	vb, err := ParseVersion(f, b)
	if err != nil {
		return 0, err
	}
	return va.Compare(vb), nil
}
