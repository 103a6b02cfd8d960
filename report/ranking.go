package report

import (
	"slices"
	"sort"
	"time"
)

// sortFixes orders a host's fixes: not excepted first, then the soonest
// deadline (none last), the higher severity, the higher risk, then by name.
func sortFixes(f []MissingFix) {
	sort.Slice(f, func(i, j int) bool {
		a, b := f[i], f[j]
		if (a.Exception == nil) != (b.Exception == nil) {
			return a.Exception == nil
		}
		if c := compareDue(a.DueAt, b.DueAt); c != 0 {
			return c < 0
		}
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		if a.Risk != b.Risk {
			return a.Risk > b.Risk
		}
		return lessStrings(
			[]string{a.Package, a.Arch, a.FixedVersion, a.Installed},
			[]string{b.Package, b.Arch, b.FixedVersion, b.Installed})
	})
}

// rankHosts sorts the rows by the ranking rule and numbers them: the
// earliest next deadline first (the most overdue, since a missed one is
// the earliest), hosts without any deadline after; then more breached
// fixes, a higher worst severity, more missing fixes, the state order, the
// host name and the policy name.
func rankHosts(rows []HostRow) {
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i].Summary, rows[j].Summary
		if c := compareDue(a.NextDue, b.NextDue); c != 0 {
			return c < 0
		}
		if a.Breached != b.Breached {
			return a.Breached > b.Breached
		}
		if ra, rb := worstRank(a), worstRank(b); ra != rb {
			return ra > rb
		}
		if a.Missing != b.Missing {
			return a.Missing > b.Missing
		}
		if sa, sb := stateOrder(rows[i].State), stateOrder(rows[j].State); sa != sb {
			return sa < sb
		}
		return lessStrings([]string{rows[i].Host, rows[i].Policy}, []string{rows[j].Host, rows[j].Policy})
	})
	for i := range rows {
		rows[i].Rank = i + 1
	}
}

func worstRank(s HostSummary) int {
	if s.WorstSeverity == "" {
		return -1
	}
	return s.WorstSeverity.Rank()
}

func stateOrder(s HostState) int { return slices.Index(HostStates, s) }

// compareDue orders deadlines, the zero time (no deadline) last.
func compareDue(a, b time.Time) int {
	switch {
	case a.Equal(b):
		return 0
	case a.IsZero():
		return 1
	case b.IsZero():
		return -1
	}
	return a.Compare(b)
}
