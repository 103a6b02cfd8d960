package advisories

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/patchflow/patchflow/domain"
)

// Host is what matching needs to know about a host: its release and its
// packaging family.
type Host struct {
	Release Release `json:"release"`
	// Family is the version order of the host's packages; "" takes the
	// release's (FamilyOf converts a package manager kind).
	Family Family `json:"family,omitempty"`
}

func (h Host) family() Family {
	if h.Family != "" {
		return h.Family
	}
	return h.Release.Family()
}

// FamilyOf returns the packaging family of a package manager kind ("apt",
// "dnf", "zypper").
func FamilyOf(kind string) Family {
	if kind == "apt" {
		return Deb
	}
	return RPM
}

// UpdateInput is one pending update of one host.
type UpdateInput struct {
	Name      string `json:"name"`
	Arch      string `json:"arch,omitempty"`
	Installed string `json:"installed"`
	Candidate string `json:"candidate"`
	// SourceName is dpkg's ${source:Package} or the rpm SOURCERPM name;
	// "" means the binary name.
	SourceName string `json:"source_name,omitempty"`
	// SourceVersion and CandidateSourceVersion are dpkg's
	// ${source:Version} of the installed and the candidate package (they
	// differ from the binary version after a binNMU); "" means the binary
	// version.
	SourceVersion          string `json:"source_version,omitempty"`
	CandidateSourceVersion string `json:"candidate_source_version,omitempty"`
	// Changelog is the candidate's changelog.Debian.gz, parsed
	// (ParseChangelog); nil when it was not read.
	Changelog *Changelog `json:"-"`
	// Updateinfo holds the advisories the package manager ties to this
	// update (dnf updateinfo: the ids of `updateinfo list`, detailed by
	// ParseUpdateinfoInfo).
	Updateinfo []UpdateinfoAdvisory `json:"-"`
	// VendorSeverity is the package manager's own severity for the update
	// (dnf updateinfo list), used when no record rates a fixed
	// vulnerability.
	VendorSeverity Severity `json:"-"`
	// PackageDate is when the candidate was published, for staleness
	// notes; zero takes the changelog's or the advisories' dates.
	PackageDate time.Time `json:"-"`
}

// Finding is one vulnerability of one package: what it is, where it
// stands, and which source decided.
type Finding struct {
	ID string `json:"id"`
	// Aliases are the other ids of the same flaw (shared with the index:
	// read-only).
	Aliases []string `json:"aliases,omitempty"`
	Status  State    `json:"status"`
	// FixedVersion is the version that fixes it, when one is known.
	FixedVersion   string   `json:"fixed_version,omitempty"`
	Severity       Severity `json:"severity"`
	SeveritySource string   `json:"severity_source,omitempty"`
	// KEV is the CISA KEV entry when the CVE is in the catalogue.
	KEV  *KEVEntry  `json:"kev,omitempty"`
	EPSS *EPSSScore `json:"epss,omitempty"`
	Risk int        `json:"risk"`
	// DecidedBy names the source whose statement decided the status: a
	// configured source name, "changelog" or "updateinfo:<advisory id>".
	DecidedBy string `json:"decided_by"`
	// Channel is the changelog entry's distribution when the changelog
	// decided: "bookworm-security", or "bookworm" for a fix that came
	// through a point release.
	Channel string `json:"channel,omitempty"`
	Note    string `json:"note,omitempty"`
}

// UpdateAssessment is what one pending update fixes. The fields cves,
// advisories, severity, severity_source, kev, epss and risk are the names
// plans, scans and status share.
type UpdateAssessment struct {
	Package       string `json:"package"`
	Arch          string `json:"arch,omitempty"`
	Installed     string `json:"installed"`
	Candidate     string `json:"candidate"`
	SourcePackage string `json:"source_package"`
	SourceVersion string `json:"source_version"`
	Release       string `json:"release"`
	// CVEs the update fixes; Advisories the other ids (DSA, DLA, RHSA,
	// ALSA, GHSA...) that name its fixes, including the ones that are all
	// there is when no CVE is known.
	CVEs           []string `json:"cves"`
	Advisories     []string `json:"advisories"`
	Severity       Severity `json:"severity"`
	SeveritySource string   `json:"severity_source,omitempty"`
	KEV            bool     `json:"kev"`
	KEVDateAdded   string   `json:"kev_date_added,omitempty"`
	KEVDueDate     string   `json:"kev_due_date,omitempty"`
	// EPSS is the highest EPSS score of the fixed CVEs, nil when none has
	// one; EPSSPercentile goes with it.
	EPSS           *float64 `json:"epss"`
	EPSSPercentile *float64 `json:"epss_percentile,omitempty"`
	Risk           int      `json:"risk"`
	// SecurityFix: the update fixes at least one identified vulnerability,
	// also when it arrives through a point release rather than the
	// security suite.
	SecurityFix bool      `json:"security_fix"`
	Fixes       []Finding `json:"fixes"`
	// StillOpen are the package's vulnerabilities the candidate does not
	// fix.
	StillOpen []Finding `json:"still_open,omitempty"`
	// Notes say what the data could not: staleness ("not in KEV as of
	// 2025-08-25"), versions the library rejected.
	Notes []string `json:"notes,omitempty"`
}

