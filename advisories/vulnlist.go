package advisories

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"
)

// vulnListEntry is one file of github.com/aquasecurity/vuln-list-debian:
// one entry of the tracker's data/CVE/list, data/DSA/list or data/DLA/list,
// with the tracker's own line in Original.
type vulnListEntry struct {
	Header struct {
		Original    string `json:"Original"`
		ID          string `json:"ID"`
		Description string `json:"Description"`
	} `json:"Header"`
	Annotations []struct {
		Original    string   `json:"Original"`
		Type        string   `json:"Type"`
		Release     string   `json:"Release"`
		Package     string   `json:"Package"`
		Kind        string   `json:"Kind"`
		Version     string   `json:"Version"`
		Description string   `json:"Description"`
		Severity    string   `json:"Severity"`
		Bugs        []string `json:"Bugs"`
	} `json:"Annotations"`
}

// dsaDateRe reads the date of a DSA/DLA header: "[03 Oct 2023] DSA-5514-1 ...".
var dsaDateRe = regexp.MustCompile(`^\[(\d{1,2} [A-Z][a-z]{2} \d{4})\]`)

// ParseVulnListDebian reads vuln-list-debian tracker records from path: a
// directory (tracker/CVE/..., tracker/DSA/..., tracker/DLA/...), a zip of
// one, or a single record file.
//
// A CVE entry gives one Record per package line: "[bookworm] - pkg 1.2-3"
// is fixed in bookworm; a line without [release] is the development
// release's (sid) statement and is marked Inherited, applying to a release
// only where that release has no line of its own. <unfixed>,
// <not-affected>, <no-dsa>, <ignored>, <postponed>, <end-of-life> and
// <undetermined> map to the statuses of the same meaning; <removed> and
// <itp> lines are skipped and counted.
//
// A DSA or DLA entry gives a fixed Record per [release] line, naming the
// advisory and its CVEs: those of its own {CVE-...} line and those whose
// CVE entry cross-references it ({DLA-4772-1}), so a DLA that lists no CVE
// still carries the CVEs the tracker ties to it.
//
// The as-of time is the newest DSA/DLA date seen (the entries carry no
// other date).
func ParseVulnListDebian(path string, opt ParseOptions, emit Emit) (Stats, error) {
	var st Stats
	var advisories []vulnListEntry
	xref := map[string][]string{} // advisory id -> CVEs naming it
	err := walkRecords(path, opt.maxBytes(), "vuln-list-debian", func(name string, r io.Reader) error {
		return vulnListFile(name, r, opt, &st, &advisories, xref, emit)
	})
	if err != nil {
		return st, err
	}
	for i := range advisories {
		vulnListAdvisory(&advisories[i], xref, opt, &st, emit)
	}
	return st, nil
}

// vulnListFile reads one record file: CVE entries are emitted at once,
// DSA/DLA entries kept for the end (they need every CVE entry's xrefs).
func vulnListFile(name string, r io.Reader, opt ParseOptions, st *Stats, advisories *[]vulnListEntry, xref map[string][]string, emit Emit) error {
	var e vulnListEntry
	if err := json.NewDecoder(r).Decode(&e); err != nil {
		if errors.Is(err, ErrTooLarge) {
			return err
		}
		st.Skips.add(name, "not a vuln-list-debian record: %v", shortJSONError(err))
		return nil
	}
	id := strings.TrimSpace(e.Header.ID)
	switch {
	case IsCVE(id) || strings.HasPrefix(id, "TEMP-"):
		for _, a := range e.Annotations {
			if a.Type == "xref" {
				for _, b := range a.Bugs {
					if strings.HasPrefix(b, "DSA-") || strings.HasPrefix(b, "DLA-") {
						xref[b] = appendUnique(xref[b], id)
					}
				}
			}
		}
		vulnListCVE(name, id, &e, opt, st, emit)
	case strings.HasPrefix(id, "DSA-") || strings.HasPrefix(id, "DLA-"):
		*advisories = append(*advisories, e)
		if m := dsaDateRe.FindStringSubmatch(e.Header.Original); m != nil {
			if t, err := time.Parse("2 Jan 2006", m[1]); err == nil && t.After(st.AsOf) {
				st.AsOf = t
			}
		}
	default:
		st.Skips.add(name, "unknown entry id %s", quote(id))
	}
	return nil
}

