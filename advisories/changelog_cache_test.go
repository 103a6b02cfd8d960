package advisories

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"testing"
)

// A fleet scan reads each (package, version) changelog once, however many
// hosts ask at the same time.
func TestChangelogCacheLoadsOncePerVersion(t *testing.T) {
	c := NewChangelogCache(0)
	load := func(context.Context) (io.ReadCloser, error) {
		return os.Open("testdata/debian-changelog/libexpat1_2.5.0-1+deb12u5.changelog.Debian.gz")
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl, err := c.Get(context.Background(), "expat", "2.5.0-1+deb12u5", load)
			if err == nil && cl.Entries[0].Version != "2.5.0-1+deb12u5" {
				err = errors.New("wrong changelog")
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if c.Loads() != 1 {
		t.Errorf("%d loads for 100 hosts, want 1", c.Loads())
	}

	// A failed load is not kept.
	fail := func(context.Context) (io.ReadCloser, error) { return nil, errors.New("host unreachable") }
	if _, err := c.Get(context.Background(), "xz-utils", "5.4.1-1+deb12u2", fail); err == nil || err.Error() != "changelog of xz-utils 5.4.1-1+deb12u2: host unreachable" {
		t.Fatalf("err %v", err)
	}
	ok := func(context.Context) (io.ReadCloser, error) {
		return os.Open("testdata/debian-changelog/liblzma5_5.4.1-1+deb12u2.changelog.Debian.gz")
	}
	if _, err := c.Get(context.Background(), "xz-utils", "5.4.1-1+deb12u2", ok); err != nil || c.Loads() != 3 {
		t.Errorf("retry after a failure: %v, loads %d", err, c.Loads())
	}
}
