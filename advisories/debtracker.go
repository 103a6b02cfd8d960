package advisories

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// trackerRelease is one release of one CVE of one source package in the
// Debian Security Tracker JSON dump
// (security-tracker.debian.org/tracker/data/json).
type trackerRelease struct {
	Status       string `json:"status"`
	FixedVersion string `json:"fixed_version"`
	Urgency      string `json:"urgency"`
	NoDSA        string `json:"nodsa"`
	NoDSAReason  string `json:"nodsa_reason"`
}

type trackerIssue struct {
	Releases map[string]trackerRelease `json:"releases"`
}

// ParseDebianTracker streams the Debian Security Tracker JSON dump,
// {source package: {CVE: {description, debianbug, scope, releases:
// {codename: {status, repositories, fixed_version, urgency, nodsa,
// nodsa_reason, next_point_update}}}}}, one source package at a time, so
// memory is bounded by the largest package and not the ~70 MB file. It
// emits one Record per package, CVE and release:
//
//   - resolved with fixed_version "0": not_affected;
//   - resolved with a version: fixed in that version;
//   - open with urgency end-of-life: end_of_life;
//   - open with nodsa: postponed when nodsa_reason is "postponed", else
//     no_dsa (the reason, e.g. "ignored", goes into the note);
//   - open otherwise: no_fix_yet; undetermined: undetermined.
//
// The urgency rates the record (DebianUrgency). A fixed version the
// version library rejects, an unknown status or a malformed package is a
// counted skip. A syntax error, a truncated file or one over the size
// limit is an error naming the byte offset.
func ParseDebianTracker(r io.Reader, opt ParseOptions, emit Emit) (Stats, error) {
	var st Stats
	// Release names and notes repeat hundreds of thousands of times:
	// keep one copy of each.
	intern := map[string]string{}
	dec := json.NewDecoder(newLimitReader(r, opt.maxBytes(), "debian tracker json"))
	fail := func(err error) (Stats, error) {
		if errors.Is(err, ErrTooLarge) {
			return st, err
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return st, fmt.Errorf("debian tracker json: truncated at byte %d: the file ends inside the data; fetch it again", dec.InputOffset())
		}
		return st, fmt.Errorf("debian tracker json: byte %d: %v", errOffset(dec, err), err)
	}
	if err := expectDelim(dec, '{'); err != nil {
		return fail(err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fail(err)
		}
		pkg, _ := tok.(string)
		var issues map[string]trackerIssue
		if err := dec.Decode(&issues); err != nil {
			var te *json.UnmarshalTypeError
			if !errors.As(err, &te) {
				return fail(err)
			}
			st.Skips.add("package "+quote(pkg), "unexpected JSON type at %s", te.Field)
			continue
		}
		if !validPackage(pkg) {
			st.Skips.add("package "+quote(pkg), "invalid source package name")
			continue
		}
		trackerPackage(pkg, issues, opt, &st, intern, emit)
	}
	if err := expectDelim(dec, '}'); err != nil {
		return fail(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return st, fmt.Errorf("debian tracker json: byte %d: data after the top-level object", dec.InputOffset())
	}
	return st, nil
}

func trackerPackage(pkg string, issues map[string]trackerIssue, opt ParseOptions, st *Stats, intern map[string]string, emit Emit) {
	one := func(s string) string {
		if v, ok := intern[s]; ok {
			return v
		}
		if len(intern) < 100_000 {
			intern[s] = s
		}
		return s
	}
	fixed := map[string]string{} // a package's fixed versions, one copy each
	distro := one(SourceKindDistro + ":" + opt.Source)
	// One advisory's fixed version recurs for many CVEs: check each once.
	checked := map[string]error{}
	checkVersion := func(v string) error {
		err, ok := checked[v]
		if !ok {
			_, err = ParseVersion(Deb, v)
			checked[v] = err
		}
		return err
	}
	ids := make([]string, 0, len(issues))
	for id := range issues {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		cves, others := splitIDs(id)
		if len(cves)+len(others) == 0 {
			st.Skips.add(pkg+" "+quote(id), "empty vulnerability id")
			continue
		}
		iss := issues[id]
		codenames := make([]string, 0, len(iss.Releases))
		for c := range iss.Releases {
			codenames = append(codenames, c)
		}
		sort.Strings(codenames)
		for _, code := range codenames {
			tr := iss.Releases[code]
			where := pkg + " " + id + " " + quote(code)
			if !validCodename(code) {
				st.Skips.add(where, "invalid release name")
				continue
			}
			rel := Release{Distro: "debian", Version: one(code)}
			if !opt.wants(rel) {
				continue
			}
			rec := Record{CVEs: cves, Advisories: others, Release: rel, Package: pkg, Source: opt.Source}
			if sev := DebianUrgency(tr.Urgency); sev.Known() {
				rec.Rating = Rating{Severity: sev, Source: distro}
			}
			if strings.TrimRight(tr.Urgency, "*") == "unimportant" {
				rec.Note = "unimportant"
			}
			tr.NoDSA = one(tr.NoDSA)
			switch tr.Status {
			case "resolved":
				switch tr.FixedVersion {
				case "0":
					rec.Status = StatusNotAffected
				case "":
					st.Skips.add(where, "resolved without fixed_version")
					continue
				default:
					if err := checkVersion(tr.FixedVersion); err != nil {
						st.Skips.add(where, "fixed_version: %v", err)
						continue
					}
					f, ok := fixed[tr.FixedVersion]
					if !ok {
						f = tr.FixedVersion
						fixed[f] = f
					}
					rec.Status, rec.Fixed = StatusFixed, f
				}
			case "open":
				switch {
				case tr.Urgency == "end-of-life":
					rec.Status = StatusEndOfLife
				case tr.NoDSA != "" && tr.NoDSAReason == "postponed":
					rec.Status, rec.Note = StatusPostponed, tr.NoDSA
				case tr.NoDSA != "" || tr.NoDSAReason == "ignored":
					rec.Status, rec.Note = StatusNoDSA, one(strings.TrimSpace(tr.NoDSAReason+" "+tr.NoDSA))
				default:
					rec.Status = StatusNoFixYet
				}
			case "undetermined":
				rec.Status = StatusUndetermined
			default:
				st.Skips.add(where, "unknown status %s", quote(tr.Status))
				continue
			}
			st.Records++
			emit(rec)
		}
	}
}

// errOffset is where a decoding error happened: the syntax error's own
// offset, else the decoder's position.
func errOffset(dec *json.Decoder, err error) int64 {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return se.Offset
	}
	return dec.InputOffset()
}

// expectDelim reads the next token and checks it is the delimiter d.
func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if got, ok := tok.(json.Delim); !ok || got != d {
		return fmt.Errorf("want %q, got %s", string(d), describeToken(tok))
	}
	return nil
}

func describeToken(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		return fmt.Sprintf("%q", string(t))
	case string:
		return "string " + quote(t)
	case nil:
		return "null"
	default:
		return fmt.Sprintf("%T", t)
	}
}
