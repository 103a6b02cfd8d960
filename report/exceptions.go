package report

import (
	"slices"
	"sort"
	"time"
)

// exceptionIndex answers which active exceptions cover a CVE on a host,
// and counts what each one covers for the report's exception list.
type exceptionIndex struct {
	list    []ExceptionRow
	byKey   map[string][]int // host \x00 CVE -> indexes into list, active only
	covered []int            // per exception: fixes it covers a CVE of
}

// newExceptionIndex validates the exceptions (problems go to p) and
// indexes the active ones: an exception is active while now is before
// its Until.
func newExceptionIndex(in []Exception, now time.Time, p *problems) *exceptionIndex {
	x := &exceptionIndex{byKey: map[string][]int{}}
	ids := map[string]bool{}
	for i, e := range in {
		switch {
		case e.ID == "":
			p.add("exception %d: empty id", i+1)
			continue
		case ids[e.ID]:
			p.add("exception %q listed twice", excerpt(e.ID))
			continue
		case len(sortedUnique(e.CVEs)) == 0:
			p.add("exception %q: no CVE: an exception accepts the risk of named CVEs", excerpt(e.ID))
			continue
		case len(sortedUnique(e.Hosts)) == 0:
			p.add("exception %q: no host: resolve its selector to host names", excerpt(e.ID))
			continue
		case e.Until.IsZero():
			p.add("exception %q: no end time: every exception expires", excerpt(e.ID))
			continue
		case e.Reason == "":
			p.add("exception %q: empty reason: auditors need to know why the risk is accepted", excerpt(e.ID))
			continue
		}
		ids[e.ID] = true
		row := ExceptionRow{
			ID:        e.ID,
			CVEs:      sortedUnique(e.CVEs),
			Hosts:     sortedUnique(e.Hosts),
			Until:     utc(e.Until),
			Reason:    e.Reason,
			By:        e.By,
			CreatedAt: utc(e.CreatedAt),
			Expired:   !now.Before(utc(e.Until)),
		}
		x.list = append(x.list, row)
	}
	// Index in the final (sorted) order so covered[] lines up with rows().
	sort.Slice(x.list, func(i, j int) bool {
		a, b := x.list[i], x.list[j]
		if !a.Until.Equal(b.Until) {
			return a.Until.Before(b.Until)
		}
		return a.ID < b.ID
	})
	x.covered = make([]int, len(x.list))
	for i, row := range x.list {
		if row.Expired {
			continue
		}
		for _, h := range row.Hosts {
			for _, c := range row.CVEs {
				k := h + "\x00" + c
				x.byKey[k] = append(x.byKey[k], i)
			}
		}
	}
	return x
}

// cover returns the exception that covers a fix with these CVEs on host,
// or nil: every CVE needs an active exception; the fix is covered until
// the earliest of the latest-expiring exception of each CVE, and that
// exception is the one named. A fix without CVEs cannot be excepted.
func (x *exceptionIndex) cover(host string, cves []string) *ExceptionRef {
	if len(cves) == 0 || len(x.byKey) == 0 {
		return nil
	}
	binding := -1
	// touched is a list, not a set: this runs in workflow code
	// (assessments), where ranging over a map is not deterministic.
	var touched []int
	missing := false
	for _, c := range cves {
		best := -1
		for _, i := range x.byKey[host+"\x00"+c] {
			if !slices.Contains(touched, i) {
				touched = append(touched, i)
			}
			if best < 0 || x.list[i].Until.After(x.list[best].Until) {
				best = i
			}
		}
		if best < 0 {
			missing = true
			continue
		}
		if binding < 0 || x.list[best].Until.Before(x.list[binding].Until) {
			binding = best
		}
	}
	for _, i := range touched {
		x.covered[i]++
	}
	if missing || binding < 0 {
		return nil
	}
	e := x.list[binding]
	return &ExceptionRef{ID: e.ID, Until: e.Until, Reason: e.Reason}
}

// rows returns the exception list with its coverage counts.
func (x *exceptionIndex) rows() []ExceptionRow {
	out := make([]ExceptionRow, len(x.list))
	for i, r := range x.list {
		r.CoveredFixes = x.covered[i]
		out[i] = r
	}
	return out
}
