package advisories

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	suseSPRe      = regexp.MustCompile(`(\d+) SP(\d+)(?:-LTSS)?$`)
	suseMajorRe   = regexp.MustCompile(` (\d+)(?:-LTSS)?$`)
	suseDottedRe  = regexp.MustCompile(` (\d+\.\d+)$`)
	rhelProductRe = regexp.MustCompile(`^(enterprise_linux|rhel_eus|rhel_aus|rhel_tus|rhel_e4s):(\d+(?:\.\d+)?)(?::|$)`)
	numericRe     = regexp.MustCompile(`^\d+(?:\.\d+)?$`)
	// os-release(5): ID and VERSION_ID are lowercase letters, digits,
	// ".", "_" and "-" (upper case and "~" tolerated in the version).
	osReleaseIDRe      = regexp.MustCompile(`^[a-z0-9._-]{1,64}$`)
	osReleaseVersionRe = regexp.MustCompile(`^[A-Za-z0-9._~-]{0,64}$`)
)

// EcosystemRelease maps an OSV ecosystem to the release and version
// family matching keys it by:
//
//	Debian:12                                  debian:bookworm   deb
//	Ubuntu:22.04:LTS, Ubuntu:24.10              ubuntu:22.04      deb
//	AlmaLinux:9                                almalinux:9       rpm
//	Rocky Linux:9                              rocky:9           rpm
//	Red Hat:enterprise_linux:9::appstream      rhel:9            rpm
//	Red Hat:rhel_aus:8.6::appstream            rhel-aus:8.6      rpm (also eus, tus, e4s)
//	SUSE:Linux Enterprise Server 15 SP5        suse:15.5         rpm (modules and -LTSS alike)
//	SUSE:Linux Enterprise Micro 5.5            suse-micro:5.5    rpm
//	openSUSE:Leap 15.5                         opensuse-leap:15.5 rpm
//
// SUSE files base packages under the module that ships them ("SUSE:Linux
// Enterprise Module for Basesystem 15 SP5"), which os-release does not
// name, so every SUSE Linux Enterprise 15 SP5 product and module maps to
// suse:15.5. Ubuntu Pro and any other ecosystem is an error: the caller
// counts the record as skipped.
func EcosystemRelease(eco string) (Release, Family, error) {
	name, rest, _ := strings.Cut(eco, ":")
	switch name {
	case "Debian":
		if code, ok := debianCodenames[rest]; ok {
			return Release{"debian", code}, Deb, nil
		}
		return Release{}, "", fmt.Errorf("unknown Debian release %s", quote(rest))
	case "Ubuntu":
		v, _, _ := strings.Cut(rest, ":")
		if v == "Pro" {
			return Release{}, "", fmt.Errorf("ecosystem %s: Ubuntu Pro fixes need a subscription and are not matched", quote(eco))
		}
		if !numericRe.MatchString(v) {
			return Release{}, "", fmt.Errorf("unknown Ubuntu release %s", quote(rest))
		}
		return Release{"ubuntu", v}, Deb, nil
	case "AlmaLinux", "Rocky Linux":
		if !numericRe.MatchString(rest) {
			return Release{}, "", fmt.Errorf("unknown %s release %s", name, quote(rest))
		}
		d := "almalinux"
		if name == "Rocky Linux" {
			d = "rocky"
		}
		major, _, _ := strings.Cut(rest, ".")
		return Release{d, major}, RPM, nil
	case "Red Hat":
		m := rhelProductRe.FindStringSubmatch(rest)
		if m == nil {
			return Release{}, "", fmt.Errorf("ecosystem %s: not a Red Hat Enterprise Linux product stream", quote(eco))
		}
		d := "rhel"
		if m[1] != "enterprise_linux" {
			d = strings.Replace(m[1], "_", "-", 1)
		}
		return Release{d, m[2]}, RPM, nil
	case "SUSE":
		if strings.Contains(rest, "Micro") {
			if m := suseDottedRe.FindStringSubmatch(rest); m != nil {
				return Release{"suse-micro", m[1]}, RPM, nil
			}
		}
		if m := suseSPRe.FindStringSubmatch(rest); m != nil {
			return Release{"suse", m[1] + "." + m[2]}, RPM, nil
		}
		if m := suseMajorRe.FindStringSubmatch(rest); m != nil {
			return Release{"suse", m[1] + ".0"}, RPM, nil
		}
		return Release{}, "", fmt.Errorf("ecosystem %s: no SUSE release number", quote(eco))
	case "openSUSE":
		if v, ok := strings.CutPrefix(rest, "Leap "); ok && numericRe.MatchString(v) {
			return Release{"opensuse-leap", v}, RPM, nil
		}
		if rest == "Tumbleweed" {
			return Release{"opensuse-tumbleweed", "rolling"}, RPM, nil
		}
		return Release{}, "", fmt.Errorf("unknown openSUSE release %s", quote(rest))
	}
	return Release{}, "", fmt.Errorf("unknown ecosystem %s", quote(eco))
}

// ReleaseFromOSRelease reads /etc/os-release text and returns the release
// matching keys a host by: Debian by codename (VERSION_CODENAME), Ubuntu by
// VERSION_ID, the EL family by major version, SUSE by VERSION_ID. An
// unknown distribution keeps its ID and VERSION_ID (and simply matches no
// feed data); a missing ID is an error.
func ReleaseFromOSRelease(text string) (Release, error) {
	kv := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		kv[k] = strings.Trim(v, `"'`)
	}
	id, ver := kv["ID"], kv["VERSION_ID"]
	major, _, _ := strings.Cut(ver, ".")
	switch {
	case id == "":
		return Release{}, fmt.Errorf("os-release has no ID")
	case !osReleaseIDRe.MatchString(id):
		return Release{}, fmt.Errorf("os-release ID %s is not lowercase letters, digits, '.', '_' and '-'", quote(id))
	case !osReleaseVersionRe.MatchString(ver):
		return Release{}, fmt.Errorf("os-release VERSION_ID %s is not letters, digits, '.', '_', '~' and '-'", quote(ver))
	}
	switch id {
	case "debian":
		code := kv["VERSION_CODENAME"]
		if code == "" {
			code = debianCodenames[major]
		}
		if code == "" {
			return Release{}, fmt.Errorf("os-release: Debian without VERSION_CODENAME or a known VERSION_ID (%s)", quote(ver))
		}
		if !validCodename(code) {
			return Release{}, fmt.Errorf("os-release: Debian VERSION_CODENAME %s is not a release codename", quote(code))
		}
		return Release{"debian", code}, nil
	case "ubuntu":
		return Release{"ubuntu", ver}, nil
	case "almalinux", "rocky", "rhel", "centos", "ol":
		return Release{id, major}, nil
	case "sles", "sled", "sles_sap":
		return Release{"suse", ver}, nil
	case "sle-micro", "sl-micro":
		return Release{"suse-micro", ver}, nil
	case "opensuse-leap":
		return Release{"opensuse-leap", ver}, nil
	case "opensuse-tumbleweed":
		return Release{"opensuse-tumbleweed", "rolling"}, nil
	}
	return Release{id, ver}, nil
}
