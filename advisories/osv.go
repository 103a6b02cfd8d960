package advisories

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/patchflow/patchflow/domain"
)

type osvSeverity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// osvRecord is the part of an OSV record (ossf/osv-schema) that matching
// reads.
type osvRecord struct {
	ID        string        `json:"id"`
	Modified  string        `json:"modified"`
	Withdrawn string        `json:"withdrawn"`
	Aliases   []string      `json:"aliases"`
	Related   []string      `json:"related"`
	Upstream  []string      `json:"upstream"`
	Summary   string        `json:"summary"`
	Severity  []osvSeverity `json:"severity"`
	Affected  []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
		} `json:"package"`
		Ranges []struct {
			Type   string              `json:"type"`
			Events []map[string]string `json:"events"`
		} `json:"ranges"`
		Severity          []osvSeverity  `json:"severity"`
		EcosystemSpecific map[string]any `json:"ecosystem_specific"`
		DatabaseSpecific  map[string]any `json:"database_specific"`
	} `json:"affected"`
	DatabaseSpecific map[string]any `json:"database_specific"`
	References       []struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	} `json:"references"`
}

// ParseOSV reads OSV records from path: a directory of *.json records, a
// zip of them (as osv.dev publishes per ecosystem), or one record file.
// Each affected package of a supported ecosystem (EcosystemRelease) and
// each ECOSYSTEM range interval gives one Record: [introduced, fixed) is
// fixed in the fixed version; an interval without a fixed event has no fix
// yet. CVE ids come from the id, aliases, related (AlmaLinux lists its
// CVEs there) and upstream (Red Hat); other ids become advisories.
//
// The record is rated by distro urgency (Debian ecosystem_specific
// urgency, Ubuntu priority), else the vendor's severity
// (database_specific severity, a "Moderate:" summary prefix, Red Hat's
// classification link), else the highest CVSS base score of its vectors.
//
// Unknown ecosystems, non-ECOSYSTEM ranges, last_affected events,
// versions the version library rejects, withdrawn records and files that
// are not OSV JSON are counted skips. The as-of time is the newest
// modified time.
func ParseOSV(path string, opt ParseOptions, emit Emit) (Stats, error) {
	var st Stats
	err := walkRecords(path, opt.maxBytes(), "osv", func(name string, r io.Reader) error {
		return osvFile(name, r, opt, &st, emit)
	})
	return st, err
}

// osvFile reads one OSV record file.
func osvFile(name string, r io.Reader, opt ParseOptions, st *Stats, emit Emit) error {
	var rec osvRecord
	if err := json.NewDecoder(r).Decode(&rec); err != nil {
		if errors.Is(err, ErrTooLarge) {
			return err
		}
		st.Skips.add(name, "not an OSV record: %v", shortJSONError(err))
		return nil
	}
	osvEmit(name, &rec, opt, st, emit)
	return nil
}

