package advisories

import (
	"errors"
	"strings"
	"testing"

	"github.com/patchflow/patchflow/domain"
)

func parseTracker(t *testing.T, data string, opt ParseOptions) ([]Record, Stats, error) {
	t.Helper()
	var recs []Record
	st, err := ParseDebianTracker(strings.NewReader(data), opt, func(r Record) { recs = append(recs, r) })
	return recs, st, err
}

func find(recs []Record, pkg, id, release string) *Record {
	for i, r := range recs {
		if r.Package == pkg && r.Release.Version == release && ((len(r.CVEs) > 0 && r.CVEs[0] == id) || (len(r.Advisories) > 0 && r.Advisories[0] == id)) {
			return &recs[i]
		}
	}
	return nil
}

// The real (trimmed) dump from osv.dev's test data: resolved with "0" is
// not affected, open is no fix yet, the urgency rates.
func TestDebianTrackerRealSubset(t *testing.T) {
	data := string(readFile(t, "testdata/debian-tracker-json/debian_security_tracker_mock.json"))
	recs, st, err := parseTracker(t, data, ParseOptions{Source: "tracker"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != 15 || st.Skips.Count != 0 {
		t.Errorf("records %d skipped %d, want 15 (3 CVEs x 5 releases) and 0", st.Records, st.Skips.Count)
	}
	cases := []struct {
		id, rel string
		status  State
		fixed   string
		sev     Severity
	}{
		{"CVE-2014-1424", "bookworm", StatusNotAffected, "", domain.SeverityLow},
		{"CVE-2016-1585", "bookworm", StatusNoFixYet, "", domain.SeverityLow},
		{"CVE-2016-1585", "trixie", StatusFixed, "3.0.12-1", domain.SeverityLow},
		{"CVE-2017-6507", "bookworm", StatusFixed, "2.11.0-3", domain.SeverityUnknown},
	}
	for _, c := range cases {
		r := find(recs, "apparmor", c.id, c.rel)
		if r == nil {
			t.Fatalf("no record for %s %s", c.id, c.rel)
		}
		if r.Status != c.status || r.Fixed != c.fixed || r.Rating.Severity.Rank() != c.sev.Rank() {
			t.Errorf("%s %s: %s %q %s, want %s %q %s", c.id, c.rel, r.Status, r.Fixed, r.Rating.Severity, c.status, c.fixed, c.sev)
		}
	}
	if r := find(recs, "apparmor", "CVE-2016-1585", "bookworm"); r.Note != "unimportant" {
		t.Errorf("note %q, want unimportant", r.Note)
	}
}

// The tracker's states stay apart.
func TestDebianTrackerStates(t *testing.T) {
	data := `{"foo":{
 "CVE-2026-1000":{"releases":{"bookworm":{"status":"open","urgency":"low","nodsa":"Minor issue","nodsa_reason":""}}},
 "CVE-2026-1001":{"releases":{"bookworm":{"status":"open","urgency":"medium","nodsa":"Minor issue","nodsa_reason":"postponed"}}},
 "CVE-2026-1002":{"releases":{"bookworm":{"status":"open","urgency":"low","nodsa":"Not built","nodsa_reason":"ignored"}}},
 "CVE-2026-1003":{"releases":{"buster":{"status":"open","urgency":"end-of-life"}}},
 "CVE-2026-1004":{"releases":{"bookworm":{"status":"undetermined","urgency":"not yet assigned"}}},
 "CVE-2026-1005":{"releases":{"bookworm":{"status":"open","urgency":"high**","next_point_update":true}}},
 "CVE-2026-1006":{"releases":{"bookworm":{"status":"resolved","fixed_version":"1:2.0-1~deb12u1","urgency":"medium"}}},
 "TEMP-0000000-ABCDEF":{"releases":{"bookworm":{"status":"open","urgency":"unimportant"}}}
}}`
	recs, st, err := parseTracker(t, data, ParseOptions{Source: "t"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]State{"CVE-2026-1000": StatusNoDSA, "CVE-2026-1001": StatusPostponed, "CVE-2026-1002": StatusNoDSA,
		"CVE-2026-1003": StatusEndOfLife, "CVE-2026-1004": StatusUndetermined, "CVE-2026-1005": StatusNoFixYet,
		"CVE-2026-1006": StatusFixed, "TEMP-0000000-ABCDEF": StatusNoFixYet}
	if st.Records != len(want) {
		t.Fatalf("records %d, want %d", st.Records, len(want))
	}
	for id, s := range want {
		rel := "bookworm"
		if id == "CVE-2026-1003" {
			rel = "buster"
		}
		r := find(recs, "foo", id, rel)
		if r == nil || r.Status != s {
			t.Errorf("%s: %+v, want status %s", id, r, s)
		}
	}
	if r := find(recs, "foo", "CVE-2026-1002", "bookworm"); r.Note != "ignored Not built" {
		t.Errorf("ignored note %q", r.Note)
	}
	if r := find(recs, "foo", "CVE-2026-1005", "bookworm"); r.Rating.Severity != domain.SeverityHigh {
		t.Errorf("urgency high** rated %s", r.Rating.Severity)
	}
	// Only bookworm kept.
	_, st, _ = parseTracker(t, data, ParseOptions{Releases: []Release{{"debian", "bookworm"}}})
	if st.Records != 7 {
		t.Errorf("bookworm only: %d records, want 7", st.Records)
	}
}

func TestDebianTrackerBadInput(t *testing.T) {
	cases := []struct {
		name, data string
		err        string // "" = parses with skips
		skips      int
	}{
		{"bad fixed version", `{"foo":{"CVE-2026-1":{"releases":{"bookworm":{"status":"resolved","fixed_version":"not a version"}}}}}`, "", 1},
		{"unknown status", `{"foo":{"CVE-2026-1":{"releases":{"bookworm":{"status":"weird"}}}}}`, "", 1},
		{"bad release", `{"foo":{"CVE-2026-1":{"releases":{"Book Worm":{"status":"open"}}}}}`, "", 1},
		{"bad package", `{"foo bar":{"CVE-2026-1":{"releases":{"bookworm":{"status":"open"}}}}}`, "", 1},
		{"wrong type", `{"foo":{"CVE-2026-1":{"releases":{"bookworm":{"status":7}}}},"bar":{}}`, "", 1},
		{"truncated", `{"foo":{"CVE-2026-1":{"releases":{"bookworm":{"status":"op`, "truncated at byte", 0},
		{"not an object", `["foo"]`, `want "{"`, 0},
		{"trailing data", `{} {}`, "data after the top-level object", 0},
		{"syntax", `{"foo":{"CVE-2026-1":}}`, "byte 20: invalid character", 0},
		{"empty", ``, "truncated", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, st, err := parseTracker(t, c.data, ParseOptions{})
			if c.err == "" {
				if err != nil || st.Skips.Count != c.skips {
					t.Errorf("err %v skips %d, want nil and %d", err, st.Skips.Count, c.skips)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("err %v, want %q", err, c.err)
			}
		})
	}
	// Huge: over the limit is an error, not an unbounded read.
	big := `{"foo":{"CVE-2026-1":{"releases":{"bookworm":{"status":"open","x":"` + strings.Repeat("a", 4096) + `"}}}}}`
	_, _, err := parseTracker(t, big, ParseOptions{MaxBytes: 1024})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("err %v, want ErrTooLarge", err)
	}
}
