package localfleet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// demoPackage is one version of a demo package in the fleet repository.
type demoPackage struct {
	name, version, postinst string
}

// Postinst scripts. demo-lib 1.1 is a "library update": it asks for a
// reboot like real ones do (/run/reboot-required), and fails where the
// host was marked bad.
const (
	postinstOK = `#!/bin/sh
set -e
mkdir -p /var/lib/$DPKG_MAINTSCRIPT_PACKAGE
echo "$VERSION" > /var/lib/$DPKG_MAINTSCRIPT_PACKAGE/version
`
	postinstBad = `#!/bin/sh
echo "$DPKG_MAINTSCRIPT_PACKAGE $VERSION: postinst failed on purpose (a bad patch)" >&2
exit 1
`
	postinstLibReboot = `#!/bin/sh
set -e
if [ -e ` + DemoFailFile + ` ]; then
	echo "$DPKG_MAINTSCRIPT_PACKAGE $VERSION: postinst failed: ` + DemoFailFile + ` exists on this host" >&2
	exit 1
fi
mkdir -p /var/lib/$DPKG_MAINTSCRIPT_PACKAGE
echo "$VERSION" > /var/lib/$DPKG_MAINTSCRIPT_PACKAGE/version
touch /run/reboot-required
echo "$DPKG_MAINTSCRIPT_PACKAGE" >> /run/reboot-required.pkgs
`
)

// DemoPackages lists the demo packages and versions the fleet repository
// serves; the first version of each is preinstalled on every apt host.
var demoPackages = []demoPackage{
	{"demo-app", "1.0.0", postinstOK},
	{"demo-app", "1.0.1", postinstOK},
	{"demo-app", "1.0.2", postinstBad},
	{"demo-lib", "1.0", postinstOK},
	{"demo-lib", "1.1", postinstLibReboot},
}

func debFile(name, version string) string { return name + "_" + version + "_all.deb" }

// buildDemoDebs builds every demo package with dpkg-deb into dir.
func buildDemoDebs(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("localfleet: create %s: %w", dir, err)
	}
	for _, p := range demoPackages {
		if err := buildDeb(ctx, dir, p); err != nil {
			return err
		}
	}
	return nil
}

func buildDeb(ctx context.Context, dir string, p demoPackage) error {
	src, err := os.MkdirTemp("", "patchflow-deb-")
	if err != nil {
		return fmt.Errorf("localfleet: build %s %s: %w", p.name, p.version, err)
	}
	defer os.RemoveAll(src)
	control := fmt.Sprintf("Package: %s\nVersion: %s\nArchitecture: all\nSection: misc\nPriority: optional\n"+
		"Maintainer: patchflow test fleet <fleet@patchflow.invalid>\nDescription: patchflow demo package %s\n", p.name, p.version, p.version)
	script := "#!/bin/sh\nVERSION=" + p.version + "\n" + p.postinst[len("#!/bin/sh\n"):]
	files := []struct {
		path, data string
		mode       os.FileMode
	}{
		{"DEBIAN/control", control, 0o644},
		{"DEBIAN/postinst", script, 0o755},
		{"opt/" + p.name + "/VERSION", p.version + "\n", 0o644},
	}
	for _, f := range files {
		path := filepath.Join(src, f.path)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("localfleet: build %s %s: %w", p.name, p.version, err)
		}
		if err := os.WriteFile(path, []byte(f.data), f.mode); err != nil {
			return fmt.Errorf("localfleet: build %s %s: %w", p.name, p.version, err)
		}
		os.Chmod(path, f.mode) // umask must not change a maintainer script's mode
	}
	os.Chmod(src, 0o755)
	out := filepath.Join(dir, debFile(p.name, p.version))
	if _, err := runIn(ctx, runOpts{env: []string{"SOURCE_DATE_EPOCH=1700000000"}},
		"dpkg-deb", "--root-owner-group", "--build", src, out); err != nil {
		return fmt.Errorf("localfleet: build %s %s: %w", p.name, p.version, err)
	}
	return nil
}
