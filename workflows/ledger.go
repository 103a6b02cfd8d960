package workflows

import (
	"slices"
	"time"

	"github.com/patchflow/patchflow/domain"
)

// maxReportedHosts bounds the hosts a status or result lists inline; the
// hosts query pages the rest, so a cycle of any size answers in one small
// payload.
const maxReportedHosts = 200

// maxListedHosts is the largest cycle whose stages list their host names
// in the status.
const maxListedHosts = 500

// ledger is the cycle's record of every host it has an outcome for: one
// entry per host, replaced as the host moves on (patched, then rolled
// back). It is the only place outcomes are kept; the status, the result,
// rollbacks, the window estimate and the compliance report all read it.
type ledger struct {
	entries map[string]*ledgerEntry
	order   []string // hosts in the order they first got an outcome
	seq     int      // bumped on every record: newest-first order for rollbacks
	pins    pinTable // every snapshot's pins, each once
}

type ledgerEntry struct {
	report   HostReport
	snapshot *domain.RefSet // positions in pins; nil = none taken
	changed  bool
	finished time.Time
	seq      int
}

// record stores a host's latest outcome from its result.
func (l *ledger) record(r HostResult) {
	if l.entries == nil {
		l.entries = map[string]*ledgerEntry{}
	}
	e := l.entries[r.Host]
	if e == nil {
		e = &ledgerEntry{}
		l.entries[r.Host] = e
		l.order = append(l.order, r.Host)
	}
	l.seq++
	*e = ledgerEntry{
		report:   HostReport{Host: r.Host, Wave: r.Wave, Stage: waveLabel(r.Wave), State: r.State, Reason: r.Reason, Duration: r.Duration},
		snapshot: l.pins.set(r.Snapshot),
		changed:  r.State == domain.HostPatched || r.Changed,
		finished: r.Finished,
		seq:      l.seq,
	}
}

// recordScanFailure records a host that could not be scanned.
func (l *ledger) recordScanFailure(host string, state domain.HostState, reason string) {
	l.recordAtScan(host, state, reason)
}

// skipUnplanned records a host the scan found nothing planned for.
func (l *ledger) skipUnplanned(host string) {
	l.recordAtScan(host, domain.HostSkipped, "nothing to patch: no planned update pending")
}

// recordAtScan records a host whose cycle ended at its scan: it belongs to
// no wave, so it is not shown under staging (wave 0).
func (l *ledger) recordAtScan(host string, state domain.HostState, reason string) {
	l.record(HostResult{Host: host, State: state, Reason: reason})
	l.entries[host].report.Stage = stageScan
}

// fail marks a host's latest outcome failed (a check after the bake or the
// final verify found it wrong); it stays changed.
func (l *ledger) fail(host, reason string) {
	if e := l.entries[host]; e != nil {
		e.report.State, e.report.Reason, e.changed = domain.HostFailed, reason, true
	}
}

// final returns a host's latest outcome.
func (l *ledger) final(host string) (HostReport, bool) {
	e := l.entries[host]
	if e == nil {
		return HostReport{}, false
	}
	return e.report, true
}

// has reports whether the host has an outcome.
func (l *ledger) has(host string) bool { return l.entries[host] != nil }

// changed lists the hosts this cycle changed (patched, or failed after a
// successful install) in wave n, or in every wave for n < 0, newest first:
// the order a rollback takes.
func (l *ledger) changed(wave int) []string {
	var hosts []string
	for _, h := range l.order {
		e := l.entries[h]
		if e.changed && (wave < 0 || e.report.Wave == wave) {
			hosts = append(hosts, h)
		}
	}
	slices.SortFunc(hosts, func(a, b string) int { return l.entries[b].seq - l.entries[a].seq })
	return hosts
}

// isChanged reports whether the cycle changed the host.
func (l *ledger) isChanged(host string) bool {
	e := l.entries[host]
	return e != nil && e.changed
}

// snapshot returns the versions the host had before the cycle patched it.
func (l *ledger) snapshot(host string) []domain.Pin {
	if e := l.entries[host]; e != nil {
		return pinsAt(l.pins.list, e.snapshot)
	}
	return nil
}

// finishedAt is when the host's workflow ended (zero for histories
// recorded before that was kept).
func (l *ledger) finishedAt(host string) time.Time {
	if e := l.entries[host]; e != nil {
		return e.finished
	}
	return time.Time{}
}

// meanDuration is the mean run time of the hosts measured so far.
func (l *ledger) meanDuration() (time.Duration, bool) {
	var sum time.Duration
	n := 0
	for _, h := range l.order {
		if d := l.entries[h].report.Duration; d > 0 {
			sum += d
			n++
		}
	}
	if n == 0 {
		return 0, false
	}
	return sum / time.Duration(n), true
}

// failures counts hosts whose final state counts against the budget among
// hosts.
func (l *ledger) failures(hosts []string) int {
	n := 0
	for _, h := range hosts {
		if e := l.entries[h]; e != nil && e.report.State.CountsAsFailure() {
			n++
		}
	}
	return n
}

// counts sums the outcomes of hosts, with hosts that have none yet as
// pending.
func (l *ledger) counts(hosts []string) Counts {
	var c Counts
	for _, h := range hosts {
		if e := l.entries[h]; e != nil {
			c.Add(e.report.State)
		} else {
			c.Total++
			c.Pending++
		}
	}
	return c
}

// reports returns the public view of the hosts matching q, paged.
func (l *ledger) reports(q HostsQuery) HostsPage {
	limit := q.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	var page HostsPage
	for _, h := range l.order {
		r := l.publicReport(h)
		if len(q.States) > 0 && !slices.Contains(q.States, r.State) {
			continue
		}
		if page.Total >= q.Offset && len(page.Hosts) < limit {
			page.Hosts = append(page.Hosts, r)
		}
		page.Total++
	}
	return page
}

// notPatched returns up to max hosts that did not end patched and how many
// more there are.
func (l *ledger) notPatched(max int) ([]HostReport, int) {
	var out []HostReport
	omitted := 0
	for _, h := range l.order {
		if l.entries[h].report.State == domain.HostPatched {
			continue
		}
		if len(out) < max {
			out = append(out, l.publicReport(h))
		} else {
			omitted++
		}
	}
	return out, omitted
}

// publicReport is a host's report with the snapshot kept only where an
// operator may need it to repair the host.
func (l *ledger) publicReport(h string) HostReport {
	e := l.entries[h]
	r := e.report
	if r.State == domain.HostFailed || r.State == domain.HostNeedsRepair {
		r.Snapshot = pinsAt(l.pins.list, e.snapshot)
	}
	return r
}

// snapshotTable keeps each distinct snapshot once, as waves recorded
// before wave-pin-table did (a varied fleet's snapshots are nearly all
// distinct: see pinTable).
type snapshotTable struct {
	list  [][]domain.Pin
	index map[string]int
}

// intern stores a snapshot and returns its 1-based reference (0 for no
// snapshot). The index is only looked up, never ranged over.
func (t *snapshotTable) intern(snap []domain.Pin) int {
	if snap == nil {
		return 0
	}
	if t.index == nil {
		t.index = map[string]int{}
	}
	k := snapshotKey(snap)
	if ref, ok := t.index[k]; ok {
		return ref
	}
	t.list = append(t.list, snap)
	t.index[k] = len(t.list)
	return len(t.list)
}
