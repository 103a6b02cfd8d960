package workflows

import "github.com/patchflow/patchflow/domain"

// pinTable keeps each distinct pin (package and version) once, and a
// host's snapshot as the set of its positions in the table. Hosts of a
// real fleet differ in a few packages each (one upgraded by hand, one
// role's extra library), so whole snapshots are nearly all distinct, but
// their pins are shared: a wave of 500 hosts with 100 packages each holds
// a few hundred pins and 500 bitsets of a few dozen bytes, instead of
// 50,000 pins.
type pinTable struct {
	list  []domain.Pin
	index map[domain.Pin]int
}

// newPinTable continues a table carried across runs (WaveProgress).
func newPinTable(list []domain.Pin) *pinTable {
	t := &pinTable{index: make(map[domain.Pin]int, len(list))}
	for _, p := range list {
		t.add(p)
	}
	return t
}

func (t *pinTable) add(p domain.Pin) int {
	if t.index == nil {
		t.index = map[domain.Pin]int{}
	}
	if i, ok := t.index[p]; ok {
		return i
	}
	t.list = append(t.list, p)
	t.index[p] = len(t.list) - 1
	return len(t.list) - 1
}

// set stores a snapshot's pins and returns their positions; nil for no
// snapshot, an empty set for a snapshot of nothing.
func (t *pinTable) set(snap []domain.Pin) *domain.RefSet {
	if snap == nil {
		return nil
	}
	refs := make([]int, len(snap))
	for i, p := range snap {
		refs[i] = t.add(p)
	}
	s := domain.NewRefSet(refs)
	if s == nil {
		s = domain.RefSet{}
	}
	return &s
}

// pinsAt returns the pins of a set, in table order (the order in which a
// package manager receives them does not matter); nil for no set.
func pinsAt(table []domain.Pin, s *domain.RefSet) []domain.Pin {
	if s == nil {
		return nil
	}
	out := make([]domain.Pin, 0, s.Len())
	for _, r := range s.Refs() {
		if r < len(table) {
			out = append(out, table[r])
		}
	}
	return out
}

// SnapshotOf is the snapshot of one of the wave's outcomes, however the
// wave sent it: inline, as a reference into Snapshots (waves before
// wave-pin-table) or as positions in SnapshotPins; nil when none was
// taken.
func (r WaveResult) SnapshotOf(o HostResult) []domain.Pin {
	switch {
	case o.SnapshotSet != nil:
		return pinsAt(r.SnapshotPins, o.SnapshotSet)
	case o.SnapshotRef > 0 && o.SnapshotRef <= len(r.Snapshots):
		return r.Snapshots[o.SnapshotRef-1]
	}
	return o.Snapshot
}

// SnapshotOf is the snapshot a rollback wave returns target t to.
func (in WaveInput) SnapshotOf(t HostTarget) []domain.Pin {
	switch {
	case t.SnapshotSet != nil:
		return pinsAt(in.SnapshotPins, t.SnapshotSet)
	case t.Snapshot > 0 && t.Snapshot <= len(in.Snapshots):
		return in.Snapshots[t.Snapshot-1]
	}
	return nil
}
