package localfleet

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"
)

// Require skips the test when the fleet cannot run here (not Linux, not
// root), with a message saying why; under CI=true it fails instead, since CI
// runs as root and must run every fleet test.
func Require(t testing.TB) {
	t.Helper()
	reason := ""
	switch {
	case runtime.GOOS != "linux":
		reason = "the test fleet needs Linux (network, pid and mount namespaces), this is " + runtime.GOOS
	case os.Geteuid() != 0:
		reason = "the test fleet needs root (namespaces, mounts, a bridge); run the tests as root"
	default:
		if err := checkTools(); err != nil {
			reason = err.Error()
		}
	}
	if reason == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("localfleet: cannot run under CI=true: %s", reason)
	}
	t.Skipf("localfleet: skipped: %s", reason)
}

// Start brings a fleet up for a test and takes it down when the test ends.
// It calls Require first; errors fail the test.
func Start(t testing.TB, cfg Config) *Fleet {
	t.Helper()
	Require(t)
	if cfg.Logf == nil {
		cfg.Logf = t.Logf
	}
	// Generous: the first Up on a machine builds the base (~20-75 s).
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	f, err := Up(ctx, cfg)
	if err != nil {
		t.Fatalf("localfleet: start fleet %q: %v", cfg.Name, err)
	}
	t.Cleanup(func() {
		if err := f.Down(); err != nil {
			t.Errorf("localfleet: stop fleet %q: %v", cfg.Name, err)
		}
	})
	return f
}
