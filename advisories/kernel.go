package advisories

import (
	"strings"
)

// KernelStatus says which installed kernel package is the running one and
// whether a newer one waits for a reboot.
type KernelStatus struct {
	// Running is `uname -r`.
	Running string `json:"running"`
	// Found: the running kernel's package is among the installed ones.
	Found               bool   `json:"found"`
	RunningPackage      string `json:"running_package,omitempty"`
	RunningVersion      string `json:"running_version,omitempty"`
	NewestPackage       string `json:"newest_package,omitempty"`
	NewestVersion       string `json:"newest_version,omitempty"`
	NewestSourceVersion string `json:"-"`
	// RebootPending: a newer kernel than the running one is installed.
	RebootPending bool `json:"reboot_pending"`
}

// kernelFlavors are the rpm kernel package names whose version-release
// plus arch is `uname -r` (SUSE appends the flavor instead).
var kernelFlavors = []string{"kernel", "kernel-core", "kernel-default", "kernel-uek", "kernel-uek-core", "kernel-rt", "kernel-rt-core", "kernel-64k-core"}

// IsKernelPackage reports whether name is a bootable kernel image package:
// Debian's and Ubuntu's linux-image-<release>, rpm's kernel, kernel-core,
// kernel-default and the like.
func IsKernelPackage(name string) bool {
	if strings.HasPrefix(name, "linux-image-") {
		// linux-image-amd64 and similar meta packages only depend on one.
		rest := strings.TrimPrefix(name, "linux-image-")
		return len(rest) > 0 && rest[0] >= '0' && rest[0] <= '9'
	}
	for _, k := range kernelFlavors {
		if name == k {
			return true
		}
	}
	return false
}

// Kernels finds the running kernel's package among the installed ones and
// the newest installed kernel. Debian and Ubuntu: `uname -r` 6.1.0-26-amd64
// is the package linux-image-6.1.0-26-amd64 (or -unsigned), and kernels
// are ordered by their (source) version. rpm: 5.14.0-427.13.1.el9_4.x86_64
// is a kernel/kernel-core package whose version-release.arch is it; SUSE's
// 5.14.21-150500.55.39-default is kernel-default 5.14.21-150500.55.39.x.
func Kernels(fam Family, running string, pkgs []InstalledPackage) KernelStatus {
	ks := KernelStatus{Running: running}
	var newest *Version
	for _, p := range pkgs {
		if !IsKernelPackage(p.Name) {
			continue
		}
		srcV := or(p.SourceVersion, p.Version)
		v, err := ParseVersion(fam, srcV)
		if err != nil {
			continue
		}
		if newest == nil || v.Compare(*newest) > 0 {
			newest = &v
			ks.NewestPackage, ks.NewestVersion, ks.NewestSourceVersion = p.Name, p.Version, srcV
		}
		if !ks.Found && kernelMatches(fam, running, p) {
			ks.Found, ks.RunningPackage, ks.RunningVersion = true, p.Name, p.Version
		}
	}
	if ks.Found && ks.NewestVersion != "" {
		rv, err1 := ParseVersion(fam, ks.runningSourceVersion(pkgs))
		if err1 == nil && newest != nil && newest.Compare(rv) > 0 {
			ks.RebootPending = true
		}
	}
	return ks
}

func (ks KernelStatus) runningSourceVersion(pkgs []InstalledPackage) string {
	for _, p := range pkgs {
		if p.Name == ks.RunningPackage && p.Version == ks.RunningVersion {
			return or(p.SourceVersion, p.Version)
		}
	}
	return ks.RunningVersion
}

func kernelMatches(fam Family, running string, p InstalledPackage) bool {
	if fam == Deb {
		return p.Name == "linux-image-"+running || p.Name == "linux-image-"+running+"-unsigned"
	}
	vr := p.Version
	if _, rest, ok := strings.Cut(vr, ":"); ok {
		vr = rest
	}
	if running == vr || (p.Arch != "" && running == vr+"."+p.Arch) {
		return true
	}
	// SUSE: uname -r is version-release without the last release field,
	// plus the flavor: 5.14.21-150500.55.39-default.
	if i := strings.LastIndex(running, "-"); i > 0 && strings.HasPrefix(p.Name, "kernel-") {
		base, flavor := running[:i], running[i+1:]
		if p.Name == "kernel-"+flavor && strings.HasPrefix(vr, base+".") {
			return true
		}
	}
	return false
}
