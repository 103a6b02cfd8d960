package testfleet

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// baseRecipeVersion changes whenever the base build below changes, so
// cached bases built by an older fixture are not reused.
const baseRecipeVersion = "3"

// CacheDir holds shared base root file systems, one per input hash, each
// with a lock file beside it.
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
	return "", errors.New("testfleet: no apt source for Debian " + suite + " main in /etc/apt/sources.list or /etc/apt/sources.list.d; add one or set PATCHFLOW_DEBIAN_MIRROR")
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
		if !hasWord(fields["types"], "deb") || !hasWord(fields["suites"], suite) || !hasWord(fields["components"], "main") {
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
		if len(w) >= 3 && w[1] == suite && hasWord(strings.Join(w[2:], " "), "main") {
			return w[0]
		}
	}
	return ""
}

func hasWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if f == w {
			return true
		}
	}
	return false
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
		return nil, fmt.Errorf("testfleet: read the machine's architecture: %w", err)
	}
	arch := strings.TrimSpace(string(archOut))
	if err := os.MkdirAll(CacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("testfleet: create base cache: %w", err)
	}
	name := "base-" + baseHash(mirror, arch)
	b := &base{
		dir:  filepath.Join(CacheDir, name),
		arch: arch,
	}
	b.rootfs = filepath.Join(b.dir, "rootfs")
	b.debs = filepath.Join(b.dir, "debs")
	b.secDebs = filepath.Join(b.dir, "security")
	lockPath := b.dir + ".lock"

	for {
		lock, err := lockFile(ctx, lockPath, syscall.LOCK_SH)
		if err != nil {
			return nil, err
		}
		if m, err := readManifest(b.dir); err == nil {
			b.lock, b.security = lock, m.Security
			return b, nil
		}
		lock.Close()
		// Not built: take the exclusive lock, build unless someone else
		// did meanwhile, then come back for the shared lock.
		lock, err = lockFile(ctx, lockPath, syscall.LOCK_EX)
		if err != nil {
			return nil, err
		}
		var buildErr error
		if _, err := readManifest(b.dir); err != nil {
			buildErr = buildBase(ctx, b, mirror, logf)
		}
		lock.Close()
		if buildErr != nil {
			return nil, buildErr
		}
	}
}

func (b *base) release() {
	if b != nil && b.lock != nil {
		b.lock.Close()
		b.lock = nil
	}
}

func readManifest(dir string) (*baseManifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	var m baseManifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("testfleet: read %s/manifest.json: %w", dir, err)
	}
	return &m, nil
}

// lockFile takes a flock on path, polling so a cancelled context ends the
// wait.
func lockFile(ctx context.Context, path string, how int) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("testfleet: open lock %s: %w", path, err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("testfleet: lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("testfleet: wait for lock %s: %w", path, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// buildBase builds into a temporary directory and renames it into place,
// so a crash never leaves a half-built base that looks complete.
func buildBase(ctx context.Context, b *base, mirror string, logf func(string, ...any)) error {
	start := time.Now()
	tmp := b.dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("testfleet: remove stale %s: %w", tmp, err)
	}
	os.RemoveAll(b.dir) // an incomplete base without manifest
	rootfs := filepath.Join(tmp, "rootfs")
	logf("testfleet: building base root file system %s from %s (once; ~1 min)", b.dir, mirror)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return fmt.Errorf("testfleet: create %s: %w", tmp, err)
	}
	if _, err := run(ctx, "mmdebstrap", "--quiet", "--mode=root", "--variant=apt",
		"--include="+baseInclude,
		`--customize-hook=rm -f "$1"/etc/ssh/ssh_host_*`,
		suite, rootfs, fmt.Sprintf("deb %s %s main", mirror, suite)); err != nil {
		return fmt.Errorf("testfleet: build base root file system: %w", err)
	}
	debs := filepath.Join(tmp, "debs")
	if err := buildDemoDebs(ctx, debs); err != nil {
		return err
	}
	if err := customizeBase(ctx, rootfs, debs); err != nil {
		return err
	}
	sec, err := fetchSecurityUpdates(ctx, rootfs, filepath.Join(tmp, "security"), logf)
	if err != nil {
		return err
	}
	m := baseManifest{Mirror: mirror, Arch: b.arch, Built: time.Now().UTC(), Security: sec,
		BuildTime: time.Since(start).Round(time.Millisecond).String()}
	data, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(tmp, "manifest.json"), data, 0o644); err != nil {
		return fmt.Errorf("testfleet: write base manifest: %w", err)
	}
	if err := os.Rename(tmp, b.dir); err != nil {
		return fmt.Errorf("testfleet: move base into place: %w", err)
	}
	logf("testfleet: base built in %s", m.BuildTime)
	removeStaleBases(b.dir, logf)
	return nil
}

// removeStaleBases deletes bases of other inputs (an older recipe, another
// mirror) that no fleet uses: those whose lock is free.
func removeStaleBases(keep string, logf func(string, ...any)) {
	dirs, _ := filepath.Glob(filepath.Join(CacheDir, "base-*"))
	for _, d := range dirs {
		if d == keep || strings.HasSuffix(d, ".lock") || strings.HasSuffix(d, ".tmp") {
			continue
		}
		lock, err := os.OpenFile(d+".lock", os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			continue
		}
		if syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			if err := os.RemoveAll(d); err == nil {
				logf("testfleet: removed stale base %s", d)
			}
		}
		lock.Close()
	}
}
