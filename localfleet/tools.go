package localfleet

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"sort"
	"strings"
)

// hostTools maps each program the fixture runs on the machine to the Debian
// package that provides it.
var hostTools = map[string]string{
	"mmdebstrap":     "mmdebstrap",
	"apt-ftparchive": "apt-utils",
	"apt-get":        "apt",
	"apt-cache":      "apt",
	"dpkg-deb":       "dpkg",
	"gpg":            "gpg",
	"gpgconf":        "gpgconf",
	"ip":             "iproute2",
	"unshare":        "util-linux",
	"nsenter":        "util-linux",
	"mount":          "mount",
	"umount":         "mount",
	"chroot":         "coreutils",
}

// ToolPackages is the Debian package list that provides every program the
// fixture needs; CI installs it before running the fleet tests.
func ToolPackages() []string {
	seen := map[string]bool{"python3": true, "debian-archive-keyring": true}
	for _, p := range hostTools {
		seen[p] = true
	}
	return slices.Sorted(maps.Keys(seen))
}

// checkTools reports every missing program at once, with the apt-get line
// that installs them.
func checkTools() error {
	missing, pkgs := missingTools(hostTools)
	if _, err := systemPython(); err != nil {
		missing = append(missing, "/usr/bin/python3")
		pkgs["python3"] = true
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	return fmt.Errorf("localfleet: missing host tools %s; install them with: apt-get install -y --no-install-recommends %s",
		strings.Join(missing, ", "), strings.Join(slices.Sorted(maps.Keys(pkgs)), " "))
}

// missingTools returns the programs of tools (program -> Debian package)
// that are not on PATH, and the set of packages that provide them.
func missingTools(tools map[string]string) (missing []string, pkgs map[string]bool) {
	pkgs = map[string]bool{}
	for tool, pkg := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
			pkgs[pkg] = true
		}
	}
	return missing, pkgs
}

// systemPython returns Debian's python3, not a pyenv shim that may depend on
// the caller's environment.
func systemPython() (string, error) {
	const p = "/usr/bin/python3"
	if _, err := exec.LookPath(p); err != nil {
		return "", fmt.Errorf("localfleet: %s not found (install the Debian package python3)", p)
	}
	return p, nil
}

// run runs a program on the machine and returns its stdout; the error names
// the command and carries the tail of its stderr.
func run(ctx context.Context, name string, args ...string) ([]byte, error) {
	return runIn(ctx, runOpts{}, name, args...)
}

// runOpts are the optional parts of a command run on the machine.
type runOpts struct {
	dir   string
	env   []string // added to the fixture's environment
	stdin []byte
}

// runIn is run with a working directory, extra environment or stdin.
func runIn(ctx context.Context, o runOpts, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = o.dir
	if o.env != nil {
		cmd.Env = append(cmd.Environ(), o.env...)
	}
	if o.stdin != nil {
		cmd.Stdin = bytes.NewReader(o.stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("%s: %w%s", cmdString(name, args), err, tail(stderr.Bytes()))
	}
	return stdout.Bytes(), nil
}

func cmdString(name string, args []string) string {
	s := name
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"$\\;&|<>*?()") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		s += " " + a
	}
	return s
}

// tail keeps the last lines of a command's stderr for an error message.
func tail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if s == "" {
		return ""
	}
	const max = 1500
	if len(s) > max {
		s = "..." + s[len(s)-max:]
	}
	return ": " + s
}
