package advisories

import (
	"context"
	"fmt"
	"io"
	"sync"
)

// ChangelogCache holds parsed changelogs by source package and version for
// a whole fleet scan, so each distinct (package, version) is read once and
// not once per host: a 1,000-host scan must not download 1,000 copies of
// the same .deb. Concurrent callers asking for the same key wait for the
// one load in flight. A failed load is not kept: the next caller tries
// again (another host may have the file). Safe for concurrent use.
type ChangelogCache struct {
	mu    sync.Mutex
	calls map[string]*changelogCall
	max   int
	loads int
}

type changelogCall struct {
	done chan struct{}
	cl   *Changelog
	err  error
}

// NewChangelogCache returns a cache of at most max changelogs (<= 0: 4096);
// past it the cache starts over rather than grow without bound.
func NewChangelogCache(max int) *ChangelogCache {
	if max <= 0 {
		max = 4096
	}
	return &ChangelogCache{calls: map[string]*changelogCall{}, max: max}
}

// Get returns the parsed changelog of source at version, calling load (and
// ParseChangelog on what it returns) only when no other caller has.
func (c *ChangelogCache) Get(ctx context.Context, source, version string, load func(context.Context) (io.ReadCloser, error)) (*Changelog, error) {
	key := source + "\x00" + version
	c.mu.Lock()
	if call, ok := c.calls[key]; ok {
		c.mu.Unlock()
		select {
		case <-call.done:
			return call.cl, call.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if len(c.calls) >= c.max {
		c.calls = map[string]*changelogCall{}
	}
	call := &changelogCall{done: make(chan struct{})}
	c.calls[key] = call
	c.loads++
	c.mu.Unlock()

	call.cl, call.err = loadChangelog(ctx, source, version, load)
	if call.err != nil {
		c.mu.Lock()
		if c.calls[key] == call {
			delete(c.calls, key)
		}
		c.mu.Unlock()
	}
	close(call.done)
	return call.cl, call.err
}

// Loads is how many times a load ran (for tests and metrics).
func (c *ChangelogCache) Loads() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.loads
}

func loadChangelog(ctx context.Context, source, version string, load func(context.Context) (io.ReadCloser, error)) (*Changelog, error) {
	rc, err := load(ctx)
	if err != nil {
		return nil, fmt.Errorf("changelog of %s %s: %w", source, version, err)
	}
	defer rc.Close()
	cl, err := ParseChangelog(rc)
	if err != nil {
		return nil, fmt.Errorf("changelog of %s %s: %w", source, version, err)
	}
	return cl, nil
}
