package advisories

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// KEVEntry is one CISA Known Exploited Vulnerabilities catalogue entry.
type KEVEntry struct {
	CVE       string `json:"cve"`
	DateAdded string `json:"date_added"`
	DueDate   string `json:"due_date,omitempty"`
	// Ransomware is knownRansomwareCampaignUse: "Known" or "Unknown".
	Ransomware string `json:"known_ransomware_campaign_use,omitempty"`
}

// KEVCatalog is a parsed KEV catalogue.
type KEVCatalog struct {
	Version string
	// Released is the catalogue's dateReleased (JSON), or the newest
	// dateAdded for the CSV, which has no release date.
	Released time.Time
	// Declared is the catalogue's own count field, which is not trusted:
	// the entries are counted.
	Declared int
	Entries  map[string]KEVEntry

	newestAdded time.Time
}

type kevJSONEntry struct {
	CVEID      string `json:"cveID"`
	DateAdded  string `json:"dateAdded"`
	DueDate    string `json:"dueDate"`
	Ransomware string `json:"knownRansomwareCampaignUse"`
}

// ParseKEV reads the KEV catalogue as CISA publishes it, JSON
// (known_exploited_vulnerabilities.json, streamed entry by entry, `\/`
// escapes and all) or CSV (known_exploited_vulnerabilities.csv), told
// apart by the first byte. The count field is not trusted. An entry without
// a CVE id or with a dateAdded that is not a date is a counted skip.
func ParseKEV(r io.Reader, opt ParseOptions) (*KEVCatalog, Stats, error) {
	br := bufio.NewReader(newLimitReader(r, opt.maxBytes(), "kev"))
	first, err := firstByte(br)
	if err != nil {
		return nil, Stats{}, fmt.Errorf("kev: %w", err)
	}
	cat := &KEVCatalog{Entries: map[string]KEVEntry{}}
	var st Stats
	if first == '{' {
		err = parseKEVJSON(br, cat, &st)
	} else {
		err = parseKEVCSV(br, cat, &st)
	}
	if cat.Released.IsZero() {
		cat.Released = cat.newestAdded
	}
	st.AsOf = cat.Released
	return cat, st, err
}

func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			if err == io.EOF {
				return 0, errors.New("empty input")
			}
			return 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		case 0xef: // UTF-8 byte order mark
			continue
		case 0xbb, 0xbf:
			continue
		}
		return b, br.UnreadByte()
	}
}

func (c *KEVCatalog) add(e KEVEntry, where string, st *Stats) {
	e.CVE = strings.TrimSpace(e.CVE)
	if !IsCVE(e.CVE) {
		st.Skips.add(where, "cveID %s is not a CVE id", quote(e.CVE))
		return
	}
	t, err := time.Parse(time.DateOnly, e.DateAdded)
	if err != nil {
		st.Skips.add(e.CVE, "dateAdded %s is not a date (YYYY-MM-DD)", quote(e.DateAdded))
		return
	}
	if _, err := time.Parse(time.DateOnly, e.DueDate); err != nil {
		e.DueDate = ""
	}
	if _, dup := c.Entries[e.CVE]; !dup {
		st.Records++
	}
	c.Entries[e.CVE] = e
	if t.After(c.newestAdded) {
		c.newestAdded = t
	}
}

func parseKEVJSON(r io.Reader, cat *KEVCatalog, st *Stats) error {
	dec := json.NewDecoder(r)
	fail := func(err error) error {
		if errors.Is(err, ErrTooLarge) {
			return err
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("kev json: truncated at byte %d; fetch the catalogue again", dec.InputOffset())
		}
		return fmt.Errorf("kev json: byte %d: %v", errOffset(dec, err), err)
	}
	if err := expectDelim(dec, '{'); err != nil {
		return fail(err)
	}
	sawList := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fail(err)
		}
		switch key, _ := tok.(string); key {
		case "catalogVersion":
			if err := dec.Decode(&cat.Version); err != nil {
				return fail(err)
			}
		case "dateReleased":
			var s string
			if err := dec.Decode(&s); err != nil {
				return fail(err)
			}
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				cat.Released = t.UTC()
			}
		case "count":
			if err := dec.Decode(&cat.Declared); err != nil {
				return fail(err)
			}
		case "vulnerabilities":
			sawList = true
			if err := expectDelim(dec, '['); err != nil {
				return fail(err)
			}
			for i := 0; dec.More(); i++ {
				var e kevJSONEntry
				if err := dec.Decode(&e); err != nil {
					var te *json.UnmarshalTypeError
					if !errors.As(err, &te) {
						return fail(err)
					}
					st.Skips.add(fmt.Sprintf("vulnerabilities[%d]", i), "field %s has the wrong type", te.Field)
					continue
				}
				cat.add(KEVEntry{CVE: e.CVEID, DateAdded: e.DateAdded, DueDate: e.DueDate, Ransomware: e.Ransomware},
					fmt.Sprintf("vulnerabilities[%d]", i), st)
			}
			if err := expectDelim(dec, ']'); err != nil {
				return fail(err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fail(err)
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return fail(err)
	}
	if !sawList {
		return errors.New("kev json: no vulnerabilities list; is this the KEV catalogue?")
	}
	return nil
}

func parseKEVCSV(r io.Reader, cat *KEVCatalog, st *Stats) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return fmt.Errorf("kev csv: header: %v", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(h)] = i
	}
	for _, need := range []string{"cveID", "dateAdded"} {
		if _, ok := col[need]; !ok {
			return fmt.Errorf("kev csv: the header has no %s column; is this the KEV catalogue?", need)
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, ErrTooLarge) {
				return err
			}
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return fmt.Errorf("kev csv: line %d: %v", pe.Line, pe.Err)
			}
			return fmt.Errorf("kev csv: %v", err)
		}
		line, _ := cr.FieldPos(0)
		cat.add(KEVEntry{CVE: get(rec, "cveID"), DateAdded: get(rec, "dateAdded"), DueDate: get(rec, "dueDate"),
			Ransomware: get(rec, "knownRansomwareCampaignUse")}, fmt.Sprintf("line %d", line), st)
	}
	return nil
}
