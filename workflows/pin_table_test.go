package workflows

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/patchflow/patchflow/domain"
)

// variedSnapshots is a wave of a real fleet's shape: every host has the
// same 100 packages, and each differs from the rest in two of them (one
// upgraded by hand, one library of its role), so no two snapshots are
// equal.
func variedSnapshots(hosts int) [][]domain.Pin {
	out := make([][]domain.Pin, hosts)
	for h := range out {
		for p := range 100 {
			v := "1.2.3-1+deb12u1"
			if p == h%100 || p == (h%100+1+h/100)%100 {
				v = fmt.Sprintf("1.2.3-1+deb12u%d", 2+h/100)
			}
			out[h] = append(out[h], domain.Pin{Name: fmt.Sprintf("libexample%d", p), Version: v})
		}
	}
	return out
}

// TestPinTableKeepsAVariedWaveSmall: 500 hosts whose snapshots all differ
// come back in a wave result far below Temporal's 512 KiB payload warning,
// and every host's snapshot resolves to exactly its pins. Kept whole, the
// same snapshots are 2 MiB: past the limit that fails the wave's task.
func TestPinTableKeepsAVariedWaveSmall(t *testing.T) {
	snaps := variedSnapshots(hostsPerPart)
	var table pinTable
	var old snapshotTable
	res := WaveResult{Wave: 2}
	oldRes := WaveResult{Wave: 2}
	for i, s := range snaps {
		host := fmt.Sprintf("web-%04d", i)
		res.Outcomes = append(res.Outcomes, HostResult{Host: host, Wave: 2, State: domain.HostPatched, SnapshotSet: table.set(s)})
		oldRes.Outcomes = append(oldRes.Outcomes, HostResult{Host: host, Wave: 2, State: domain.HostPatched, SnapshotRef: old.intern(s)})
	}
	res.SnapshotPins, oldRes.Snapshots = table.list, old.list
	size, oldSize := encodedSize(t, res), encodedSize(t, oldRes)
	t.Logf("%d hosts, %d distinct snapshots: %d bytes as a pin table (%d pins), %d bytes as whole snapshots", len(snaps), len(old.list), size, len(table.list), oldSize)
	if size > 512<<10/4 {
		t.Errorf("wave result of %d varied hosts is %d bytes, want well under the 512 KiB warning", len(snaps), size)
	}
	var back WaveResult
	raw, _ := json.Marshal(res)
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	for i, o := range back.Outcomes {
		got := pinsAt(back.SnapshotPins, o.SnapshotSet)
		want := slices.Clone(snaps[i])
		slices.SortFunc(got, comparePins)
		slices.SortFunc(want, comparePins)
		if !slices.Equal(got, want) {
			t.Fatalf("host %s: snapshot %v after the round trip, want %v", o.Host, got, want)
		}
	}
}

// TestPinTableTellsNoSnapshotFromAnEmptyOne: a host with no snapshot taken
// has nothing to roll back to; one whose snapshot is empty had nothing to
// change. The two survive the wire apart.
func TestPinTableTellsNoSnapshotFromAnEmptyOne(t *testing.T) {
	var table pinTable
	none, empty := table.set(nil), table.set([]domain.Pin{})
	raw, err := json.Marshal([]HostResult{{Host: "a", SnapshotSet: none}, {Host: "b", SnapshotSet: empty}})
	if err != nil {
		t.Fatal(err)
	}
	var back []HostResult
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if pinsAt(table.list, back[0].SnapshotSet) != nil {
		t.Errorf("no snapshot came back as %v", pinsAt(table.list, back[0].SnapshotSet))
	}
	if got := pinsAt(table.list, back[1].SnapshotSet); got == nil || len(got) != 0 {
		t.Errorf("an empty snapshot came back as %#v, want empty and not nil", got)
	}
}

func comparePins(a, b domain.Pin) int {
	if a.Name != b.Name {
		return compareStrings(a.Name, b.Name)
	}
	return compareStrings(a.Version, b.Version)
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func encodedSize(t *testing.T, v any) int {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return len(raw)
}
