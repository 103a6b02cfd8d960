package advisories

import (
	"sort"
)

// claim is one record's statement about one vulnerability id.
type claim struct {
	id string
	ix *indexed
	pr *pkgRecords
}

// claimSet is every statement about the vulnerabilities of one package in
// one release, grouped by id.
type claimSet struct {
	fam   Family
	byID  map[string][]claim
	order []string
}

// lookupNames returns the package names records are looked up by: the
// source package first (dpkg ${source:Package}, rpm SOURCERPM name), then
// the binary name (rpm advisories such as AlmaLinux's and Red Hat's list
// binary packages; a Debian package without a known source is its own
// source).
func lookupNames(name, source string) []string {
	if source == "" || source == name {
		return []string{name}
	}
	return []string{source, name}
}

// claims gathers the records of names in rel. For Debian releases other
// than sid it adds the development release's inherited statements (tracker
// lines without [release]).
func (db *DB) claims(rel Release, fam Family, names []string) *claimSet {
	cs := &claimSet{fam: fam, byID: map[string][]claim{}}
	add := func(k pkgKey, inheritedOnly bool) {
		pr := db.pkgs[k]
		if pr == nil {
			return
		}
		for i := range pr.recs {
			ix := &pr.recs[i]
			if inheritedOnly && !ix.Inherited {
				continue
			}
			ids := ix.CVEs
			if len(ids) == 0 && len(ix.Advisories) > 0 {
				ids = ix.Advisories[:1]
			}
			for _, id := range ids {
				if _, seen := cs.byID[id]; !seen {
					cs.order = append(cs.order, id)
				}
				cs.byID[id] = append(cs.byID[id], claim{id: id, ix: ix, pr: pr})
			}
		}
	}
	for _, n := range names {
		add(pkgKey{rel, n}, false)
		if rel.Distro == "debian" && rel.Version != "sid" {
			add(pkgKey{Release{"debian", "sid"}, n}, true)
		}
	}
	sort.Slice(cs.order, func(i, j int) bool { return idLess(cs.order[i], cs.order[j]) })
	return cs
}

// decide picks the statement that decides an id: a release's own
// statement beats an inherited one; then the source listed first in the
// sources file; within one source a fixed statement beats an open one (an
// advisory is evidence of a released fix) and the lower fixed version
// beats the higher.
func decide(cs []claim) claim {
	best := cs[0]
	for _, c := range cs[1:] {
		if c.beats(best) {
			best = c
		}
	}
	return best
}

func (c claim) beats(o claim) bool {
	if c.ix.Inherited != o.ix.Inherited {
		return !c.ix.Inherited
	}
	if c.ix.srcRank != o.ix.srcRank {
		return c.ix.srcRank < o.ix.srcRank
	}
	cf, of := c.ix.Status == StatusFixed, o.ix.Status == StatusFixed
	if cf != of {
		return cf
	}
	if cf && c.pr == o.pr && c.ix.fixedRank != o.ix.fixedRank {
		return c.ix.fixedRank < o.ix.fixedRank
	}
	return false
}

// at evaluates claims against one version, caching each record set's
// position of the version.
type at struct {
	v   Version
	pos map[*pkgRecords]int
}

func newAt(v Version) *at { return &at{v: v, pos: map[*pkgRecords]int{}} }

// affected reports whether c says the version is vulnerable.
func (a *at) affected(c claim) bool {
	if c.ix.introduced != nil && a.v.Compare(*c.ix.introduced) < 0 {
		return false
	}
	switch c.ix.Status {
	case StatusFixed:
		p, ok := a.pos[c.pr]
		if !ok {
			p = c.pr.position(a.v)
			a.pos[c.pr] = p
		}
		return c.ix.fixedRank >= p
	case StatusNotAffected:
		return false
	}
	return true
}

// rating is the best severity any statement gives id: distro urgency,
// then vendor severity, then the highest CVSS base score of the records'
// vectors.
func rating(cs []claim) Rating {
	best := Rating{Severity: SeverityUnknown}
	var vectors []string
	source := ""
	for _, c := range cs {
		if c.ix.Rating.better(best) {
			best = c.ix.Rating
		}
		if len(c.ix.CVSS) > 0 && source == "" {
			vectors, source = c.ix.CVSS, c.ix.Source
		}
	}
	if !best.Severity.Known() && len(vectors) > 0 {
		best = cvssRating(vectors, source)
	}
	return best
}

// aliases are the other ids the statements give for id.
func aliases(id string, cs []claim) []string {
	var out []string
	for _, c := range cs {
		for _, x := range append(c.ix.CVEs[:len(c.ix.CVEs):len(c.ix.CVEs)], c.ix.Advisories...) {
			if x != id {
				out = appendUnique(out, x)
			}
		}
	}
	sortIDs(out)
	return out
}