// AssessUpdate tells what updating in.Name from in.Installed to
// in.Candidate fixes on host. See docs/vulnerabilities.md for the rules:
// source package and distribution version order only; a release's own
// statement beats an inherited one, the first configured source beats
// later ones; the candidate's changelog decides where it names an id (a
// version at or below the installed one that names a CVE means the host
// already has the fix, whatever a feed's fixed version says).
func (db *DB) AssessUpdate(host Host, in UpdateInput) UpdateAssessment {
	fam := host.family()
	src := or(in.SourceName, in.Name)
	instS, candS := or(in.SourceVersion, in.Installed), or(in.CandidateSourceVersion, in.Candidate)
	a := UpdateAssessment{Package: in.Name, Arch: in.Arch, Installed: in.Installed, Candidate: in.Candidate,
		SourcePackage: src, SourceVersion: candS, Release: host.Release.String(),
		CVEs: []string{}, Advisories: []string{}, Severity: domain.SeverityUnknown, Fixes: []Finding{}}
	if instS == "" {
		a.Notes = append(a.Notes, "not installed yet: a new package fixes nothing on this host")
		return a
	}
	instV, err := ParseVersion(fam, instS)
	if err != nil {
		a.Notes = append(a.Notes, "installed "+err.Error()+": not matched")
		return a
	}
	candV, err := ParseVersion(fam, candS)
	if err != nil {
		a.Notes = append(a.Notes, "candidate "+err.Error()+": not matched")
		return a
	}
	cs := db.claims(host.Release, lookupNames(in.Name, in.SourceName))
	cl := in.Changelog
	if cl != nil && cl.Source != src {
		a.Notes = append(a.Notes, fmt.Sprintf("changelog of %s ignored: the package's source is %s", Sanitize(cl.Source), src))
		cl = nil
	}
	clFixed, inRange := changelogEvidence(cl, fam, instV, candV)
	atI, atC := newAt(instV), newAt(candV)
	seen := map[string]bool{}
	for i, id := range cs.order {
		claims := cs.groups[i]
		seen[id] = true
		if e, ok := clFixed[id]; ok {
			if !e.fixedBefore {
				f := Finding{ID: id, Aliases: cs.aliases[i], Status: StatusFixed, FixedVersion: e.entry.Version,
					DecidedBy: "changelog", Channel: e.entry.Distribution}
				db.rate(&f, cs.ratings[i])
				a.Fixes = append(a.Fixes, f)
			}
			continue
		}
		d := decide(claims)
		ai, ac := atI.affected(d), atC.affected(d)
		if !ai {
			continue
		}
		f := Finding{ID: id, Aliases: cs.aliases[i], DecidedBy: d.ix.Source}
		f.Status, f.FixedVersion, f.Note = statusOf(d)
		db.rate(&f, cs.ratings[i])
		if ac {
			a.StillOpen = append(a.StillOpen, f)
		} else {
			a.Fixes = append(a.Fixes, f)
		}
	}
	for _, id := range sortedKeys(clFixed) {
		e := clFixed[id]
		if e.companion && !e.fixedBefore && !seen[id] {
			a.Advisories = appendUnique(a.Advisories, id)
			continue
		}
		if !seen[id] && !e.fixedBefore {
			f := Finding{ID: id, Status: StatusFixed, FixedVersion: e.entry.Version, DecidedBy: "changelog", Channel: e.entry.Distribution}
			db.rate(&f, Rating{Severity: domain.SeverityUnknown})
			a.Fixes = append(a.Fixes, f)
		}
	}
	db.addUpdateinfo(&a, in.Updateinfo)
	a.summarize(db, host.Release, in, inRange)
	return a
}

type clEvidence struct {
	entry       ChangelogEntry
	fixedBefore bool // named at or below the installed version
	// companion: a non-CVE id (GHSA) named in an entry that also names
	// CVEs; it is listed among the advisories, not counted as a fix of
	// its own, since it is most often the same flaw.
	companion bool
}

