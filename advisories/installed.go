package advisories

import (
	"sort"
)

// InstalledPackage is one installed package of a host.
type InstalledPackage struct {
	Name    string `json:"name"`
	Arch    string `json:"arch,omitempty"`
	Version string `json:"version"`
	// SourceName and SourceVersion are dpkg's ${source:Package} and
	// ${source:Version} or the rpm SOURCERPM name; "" means the binary's.
	SourceName    string `json:"source_name,omitempty"`
	SourceVersion string `json:"source_version,omitempty"`
	// Changelog is the installed package's own changelog.Debian.gz, when
	// read: it proves fixes the feeds may get wrong.
	Changelog *Changelog `json:"-"`
}

// Exposure is one installed package's vulnerabilities, kept in three
// lists: the ones a released update fixes (actionable), the ones with no
// fix to install (no fix yet, no DSA, postponed, end of life,
// undetermined), and, for the running kernel, the ones an installed but
// not running kernel fixes.
type Exposure struct {
	Package       string    `json:"package"`
	Version       string    `json:"version"`
	SourcePackage string    `json:"source_package"`
	SourceVersion string    `json:"source_version"`
	FixAvailable  []Finding `json:"fix_available,omitempty"`
	NoFix         []Finding `json:"no_fix,omitempty"`
	RebootPending []Finding `json:"reboot_pending,omitempty"`
}

// InstalledReport is a host's exposure through its installed packages.
type InstalledReport struct {
	Release  string     `json:"release"`
	Packages []Exposure `json:"packages"`
	// Kernel says which installed kernel runs; nil when no kernel release
	// was given.
	Kernel *KernelStatus `json:"kernel,omitempty"`
	// Counts of findings over all packages.
	FixAvailable  int `json:"fix_available"`
	NoFix         int `json:"no_fix"`
	RebootPending int `json:"reboot_pending"`
	// Skipped lists packages whose version the library rejected.
	Skipped []Skip `json:"skipped,omitempty"`
}

// AssessInstalled reports the vulnerabilities of a host's installed
// packages. runningKernel is `uname -r`; when given, only the running
// kernel's package counts as exposed, and a vulnerability fixed by a newer
// installed kernel that is not running is "reboot pending", not fixed.
// Other kernel packages are left out. Packages with no finding are left
// out of Packages.
func (db *DB) AssessInstalled(host Host, pkgs []InstalledPackage, runningKernel string) InstalledReport {
	fam := host.family()
	rep := InstalledReport{Release: host.Release.String(), Packages: []Exposure{}}
	var kern *KernelStatus
	if runningKernel != "" {
		k := Kernels(fam, runningKernel, pkgs)
		kern = &k
		rep.Kernel = kern
	}
	for _, p := range pkgs {
		running := false
		if kern != nil && IsKernelPackage(p.Name) {
			if !kern.Found || p.Name != kern.RunningPackage || p.Version != kern.RunningVersion {
				continue
			}
			running = true
		}
		ex, skip := db.exposure(host, fam, p)
		if skip != nil {
			rep.Skipped = append(rep.Skipped, *skip)
			continue
		}
		if running && kern.NewestVersion != "" && kern.NewestVersion != p.Version {
			newest, err := ParseVersion(fam, kern.NewestSourceVersion)
			if err == nil {
				var still []Finding
				for _, f := range ex.FixAvailable {
					if fv, err := ParseVersion(fam, f.FixedVersion); err == nil && fv.Compare(newest) <= 0 {
						f.Status = StatusRebootPending
						f.Note = "fixed by installed kernel " + kern.NewestPackage + " " + kern.NewestVersion + ", which is not running"
						ex.RebootPending = append(ex.RebootPending, f)
						continue
					}
					still = append(still, f)
				}
				ex.FixAvailable = still
			}
		}
		if len(ex.FixAvailable)+len(ex.NoFix)+len(ex.RebootPending) == 0 {
			continue
		}
		rep.FixAvailable += len(ex.FixAvailable)
		rep.NoFix += len(ex.NoFix)
		rep.RebootPending += len(ex.RebootPending)
		rep.Packages = append(rep.Packages, ex)
	}
	sort.SliceStable(rep.Packages, func(i, j int) bool { return rep.Packages[i].Package < rep.Packages[j].Package })
	return rep
}

// exposure matches one installed package, from the memo when the same
// package and version was matched before (and no changelog is involved).
func (db *DB) exposure(host Host, fam Family, p InstalledPackage) (Exposure, *Skip) {
	if p.Changelog != nil || db.noMemo {
		return db.match(host, fam, p)
	}
	k := exposureKey{rel: host.Release, fam: fam, name: p.Name, source: p.SourceName, srcV: p.SourceVersion, binV: p.Version}
	if v, ok := db.memo.Load(k); ok {
		r := v.(exposureResult)
		return r.ex.clone(), r.skip
	}
	ex, skip := db.match(host, fam, p)
	if db.memoN.Load() < maxMemo {
		if _, loaded := db.memo.LoadOrStore(k, exposureResult{ex: ex.clone(), skip: skip}); !loaded {
			db.memoN.Add(1)
		}
	}
	return ex, skip
}

// clone copies the finding lists, so a caller changing its result never
// changes the memo's.
func (ex Exposure) clone() Exposure {
	ex.FixAvailable = append([]Finding(nil), ex.FixAvailable...)
	ex.NoFix = append([]Finding(nil), ex.NoFix...)
	ex.RebootPending = append([]Finding(nil), ex.RebootPending...)
	return ex
}

// match matches one installed package against the index.
func (db *DB) match(host Host, fam Family, p InstalledPackage) (Exposure, *Skip) {
	src, srcV := or(p.SourceName, p.Name), or(p.SourceVersion, p.Version)
	ex := Exposure{Package: p.Name, Version: p.Version, SourcePackage: src, SourceVersion: srcV}
	v, err := ParseVersion(fam, srcV)
	if err != nil {
		return ex, &Skip{Where: p.Name, Reason: err.Error()}
	}
	cs := db.claims(host.Release, lookupNames(p.Name, p.SourceName))
	if len(cs.order) == 0 {
		return ex, nil
	}
	var clFixed map[string]clEvidence
	if p.Changelog != nil && p.Changelog.Source == src {
		clFixed, _ = changelogEvidence(p.Changelog, fam, v, v)
	}
	atV := newAt(v)
	for i, id := range cs.order {
		if e, ok := clFixed[id]; ok && e.fixedBefore {
			continue // the installed version's own changelog names the fix
		}
		claims := cs.groups[i]
		d := decide(claims)
		if !atV.affected(d) {
			continue
		}
		f := Finding{ID: id, Aliases: cs.aliases[i], DecidedBy: d.ix.Source}
		f.Status, f.FixedVersion, f.Note = statusOf(d)
		db.rate(&f, cs.ratings[i])
		if f.Status == StatusFixed {
			ex.FixAvailable = append(ex.FixAvailable, f)
		} else {
			ex.NoFix = append(ex.NoFix, f)
		}
	}
	return ex, nil
}
