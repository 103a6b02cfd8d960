package advisories

import (
	"regexp"
	"sort"
	"strings"
)

// State is what a source says about one vulnerability for one package in
// one release. The tracker's states are kept apart: a scanner that folds
// "no fix yet", "no DSA" and "end of life" into "vulnerable" buries the
// actionable findings in noise.
type State string

// States.
const (
	// StatusFixed: fixed in FixedVersion of this release; versions below it
	// are vulnerable.
	StatusFixed State = "fixed"
	// StatusNotAffected: this release was never vulnerable.
	StatusNotAffected State = "not_affected"
	// StatusNoFixYet: vulnerable, no fix released for this release yet
	// (tracker "open"/"unfixed").
	StatusNoFixYet State = "no_fix_yet"
	// StatusNoDSA: vulnerable, and the distribution decided not to issue a
	// security advisory (tracker no-dsa or ignored: minor issue, may be
	// fixed in a point release).
	StatusNoDSA State = "no_dsa"
	// StatusPostponed: vulnerable, fix postponed to a later update.
	StatusPostponed State = "postponed"
	// StatusEndOfLife: vulnerable, the package is no longer supported in
	// this release.
	StatusEndOfLife State = "end_of_life"
	// StatusUndetermined: nobody has determined yet whether the release is
	// affected.
	StatusUndetermined State = "undetermined"
	// StatusRebootPending: fixed by an installed kernel that is not
	// running; the running kernel is still exposed.
	StatusRebootPending State = "reboot_pending"
)

// Release names a distribution release the way matching keys it:
// Distro is the os-release ID family ("debian", "ubuntu", "almalinux",
// "rocky", "rhel", "suse", "opensuse-leap"), Version its release ("bookworm"
// for Debian codenames, "22.04", "9", "15.5").
type Release struct {
	Distro  string `json:"distro"`
	Version string `json:"version"`
}

func (r Release) String() string { return r.Distro + ":" + r.Version }

// Family returns the packaging family of the release's distribution.
func (r Release) Family() Family {
	switch r.Distro {
	case "debian", "ubuntu":
		return Deb
	}
	return RPM
}

// Record is one source's statement about one vulnerability of one package
// in one release.
type Record struct {
	// CVEs the statement covers; Advisories the other ids (DSA, DLA,
	// RHSA, ALSA, RLSA, SUSE-SU, GHSA, USN, TEMP-...). At least one of the
	// two is set.
	CVEs       []string
	Advisories []string
	Release    Release
	// Package is the source package (Debian, Ubuntu) or rpm package name.
	Package string
	Status  State
	// Fixed is the first fixed version when Status is StatusFixed.
	Fixed string
	// Introduced is the first affected version, "" or "0" for all.
	Introduced string
	// Rating is the record's severity and what decided it.
	Rating Rating
	// CVSS vectors from the record, used when nothing rates it otherwise.
	CVSS []string
	// Inherited marks a statement that comes from the distribution's
	// development release (a tracker line without [release]): it applies
	// to a release only where that release has no statement of its own.
	Inherited bool
	// Note is the source's own comment (a no-dsa reason, "unimportant").
	Note string
	// Source is the configured source name the record came from.
	Source string
}

var (
	ghsaRe = regexp.MustCompile(`\bGHSA(?:-[23456789cfghjmpqrvwx]{4}){3}\b`)
	dsaRe  = regexp.MustCompile(`\b(?:DSA|DLA)-\d+(?:-\d+)?\b`)
)

// IsCVE reports whether id is a CVE id.
func IsCVE(id string) bool {
	// By hand: matching calls this for every finding.
	rest, ok := strings.CutPrefix(id, "CVE-")
	if !ok || len(rest) < 9 || rest[4] != '-' {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if i != 4 && (rest[i] < '0' || rest[i] > '9') {
			return false
		}
	}
	return true
}

// splitIDs sorts ids into CVEs and other ids, de-duplicated and sorted.
// DEBIAN-CVE-... and UBUNTU-CVE-... are OSV spellings of a CVE.
func splitIDs(ids ...string) (cves, others []string) {
	seen := map[string]bool{}
	for _, id := range ids {
		id = strings.TrimSpace(id)
		for _, p := range []string{"DEBIAN-", "UBUNTU-"} {
			if strings.HasPrefix(id, p+"CVE-") {
				id = strings.TrimPrefix(id, p)
			}
		}
		if id == "" || seen[id] || len(id) > 100 {
			continue
		}
		seen[id] = true
		if IsCVE(id) {
			cves = append(cves, id)
		} else {
			others = append(others, id)
		}
	}
	sortIDs(cves)
	sort.Strings(others)
	return cves, others
}

// sortIDs sorts CVE ids by year then number, so CVE-2026-9999 comes before
// CVE-2026-10000.
func sortIDs(ids []string) {
	sort.Slice(ids, func(i, j int) bool { return idLess(ids[i], ids[j]) })
}

func idLess(a, b string) bool {
	ap, bp := strings.Split(a, "-"), strings.Split(b, "-")
	if len(ap) == 3 && len(bp) == 3 && ap[0] == bp[0] && ap[1] == bp[1] && len(ap[2]) != len(bp[2]) {
		return len(ap[2]) < len(bp[2])
	}
	return a < b
}

// appendUnique appends the ids of add missing from ids.
func appendUnique(ids []string, add ...string) []string {
	for _, a := range add {
		found := false
		for _, x := range ids {
			if x == a {
				found = true
				break
			}
		}
		if !found {
			ids = append(ids, a)
		}
	}
	return ids
}

// cveAt returns the CVE id starting at s[i:] ("CVE-" already found there)
// when it stands as a word of its own, as \bCVE-\d{4}-\d{4,}\b would.
func cveAt(s string, i int) string {
	if i > 0 && isWordByte(s[i-1]) {
		return ""
	}
	j := i + 4
	for k := 0; k < 4; k++ {
		if j >= len(s) || s[j] < '0' || s[j] > '9' {
			return ""
		}
		j++
	}
	if j >= len(s) || s[j] != '-' {
		return ""
	}
	j++
	start := j
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j-start < 4 || (j < len(s) && isWordByte(s[j])) {
		return ""
	}
	return s[i:j]
}

func isWordByte(c byte) bool {
	return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// extractIDs returns the CVE ids and the other advisory ids (GHSA, DSA,
// DLA) named in free text, in order of appearance, without duplicates.
// Bug numbers are not ids.
func extractIDs(text string) (cves, others []string) {
	// The regexps backtrack on \b; most text names none of the ids, so a
	// substring test first keeps a whole changelog cheap.
	for rest := text; ; {
		i := strings.Index(rest, "CVE-")
		if i < 0 {
			break
		}
		if id := cveAt(rest, i); id != "" {
			cves = appendUnique(cves, id)
			rest = rest[i+len(id):]
		} else {
			rest = rest[i+4:]
		}
	}
	if strings.Contains(text, "GHSA-") {
		for _, id := range ghsaRe.FindAllString(text, -1) {
			others = appendUnique(others, id)
		}
	}
	if strings.Contains(text, "DSA-") || strings.Contains(text, "DLA-") {
		for _, id := range dsaRe.FindAllString(text, -1) {
			others = appendUnique(others, id)
		}
	}
	return cves, others
}