func vulnListCVE(name, id string, e *vulnListEntry, opt ParseOptions, st *Stats, emit Emit) {
	var refs []string
	for _, a := range e.Annotations {
		if a.Type == "xref" {
			for _, b := range a.Bugs {
				if strings.HasPrefix(b, "DSA-") || strings.HasPrefix(b, "DLA-") {
					refs = appendUnique(refs, b)
				}
			}
		}
	}
	sort.Strings(refs)
	cves, others := splitIDs(id)
	others = append(others, refs...)
	for _, a := range e.Annotations {
		if a.Type != "package" {
			continue
		}
		where := name + ": " + quote(a.Original)
		if !validPackage(a.Package) {
			st.Skips.add(where, "invalid package name")
			continue
		}
		rec := Record{CVEs: cves, Advisories: others, Package: a.Package, Source: opt.Source}
		code := a.Release
		if code == "" {
			code, rec.Inherited = "sid", true
		}
		if !validCodename(code) {
			st.Skips.add(where, "invalid release name")
			continue
		}
		rec.Release = Release{Distro: "debian", Version: code}
		if !rec.Inherited && !opt.wants(rec.Release) {
			continue
		}
		if sev := DebianUrgency(a.Severity); sev.Known() {
			rec.Rating = Rating{Severity: sev, Source: SourceKindDistro + ":" + opt.Source}
		}
		if strings.TrimRight(a.Severity, "*") == "unimportant" {
			rec.Note = "unimportant"
		}
		switch a.Kind {
		case "fixed":
			if a.Version == "0" {
				rec.Status = StatusNotAffected
				break
			}
			if _, err := ParseVersion(Deb, a.Version); err != nil {
				st.Skips.add(where, "fixed version: %v", err)
				continue
			}
			rec.Status, rec.Fixed = StatusFixed, a.Version
		case "unfixed":
			rec.Status = StatusNoFixYet
		case "not-affected":
			rec.Status, rec.Note = StatusNotAffected, a.Description
		case "no-dsa":
			rec.Status, rec.Note = StatusNoDSA, a.Description
		case "ignored":
			rec.Status, rec.Note = StatusNoDSA, strings.TrimSpace("ignored "+a.Description)
		case "postponed":
			rec.Status, rec.Note = StatusPostponed, a.Description
		case "end-of-life":
			rec.Status, rec.Note = StatusEndOfLife, a.Description
		case "undetermined":
			rec.Status = StatusUndetermined
		default:
			st.Skips.add(where, "package line of kind %s is not a statement about a release", quote(a.Kind))
			continue
		}
		st.Records++
		emit(rec)
	}
}

func vulnListAdvisory(e *vulnListEntry, xref map[string][]string, opt ParseOptions, st *Stats, emit Emit) {
	id := strings.TrimSpace(e.Header.ID)
	var ids []string
	for _, a := range e.Annotations {
		if a.Type == "xref" {
			ids = append(ids, a.Bugs...)
		}
	}
	ids = append(ids, xref[id]...)
	cves, others := splitIDs(ids...)
	others = appendUnique([]string{id}, others...)
	for _, a := range e.Annotations {
		if a.Type != "package" {
			continue
		}
		where := id + ": " + quote(a.Original)
		if a.Release == "" || a.Kind != "fixed" {
			st.Skips.add(where, "advisory line without a release and a fixed version")
			continue
		}
		if !validPackage(a.Package) || !validCodename(a.Release) {
			st.Skips.add(where, "invalid package or release name")
			continue
		}
		if _, err := ParseVersion(Deb, a.Version); err != nil {
			st.Skips.add(where, "fixed version: %v", err)
			continue
		}
		rel := Release{Distro: "debian", Version: a.Release}
		if !opt.wants(rel) {
			continue
		}
		st.Records++
		emit(Record{CVEs: cves, Advisories: others, Release: rel, Package: a.Package,
			Status: StatusFixed, Fixed: a.Version, Source: opt.Source})
	}
}

// shortJSONError describes a JSON decoding error without quoting input.
func shortJSONError(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %s has the wrong type", te.Field)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "truncated"
	}
	return err.Error()
}
