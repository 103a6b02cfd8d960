package advisories

import (
	"slices"
	"sort"

	"github.com/patchflow/patchflow/domain"
)

// claim is one record's statement about one vulnerability id.
type claim struct {
	id string
	ix *indexed
	pr *pkgRecords
}

// claimSet is every statement about the vulnerabilities of one package in
// one release, grouped by id: groups[i] are the statements about order[i].
type claimSet struct {
	order  []string
	groups [][]claim
	// aliases and ratings of each group, computed once (they depend only
	// on the statements). Shared with the index: read-only.
	aliases [][]string
	ratings []Rating
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

// groupClaims groups a package's records by vulnerability id, once, when
// the index is built.
func (pr *pkgRecords) groupClaims() {
	byID := map[string]int{}
	for i := range pr.recs {
		ix := &pr.recs[i]
		if ix.Inherited {
			pr.hasInherited = true
		}
		ids := ix.CVEs
		if len(ids) == 0 && len(ix.Advisories) > 0 {
			ids = ix.Advisories[:1]
		}
		for _, id := range ids {
			g, ok := byID[id]
			if !ok {
				g = len(pr.order)
				byID[id] = g
				pr.order = append(pr.order, id)
				pr.groups = append(pr.groups, nil)
			}
			pr.groups[g] = append(pr.groups[g], claim{id: id, ix: ix, pr: pr})
		}
	}
	idx := make([]int, len(pr.order))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(i, j int) bool { return idLess(pr.order[idx[i]], pr.order[idx[j]]) })
	order, groups := make([]string, len(idx)), make([][]claim, len(idx))
	for i, j := range idx {
		order[i], groups[i] = pr.order[j], pr.groups[j]
	}
	pr.order, pr.groups = order, groups
	pr.aliases, pr.ratings = make([][]string, len(order)), make([]Rating, len(order))
	for i, id := range order {
		pr.aliases[i], pr.ratings[i] = slices.Clip(aliases(id, groups[i])), rating(groups[i])
	}
}

// claims gathers the statements about names in rel. For Debian releases
// other than sid it adds the development release's inherited statements
// (tracker lines without [release]). The common case, one package with no
// inherited statements, reuses the groups built with the index.
func (db *DB) claims(rel Release, names []string) *claimSet {
	type part struct {
		pr            *pkgRecords
		inheritedOnly bool
	}
	var parts []part
	for _, n := range names {
		if pr := db.pkgs[pkgKey{rel, n}]; pr != nil {
			parts = append(parts, part{pr, false})
		}
		if rel.Distro == "debian" && rel.Version != "sid" {
			if pr := db.pkgs[pkgKey{Release{"debian", "sid"}, n}]; pr != nil && pr.hasInherited {
				parts = append(parts, part{pr, true})
			}
		}
	}
	switch {
	case len(parts) == 0:
		return &claimSet{}
	case len(parts) == 1 && !parts[0].inheritedOnly:
		pr := parts[0].pr
		return &claimSet{order: pr.order, groups: pr.groups, aliases: pr.aliases, ratings: pr.ratings}
	}
	byID := map[string]int{}
	cs := &claimSet{}
	for _, p := range parts {
		for i, id := range p.pr.order {
			for _, c := range p.pr.groups[i] {
				if p.inheritedOnly && !c.ix.Inherited {
					continue
				}
				g, ok := byID[id]
				if !ok {
					g = len(cs.order)
					byID[id] = g
					cs.order = append(cs.order, id)
					cs.groups = append(cs.groups, nil)
				}
				cs.groups[g] = append(cs.groups[g], c)
			}
		}
	}
	idx := make([]int, len(cs.order))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(i, j int) bool { return idLess(cs.order[idx[i]], cs.order[idx[j]]) })
	out := &claimSet{order: make([]string, len(idx)), groups: make([][]claim, len(idx)),
		aliases: make([][]string, len(idx)), ratings: make([]Rating, len(idx))}
	for i, j := range idx {
		out.order[i], out.groups[i] = cs.order[j], cs.groups[j]
		out.aliases[i], out.ratings[i] = slices.Clip(aliases(cs.order[j], cs.groups[j])), rating(cs.groups[j])
	}
	return out
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
	v    Version
	prs  []*pkgRecords
	poss []int
}

func newAt(v Version) *at { return &at{v: v} }

// position is v's place among pr's fixed versions, computed once per pr.
func (a *at) position(pr *pkgRecords) int {
	for i, p := range a.prs {
		if p == pr {
			return a.poss[i]
		}
	}
	p := pr.position(a.v)
	a.prs, a.poss = append(a.prs, pr), append(a.poss, p)
	return p
}

// affected reports whether c says the version is vulnerable.
func (a *at) affected(c claim) bool {
	if c.ix.introduced != nil && a.v.Compare(*c.ix.introduced) < 0 {
		return false
	}
	switch c.ix.Status {
	case StatusFixed:
		return c.ix.fixedRank >= a.position(c.pr)
	case StatusNotAffected:
		return false
	}
	return true
}

// rating is the best severity any statement gives id: distro urgency,
// then vendor severity, then the highest CVSS base score of the records'
// vectors.
func rating(cs []claim) Rating {
	best := Rating{Severity: domain.SeverityUnknown}
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