func osvEmit(name string, rec *osvRecord, opt ParseOptions, st *Stats, emit Emit) {
	where := rec.ID
	if where == "" {
		st.Skips.add(name, "OSV record without id")
		return
	}
	if t, err := time.Parse(time.RFC3339, rec.Modified); err == nil && t.After(st.AsOf) {
		st.AsOf = t.UTC()
	}
	if rec.Withdrawn != "" {
		st.Skips.add(where, "withdrawn")
		return
	}
	ids := append([]string{rec.ID}, rec.Aliases...)
	ids = append(ids, rec.Related...)
	ids = append(ids, rec.Upstream...)
	cves, others := splitIDs(ids...)
	var vectors []string
	for _, s := range rec.Severity {
		if strings.HasPrefix(s.Type, "CVSS_") {
			vectors = append(vectors, s.Score)
		}
	}
	base := osvRating(rec, opt.Source)
	for ai, a := range rec.Affected {
		rel, fam, err := EcosystemRelease(a.Package.Ecosystem)
		if err != nil {
			st.Skips.add(where, "%v", err)
			continue
		}
		if !validPackage(a.Package.Name) {
			st.Skips.add(where, "affected[%d]: invalid package name %s", ai, quote(a.Package.Name))
			continue
		}
		if !opt.wants(rel) {
			continue
		}
		rating := base
		if u, ok := a.EcosystemSpecific["urgency"].(string); ok {
			if r := (Rating{Severity: DebianUrgency(u), Source: SourceKindDistro + ":" + opt.Source}); r.better(rating) {
				rating = r
			}
		}
		if s, ok := a.DatabaseSpecific["severity"].(string); ok {
			if r := (Rating{Severity: VendorSeverity(s), Source: SourceKindVendor + ":" + opt.Source}); r.better(rating) {
				rating = r
			}
		}
		vecs := vectors
		for _, s := range a.Severity {
			if strings.HasPrefix(s.Type, "CVSS_") {
				vecs = append(append([]string(nil), vecs...), s.Score)
			} else if s.Type == "Ubuntu" {
				if r := (Rating{Severity: VendorSeverity(s.Score), Source: SourceKindDistro + ":" + opt.Source}); r.better(rating) {
					rating = r
				}
			}
		}
		if !rating.Severity.Known() {
			rating = cvssRating(vecs, opt.Source)
		}
		for _, rg := range a.Ranges {
			if rg.Type != "ECOSYSTEM" {
				st.Skips.add(where, "affected[%d] %s: range type %s is not a distribution version range", ai, a.Package.Name, quote(rg.Type))
				continue
			}
			osvRange(where, a.Package.Name, rg.Events, Record{CVEs: cves, Advisories: others, Release: rel, Package: a.Package.Name,
				Rating: rating, CVSS: vecs, Source: opt.Source}, fam, st, emit)
		}
	}
}

// osvRange turns one range's events into records: each introduced opens an
// interval, the next fixed closes it.
func osvRange(where, pkg string, events []map[string]string, tmpl Record, fam Family, st *Stats, emit Emit) {
	open := false
	introduced := ""
	for _, ev := range events {
		for k, v := range ev {
			switch k {
			case "introduced":
				if v != "0" {
					if _, err := ParseVersion(fam, v); err != nil {
						st.Skips.add(where, "%s introduced: %v", pkg, err)
						return
					}
				} else {
					v = ""
				}
				open, introduced = true, v
			case "fixed":
				if _, err := ParseVersion(fam, v); err != nil {
					st.Skips.add(where, "%s fixed: %v", pkg, err)
					open = false
					continue
				}
				r := tmpl
				r.Status, r.Fixed, r.Introduced = StatusFixed, v, introduced
				st.Records++
				emit(r)
				open = false
			case "last_affected", "limit":
				st.Skips.add(where, "%s: %s events are not used (no fixed version to install)", pkg, k)
				open = false
			default:
				st.Skips.add(where, "%s: unknown range event %s", pkg, quote(k))
			}
		}
	}
	if open {
		r := tmpl
		r.Status, r.Introduced = StatusNoFixYet, introduced
		st.Records++
		emit(r)
	}
}

// osvRating is the record-level severity: vendor words first (database
// specific, summary prefix, Red Hat classification link).
func osvRating(rec *osvRecord, source string) Rating {
	vendor := func(s Severity) Rating { return Rating{Severity: s, Source: SourceKindVendor + ":" + source} }
	if s, ok := rec.DatabaseSpecific["severity"].(string); ok && VendorSeverity(s).Known() {
		return vendor(VendorSeverity(s))
	}
	if s := summarySeverity(rec.Summary); s.Known() {
		return vendor(s)
	}
	for _, ref := range rec.References {
		if _, frag, ok := strings.Cut(ref.URL, "/security/updates/classification/#"); ok {
			if s := VendorSeverity(frag); s.Known() {
				return vendor(s)
			}
		}
	}
	return Rating{Severity: domain.SeverityUnknown}
}

// cvssRating rates by the highest base score among vectors; unparsable
// vectors are ignored (the record keeps them for display).
func cvssRating(vectors []string, source string) Rating {
	best := Rating{Severity: domain.SeverityUnknown}
	bestScore := -1.0
	for _, v := range vectors {
		sev, score, err := CVSSSeverity(v)
		if err != nil || !sev.Known() {
			continue
		}
		if score > bestScore {
			bestScore, best = score, Rating{Severity: sev, Source: SourceKindCVSS + ":" + source}
		}
	}
	return best
}
