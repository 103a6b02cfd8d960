package pkgmgr_test

import (
	"context"
	"testing"

	"github.com/patchflow/patchflow/pkgmgr"
)

// BenchmarkFleetZypper measures, over SSH on an open connection to a real
// zypper host: one pinned install (alternating demo-app 1.0.1 and 1.0.0,
// each verified with rpm -q, the package stack check included), one
// Pending scan (~80 updates: list-updates, list-patches, the updateinfo
// from libzypp's cache, rpm -qa), one Refresh and one Health.
func BenchmarkFleetZypper(b *testing.B) {
	_, _, dial := zypperHost(b)
	m := pkgmgr.NewZypper(dial("root"), false)
	ctx := context.Background()
	if err := m.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	b.Run("install", func(b *testing.B) {
		versions := []string{zyApp1, zyApp0}
		i := 0
		for b.Loop() {
			if err := m.Install(ctx, []pkgmgr.Pin{{Name: "demo-app", Version: versions[i%2]}}); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("pending", func(b *testing.B) {
		for b.Loop() {
			ups, err := m.Pending(ctx)
			if err != nil || len(ups) < 60 {
				b.Fatalf("Pending: %d updates, %v", len(ups), err)
			}
		}
	})
	b.Run("refresh", func(b *testing.B) {
		for b.Loop() {
			if err := m.Refresh(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("health", func(b *testing.B) {
		for b.Loop() {
			if err := m.Health(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
