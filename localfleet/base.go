package localfleet

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// baseRecipeVersion changes whenever the base build below changes, so
// cached bases built by an older fixture are not reused.
const baseRecipeVersion = "3"

// CacheDir holds shared base root file systems, one per input hash, each
// with a lock file beside it. The path keeps the package's former name
// (testfleet): it is shared by every checkout and build on the machine.
var CacheDir = "/var/cache/patchflow/testfleet"

const (
	suite       = "bookworm"
	baseInclude = "openssh-server,python3,python3-apt,apt-utils,sudo"
)

// base is a built, immutable root file system and the packages built or
// fetched with it.
type base struct {
	dir      string // base-<hash>
	rootfs   string // lowerdir for every apt host
	debs     string // demo packages (*.deb)
	secDebs  string // real security updates, old and fixed (*.deb)
	security []SecurityUpdate
	arch     string
	lock     *os.File // shared lock held while a fleet uses the base
}

type baseManifest struct {
	Mirror    string           `json:"mirror"`
	Arch      string           `json:"arch"`
	Built     time.Time        `json:"built"`
	BuildTime string           `json:"build_time"`
	Security  []SecurityUpdate `json:"security"`
}

// debianMirror returns the machine's configured Debian mirror for bookworm,
// from its apt sources (deb822 .sources files first, then one-line lists).
// PATCHFLOW_DEBIAN_MIRROR overrides it.
func debianMirror() (string, error) {
	if m := os.Getenv("PATCHFLOW_DEBIAN_MIRROR"); m != "" {
		return m, nil
	}
	files, _ := filepath.Glob("/etc/apt/sources.list.d/*.sources")
	for _, f := range files {
		if m := mirrorFromDeb822(f); m != "" {
			return m, nil
		}
	}
	lists, _ := filepath.Glob("/etc/apt/sources.list.d/*.list")
	for _, f := range append([]string{"/etc/apt/sources.list"}, lists...) {
		if m := mirrorFromList(f); m != "" {
			return m, nil
		}
	}
	return "", errors.New("localfleet: no apt source for Debian " + suite + " main in /etc/apt/sources.list or /etc/apt/sources.list.d; add one or set PATCHFLOW_DEBIAN_MIRROR")
}

func mirrorFromDeb822(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for _, stanza := range strings.Split(string(data), "\n\n") {
		fields := map[string]string{}
		for _, line := range strings.Split(stanza, "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, " ") {
				fields[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
			}
		}
		if !slices.Contains(strings.Fields(fields["types"]), "deb") || !slices.Contains(strings.Fields(fields["suites"]), suite) || !slices.Contains(strings.Fields(fields["components"]), "main") {
			continue
		}
		if uris := strings.Fields(fields["uris"]); len(uris) > 0 {
			return uris[0]
		}
	}
	return ""
}

func mirrorFromList(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		w := strings.Fields(sc.Text())
		if len(w) < 4 || w[0] != "deb" {
			continue
		}
		w = w[1:]
		if strings.HasPrefix(w[0], "[") { // options: [a=b c=d]
			for len(w) > 0 && !strings.HasSuffix(w[0], "]") {
				w = w[1:]
			}
			if len(w) > 0 {
				w = w[1:]
			}
		}
		if len(w) >= 3 && w[1] == suite && slices.Contains(w[2:], "main") {
			return w[0]
		}
	}
	return ""
}

// baseHash names a base by everything that shapes it.
func baseHash(mirror, arch string) string {
	h := sha256.New()
	fmt.Fprintf(h, "recipe=%s\nmirror=%s\narch=%s\nsuite=%s\ninclude=%s\ncandidates=%s\n",
		baseRecipeVersion, mirror, arch, suite, baseInclude, strings.Join(securityCandidates, ","))
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// ensureBase returns the shared base, building it under an exclusive lock if
// it does not exist yet. The returned base holds a shared lock until
// release, so a builder of the same hash never replaces it under a fleet.
func ensureBase(ctx context.Context, logf func(string, ...any)) (*base, error) {
	mirror, err := debianMirror()
	if err != nil {
		return nil, err
	}
	archOut, err := run(ctx, "dpkg", "--print-architecture")
	if err != nil {
		return nil, fmt.Errorf("localfleet: read the machine's architecture: %w", err)
	}
	arch := strings.TrimSpace(string(archOut))
	if err := os.MkdirAll(CacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("localfleet: create base cache: %w", err)
	}
	name := "base-" + baseHash(mirror, arch)
	b := &base{
		dir:  filepath.Join(CacheDir, name),
		arch: arch,
	}
	b.rootfs = filepath.Join(b.dir, "rootfs")
	b.debs = filepath.Join(b.dir, "debs")
	b.secDebs = filepath.Join(b.dir, "security")
	manifest := filepath.Join(b.dir, "manifest.json")
	var m *baseManifest
	built := func() (err error) {
		m, err = readJSON[baseManifest](manifest)
		return err
	}
	lock, err := buildOnce(ctx, b.dir+".lock", built, func() error { return buildBase(ctx, b, mirror, logf) })
	if err != nil {
		return nil, err
	}
	b.lock, b.security = lock, m.Security
	return b, nil
}

func (b *base) release() {
	if b != nil && b.lock != nil {
		b.lock.Close()
		b.lock = nil
	}
}

// readManifest reads the manifest a complete base ends with.
func readManifest(dir string) (*baseManifest, error) {
	return readJSON[baseManifest](filepath.Join(dir, "manifest.json"))
}

// buildBase builds the base atomically (buildAtomically): a crash never
// leaves a half-built base that looks complete.
func buildBase(ctx context.Context, b *base, mirror string, logf func(string, ...any)) error {
	start := time.Now()
	var m baseManifest
	err := buildAtomically(b.dir, "base", func(tmp string) (any, error) {
		rootfs := filepath.Join(tmp, "rootfs")
		logf("localfleet: building base root file system %s from %s (once; ~1 min)", b.dir, mirror)
		if _, err := run(ctx, "mmdebstrap", "--quiet", "--mode=root", "--variant=apt",
			"--include="+baseInclude,
			`--customize-hook=rm -f "$1"/etc/ssh/ssh_host_*`,
			suite, rootfs, fmt.Sprintf("deb %s %s main", mirror, suite)); err != nil {
			return nil, fmt.Errorf("localfleet: build base root file system: %w", err)
		}
		debs := filepath.Join(tmp, "debs")
		if err := buildDemoDebs(ctx, debs); err != nil {
			return nil, err
		}
		if err := customizeBase(ctx, rootfs, debs); err != nil {
			return nil, err
		}
		sec, err := fetchSecurityUpdates(ctx, rootfs, filepath.Join(tmp, "security"), logf)
		if err != nil {
			return nil, err
		}
		m = baseManifest{Mirror: mirror, Arch: b.arch, Built: time.Now().UTC(), Security: sec,
			BuildTime: time.Since(start).Round(time.Millisecond).String()}
		return m, nil
	})
	if err != nil {
		return err
	}
	logf("localfleet: base built in %s", m.BuildTime)
	removeStaleBases(b.dir, logf)
	return nil
}

// removeStaleBases deletes bases of other inputs (an older recipe, another
// mirror) that no fleet uses: those whose lock is free.
func removeStaleBases(keep string, logf func(string, ...any)) {
	pruneUnused(filepath.Join(CacheDir, "base-*"), keep, "localfleet: removed stale base %s", logf)
}
