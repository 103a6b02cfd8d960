package advisories

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// SourceInfo describes one loaded source: what it is, how old its data
// is and what it held.
type SourceInfo struct {
	Name     string    `json:"name"`
	Kind     Kind      `json:"kind"`
	Location string    `json:"location"`
	AsOf     time.Time `json:"as_of,omitzero"`
	// AsOfFrom says where AsOf comes from: "data" (the source's own date:
	// KEV dateReleased, EPSS score_date, newest OSV modified or DSA date),
	// "last-modified" (the server's Last-Modified header) or "fetched"
	// (the fetch time, when the data carries no date).
	AsOfFrom  string    `json:"as_of_from,omitempty"`
	FetchedAt time.Time `json:"fetched_at,omitzero"`
	Records   int       `json:"records"`
	Skipped   int       `json:"skipped"`
}

// DB is a loaded, indexed and read-only view of every configured source.
// Build it once (Open, or a Builder); matching then reads it from any
// number of goroutines.
type DB struct {
	sources []SourceInfo
	rank    map[string]int // source name -> precedence, lower wins
	pkgs    map[pkgKey]*pkgRecords
	kev     *KEVCatalog
	kevSrc  *SourceInfo
	epss    *EPSSScores
	epssSrc *SourceInfo
	skips   Skips
	// covers says which releases each source has records for, so that
	// staleness notes name only the sources that matter to a host.
	coverage map[string]map[Release]bool

	// memo keeps installed-package results by release, package and
	// version: a fleet runs few distinct versions of each package, so most
	// hosts' packages are answered from it. Bounded by maxMemo entries.
	memo   sync.Map // exposureKey -> exposureResult
	memoN  atomic.Int64
	noMemo bool // benchmarks measure the cost without it
}

const maxMemo = 500_000

type exposureKey struct {
	rel                      Release
	fam                      Family
	name, source, srcV, binV string
}

type exposureResult struct {
	ex   Exposure
	skip *Skip
}

type pkgKey struct {
	rel Release
	pkg string
}

// pkgRecords are the records of one package in one release, with their
// distinct fixed versions sorted once so that a lookup places a version
// among them with a binary search instead of comparing every record.
type pkgRecords struct {
	recs  []indexed
	fixed []Version
	// order and groups are the records grouped by vulnerability id, in id
	// order (groupClaims).
	order        []string
	groups       [][]claim
	aliases      [][]string
	ratings      []Rating
	hasInherited bool
}

type indexed struct {
	Record
	fixedRank  int      // index into pkgRecords.fixed; -1 without a fixed version
	introduced *Version // nil: from the first version
	srcRank    int
}

// Builder assembles a DB from records and scores.
type Builder struct {
	db   *DB
	recs map[pkgKey][]Record
}

// NewBuilder returns an empty Builder.
func NewBuilder() *Builder {
	return &Builder{db: &DB{rank: map[string]int{}, pkgs: map[pkgKey]*pkgRecords{}}, recs: map[pkgKey][]Record{}}
}

// AddSource registers a source; sources added first take precedence when
// sources disagree.
func (b *Builder) AddSource(info SourceInfo) {
	if _, ok := b.db.rank[info.Name]; !ok {
		b.db.rank[info.Name] = len(b.db.sources)
	}
	b.db.sources = append(b.db.sources, info)
}

// Add adds one record (an Emit).
func (b *Builder) Add(r Record) {
	k := pkgKey{r.Release, r.Package}
	b.recs[k] = append(b.recs[k], r)
}

// SetKEV sets the KEV catalogue and the source it came from.
func (b *Builder) SetKEV(cat *KEVCatalog, info SourceInfo) {
	b.db.kev, b.db.kevSrc = cat, &info
}

// SetEPSS sets the EPSS scores and the source they came from.
func (b *Builder) SetEPSS(s *EPSSScores, info SourceInfo) {
	b.db.epss, b.db.epssSrc = s, &info
}

// AddSkips records skips of a source for Skips.
func (b *Builder) AddSkips(s Skips) { b.db.skips.merge(s) }

