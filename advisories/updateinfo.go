package advisories

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/patchflow/patchflow/domain"
)

// UpdateinfoAdvisory is one advisory as `dnf updateinfo info` prints it.
type UpdateinfoAdvisory struct {
	ID    string `json:"id"` // RHSA-2024:4546, ALSA-2026:22312, FEDORA-..., SUSE-SU-...
	Title string `json:"title"`
	Type  string `json:"type"` // security, bugfix, enhancement, newpackage
	// Severity is the vendor's word mapped to patchflow's scale
	// (VendorSeverity); VendorSeverity the word as printed.
	Severity       Severity  `json:"severity"`
	VendorSeverity string    `json:"vendor_severity,omitempty"`
	Issued         time.Time `json:"issued,omitzero"`
	Updated        time.Time `json:"updated,omitzero"`
	CVEs           []string  `json:"cves,omitempty"`
	// Bugs are the bugzilla references ("2268273 - title" as printed).
	Bugs []string `json:"bugs,omitempty"`
}

// maxUpdateinfoBytes bounds `dnf updateinfo info` output.
const maxUpdateinfoBytes = 64 << 20

var (
	updateinfoFieldRe = regexp.MustCompile(`^\s*([A-Z][A-Za-z ]*?)\s*: ?(.*)$`)
	updateinfoContRe  = regexp.MustCompile(`^\s+: ?(.*)$`)
)

// ParseUpdateinfoInfo reads the text of `dnf updateinfo info` (dnf 4, as
// the test fleet's hosts print it with LC_ALL=C): per advisory a rule of
// "=" signs, the title, another rule, then "Key: value" lines whose extra
// values continue on lines with an empty key ("           : CVE-..."):
// Update ID, Type, Updated, Issued (newer dnf 4), Bugs, CVEs, Description,
// Severity. Dates are read as UTC (dnf prints local time; fleet hosts run
// in UTC). The severity comes from the Severity line, else from the
// title's "Important:" prefix. A block without an Update ID is a counted
// skip; output over 64 MB or lines over 64 KB are errors.
func ParseUpdateinfoInfo(r io.Reader) ([]UpdateinfoAdvisory, Skips, error) {
	var skips Skips
	sc := bufio.NewScanner(newLimitReader(r, maxUpdateinfoBytes, "dnf updateinfo info"))
	sc.Buffer(make([]byte, 4096), maxLine)
	var out []UpdateinfoAdvisory
	var cur *UpdateinfoAdvisory
	key := ""
	rules := 0 // rules seen in the current block header
	line := 0
	finish := func() {
		if cur == nil {
			return
		}
		if cur.ID == "" {
			skips.add(fmt.Sprintf("line %d", line), "advisory %s has no Update ID", quote(cur.Title))
		} else {
			if !cur.Severity.Known() {
				cur.Severity = summarySeverity(cur.Title)
			}
			if cur.Severity == "" {
				cur.Severity = domain.SeverityUnknown
			}
			sortIDs(cur.CVEs)
			out = append(out, *cur)
		}
		cur = nil
	}
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), " \r")
		if strings.HasPrefix(text, "==========") && strings.Trim(text, "=") == "" {
			if rules == 0 {
				finish()
				cur = &UpdateinfoAdvisory{Severity: domain.SeverityUnknown}
				key = ""
			}
			rules = (rules + 1) % 2
			continue
		}
		if cur == nil || strings.TrimSpace(text) == "" {
			continue
		}
		if rules == 1 {
			cur.Title = strings.TrimSpace(text)
			continue
		}
		val := ""
		if m := updateinfoContRe.FindStringSubmatch(text); m != nil {
			val = m[1]
		} else if m := updateinfoFieldRe.FindStringSubmatch(text); m != nil {
			key, val = m[1], m[2]
		} else {
			continue // a description line without a key
		}
		val = strings.TrimSpace(val)
		switch key {
		case "Update ID":
			cur.ID = val
		case "Type":
			cur.Type = val
		case "Severity":
			if val != "None" {
				cur.VendorSeverity = val
				cur.Severity = VendorSeverity(val)
			}
		case "Issued":
			cur.Issued = parseDNFTime(val)
		case "Updated":
			cur.Updated = parseDNFTime(val)
		case "CVEs":
			if IsCVE(val) {
				cur.CVEs = appendUnique(cur.CVEs, val)
			}
		case "Bugs":
			if val != "" {
				cur.Bugs = append(cur.Bugs, val)
			}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, skips, fmt.Errorf("dnf updateinfo info: line %d longer than %d bytes", line+1, maxLine)
		}
		return nil, skips, fmt.Errorf("dnf updateinfo info: %w", err)
	}
	finish()
	return out, skips, nil
}

func parseDNFTime(s string) time.Time {
	if t, err := time.Parse(time.DateTime, s); err == nil {
		return t
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t
	}
	return time.Time{}
}
