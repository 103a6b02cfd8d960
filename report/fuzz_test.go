package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
)

// smallReportJSON is a valid three-host report, the seed of FuzzReadCompliance.
func smallReportJSON(t testing.TB) []byte {
	in := ComplianceInput{
		GeneratedAt: estateNow, TimeZone: "Europe/Berlin", Policies: []string{"web"},
		SLAs:    map[string]SLA{"web": {High: 14 * day, KEVDueDate: true}},
		Sources: []SourceInput{{Name: "cisa-kev", AsOf: estateNow.Add(-400 * day)}},
		Hosts: []HostInput{
			{Host: "web-1", Policy: "web", LastAssessed: estateNow, Missing: []Finding{
				{Package: "libc6", Installed: "2.36-9+deb12u2", FixedVersion: "2.36-9+deb12u3", CVEs: []string{"CVE-2023-4911"}, Severity: domain.SeverityHigh,
					KEV: true, KEVDueDate: "2023-12-12", EPSS: epss(0.75), Risk: 83, FirstSeen: estateNow.Add(-20 * day)}}},
			{Host: "web-2", Policy: "web"},
			{Host: "web-3", Policy: "web", Failure: &AssessmentFailure{At: estateNow, Error: "timeout"}},
		},
		Exceptions: []Exception{{ID: "E1", CVEs: []string{"CVE-2023-4911"}, Hosts: []string{"web-9"}, Until: estateNow.Add(day), Reason: "r"}},
		Trend:      []TrendPoint{{At: estateNow.Add(-day), Compliant: 1, Noncompliant: 2}},
	}
	r, err := BuildCompliance(in)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// FuzzReadCompliance: any input is refused with an error or read into a
// report that renders everywhere, safely, and round-trips.
func FuzzReadCompliance(f *testing.F) {
	good := smallReportJSON(f)
	f.Add(good)
	f.Add([]byte(strings.Replace(string(good), `"compliant"`, `"fine"`, 1)))
	f.Add([]byte(`{"kind":"compliance_report","schema_version":1,"time_zone":"UTC","hosts":[{"rank":1,"host":"\u001b[2J","state":"compliant"}]}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ReadCompliance(bytes.NewReader(data))
		if err != nil {
			if strings.ContainsRune(err.Error(), 0x1b) {
				t.Fatalf("error carries a raw ESC: %q", err)
			}
			return
		}
		var j, h, tb bytes.Buffer
		if err := WriteJSON(&j, r); err != nil {
			t.Fatalf("read but cannot write: %v", err)
		}
		if err := WriteComplianceHTML(&h, r, HTMLOptions{MaxHosts: 50, MaxFixRows: 200}); err != nil {
			t.Fatalf("read but cannot render html: %v", err)
		}
		if err := WriteComplianceTable(&tb, r, TableOptions{Fixes: true, MaxHosts: 50}); err != nil {
			t.Fatalf("read but cannot render a table: %v", err)
		}
		for i, c := range tb.String() {
			if (c < 0x20 && c != '\n') || c == 0x7f || unsafeRune(c) {
				t.Fatalf("raw control %U in the table at %d", c, i)
			}
		}
		if strings.Contains(strings.ToLower(h.String()), "<script") {
			t.Fatal("a <script> tag reached the html")
		}
		back, err := ReadCompliance(bytes.NewReader(j.Bytes()))
		if err != nil {
			t.Fatalf("written json does not read back: %v", err)
		}
		var j2 bytes.Buffer
		if err := WriteJSON(&j2, back); err != nil || !bytes.Equal(j.Bytes(), j2.Bytes()) {
			t.Fatalf("json does not round-trip: %v", err)
		}
	})
}

// FuzzHostileValues puts arbitrary text in every free-text field a user or
// a host controls and checks no rendering lets it act: no raw control in a
// table, no markup or control in the html.
func FuzzHostileValues(f *testing.F) {
	f.Add("web-1", "libc6", "reason", "E1")
	f.Add("<script>document.title='pwned'</script>", "pkg\x1b[31m", "a\r\nb", "\u202eE1")
	f.Add("\"><img src=x onerror=alert(1)>", "</style><script>", "]]><!--", "x\x00y")
	f.Fuzz(func(t *testing.T, host, pkg, reason, id string) {
		if host == "" || pkg == "" || reason == "" || id == "" {
			return
		}
		in := ComplianceInput{GeneratedAt: estateNow, SLAs: map[string]SLA{"web": {High: day}},
			Hosts: []HostInput{{Host: host, Policy: "web", LastAssessed: estateNow, Failure: &AssessmentFailure{At: estateNow.Add(time.Hour), Error: reason},
				Missing: []Finding{{Package: pkg, Installed: pkg, FixedVersion: reason, CVEs: []string{id}, Severity: domain.SeverityHigh, FirstSeen: estateNow.Add(-2 * day)}}}},
			Exceptions: []Exception{{ID: id, CVEs: []string{id}, Hosts: []string{host}, Until: estateNow.Add(day), Reason: reason, By: host}},
		}
		r, err := BuildCompliance(in)
		if err != nil {
			t.Fatalf("valid input refused: %v", err)
		}
		var h, tb bytes.Buffer
		if err := WriteComplianceHTML(&h, r, HTMLOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := WriteComplianceTable(&tb, r, TableOptions{Fixes: true}); err != nil {
			t.Fatal(err)
		}
		for i, c := range tb.String() {
			if (c < 0x20 && c != '\n') || c == 0x7f || unsafeRune(c) {
				t.Fatalf("raw control %U in the table at %d", c, i)
			}
		}
		src := h.String()
		for i, c := range src {
			if (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f || unsafeRune(c) {
				t.Fatalf("raw control %U in the html at %d", c, i)
			}
		}
		// The template has exactly its own tags: data adds none.
		want := strings.Count(templateOnly(t), "<")
		if got := strings.Count(src, "<"); got != want {
			t.Fatalf("the html has %d '<', the same report with plain values %d: a value became markup", got, want)
		}
	})
}

// templateOnly renders the same shape of report with plain values, the
// baseline count of markup for FuzzHostileValues.
func templateOnly(t *testing.T) string {
	in := ComplianceInput{GeneratedAt: estateNow, SLAs: map[string]SLA{"web": {High: day}},
		Hosts: []HostInput{{Host: "h", Policy: "web", LastAssessed: estateNow, Failure: &AssessmentFailure{At: estateNow.Add(time.Hour), Error: "r"},
			Missing: []Finding{{Package: "p", Installed: "p", FixedVersion: "r", CVEs: []string{"i"}, Severity: domain.SeverityHigh, FirstSeen: estateNow.Add(-2 * day)}}}},
		Exceptions: []Exception{{ID: "i", CVEs: []string{"i"}, Hosts: []string{"h"}, Until: estateNow.Add(day), Reason: "r", By: "h"}},
	}
	r, err := BuildCompliance(in)
	if err != nil {
		t.Fatal(err)
	}
	var h bytes.Buffer
	if err := WriteComplianceHTML(&h, r, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	return h.String()
}
