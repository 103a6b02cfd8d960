package advisories

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// ChangelogEntry is one entry of a Debian changelog.
type ChangelogEntry struct {
	Source  string `json:"source"`
	Version string `json:"version"`
	// Distribution is the upload's target: "bookworm-security" for a
	// security upload, "bookworm" for a point release.
	Distribution string `json:"distribution"`
	// Urgency is the upload's urgency; it applies to the whole upload, not
	// to each CVE.
	Urgency    string    `json:"urgency"`
	Date       time.Time `json:"date,omitzero"`
	CVEs       []string  `json:"cves,omitempty"`
	Advisories []string  `json:"advisories,omitempty"`
}

// Changelog is a parsed Debian changelog, newest entry first.
type Changelog struct {
	Source  string
	Entries []ChangelogEntry
	// Skips counts lines that are neither an entry header, a change line,
	// a trailer nor a comment, and entries whose version is not a Debian
	// version.
	Skips Skips
}

// Limits of one changelog: the largest real ones (the kernel's) are a few
// MB uncompressed.
const (
	maxChangelogBytes   = 32 << 20
	maxChangelogEntries = 50_000
)

var (
	changelogHeaderRe  = regexp.MustCompile(`^(\S+) \(([^()\s]+)\) ([^;]*);(.*)$`)
	changelogTrailerRe = regexp.MustCompile(`^ -- (.*?)  (\S.*)$`)
)

// ParseChangelog reads a Debian changelog, changelog.Debian.gz as packages
// ship it (gzip is detected) or plain text. Lines beginning with "#" are
// dropped first: dh_installchangelogs trims old entries and leaves comment
// lines that strict parsers reject. For each entry it records the version,
// the distribution, the upload urgency, the date, and the ids its text
// names: CVE ids, and other ids (GHSA, DSA, DLA) separately; bug numbers
// ("Closes: #123") are not ids. The input is limited (32 MB uncompressed,
// 50,000 entries, 64 KB lines); past a limit it is an error.
func ParseChangelog(r io.Reader) (*Changelog, error) {
	in, err := maybeGunzip(r)
	if err != nil {
		return nil, fmt.Errorf("changelog: %v", err)
	}
	sc := bufio.NewScanner(newLimitReader(in, maxChangelogBytes, "changelog"))
	sc.Buffer(make([]byte, 4096), maxLine)
	cl := &Changelog{}
	var cur *ChangelogEntry
	var body strings.Builder
	finish := func() {
		if cur == nil {
			return
		}
		cur.CVEs, cur.Advisories = extractIDs(body.String())
		cl.Entries = append(cl.Entries, *cur)
		cur = nil
		body.Reset()
	}
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		switch {
		case strings.HasPrefix(text, "#"), strings.TrimSpace(text) == "":
			continue
		case text[0] != ' ' && text[0] != '\t':
			m := changelogHeaderRe.FindStringSubmatch(text)
			if m == nil {
				cl.Skips.add(fmt.Sprintf("line %d", line), "not an entry header: %s", quote(text))
				finish()
				continue
			}
			finish()
			if len(cl.Entries) >= maxChangelogEntries {
				return nil, fmt.Errorf("changelog: more than %d entries: %w", maxChangelogEntries, ErrTooLarge)
			}
			if _, err := ParseVersion(Deb, m[2]); err != nil {
				cl.Skips.add(fmt.Sprintf("line %d", line), "entry version: %v", err)
				continue
			}
			cur = &ChangelogEntry{Source: m[1], Version: m[2], Distribution: strings.TrimSpace(m[3]), Urgency: urgencyOf(m[4])}
			if cl.Source == "" {
				cl.Source = m[1]
			}
		case cur == nil:
			// Change lines of an entry whose header was skipped.
		default:
			if m := trailer(text); m != nil {
				if t, err := time.Parse(time.RFC1123Z, strings.TrimSpace(m[2])); err == nil {
					cur.Date = t.UTC()
				}
				finish()
				continue
			}
			body.WriteString(text)
			body.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("changelog: line %d longer than %d bytes; is this a Debian changelog?", line+1, maxLine)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("changelog: truncated compressed data after line %d", line)
		}
		return nil, fmt.Errorf("changelog: %w", err)
	}
	finish()
	if len(cl.Entries) == 0 {
		return nil, errors.New("changelog: no entries; is this a Debian changelog?")
	}
	return cl, nil
}

// trailer matches a " -- Name <email>  date" line; the prefix test spares
// the regexp on every change line.
func trailer(line string) []string {
	if !strings.HasPrefix(line, " -- ") {
		return nil
	}
	return changelogTrailerRe.FindStringSubmatch(line)
}

func urgencyOf(fields string) string {
	for _, kv := range strings.Split(fields, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if ok && strings.EqualFold(k, "urgency") {
			v, _, _ = strings.Cut(strings.TrimSpace(v), " ")
			return strings.ToLower(v)
		}
	}
	return ""
}

// Between returns the entries strictly newer than installed and at most
// candidate, in Debian version order, newest first: what an upgrade from
// installed to candidate brings. installed "" means every entry up to
// candidate. An installed or candidate version the library rejects is an
// error.
func (c *Changelog) Between(installed, candidate string) ([]ChangelogEntry, error) {
	cand, err := ParseVersion(Deb, candidate)
	if err != nil {
		return nil, fmt.Errorf("candidate %v", err)
	}
	var inst *Version
	if installed != "" {
		v, err := ParseVersion(Deb, installed)
		if err != nil {
			return nil, fmt.Errorf("installed %v", err)
		}
		inst = &v
	}
	var out []ChangelogEntry
	for _, e := range c.Entries {
		v, err := ParseVersion(Deb, e.Version)
		if err != nil {
			continue // counted when parsed
		}
		if v.Compare(cand) <= 0 && (inst == nil || v.Compare(*inst) > 0) {
			out = append(out, e)
		}
	}
	return out, nil
}

// FixedIn returns the oldest entry whose text names id: the version the
// changelog says fixed it.
func (c *Changelog) FixedIn(id string) (ChangelogEntry, bool) {
	var found ChangelogEntry
	ok := false
	for _, e := range c.Entries {
		for _, x := range append(e.CVEs[:len(e.CVEs):len(e.CVEs)], e.Advisories...) {
			if x == id {
				if !ok {
					found, ok = e, true
				} else if n, err := CompareVersions(Deb, e.Version, found.Version); err == nil && n < 0 {
					found = e
				}
			}
		}
	}
	return found, ok
}
