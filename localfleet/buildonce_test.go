package localfleet

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

// Concurrent callers of buildOnce build a cached directory once and all
// get a shared lock on the finished directory; a later caller builds
// nothing.
func TestBuildOnceBuildsOnceForConcurrentCallers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "base-x")
	type manifest struct{ Built string }
	built := func() error {
		_, err := readJSON[manifest](filepath.Join(dir, "manifest.json"))
		return err
	}
	var builds atomic.Int32
	build := func() error {
		builds.Add(1)
		return buildAtomically(dir, "test base", func(tmp string) (any, error) {
			return manifest{Built: "yes"}, os.WriteFile(filepath.Join(tmp, "content"), []byte("x"), 0o644)
		})
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lock, err := buildOnce(t.Context(), dir+".lock", built, build)
			if err == nil {
				lock.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("caller %d: buildOnce = %v", i, err)
		}
	}
	lock, err := buildOnce(t.Context(), dir+".lock", built, build)
	if err != nil {
		t.Fatal(err)
	}
	lock.Close()
	if n := builds.Load(); n != 1 {
		t.Errorf("built %d times, want once", n)
	}
	m, err := readJSON[manifest](filepath.Join(dir, "manifest.json"))
	if err != nil || m.Built != "yes" {
		t.Errorf("manifest = %+v, %v; want Built yes", m, err)
	}
	if _, err := os.Stat(dir + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("%s.tmp remains after the build (stat: %v)", dir, err)
	}
}

// A failed build is returned at once, leaves no manifest, and the next
// caller tries again.
func TestBuildOnceReturnsBuildFailure(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "base-y")
	built := func() error {
		_, err := readJSON[struct{}](filepath.Join(dir, "manifest.json"))
		return err
	}
	failure := errors.New("mirror unreachable")
	build := func() error {
		return buildAtomically(dir, "test base", func(string) (any, error) { return nil, failure })
	}
	for range 2 {
		if _, err := buildOnce(t.Context(), dir+".lock", built, build); !errors.Is(err, failure) {
			t.Fatalf("buildOnce = %v, want the build's error", err)
		}
	}
	if built() == nil {
		t.Error("a failed build left a manifest behind")
	}
}
