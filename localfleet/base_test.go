package localfleet

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBaseIsBuiltOnceAndCarriesDemoPackages(t *testing.T) {
	Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	start := time.Now()
	b, err := ensureBase(ctx, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	defer b.release()
	t.Logf("base ready in %s: %s", time.Since(start).Round(time.Millisecond), b.dir)
	out, err := run(ctx, "chroot", b.rootfs, "dpkg-query", "-W", "-f=${Package} ${Version}\n", "demo-app", "demo-lib")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), "demo-app 1.0.0\ndemo-lib 1.0\n"; got != want {
		t.Errorf("base demo packages = %q, want %q", got, want)
	}
	for _, p := range demoPackages {
		if _, err := os.Stat(filepath.Join(b.debs, debFile(p.name, p.version))); err != nil {
			t.Errorf("demo package missing from the base cache: %v", err)
		}
	}
	for _, s := range b.security {
		for _, v := range []string{s.Installed, s.Fixed} {
			m, _ := filepath.Glob(filepath.Join(b.secDebs, s.Name+"_*"))
			if len(m) < 2 {
				t.Errorf("security update %s %s: want old and fixed .deb, got %v", s.Name, v, m)
			}
		}
	}
	t.Logf("security updates: %+v", b.security)

	m1, err := readManifest(b.dir)
	if err != nil {
		t.Fatal(err)
	}
	again := time.Now()
	b2, err := ensureBase(ctx, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	b2.release()
	t.Logf("warm ensureBase: %s", time.Since(again))
	if b2.dir != b.dir {
		t.Errorf("second ensureBase used %s, want the cached %s", b2.dir, b.dir)
	}
	m2, err := readManifest(b2.dir)
	if err != nil {
		t.Fatal(err)
	}
	if !m2.Built.Equal(m1.Built) {
		t.Errorf("second ensureBase rebuilt the base (built %v, then %v)", m1.Built, m2.Built)
	}
	if _, err := os.Stat(b.dir + ".tmp"); err == nil || !strings.HasPrefix(b.dir, CacheDir) {
		t.Errorf("leftover %s.tmp after a build", b.dir)
	}
}
