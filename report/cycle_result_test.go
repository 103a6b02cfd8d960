package report

import (
	"testing"

	"github.com/patchflow/patchflow/domain"
)

// TestResultOfEveryHostState: an evidence pack names a host's final state
// as it is, keeps awaiting_decision, and shows any step of a host still
// running as pending; every result it gives is one a report may carry.
func TestResultOfEveryHostState(t *testing.T) {
	for s, want := range map[domain.HostState]HostResult{
		domain.HostPatched: HostPatched, domain.HostFailed: HostFailed, domain.HostRolledBack: HostRolledBack,
		domain.HostNeedsRepair: HostNeedsRepair, domain.HostSkipped: HostSkipped, domain.HostCanceled: HostCanceled,
		domain.HostAwaitingDecision: HostAwaitingDecision,
		domain.HostPending:          HostPending, domain.HostPrechecking: HostPending, domain.HostSnapshotting: HostPending,
		domain.HostPreHooks: HostPending, domain.HostApplying: HostPending, domain.HostRebooting: HostPending,
		domain.HostVerifying: HostPending, domain.HostPostHooks: HostPending, domain.HostRollingBack: HostPending,
		"": HostPending,
	} {
		got := ResultOf(s)
		if got != want || !got.Valid() {
			t.Errorf("host state %q: result %q (valid %v), want %q", s, got, got.Valid(), want)
		}
	}
}