// Build indexes the records and returns the DB; the Builder must not be
// used after.
func (b *Builder) Build() *DB {
	db := b.db
	db.coverage = map[string]map[Release]bool{}
	for k, recs := range b.recs {
		for _, r := range recs {
			if db.coverage[r.Source] == nil {
				db.coverage[r.Source] = map[Release]bool{}
			}
			db.coverage[r.Source][r.Release] = true
		}
		db.pkgs[k] = indexPackage(k.rel.Family(), recs, db.sourceRank)
	}
	b.recs = nil
	return db
}

// indexPackage indexes the records of one package in one release. Fixed
// versions repeat (one advisory fixes many CVEs), so each distinct string
// is parsed once and only the distinct versions are sorted.
func indexPackage(fam Family, recs []Record, rank func(string) int) *pkgRecords {
	pr := &pkgRecords{recs: make([]indexed, 0, len(recs))}
	parsed := map[string]Version{}
	for _, r := range recs {
		if r.Fixed == "" {
			continue
		}
		if _, ok := parsed[r.Fixed]; ok {
			continue
		}
		v, err := ParseVersion(fam, r.Fixed)
		if err != nil {
			continue // parsers reject these; a hand-built record may not
		}
		parsed[r.Fixed] = v
		pr.fixed = append(pr.fixed, v)
	}
	sort.Slice(pr.fixed, func(i, j int) bool { return pr.fixed[i].Compare(pr.fixed[j]) < 0 })
	// Distinct strings can still be equal versions ("1:1.0" and "1:1.0-0"
	// are not, but "0:1.0" and "1.0" are in rpm): merge equal neighbours.
	uniq := pr.fixed[:0]
	for _, v := range pr.fixed {
		if len(uniq) == 0 || uniq[len(uniq)-1].Compare(v) != 0 {
			uniq = append(uniq, v)
		}
	}
	pr.fixed = uniq
	rankOf := make(map[string]int, len(parsed))
	for s, v := range parsed {
		rankOf[s] = sort.Search(len(pr.fixed), func(j int) bool { return pr.fixed[j].Compare(v) >= 0 })
	}
	for _, r := range recs {
		ix := indexed{Record: r, fixedRank: -1, srcRank: rank(r.Source)}
		if r.Fixed != "" {
			rk, ok := rankOf[r.Fixed]
			if !ok {
				continue
			}
			ix.fixedRank = rk
		}
		if r.Introduced != "" {
			if v, err := ParseVersion(fam, r.Introduced); err == nil {
				ix.introduced = &v
			}
		}
		pr.recs = append(pr.recs, ix)
	}
	pr.groupClaims()
	return pr
}

func (db *DB) sourceRank(name string) int {
	if r, ok := db.rank[name]; ok {
		return r
	}
	return len(db.sources)
}

// covers reports whether source has records of rel.
func (db *DB) covers(source string, rel Release) bool { return db.coverage[source][rel] }

// Sources lists the loaded sources in precedence order.
func (db *DB) Sources() []SourceInfo { return append([]SourceInfo(nil), db.sources...) }

// Skips returns the records the sources' parsers skipped.
func (db *DB) Skips() Skips { return db.skips }

// KEV returns cve's KEV entry.
func (db *DB) KEV(cve string) (KEVEntry, bool) {
	if db.kev == nil {
		return KEVEntry{}, false
	}
	e, ok := db.kev.Entries[cve]
	return e, ok
}

// EPSS returns cve's EPSS score.
func (db *DB) EPSS(cve string) (EPSSScore, bool) { return db.epss.Lookup(cve) }

// Records returns the records of pkg in rel (tests and `cve audit` use it).
func (db *DB) Records(rel Release, pkg string) []Record {
	pr := db.pkgs[pkgKey{rel, pkg}]
	if pr == nil {
		return nil
	}
	out := make([]Record, len(pr.recs))
	for i, r := range pr.recs {
		out[i] = r.Record
	}
	return out
}

// position returns how many of pr's distinct fixed versions are at or
// below v: a record with fixedRank < position is fixed at v.
func (pr *pkgRecords) position(v Version) int {
	return sort.Search(len(pr.fixed), func(j int) bool { return pr.fixed[j].Compare(v) > 0 })
}
