package hostscan

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"time"

	"github.com/patchflow/patchflow/advisories"
)

// feedsRecheck is how often a long-running worker looks whether
// `patchflow advisories sync` refreshed the cache.
const feedsRecheck = time.Minute

// Feeds is the advisory data synced into a cache directory, loaded once
// and reloaded when a sync changes it, so a worker that runs for weeks
// matches against today's data without a restart.
type Feeds struct {
	dir string

	mu      sync.Mutex
	db      *advisories.DB
	stamp   string // what the loaded DB was built from
	checked time.Time
	err     error
}

// OpenFeeds returns the feeds of a cache directory (advisories'
// DefaultCacheDir when dir is ""). Nothing is read until the first scan.
func OpenFeeds(dir string) *Feeds {
	if dir == "" {
		dir = advisories.DefaultCacheDir()
	}
	return &Feeds{dir: dir}
}

// Dir is the cache directory.
func (f *Feeds) Dir() string { return f.dir }

// DB returns the loaded data: an empty DB when nothing was synced (the
// scan then identifies updates from the hosts' own data), and the error
// of a cache that exists but cannot be read (the previous data is kept).
func (f *Feeds) DB() (*advisories.DB, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.db != nil && time.Since(f.checked) < feedsRecheck {
		return f.db, f.err
	}
	f.checked = time.Now()
	entries, err := advisories.Status(f.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist) || (err == nil && len(entries) == 0):
		f.db, f.stamp, f.err = advisories.NewBuilder().Build(), "", nil
		return f.db, nil
	case err != nil:
		f.err = fmt.Errorf("advisory cache %s: %w", f.dir, err)
		return f.orEmpty(), f.err
	}
	var stamp strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&stamp, "%s %s %s\n", e.Name, e.SHA256, e.FetchedAt.UTC().Format(time.RFC3339Nano))
	}
	if f.db != nil && stamp.String() == f.stamp {
		return f.db, f.err
	}
	db, err := advisories.Open(f.dir, advisories.OpenOptions{})
	if err != nil {
		f.err = fmt.Errorf("advisory cache %s: %w", f.dir, err)
		return f.orEmpty(), f.err
	}
	f.db, f.stamp, f.err = db, stamp.String(), nil
	return db, nil
}

func (f *Feeds) orEmpty() *advisories.DB {
	if f.db == nil {
		f.db = advisories.NewBuilder().Build()
	}
	return f.db
}
