package pkgmgr

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/patchflow/patchflow/transport"
)

// Class is the kind of change an update brings.
type Class string

// Classes. Critical is not a class: it is a security update of severity
// critical.
const (
	Security Class = "security"
	Bugfix   Class = "bugfix"
	Feature  Class = "feature"
)

// Severity of an update, from updateinfo or advisories; SeverityUnknown when
// nothing says.
type Severity string

// Severities.
const (
	Critical        Severity = "critical"
	High            Severity = "high"
	Medium          Severity = "medium"
	Low             Severity = "low"
	SeverityUnknown Severity = "unknown"
)

// Pin is an exact package version. In a rollback, Version "" means the
// package must be absent (it was newly installed by the patch).
type Pin struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

func (p Pin) String() string {
	if p.Version == "" {
		return p.Name + " (absent)"
	}
	return p.Name + "=" + p.Version
}

// Update is one pending update of an installed package.
type Update struct {
	Name       string   `json:"name"`
	Arch       string   `json:"arch"`
	Installed  string   `json:"installed"`
	Candidate  string   `json:"candidate"`
	Source     string   `json:"source"` // apt: origin/suite; dnf: repo id; zypper: repo alias
	Class      Class    `json:"class"`
	Severity   Severity `json:"severity"`
	Advisories []string `json:"advisories"` // CVE / DSA / RHSA ids, SUSE patch names, when known
	// Interactive names the zypper patch flagged interactive (it asks a
	// person something: a reboot, a message, a licence) that brings this
	// version, when the driver was not told to include it
	// (Zypper.WithInteractive): the update is pending, but no plan should
	// install it. Empty for every other update.
	Interactive string `json:"interactive,omitempty"`
}

// Manager is one host's package manager.
type Manager interface {
	// Kind returns "apt", "dnf" or "zypper".
	Kind() string
	// Refresh updates the package index; a repository that failed to
	// download is an error, not a warning.
	Refresh(ctx context.Context) error
	// Installed returns name -> installed version ("" = not installed).
	Installed(ctx context.Context, names []string) (map[string]string, error)
	// Pending lists updates available for installed packages, sorted by name.
	Pending(ctx context.Context) ([]Update, error)
	// Available checks that every pinned version can be fetched (or is
	// already installed): the rollback path check.
	Available(ctx context.Context, pins []Pin) error
	// Download fetches the pinned packages without installing them.
	Download(ctx context.Context, pins []Pin) error
	// Install brings every pin to its exact version (upgrade, downgrade, or
	// removal for Version ""), then verifies the result.
	Install(ctx context.Context, pins []Pin) error
	// RebootRequired reports whether the host asks for a reboot.
	RebootRequired(ctx context.Context) (bool, error)
	// Health reports a broken package state, a held lock or a full disk.
	Health(ctx context.Context) error
}

// driver is a package manager implementation Detect can choose.
type driver struct {
	kind     string
	families []string // os-release ID / ID_LIKE values it serves
	binary   string   // a program whose presence identifies it
	new      func(c transport.Conn, sudo bool) Manager
}

var drivers []driver

// register adds a driver; called from each driver file's init so a new
// driver is one new file.
func register(d driver) { drivers = append(drivers, d) }

// New returns the manager of the given kind ("apt", "dnf", "zypper") on c. sudo runs
// privileged commands through sudo where the host's user is not root.
func New(kind string, c transport.Conn, sudo bool) (Manager, error) {
	for _, d := range drivers {
		if d.kind == kind {
			return d.new(c, sudo), nil
		}
	}
	return nil, fmt.Errorf("unknown package manager %q (known: %s)", kind, strings.Join(Kinds(), ", "))
}

// Kinds lists the registered package manager kinds, sorted.
func Kinds() []string {
	var out []string
	for _, d := range drivers {
		out = append(out, d.kind)
	}
	sort.Strings(out)
	return out
}

// Detect picks the host's package manager: by /etc/os-release ID and
// ID_LIKE first (a Debian host may carry dnf, an RPM host apt), then by
// which driver's program is installed.
func Detect(ctx context.Context, c transport.Conn, sudo bool) (Manager, error) {
	cmd := transport.Command{Args: []string{"cat", "/etc/os-release"}}
	res, err := c.Run(ctx, cmd)
	if err != nil {
		return nil, err
	}
	if res.ExitCode == 0 {
		ids := osReleaseIDs(string(res.Stdout))
		for _, d := range drivers {
			for _, fam := range d.families {
				if ids[fam] {
					return d.new(c, sudo), nil
				}
			}
		}
	}
	for _, d := range drivers {
		probe := transport.Command{Args: []string{"sh", "-c", `command -v "$1" >/dev/null`, "sh", d.binary}}
		res, err := c.Run(ctx, probe)
		if err != nil {
			return nil, err
		}
		if res.ExitCode == 0 {
			return d.new(c, sudo), nil
		}
	}
	return nil, &Error{Host: c.Host(), Op: "detect package manager", Kind: Unsupported,
		Msg: fmt.Sprintf("host %s: no supported package manager found (looked for %s via /etc/os-release and PATH)", c.Host(), strings.Join(Kinds(), ", "))}
}

// osReleaseIDs returns the set of ID and ID_LIKE words in an os-release file.
func osReleaseIDs(text string) map[string]bool {
	ids := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok || (k != "ID" && k != "ID_LIKE") {
			continue
		}
		for _, w := range strings.Fields(strings.Trim(v, `"'`)) {
			ids[w] = true
		}
	}
	return ids
}
