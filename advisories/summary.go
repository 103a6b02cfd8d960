package advisories

import (
	"fmt"
	"sort"
	"time"

	"github.com/patchflow/patchflow/domain"
)

// summarize derives the update-level fields from the findings.
func (a *UpdateAssessment) summarize(db *DB, rel Release, in UpdateInput, inRange []ChangelogEntry) {
	sort.SliceStable(a.Fixes, func(i, j int) bool { return idLess(a.Fixes[i].ID, a.Fixes[j].ID) })
	sort.SliceStable(a.StillOpen, func(i, j int) bool { return idLess(a.StillOpen[i].ID, a.StillOpen[j].ID) })
	best := Rating{Severity: domain.SeverityUnknown}
	var bestEPSS *EPSSScore
	nonKEV, noEPSS := 0, 0
	for _, f := range a.Fixes {
		if IsCVE(f.ID) {
			a.CVEs = appendUnique(a.CVEs, f.ID)
		} else {
			a.Advisories = appendUnique(a.Advisories, f.ID)
		}
		for _, x := range f.Aliases {
			if !IsCVE(x) {
				a.Advisories = appendUnique(a.Advisories, x)
			}
		}
		if r := (Rating{Severity: f.Severity, Source: f.SeveritySource}); r.better(best) {
			best = r
		}
		if f.KEV != nil {
			if !a.KEV || f.KEV.DateAdded < a.KEVDateAdded {
				a.KEVDateAdded = f.KEV.DateAdded
			}
			if f.KEV.DueDate != "" && (a.KEVDueDate == "" || f.KEV.DueDate < a.KEVDueDate) {
				a.KEVDueDate = f.KEV.DueDate
			}
			a.KEV = true
		} else if IsCVE(f.ID) {
			nonKEV++
		}
		if f.EPSS != nil && (bestEPSS == nil || f.EPSS.Score > bestEPSS.Score) {
			bestEPSS = f.EPSS
		} else if f.EPSS == nil && IsCVE(f.ID) {
			noEPSS++
		}
		a.Risk = max(a.Risk, f.Risk)
	}
	sortIDs(a.CVEs)
	sortIDs(a.Advisories)
	a.SecurityFix = len(a.Fixes) > 0
	if !best.Severity.Known() && in.VendorSeverity.Known() {
		best = Rating{Severity: in.VendorSeverity, Source: SourceKindVendor + ":package-manager"}
	}
	if !best.Severity.Known() && a.SecurityFix {
		for _, e := range inRange {
			if s := UploadUrgency(e.Urgency); s.Rank() > best.Severity.Rank() {
				best = Rating{Severity: s, Source: SourceKindChangelog + ":" + e.Source}
			}
		}
	}
	a.Severity, a.SeveritySource = best.Severity, best.Source
	if bestEPSS != nil {
		s, p := bestEPSS.Score, bestEPSS.Percentile
		a.EPSS, a.EPSSPercentile = &s, &p
	}
	if a.SecurityFix || a.Severity.Known() {
		a.Risk = max(a.Risk, Risk(a.Severity, a.KEV, a.EPSS))
	}
	a.Notes = append(a.Notes, db.staleness(rel, packageDate(in, inRange), nonKEV, noEPSS)...)
}

// packageDate is when the candidate was published, as far as the inputs
// say.
func packageDate(in UpdateInput, inRange []ChangelogEntry) time.Time {
	d := in.PackageDate
	for _, e := range inRange {
		if e.Date.After(d) {
			d = e.Date
		}
	}
	for _, adv := range in.Updateinfo {
		if d.IsZero() || adv.Issued.After(d) {
			d = adv.Issued
		}
	}
	return d
}

// staleness says which sources cannot know about a package published at
// pkgDate, and which CVEs they do not list.
func (db *DB) staleness(rel Release, pkgDate time.Time, nonKEV, noEPSS int) []string {
	var notes []string
	older := func(asOf time.Time) string {
		if !pkgDate.IsZero() && !asOf.IsZero() && asOf.Before(pkgDate) {
			return fmt.Sprintf(" (older than this package, dated %s)", pkgDate.Format(time.DateOnly))
		}
		return ""
	}
	if nonKEV > 0 {
		if db.kevSrc == nil {
			notes = append(notes, "KEV unknown: no KEV source loaded")
		} else {
			notes = append(notes, fmt.Sprintf("%s not in KEV as of %s%s", plural(nonKEV, "CVE"), db.kevSrc.AsOf.Format(time.DateOnly), older(db.kevSrc.AsOf)))
		}
	}
	if noEPSS > 0 {
		if db.epssSrc == nil {
			notes = append(notes, "EPSS unknown: no EPSS source loaded")
		} else {
			notes = append(notes, fmt.Sprintf("%s without an EPSS score as of %s%s", plural(noEPSS, "CVE"), db.epssSrc.AsOf.Format(time.DateOnly), older(db.epssSrc.AsOf)))
		}
	}
	for _, s := range db.sources {
		if s.Kind == KindKEV || s.Kind == KindEPSS || !db.covers(s.Name, rel) {
			continue
		}
		if o := older(s.AsOf); o != "" {
			notes = append(notes, fmt.Sprintf("%s data as of %s%s", s.Name, s.AsOf.Format(time.DateOnly), o))
		}
	}
	return notes
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