// AssessUpdates assesses every pending update of one host.
func (db *DB) AssessUpdates(host Host, ins []UpdateInput) []UpdateAssessment {
	out := make([]UpdateAssessment, len(ins))
	for i, in := range ins {
		out[i] = db.AssessUpdate(host, in)
	}
	return out
}

// Fixed reports whether the update fixes id: a CVE, or an advisory id
// (DSA, RHSA, GHSA...) among its fixes or their aliases. It is what a
// policy's patches.cves selects by.
func (a UpdateAssessment) Fixed(id string) bool {
	for _, f := range a.Fixes {
		if f.ID == id {
			return true
		}
		for _, x := range f.Aliases {
			if x == id {
				return true
			}
		}
	}
	for _, x := range a.Advisories {
		if x == id {
			return true
		}
	}
	return false
}

// changelogEvidence maps each id the changelog names to its oldest entry,
// and returns the entries the update brings.
func changelogEvidence(cl *Changelog, fam Family, inst, cand Version) (map[string]clEvidence, []ChangelogEntry) {
	out := map[string]clEvidence{}
	if cl == nil || fam != Deb {
		return out, nil
	}
	var inRange []ChangelogEntry
	for _, e := range cl.Entries {
		v, err := ParseVersion(Deb, e.Version)
		if err != nil || v.Compare(cand) > 0 {
			continue
		}
		before := v.Compare(inst) <= 0
		if !before {
			inRange = append(inRange, e)
		}
		// Entries run newest first, so a later one is older.
		for _, id := range e.CVEs {
			out[id] = clEvidence{entry: e, fixedBefore: before}
		}
		for _, id := range e.Advisories {
			out[id] = clEvidence{entry: e, fixedBefore: before, companion: len(e.CVEs) > 0}
		}
	}
	return out, inRange
}

// statusOf presents a deciding statement: an inherited fixed version is
// the development release's, so the release itself has no fix yet.
func statusOf(d claim) (State, string, string) {
	if d.ix.Status == StatusFixed && d.ix.Inherited {
		return StatusNoFixYet, "", "fixed in " + d.ix.Fixed + " in the development release only"
	}
	return d.ix.Status, d.ix.Fixed, d.ix.Note
}

// rate fills a finding's severity (from r, the statements' rating), KEV
// entry, EPSS score and risk.
func (db *DB) rate(f *Finding, r Rating) {
	f.Severity, f.SeveritySource = r.Severity, r.Source
	if f.Severity == "" {
		f.Severity = domain.SeverityUnknown
	}
	if IsCVE(f.ID) {
		if e, ok := db.KEV(f.ID); ok {
			f.KEV = &e
		}
		if s, ok := db.EPSS(f.ID); ok {
			f.EPSS = &s
		}
	}
	var epss *float64
	if f.EPSS != nil {
		epss = &f.EPSS.Score
	}
	f.Risk = Risk(f.Severity, f.KEV != nil, epss)
}

// addUpdateinfo adds the fixes the package manager's advisories name.
func (db *DB) addUpdateinfo(a *UpdateAssessment, advs []UpdateinfoAdvisory) {
	for _, adv := range advs {
		if adv.ID == "" {
			continue
		}
		ids := adv.CVEs
		if len(ids) == 0 {
			ids = []string{adv.ID}
		}
		vendor := Rating{Severity: adv.Severity, Source: SourceKindVendor + ":updateinfo"}
		for _, id := range ids {
			i := findingIndex(a.Fixes, id)
			if i < 0 {
				f := Finding{ID: id, Status: StatusFixed, FixedVersion: a.Candidate, DecidedBy: "updateinfo:" + adv.ID}
				if id != adv.ID {
					f.Aliases = []string{adv.ID}
				}
				db.rate(&f, Rating{Severity: domain.SeverityUnknown})
				a.Fixes = append(a.Fixes, f)
				i = len(a.Fixes) - 1
			} else if id != adv.ID {
				// Clip: the aliases are shared with the index.
				a.Fixes[i].Aliases = appendUnique(slices.Clip(a.Fixes[i].Aliases), adv.ID)
			}
			cur := Rating{Severity: a.Fixes[i].Severity, Source: a.Fixes[i].SeveritySource}
			if vendor.better(cur) {
				f := &a.Fixes[i]
				f.Severity, f.SeveritySource = vendor.Severity, vendor.Source
				var epss *float64
				if f.EPSS != nil {
					epss = &f.EPSS.Score
				}
				f.Risk = Risk(f.Severity, f.KEV != nil, epss)
			}
		}
		a.Advisories = appendUnique(a.Advisories, adv.ID)
	}
}

func findingIndex(fs []Finding, id string) int {
	for i, f := range fs {
		if f.ID == id {
			return i
		}
	}
	return -1
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return idLess(keys[i], keys[j]) })
	return keys
}
