package localfleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// The Debian base and the rpm base are both cached directories built once
// per input hash and shared by every fleet on the machine. The helpers
// here are that shared mechanism: a build-once protocol under a lock file
// beside the directory, an atomic build into dir.tmp, and pruning of
// directories of other inputs that no fleet holds.

// buildOnce returns a shared lock on lockPath once built reports the cached
// directory complete (nil error), building it first under the exclusive
// lock if it is not. The shared lock keeps a builder of the same hash from
// replacing the directory under a fleet; the caller releases it by closing
// the file. A failed build is returned, not retried: it would fail again.
func buildOnce(ctx context.Context, lockPath string, built, build func() error) (*os.File, error) {
	for {
		lock, err := lockFile(ctx, lockPath, syscall.LOCK_SH)
		if err != nil {
			return nil, err
		}
		if built() == nil {
			return lock, nil
		}
		lock.Close()
		// Not built: take the exclusive lock, build unless someone else
		// did meanwhile, then come back for the shared lock.
		lock, err = lockFile(ctx, lockPath, syscall.LOCK_EX)
		if err != nil {
			return nil, err
		}
		var buildErr error
		if built() != nil {
			buildErr = build()
		}
		lock.Close()
		if buildErr != nil {
			return nil, buildErr
		}
	}
}

// readJSON reads a JSON file such as a base's manifest.json. A missing
// file is returned as the os error, so callers can tell "not built".
func readJSON[T any](path string) (*T, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("localfleet: read %s: %w", path, err)
	}
	return &v, nil
}

// lockFile takes a flock on path, polling so a cancelled context ends the
// wait.
func lockFile(ctx context.Context, path string, how int) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("localfleet: open lock %s: %w", path, err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("localfleet: lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("localfleet: wait for lock %s: %w", path, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// buildAtomically builds dir in dir.tmp and renames it into place, so a
// crash never leaves a half-built directory that looks complete: fill
// writes the contents into tmp and returns the manifest, which is written
// last as manifest.json. what names the directory in errors ("rpm base").
func buildAtomically(dir, what string, fill func(tmp string) (manifest any, err error)) error {
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("localfleet: remove stale %s: %w", tmp, err)
	}
	os.RemoveAll(dir) // an incomplete one without manifest
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return fmt.Errorf("localfleet: create %s: %w", tmp, err)
	}
	m, err := fill(tmp)
	if err != nil {
		return err
	}
	data, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(tmp, "manifest.json"), data, 0o644); err != nil {
		return fmt.Errorf("localfleet: write %s manifest: %w", what, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("localfleet: move %s into place: %w", what, err)
	}
	return nil
}

// pruneUnused deletes the cached directories matching pattern other than
// keep that no fleet uses: those whose lock it can take exclusively at
// once. logFormat reports each removal (one %s: the directory).
func pruneUnused(pattern, keep, logFormat string, logf func(string, ...any)) {
	dirs, _ := filepath.Glob(pattern)
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
				logf(logFormat, d)
			}
		}
		lock.Close()
	}
}
